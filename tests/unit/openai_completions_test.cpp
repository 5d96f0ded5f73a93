#include <catch2/catch.hpp>

#include "openai_completions_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace durar;
using namespace oai_test;
using Catch::Contains;

namespace {

struct call_fixture {
  model_info model = gpt54();
  provider_info provider = native_provider();
  std::optional<secret> key;
  conversation conv;
  request_options options;
  call_spec spec() const { return {model, provider, key ? &*key : nullptr, conv, options}; }
};

http_request request(const call_fixture& f) {
  auto r = oai().build_request(f.spec());
  if (!r) FAIL("build_request failed: " << r.error().describe());
  return std::move(r).value();
}

json body(const call_fixture& f) {
  auto j = json::parse(request(f).body);
  REQUIRE(j.has_value());
  return std::move(j).value();
}

std::string header(const http_request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

assistant_message from(std::string provider, std::string api, std::string model) {
  assistant_message a;
  a.provider = std::move(provider);
  a.api = std::move(api);
  a.model = std::move(model);
  a.stop = stop_reason::tool_use;
  a.timestamp = 1;
  return a;
}

tool_result_message result_of(std::string id, std::string name, std::string text) {
  tool_result_message r;
  r.tool_call_id = std::move(id);
  r.tool_name = std::move(name);
  r.content.emplace_back(text_block{std::move(text), {}});
  r.timestamp = 2;
  return r;
}

const std::string long_id = "call_0123456789abcdefghijklmnopqrstuvwxyz0123456789";

// A conversation replayed from other providers: foreign thinking, Responses-style and
// over-long tool ids, an image, an orphaned call, a failed turn and a stray result.
conversation replay_conversation() {
  conversation c;
  c.system_prompt = "You are Durar, a careful assistant.";
  c.tools.push_back(
      {"exec", "Run a shell command",
       json::object(
           {{"type", "object"},
            {"properties", json::object({{"command", json::object({{"type", "string"}})}})},
            {"required", json::array({"command"})}})});
  c.tools.push_back(
      {"read", "Read a file",
       json::object(
           {{"type", "object"},
            {"properties", json::object({{"path", json::object({{"type", "string"}})}})}})});

  user_message u;
  u.content.emplace_back(text_block{"List the files, then tell me what this shows.", {}});
  u.content.emplace_back(image_block{"image/png", "iVBORw0KGgoAAAANSUhEUg=="});
  u.timestamp = 1;
  c.messages.emplace_back(u);

  auto claude = from("anthropic", "anthropic-messages", "claude-sonnet-4-6");
  claude.content.emplace_back(
      thinking_block{"The user wants a listing first.", "EqQBCkgIBxAB", false});
  claude.content.emplace_back(thinking_block{"", "RXJlZGFjdGVk", true});
  claude.content.emplace_back(text_block{"Let me look.", {}});
  claude.content.emplace_back(tool_call_block{
      "toolu_01A09q90qw90lq917835lq9", "exec", json::object({{"command", "ls"}}), {}});
  c.messages.emplace_back(claude);
  c.messages.emplace_back(result_of("toolu_01A09q90qw90lq917835lq9", "exec", "README.md\nsrc"));

  auto responses = from("openai", "openai-responses", "gpt-5.4");
  responses.content.emplace_back(tool_call_block{"call_Q2x7|fc_68a1f0c2b7e08190a3e5d0b2c4",
                                                 "read",
                                                 json::object({{"path", "README.md"}}),
                                                 {}});
  responses.content.emplace_back(
      tool_call_block{long_id, "read", json::object({{"path", "shot.png"}}), {}});
  c.messages.emplace_back(responses);
  c.messages.emplace_back(result_of("call_Q2x7|fc_68a1f0c2b7e08190a3e5d0b2c4", "read", "# Durar"));
  tool_result_message with_image;
  with_image.tool_call_id = long_id;
  with_image.tool_name = "read";
  with_image.content.emplace_back(image_block{"image/jpeg", "/9j/4AAQSkZJRg=="});
  c.messages.emplace_back(with_image);

  auto gemini = from("google", "google-generative-ai", "gemini-3-pro-preview");
  gemini.content.emplace_back(tool_call_block{"orphan.call-1", "exec",
                                              json::object({{"command", "date"}}), "CiQBcsjafE8t"});
  c.messages.emplace_back(gemini);  // no result follows: the API would reject the history

  c.messages.emplace_back(user_text("Thanks. Anything else?"));
  auto failed = from("openai", "openai-completions", "gpt-5.4");
  failed.stop = stop_reason::aborted;
  failed.content.emplace_back(text_block{"Half an ans", {}});
  c.messages.emplace_back(failed);
  c.messages.emplace_back(result_of("ghost", "exec", "a result without its call"));
  c.messages.emplace_back(user_text("Try again, briefly."));
  return c;
}

bool valid_openai_id(const std::string& id) {
  if (id.empty() || id.size() > 40) return false;
  for (char ch : id)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-')) return false;
  return true;
}

// Every assistant tool call is answered by a tool message with the same id before the next
// user or assistant message, and every tool message answers such a call.
void check_pairing(const json& messages) {
  std::vector<std::string> open;
  for (const auto& m : messages.as_array()) {
    const std::string role = m.string_or("role");
    if (role == "tool") {
      const std::string id = m.string_or("tool_call_id");
      auto it = std::find(open.begin(), open.end(), id);
      INFO("tool message for " << id);
      REQUIRE(it != open.end());
      open.erase(it);
      continue;
    }
    INFO("unanswered calls before a " << role << " message");
    REQUIRE(open.empty());
    if (role == "assistant" && m["tool_calls"].is_array())
      for (const auto& c : m["tool_calls"].as_array()) {
        CHECK(valid_openai_id(c.string_or("id")));
        open.push_back(c.string_or("id"));
      }
  }
  REQUIRE(open.empty());
}

void check_golden(const json& actual, const std::string& name) {
  if (std::getenv("DURAR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(data_dir + name, std::ios::binary) << actual.dump(2) << "\n";
  }
  auto expected = json::parse(slurp(name));
  REQUIRE(expected.has_value());
  CHECK(actual == *expected);
}
}  // namespace

// ---- requests ----------------------------------------------------------------------------

TEST_CASE("URL and headers", "[openai-completions]") {
  call_fixture f;
  f.key = secret("sk-canary-0123456789");
  f.conv.messages.emplace_back(user_text("hi"));
  f.provider.headers["X-Title"] = "Durar";
  f.provider.headers["X-Other"] = "kept";
  f.options.headers.emplace_back("x-title", "Override");
  auto r = request(f);
  CHECK(r.method == "POST");
  CHECK(r.url == "https://api.openai.com/v1/chat/completions");
  CHECK(header(r, "Authorization") == "Bearer sk-canary-0123456789");
  CHECK(header(r, "Content-Type") == "application/json");
  CHECK(header(r, "X-Title") == "Override");
  CHECK(header(r, "X-Other") == "kept");
  CHECK(r.body.find("sk-canary") == std::string::npos);

  SECTION("no key, no Authorization") {
    f.key.reset();
    CHECK(header(request(f), "Authorization") == "<absent>");
  }
  SECTION("a configured auth header carries the raw key") {
    f.provider.auth_header = "api-key";
    auto rr = request(f);
    CHECK(header(rr, "api-key") == "sk-canary-0123456789");
    CHECK(header(rr, "Authorization") == "<absent>");
  }
  SECTION("a trailing slash and a query in the base URL") {
    f.provider.base_url =
        "https://acme.openai.azure.com/openai/deployments/gpt4o/?api-version=2024-10-21";
    CHECK(request(f).url ==
          "https://acme.openai.azure.com/openai/deployments/gpt4o/chat/"
          "completions?api-version=2024-10-21");
  }
}

TEST_CASE("native OpenAI: developer role, max_completion_tokens, store, effort",
          "[openai-completions]") {
  call_fixture f;
  f.conv.system_prompt = "Be brief.";
  f.conv.messages.emplace_back(user_text("Hello"));
  f.options.thinking = thinking_level::high;
  f.options.temperature = 0.2;
  f.options.top_p = 0.8;
  f.options.session_id = "agent:main:main";
  json b = body(f);
  CHECK(b["model"] == json("gpt-5.4"));
  CHECK(b["stream"] == json(true));
  CHECK(b["stream_options"] == json::object({{"include_usage", true}}));
  CHECK(b["store"] == json(false));
  CHECK(b["max_completion_tokens"] == json(128000));
  CHECK_FALSE(b.contains("max_tokens"));
  CHECK(b["temperature"] == json(0.2));
  CHECK(b["top_p"] == json(0.8));
  CHECK(b["reasoning_effort"] == json("high"));
  CHECK(b["prompt_cache_key"] == json("agent:main:main"));
  CHECK(b["messages"][0] == json::object({{"role", "developer"}, {"content", "Be brief."}}));
  CHECK(b["messages"][1] == json::object({{"role", "user"}, {"content", "Hello"}}));
  CHECK_FALSE(b.contains("tools"));

  SECTION("a model without reasoning gets a system message and no effort") {
    f.model = gpt4o();
    json c = body(f);
    CHECK(c["messages"][0]["role"] == json("system"));
    CHECK_FALSE(c.contains("reasoning_effort"));
  }
  SECTION("thinking off sends no effort") {
    f.options.thinking = thinking_level::off;
    CHECK_FALSE(body(f).contains("reasoning_effort"));
  }
  SECTION("an explicit max_tokens wins over the model's") {
    f.options.max_tokens = 1024;
    CHECK(body(f)["max_completion_tokens"] == json(1024));
  }
}

TEST_CASE("proxy-style endpoints get none of OpenAI's own fields", "[openai-completions]") {
  call_fixture f;
  f.provider = proxy_provider();
  f.model = qwen();
  f.conv.system_prompt = "Be brief.";
  f.conv.messages.emplace_back(user_text("Hello"));
  f.options.thinking = thinking_level::medium;
  f.options.session_id = "agent:main:main";
  f.options.params = json::object({{"serviceTier", "flex"}});
  auto r = request(f);
  CHECK(r.url == "http://127.0.0.1:8000/v1/chat/completions");
  json b = *json::parse(r.body);
  CHECK(b["messages"][0]["role"] == json("system"));
  CHECK(b["max_tokens"] == json(8192));
  CHECK_FALSE(b.contains("max_completion_tokens"));
  for (const char* openai_only :
       {"store", "service_tier", "prompt_cache_key", "prompt_cache_retention"})
    CHECK_FALSE(b.contains(openai_only));
  CHECK(b["reasoning_effort"] == json("medium"));
  CHECK(b["stream_options"] == json::object({{"include_usage", true}}));

  SECTION("a host that merely mentions openai is still a proxy") {
    f.provider.base_url = "https://api.openai.com.evil.example/v1";
    json c = body(f);
    CHECK_FALSE(c.contains("store"));
    CHECK(c["messages"][0]["role"] == json("system"));
  }
  SECTION("the model's compat object overrides the defaults") {
    f.model.compat = json::object({{"supportsDeveloperRole", true},
                                   {"maxTokensField", "max_completion_tokens"},
                                   {"supportsUsageInStreaming", false},
                                   {"supportsReasoningEffort", false},
                                   {"supportsStore", true}});
    json c = body(f);
    CHECK(c["messages"][0]["role"] == json("developer"));
    CHECK(c["max_completion_tokens"] == json(8192));
    CHECK_FALSE(c.contains("stream_options"));
    CHECK_FALSE(c.contains("reasoning_effort"));
    CHECK(c["store"] == json(false));
  }
  SECTION("OpenRouter's reasoning object when the compat says so") {
    f.model.compat = json::object({{"thinkingFormat", "openrouter"}});
    json c = body(f);
    CHECK(c["reasoning"] == json::object({{"effort", "medium"}}));
    CHECK_FALSE(c.contains("reasoning_effort"));
  }
}

TEST_CASE("reasoning effort: xhigh only where the model has it", "[openai-completions]") {
  call_fixture f;
  f.conv.messages.emplace_back(user_text("x"));
  f.options.thinking = thinking_level::xhigh;
  CHECK(body(f)["reasoning_effort"] == json("xhigh"));  // gpt-5.4 lists xhigh
  f.model.id = "o4-mini";
  CHECK(body(f)["reasoning_effort"] == json("high"));
  f.options.thinking = thinking_level::minimal;
  CHECK(body(f)["reasoning_effort"] == json("low"));  // o-series start at low
  f.model.compat = json::object({{"reasoningEffortMap", json::object({{"minimal", "medium"}})}});
  CHECK(body(f)["reasoning_effort"] == json("medium"));
  f.model = qwen();
  f.provider = proxy_provider();
  f.options.thinking = thinking_level::xhigh;
  CHECK(body(f)["reasoning_effort"] == json("high"));
}

TEST_CASE("tools and tool history", "[openai-completions]") {
  call_fixture f;
  f.conv = replay_conversation();
  json b = body(f);
  REQUIRE(b["tools"].is_array());
  CHECK(b["tools"][0] ==
        json::object({{"type", "function"},
                      {"function", json::object({{"name", "exec"},
                                                 {"description", "Run a shell command"},
                                                 {"parameters", f.conv.tools[0].parameters}})}}));
  CHECK_FALSE(b.contains("tool_choice"));  // OpenAI defaults to auto
  check_pairing(b["messages"]);

  SECTION("a proxy asks for auto explicitly; without tools it still gets tools: []") {
    f.provider = proxy_provider();
    f.model = qwen();
    CHECK(body(f)["tool_choice"] == json("auto"));
    f.conv.tools.clear();
    json c = body(f);
    CHECK(c["tools"] == json::array());
    CHECK_FALSE(c.contains("tool_choice"));
  }
}

// A copy of `tools` with `change` applied: a tool_list is never changed in place.
template <class F>
tool_list edited(const tool_list& tools, F change) {
  std::vector<tool_definition> items = tools.items();
  change(items);
  return tool_list(std::move(items));
}

TEST_CASE("tools rendered for an earlier request are reused only while they are the same",
          "[openai-completions]") {
  call_fixture f;
  f.conv = replay_conversation();
  const json first = body(f)["tools"];
  CHECK(body(f)["tools"] == first);  // the same list again: the remembered rendering
  // An equal list built anew (an API caller's own tools) finds it too.
  f.conv.tools = edited(f.conv.tools, [](auto&) {});
  CHECK(body(f)["tools"] == first);

  // Any change to a tool's name, description or schema renders them anew.
  f.conv.tools =
      edited(f.conv.tools, [](auto& t) { t[0].parameters.set("additionalProperties", false); });
  json changed = body(f)["tools"];
  CHECK(changed[0]["function"]["parameters"]["additionalProperties"] == false);
  f.conv.tools = edited(f.conv.tools, [](auto& t) { t[0].description = "Run a command"; });
  CHECK(body(f)["tools"][0]["function"]["description"] == "Run a command");
  f.conv.tools = edited(f.conv.tools, [](auto& t) { t[0].name = "run"; });
  CHECK(body(f)["tools"][0]["function"]["name"] == "run");
  f.conv.tools.push_back({"extra", "", json::object({{"type", "object"}})});
  CHECK(body(f)["tools"].size() == first.size() + 1);

  // Alternating between tool sets (two agents on one thread) gives each its own bytes.
  auto other = f;
  other.conv.tools = {{"only", "The other agent's tool.", json::object({{"type", "object"}})}};
  for (int i = 0; i < 3; ++i) {
    CHECK(body(other)["tools"].size() == 1);
    CHECK(body(f)["tools"].size() == first.size() + 1);
  }

  // Member order and number kinds are part of the bytes: 1 and 1.0, {a,b} and {b,a} differ.
  f.conv.tools = edited(f.conv.tools, [](auto& t) {
    t.resize(1);
    t[0].parameters = json::object({{"a", 1}, {"b", 2}});
  });
  CHECK(body(f)["tools"][0]["function"]["parameters"].dump() == R"({"a":1,"b":2})");
  f.conv.tools = edited(f.conv.tools, [](auto& t) {
    t[0].parameters = json::object({{"b", 2}, {"a", 1.0}});
  });
  CHECK(body(f)["tools"][0]["function"]["parameters"].dump() == R"({"b":2,"a":1.0})");
}

TEST_CASE("a tool list is shared by its copies and never changed under them", "[tools]") {
  tool_list a = {{"read", "Read a file.", json::object({{"type", "object"}})}};
  tool_list b = a;
  CHECK(b.shares(a));
  b.push_back({"write", "", json::object()});
  CHECK_FALSE(b.shares(a));
  CHECK(a.size() == 1);
  CHECK(b.size() == 2);
  CHECK(b[0].name == "read");
  CHECK(tool_list().shares(tool_list(std::vector<tool_definition>{})));  // empty is empty
  CHECK(tool_list().empty());
  const std::vector<tool_definition>& view = b;
  CHECK(view.size() == 2);
}

TEST_CASE("tool-call ids are normalised the same way for the call and its result",
          "[openai-completions]") {
  using detail::openai_tool_call_id;
  CHECK(openai_tool_call_id("call_Xq3CtwYV9tP2kD1sR7mN0bLe") == "call_Xq3CtwYV9tP2kD1sR7mN0bLe");
  CHECK(openai_tool_call_id("toolu_01A09q90qw90lq917835lq9") == "toolu_01A09q90qw90lq917835lq9");
  CHECK(openai_tool_call_id("call_Q2x7|fc_68a1f0c2b7e08190a3e5d0b2c4") == "call_Q2x7");
  for (std::string id : {long_id, std::string("orphan.call-1"), std::string("a/b"),
                         std::string("a.b"), std::string(""), std::string("|"),
                         std::string(200, 'x'), std::string("call_\xD8\xAF\xD8\xB1")}) {
    INFO(id);
    std::string n = openai_tool_call_id(id);
    CHECK(valid_openai_id(n));
    CHECK(openai_tool_call_id(id) == n);  // deterministic
    CHECK(openai_tool_call_id(n) == n);   // stable once normalised
  }
  CHECK(openai_tool_call_id("a/b") != openai_tool_call_id("a.b"));
  CHECK(openai_tool_call_id(long_id).rfind(long_id.substr(0, 29), 0) == 0);
  CHECK(openai_tool_call_id(long_id) != openai_tool_call_id(long_id + "9"));

  call_fixture f;
  f.conv = replay_conversation();
  const json msgs = body(f)["messages"];
  check_pairing(msgs);
  std::vector<std::string> call_ids;
  for (const auto& m : msgs.as_array())
    if (m["tool_calls"].is_array())
      for (const auto& c : m["tool_calls"].as_array()) call_ids.push_back(c.string_or("id"));
  CHECK(call_ids == std::vector<std::string>{"toolu_01A09q90qw90lq917835lq9", "call_Q2x7",
                                             openai_tool_call_id(long_id),
                                             openai_tool_call_id("orphan.call-1")});
}

TEST_CASE("orphaned calls get a synthetic error result, stray results and failed turns go",
          "[openai-completions]") {
  call_fixture f;
  f.conv = replay_conversation();
  const json msgs = body(f)["messages"];
  const std::string orphan = detail::openai_tool_call_id("orphan.call-1");
  std::size_t i = 0;
  for (; i < msgs.size(); ++i)
    if (msgs[i]["tool_calls"][0].string_or("id") == orphan) break;
  REQUIRE(i + 2 < msgs.size());
  CHECK(msgs[i + 1] ==
        json::object(
            {{"role", "tool"}, {"content", "No result provided"}, {"tool_call_id", orphan}}));
  CHECK(msgs[i + 2]["role"] == json("user"));
  const std::string all = msgs.dump();
  CHECK(all.find("Half an ans") == std::string::npos);  // the aborted turn
  CHECK(all.find("without its call") == std::string::npos);
  CHECK(msgs[msgs.size() - 1] ==
        json::object({{"role", "user"}, {"content", "Try again, briefly."}}));

  SECTION("a call left open at the end of the history is answered too") {
    f.conv.messages.resize(7);  // ends with the Gemini call
    const json m2 = body(f)["messages"];
    check_pairing(m2);
    CHECK(m2[m2.size() - 1]["content"] == json("No result provided"));
  }
}

TEST_CASE("images, foreign thinking and same-model reasoning", "[openai-completions]") {
  call_fixture f;
  f.conv = replay_conversation();
  const json msgs = body(f)["messages"];
  CHECK(
      msgs[1]["content"][1] ==
      json::object({{"type", "image_url"},
                    {"image_url",
                     json::object({{"url", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}})}}));
  // Claude's thinking becomes plain text for GPT; its redacted block is dropped.
  CHECK(msgs[2]["content"] == json("The user wants a listing first.\n\nLet me look."));
  CHECK(msgs[2]["tool_calls"][0]["function"]["arguments"] == json("{\"command\":\"ls\"}"));
  // A tool result's image follows the results as a user message.
  bool found = false;
  for (const auto& m : msgs.as_array())
    if (m["role"] == json("user") &&
        m["content"][0]["text"] == json("Attached image(s) from tool result:")) {
      CHECK(m["content"][1]["image_url"]["url"] == json("data:image/jpeg;base64,/9j/4AAQSkZJRg=="));
      found = true;
    }
  CHECK(found);

  SECTION("a text-only model gets a placeholder instead of the image") {
    f.model = qwen();
    f.provider = proxy_provider();
    const json m2 = body(f)["messages"];
    CHECK(m2[1]["content"][1] ==
          json::object(
              {{"type", "text"}, {"text", "(image omitted: model does not support images)"}}));
    CHECK(m2.dump().find("Attached image") == std::string::npos);
  }
  SECTION("thinking from this very model goes back in its own field") {
    f.model = qwen();
    f.provider = proxy_provider();
    auto own = from("vllm", "openai-completions", "qwen3-32b");
    own.stop = stop_reason::stop;
    own.content.emplace_back(thinking_block{"Short answer wanted.", "reasoning_content", false});
    own.content.emplace_back(text_block{"Done.", {}});
    f.conv.messages.push_back(own);
    const json m3 = body(f)["messages"];
    const json& last = m3[m3.size() - 1];
    CHECK(last == json::object({{"role", "assistant"},
                                {"content", "Done."},
                                {"reasoning_content", "Short answer wanted."}}));
  }
}

TEST_CASE("exact request bodies for a replayed conversation", "[openai-completions]") {
  call_fixture f;
  f.conv = replay_conversation();
  f.options.thinking = thinking_level::medium;
  f.options.session_id = "agent:main:main";
  check_golden(body(f), "native_replay.request.json");
  f.provider = proxy_provider();
  f.model = qwen();
  check_golden(body(f), "proxy_replay.request.json");
}

TEST_CASE("Mistral gets 9-character alphanumeric tool-call ids, paired and distinct",
          "[openai-completions]") {
  call_fixture f;
  f.provider = proxy_provider();
  f.provider.id = "mistral";
  f.provider.base_url = "https://api.mistral.ai/v1";
  f.model = qwen();
  f.model.provider = "mistral";
  f.model.id = "mistral-large-latest";
  f.conv.messages.emplace_back(user_text("go"));
  assistant_message a = from("openai", "openai-responses", "gpt-5.4");
  // "a1b2c3d4e" is already valid; "a1b2-c3d4-e" strips to the same 9 characters and must
  // not take it.
  for (std::string id : {"call_abc|fc_123", "a1b2c3d4e", "a1b2-c3d4-e", "\xF0\x9F\xA6\xAA"})
    a.content.emplace_back(tool_call_block{id, "read", json::object(), {}});
  f.conv.messages.emplace_back(a);
  for (std::string id : {"call_abc|fc_123", "a1b2c3d4e", "a1b2-c3d4-e", "\xF0\x9F\xA6\xAA"})
    f.conv.messages.emplace_back(result_of(id, "read", "ok"));
  const json msgs = body(f)["messages"];
  check_pairing(msgs);
  std::vector<std::string> ids;
  for (const auto& c : msgs[1]["tool_calls"].as_array()) ids.push_back(c.string_or("id"));
  // The values the original derives for the same ids (its short hash, cut to 9).
  CHECK(ids == std::vector<std::string>{"18g6kob34", "a1b2c3d4e", "19fdn8l13", "zp01uu1vt"});
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(msgs[2 + i]["tool_call_id"] == json(ids[i]));

  // Other hosts keep the OpenAI rule.
  f.provider.id = "vllm";
  f.provider.base_url = "http://127.0.0.1:8000/v1";
  CHECK(body(f)["messages"][1]["tool_calls"][0]["id"] == json("call_abc"));
}

TEST_CASE("the body is written as json::dump writes it", "[openai-completions]") {
  // The messages go straight into the body text (no tree first): the bytes must be those of
  // a compact dump, key order included, for every kind of message.
  call_fixture f;
  f.provider = proxy_provider();
  f.model.compat = json::object({{"requiresToolResultName", true}});
  f.conv.system_prompt = "Be \"brief\".\n";
  f.conv.messages.emplace_back(user_text("first \xC3\xA9 line\nsecond"));
  user_message two;
  two.content.emplace_back(text_block{"a", {}});
  two.content.emplace_back(text_block{"b\tc", {}});
  f.conv.messages.emplace_back(two);
  assistant_message a;
  a.api = "openai-completions";
  a.provider = "vllm";
  a.model = f.model.id;
  a.content.emplace_back(text_block{"calling", {}});
  a.content.emplace_back(
      tool_call_block{"call_1", "read", json::object({{"path", "/tmp/x \"y\""}}), {}});
  a.content.emplace_back(tool_call_block{"call_2", "read", json::object(), {}});
  a.stop = stop_reason::tool_use;
  f.conv.messages.emplace_back(a);
  tool_result_message r;
  r.tool_call_id = "call_1";
  r.tool_name = "read";
  r.content.emplace_back(text_block{"bad byte \xFF and \\ slash", {}});
  f.conv.messages.emplace_back(r);  // call_2 gets "No result provided"
  f.conv.messages.emplace_back(user_text("thanks"));
  f.options.temperature = 0.25;
  f.conv.tools.push_back(tool_definition{
      "read", "Reads a \"file\".\n\tTabbed.",
      json::object({{"type", "object"},
                    {"properties", json::object({{"path", json::object({{"type", "string"}})}})},
                    {"required", json::array({"path"})}})});
  f.conv.tools.push_back(tool_definition{"noop", "", json::object({{"type", "object"}})});
  const std::string text = request(f).body;
  auto parsed = json::parse(text);
  REQUIRE(parsed);
  CHECK(parsed->dump() == text);
  std::vector<std::string> keys;
  for (const auto& [k, v] : parsed->as_object()) keys.push_back(k);
  REQUIRE(keys.size() >= 3);
  CHECK(keys[keys.size() - 2] == "tools");  // written straight in, between the members
  CHECK(keys.back() == "tool_choice");
  CHECK((*parsed)["tools"][0]["function"]["description"] == json("Reads a \"file\".\n\tTabbed."));
  CHECK_FALSE((*parsed)["tools"][1]["function"].contains("description"));
  CHECK((*parsed)["tools"][1]["function"]["parameters"] == json::object({{"type", "object"}}));
  const json& ms = (*parsed)["messages"];
  REQUIRE(ms.size() == 7);
  CHECK(ms[0]["content"] == json("Be \"brief\".\n"));
  CHECK(ms[1]["content"] == json("first \xC3\xA9 line\nsecond"));
  CHECK(ms[2]["content"].size() == 2);
  CHECK(ms[4]["content"] == json("bad byte \xEF\xBF\xBD and \\ slash"));
  CHECK(ms[4]["name"] == json("read"));
  CHECK(ms[5]["tool_call_id"] == json("call_2"));
  CHECK(ms[5]["content"] == json("No result provided"));
  CHECK(ms[6]["content"] == json("thanks"));
  CHECK(text.rfind(R"({"model":"gpt-5.4","messages":[)", 0) == 0);
}
