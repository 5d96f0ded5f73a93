// anthropic-messages: the exact requests Durar sends and the decoding of recorded streams.
#include "transports/anthropic_messages.hpp"

#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "transports/transports.hpp"
#include "wire_replay.hpp"

#include <algorithm>
#include <cctype>
#include <string>

using namespace durar;
using wire_replay::read_data;

namespace {

constexpr const char* canary = "sk-ant-api03-CANARY-never-print-me";

model_info claude(std::string id = "claude-sonnet-4-5", bool reasoning = true) {
  model_info m;
  m.provider = "anthropic";
  m.id = std::move(id);
  m.api = api_kind::anthropic_messages;
  m.reasoning = reasoning;
  m.input = {"text", "image"};
  m.cost = {3.0, 15.0, 0.3, 3.75};
  m.context_window = 200000;
  m.max_tokens = 64000;
  return m;
}

provider_info anthropic() {
  provider_info p;
  p.id = "anthropic";
  p.api = api_kind::anthropic_messages;
  p.base_url = "https://api.anthropic.com/";
  return p;
}

// Owns what a call_spec refers to.
struct fixture {
  model_info model = claude();
  provider_info provider = anthropic();
  secret key{canary};
  conversation conv;
  request_options options;

  [[nodiscard]] call_spec call() const { return {model, provider, &key, conv, options}; }
  [[nodiscard]] http_request request() const {
    auto r = detail::make_anthropic_messages_transport()->build_request(call());
    REQUIRE(r.has_value());
    return *r;
  }
  [[nodiscard]] json body() const {
    auto j = json::parse(request().body);
    REQUIRE(j.has_value());
    return *j;
  }
};

std::string header(const http_request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

tool_definition weather_tool() {
  tool_definition t;
  t.name = "get_weather";
  t.description = "Current weather for a place";
  t.parameters = json::object(
      {{"$schema", "http://json-schema.org/draft-07/schema#"},
       {"type", "object"},
       {"properties", json::object({{"location", json::object({{"type", "string"}})}})},
       {"required", json::array({"location"})},
       {"additionalProperties", false}});
  return t;
}

assistant_message from(const model_info& m, std::vector<content_block> content,
                       stop_reason stop = stop_reason::stop) {
  assistant_message a;
  a.api = std::string(to_string(m.api));
  a.provider = m.provider;
  a.model = m.id;
  a.content = std::move(content);
  a.stop = stop;
  return a;
}

tool_call_block call(std::string id, std::string name, json args) {
  tool_call_block c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.arguments = std::move(args);
  return c;
}

tool_result_message result_of(std::string id, std::string name, std::string text,
                              bool is_error = false) {
  tool_result_message r;
  r.tool_call_id = std::move(id);
  r.tool_name = std::move(name);
  r.content.push_back(text_block{std::move(text), {}});
  r.is_error = is_error;
  return r;
}

void check_matches_file(const json& body, const std::string& file) {
  auto expected = json::parse(read_data("providers/anthropic-messages/" + file));
  REQUIRE(expected.has_value());
  INFO("sent:     " << body.dump(2));
  INFO("expected: " << expected->dump(2));
  CHECK(body == *expected);
}

wire_replay::run decode_file(const fixture& f, const std::string& name) {
  std::string body = read_data("providers/anthropic-messages/" + name);
  auto t = detail::make_anthropic_messages_transport();
  wire_replay::check_every_split(*t, f.call(), body);
  auto r = wire_replay::decode_whole(*t, f.call(), body);
  wire_replay::check_invariants(r);
  return r;
}

const text_block& text_at(const assistant_message& m, std::size_t i) {
  return std::get<text_block>(m.content.at(i));
}
const thinking_block& thinking_at(const assistant_message& m, std::size_t i) {
  return std::get<thinking_block>(m.content.at(i));
}
const tool_call_block& call_at(const assistant_message& m, std::size_t i) {
  return std::get<tool_call_block>(m.content.at(i));
}

}  // namespace

// ---- requests ------------------------------------------------------------------------

TEST_CASE("anthropic request: URL, headers and a plain body", "[anthropic-messages]") {
  fixture f;
  f.model = claude("claude-3-5-haiku-latest", false);
  f.conv.system_prompt = "You are terse.";
  f.conv.messages.push_back(user_text("Hello"));
  f.options.max_tokens = 1024;
  http_request r = f.request();
  CHECK(r.method == "POST");
  CHECK(r.url == "https://api.anthropic.com/v1/messages");
  CHECK(header(r, "x-api-key") == canary);
  CHECK(header(r, "anthropic-version") == "2023-06-01");
  CHECK(header(r, "content-type") == "application/json");
  CHECK(header(r, "authorization").empty());
  CHECK(header(r, "anthropic-beta").empty());
  CHECK(r.body.find(canary) == std::string::npos);
  check_matches_file(f.body(), "plain.request.json");
}

TEST_CASE("anthropic request: temperature only where the model takes it", "[anthropic-messages]") {
  fixture f;
  f.conv.messages.push_back(user_text("Hi"));
  f.options.temperature = 0.5;
  f.options.top_p = 0.9;
  for (const char* id :
       {"claude-3-5-haiku-latest", "claude-sonnet-4-5-20250929", "claude-opus-4-6", "MiniMax-M2"}) {
    INFO(id);
    f.model = claude(id, false);
    CHECK(f.body()["temperature"].as_double() == 0.5);
    CHECK(f.body()["top_p"].as_double() == 0.9);
  }
  // Deprecated after the 4.6 generation: the API answers 400 for any value but 1.0.
  for (const char* id : {"claude-sonnet-4-6", "claude-opus-4-7", "claude-opus-4-8",
                         "claude-sonnet-5", "claude-sonnet-5-5", "claude-mythos-preview"}) {
    INFO(id);
    f.model = claude(id, false);
    CHECK_FALSE(f.body().contains("temperature"));
    CHECK_FALSE(f.body().contains("top_p"));
  }
  f.model.compat = json::object({{"supportsTemperature", true}});
  CHECK(f.body()["temperature"].as_double() == 0.5);
}

TEST_CASE("anthropic request: authHeader, provider and caller headers", "[anthropic-messages]") {
  fixture f;
  f.conv.messages.push_back(user_text("Hi"));
  f.provider.auth_header = "Authorization";
  f.provider.headers["x-team"] = "blue";
  f.provider.headers["anthropic-version"] = "2024-01-01";
  f.options.headers = {{"X-Team", "red"}};
  http_request r = f.request();
  CHECK(header(r, "Authorization") == std::string("Bearer ") + canary);
  CHECK(header(r, "x-api-key").empty());
  CHECK(header(r, "anthropic-version") == "2024-01-01");
  CHECK(header(r, "x-team") == "red");

  f.provider.auth_header = "api-key";
  CHECK(header(f.request(), "api-key") == canary);

  fixture none;
  none.conv.messages.push_back(user_text("Hi"));
  call_spec c{none.model, none.provider, nullptr, none.conv, none.options};
  auto keyless = detail::make_anthropic_messages_transport()->build_request(c);
  REQUIRE(keyless.has_value());
  CHECK(header(*keyless, "x-api-key").empty());
}

TEST_CASE("anthropic request: thinking budgets follow the original", "[anthropic-messages]") {
  fixture f;
  f.conv.messages.push_back(user_text("Think."));
  f.options.temperature = 0.7;
  f.options.max_tokens = 4000;
  struct row {
    thinking_level level;
    std::int64_t budget;
  };
  for (row r : {row{thinking_level::minimal, 1024}, row{thinking_level::low, 2048},
                row{thinking_level::medium, 8192}, row{thinking_level::high, 16384},
                row{thinking_level::xhigh, 16384}}) {
    INFO(to_string(r.level));
    f.options.thinking = r.level;
    json body = f.body();
    CHECK(body["thinking"]["type"].as_string() == "enabled");
    CHECK(body["thinking"]["budget_tokens"].as_int() == r.budget);
    // The answer keeps its 4000 tokens on top of the budget.
    CHECK(body["max_tokens"].as_int() == 4000 + r.budget);
    CHECK_FALSE(body.contains("temperature"));
    CHECK(header(f.request(), "anthropic-beta") == "interleaved-thinking-2025-05-14");
  }

  SECTION("the model's max_tokens caps the total") {
    f.options.max_tokens.reset();
    f.options.thinking = thinking_level::high;
    json body = f.body();
    CHECK(body["max_tokens"].as_int() == 64000);
    CHECK(body["thinking"]["budget_tokens"].as_int() == 16384);
  }
  SECTION("a budget that cannot fit shrinks, or thinking is left off") {
    f.model.max_tokens = 10000;
    f.options.thinking = thinking_level::high;
    json body = f.body();
    CHECK(body["max_tokens"].as_int() == 10000);
    CHECK(body["thinking"]["budget_tokens"].as_int() == 10000 - 1024);
    f.model.max_tokens = 1500;
    body = f.body();
    CHECK(body["thinking"]["type"].as_string() == "disabled");
    CHECK(body["temperature"].as_double() == 0.7);
  }
  SECTION("off on a reasoning model says so; a plain model gets no thinking field") {
    f.options.thinking = thinking_level::off;
    json body = f.body();
    CHECK(body["thinking"] == json::object({{"type", "disabled"}}));
    CHECK(body["max_tokens"].as_int() == 4000);
    CHECK(body["temperature"].as_double() == 0.7);
    f.model.reasoning = false;
    f.options.thinking = thinking_level::high;
    CHECK_FALSE(f.body().contains("thinking"));
  }
  SECTION("Opus 4.6 and Sonnet 4.6 think adaptively with an effort") {
    f.model = claude("claude-opus-4-6");
    f.options.thinking = thinking_level::xhigh;
    json body = f.body();
    CHECK(body["thinking"] == json::object({{"type", "adaptive"}, {"display", "summarized"}}));
    CHECK(body["output_config"]["effort"].as_string() == "max");
    CHECK(body["max_tokens"].as_int() == 4000);
    CHECK(header(f.request(), "anthropic-beta").empty());
    f.model = claude("claude-sonnet-4-6");
    f.options.thinking = thinking_level::minimal;
    CHECK(f.body()["output_config"]["effort"].as_string() == "low");
  }
}

TEST_CASE("anthropic request: a tool conversation, exactly", "[anthropic-messages]") {
  fixture f;
  f.conv.system_prompt = "Use tools when useful.";
  f.conv.tools.push_back(weather_tool());
  f.conv.messages.push_back(user_text("Weather in Paris and Tokyo?"));
  f.conv.messages.push_back(
      from(f.model,
           {text_block{"Checking.", {}},
            call("toolu_01A", "get_weather", json::object({{"location", "Paris"}})),
            call("toolu_01B", "get_weather", json::object({{"location", "Tokyo"}}))},
           stop_reason::tool_use));
  f.conv.messages.push_back(result_of("toolu_01A", "get_weather", "18C, cloudy"));
  f.conv.messages.push_back(result_of("toolu_01B", "get_weather", "unknown city", true));
  f.options.max_tokens = 2048;
  json body = f.body();
  check_matches_file(body, "tools.request.json");
  // Both results travel in one user message, which carries the cache breakpoint.
  const json& last = body["messages"][2];
  CHECK(last["role"].as_string() == "user");
  CHECK(last["content"].size() == 2);
  CHECK(last["content"][1]["cache_control"]["type"].as_string() == "ephemeral");
  CHECK(body["tools"][0]["input_schema"] ==
        json::object(
            {{"type", "object"},
             {"properties", json::object({{"location", json::object({{"type", "string"}})}})},
             {"required", json::array({"location"})}}));
}

TEST_CASE("anthropic request: cache retention", "[anthropic-messages]") {
  fixture f;
  f.conv.system_prompt = "sys";
  f.conv.tools.push_back(weather_tool());
  f.conv.messages.push_back(user_text("Hi"));
  json body = f.body();
  CHECK(body["system"][0]["cache_control"] == json::object({{"type", "ephemeral"}}));
  CHECK(body["tools"][0]["cache_control"] == json::object({{"type", "ephemeral"}}));
  CHECK(body["messages"][0]["content"][0]["cache_control"] ==
        json::object({{"type", "ephemeral"}}));
  f.options.params = json::object({{"cacheRetention", "long"}});
  CHECK(f.body()["system"][0]["cache_control"]["ttl"].as_string() == "1h");
  f.options.params = json::object({{"cacheRetention", "none"}});
  CHECK(f.body().dump().find("cache_control") == std::string::npos);
}

TEST_CASE("anthropic request: thinking is replayed byte-exact to the same model",
          "[anthropic-messages]") {
  fixture f;
  auto t = detail::make_anthropic_messages_transport();
  auto first = wire_replay::decode_whole(
      *t, f.call(), read_data("providers/anthropic-messages/thinking.response.sse"));
  auto redacted = wire_replay::decode_whole(
      *t, f.call(), read_data("providers/anthropic-messages/redacted_thinking.response.sse"));
  f.conv.messages.push_back(user_text("27 * 453?"));
  f.conv.messages.push_back(first.final);
  f.conv.messages.push_back(user_text("And again?"));
  f.conv.messages.push_back(redacted.final);
  f.conv.messages.push_back(user_text("Thanks"));
  f.options.thinking = thinking_level::low;

  http_request r = f.request();
  json body = *json::parse(r.body);
  const auto& th = thinking_at(first.final, 0);
  CHECK(
      body["messages"][1]["content"][0] ==
      json::object({{"type", "thinking"}, {"thinking", th.thinking}, {"signature", th.signature}}));
  CHECK(r.body.find(th.signature) != std::string::npos);
  CHECK(body["messages"][3]["content"][0] ==
        json::object(
            {{"type", "redacted_thinking"}, {"data", thinking_at(redacted.final, 0).signature}}));
  CHECK(body["messages"][3]["content"][1]["type"].as_string() == "thinking");

  SECTION("another model gets the reasoning as text and no redacted data") {
    f.model = claude("claude-opus-4-1");
    json other = f.body();
    CHECK(other["messages"][1]["content"][0] ==
          json::object({{"type", "text"}, {"text", th.thinking}}));
    CHECK(other["messages"][3]["content"][0]["type"].as_string() == "text");
    CHECK(other["messages"][3]["content"][0]["text"].as_string() ==
          "Continuing after the redacted part.");
    CHECK(other.dump().find("redacted_thinking") == std::string::npos);
  }
  SECTION("unsigned thinking (an aborted stream) becomes text") {
    auto unsigned_msg =
        from(f.model, {thinking_block{"half a thought", "", false}, text_block{"ok", {}}});
    f.conv.messages = {user_text("q"), unsigned_msg, user_text("next")};
    CHECK(f.body()["messages"][1]["content"][0] ==
          json::object({{"type", "text"}, {"text", "half a thought"}}));
  }
}

TEST_CASE("anthropic request: foreign tool ids are normalised consistently",
          "[anthropic-messages]") {
  fixture f;
  model_info gpt;
  gpt.provider = "openai";
  gpt.id = "gpt-5.4";
  gpt.api = api_kind::openai_responses;
  std::string long_id = "call_Zx9|fc_" + std::string(80, 'a') + "+/=";
  f.conv.messages.push_back(user_text("go"));
  f.conv.messages.push_back(from(
      gpt,
      {call(long_id, "get_weather", json::object()), call("call.1", "get_weather", json::object()),
       call("call:1", "get_weather", json::object())},
      stop_reason::tool_use));
  f.conv.messages.push_back(result_of("call:1", "get_weather", "three"));
  f.conv.messages.push_back(result_of(long_id, "get_weather", "one"));
  f.conv.messages.push_back(result_of("call.1", "get_weather", "two"));
  json body = f.body();
  const json& uses = body["messages"][1]["content"];
  const json& results = body["messages"][2]["content"];
  REQUIRE(uses.size() == 3);
  REQUIRE(results.size() == 3);
  // ^[a-zA-Z0-9_-]{1,64}$
  auto valid = [](const std::string& id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '_' || c == '-';
    });
  };
  for (std::size_t i = 0; i < 3; ++i) CHECK(valid(uses[i]["id"].as_string()));
  CHECK(uses[1]["id"] != uses[2]["id"]);  // "call.1" and "call:1" must not collide
  CHECK(results[0]["tool_use_id"] == uses[2]["id"]);
  CHECK(results[1]["tool_use_id"] == uses[0]["id"]);
  CHECK(results[2]["tool_use_id"] == uses[1]["id"]);
}

TEST_CASE("anthropic request: orphaned tool calls get an error result", "[anthropic-messages]") {
  fixture f;
  f.conv.messages.push_back(user_text("go"));
  f.conv.messages.push_back(
      from(f.model, {call("toolu_1", "a", json::object()), call("toolu_2", "b", json::object())},
           stop_reason::tool_use));
  f.conv.messages.push_back(result_of("toolu_1", "a", "done"));
  f.conv.messages.push_back(user_text("never mind"));
  f.conv.messages.push_back(
      from(f.model, {call("toolu_3", "c", json::object())}, stop_reason::tool_use));
  json body = f.body();
  const json& msgs = body["messages"];
  REQUIRE(msgs.size() == 6);
  const json& first = msgs[2]["content"];
  REQUIRE(first.size() == 2);
  CHECK(first[0]["tool_use_id"].as_string() == "toolu_1");
  CHECK(first[1] == json::object({{"type", "tool_result"},
                                  {"tool_use_id", "toolu_2"},
                                  {"content", "No result provided"},
                                  {"is_error", true}}));
  CHECK(msgs[3]["content"][0]["text"].as_string() == "never mind");
  // The conversation ends on a call: its synthetic result closes it.
  CHECK(msgs[5]["content"][0]["tool_use_id"].as_string() == "toolu_3");
  CHECK(msgs[5]["content"][0]["is_error"].as_bool());
}

TEST_CASE("anthropic request: failed turns and stray results are left out",
          "[anthropic-messages]") {
  fixture f;
  f.conv.messages.push_back(user_text("go"));
  f.conv.messages.push_back(from(f.model,
                                 {text_block{"partial", {}}, call("toolu_x", "a", json::object())},
                                 stop_reason::error));
  f.conv.messages.push_back(result_of("toolu_x", "a", "late result"));
  f.conv.messages.push_back(user_text("retry"));
  json body = f.body();
  REQUIRE(body["messages"].size() == 2);
  CHECK(body["messages"][0]["content"][0]["text"].as_string() == "go");
  CHECK(body["messages"][1]["content"][0]["text"].as_string() == "retry");
}

TEST_CASE("anthropic request: images, and placeholders for text-only models",
          "[anthropic-messages]") {
  fixture f;
  user_message u;
  u.content = {text_block{"What is this?", {}}, image_block{"image/png", "iVBORw0KGgo="}};
  f.conv.messages.push_back(u);
  f.conv.messages.push_back(
      from(f.model, {call("toolu_s", "screenshot", json::object())}, stop_reason::tool_use));
  tool_result_message shot;
  shot.tool_call_id = "toolu_s";
  shot.tool_name = "screenshot";
  shot.content = {image_block{"image/jpeg", "/9j/4AAQ"}};
  f.conv.messages.push_back(shot);
  json body = f.body();
  CHECK(body["messages"][0]["content"][1] ==
        json::object({{"type", "image"},
                      {"source", json::object({{"type", "base64"},
                                               {"media_type", "image/png"},
                                               {"data", "iVBORw0KGgo="}})}}));
  const json& shot_content = body["messages"][2]["content"][0]["content"];
  CHECK(shot_content[0]["text"].as_string() == "(see attached image)");
  CHECK(shot_content[1]["source"]["media_type"].as_string() == "image/jpeg");

  f.model.input = {"text"};
  json text_only = f.body();
  CHECK(text_only["messages"][0]["content"][1]["text"].as_string() ==
        "(image omitted: model does not support images)");
  CHECK(text_only["messages"][2]["content"][0]["content"].as_string() ==
        "(tool image omitted: model does not support images)");
}

namespace {

// A history with every kind of message and block the builder treats differently.
fixture every_kind_of_history() {
  fixture f;
  f.conv.system_prompt = "Be \"brief\".\n";
  f.conv.tools.push_back(weather_tool());
  f.options.params = json::object({{"cacheRetention", "long"}});
  f.conv.messages.push_back(user_text("first \xC3\xA9 line\nsecond \xFF"));
  user_message mixed;
  mixed.content = {text_block{"  ", {}}, text_block{"look", {}},
                   image_block{"image/png", "iVBORw0KGgo="}, image_block{"image/gif", "R0lG"}};
  f.conv.messages.push_back(mixed);
  f.conv.messages.push_back(from(
      f.model,
      {thinking_block{"let me think", "sig==", false}, thinking_block{"", "opaque", true},
       thinking_block{"unsigned", "", false}, text_block{"\t", {}}, text_block{"Checking.", {}},
       call("toolu_01A", "get_weather", json::object({{"location", "Paris \"FR\""}})),
       call("call|weird/id", "get_weather", json::array()), call("toolu_01A", "again", json())},
      stop_reason::tool_use));
  f.conv.messages.push_back(result_of("toolu_01A", "again", "18C, cloudy"));
  f.conv.messages.push_back(result_of("toolu_01A", "again", "a duplicate, dropped"));
  f.conv.messages.push_back(result_of("nobody", "x", "a stray result, dropped"));
  tool_result_message shot;
  shot.tool_call_id = "call|weird/id";
  shot.tool_name = "get_weather";
  shot.content = {text_block{"line 1", {}}, image_block{"image/jpeg", "/9j/"},
                  text_block{"line 2", {}}};
  f.conv.messages.push_back(shot);
  // The first toolu_01A call gets "No result provided" when the next user message arrives.
  f.conv.messages.push_back(user_text("thanks"));
  model_info other = claude("claude-opus-4-1");
  f.conv.messages.push_back(
      from(other, {thinking_block{"foreign", "foreign-sig", false}, thinking_block{"", "x", true},
                   text_block{"from another model", {}}}));
  f.conv.messages.push_back(from(f.model, {text_block{"cut off", {}}}, stop_reason::error));
  f.conv.messages.push_back(from(f.model, {text_block{" ", {}}}));  // no blocks: left out
  f.conv.messages.push_back(
      from(f.model, {call("toolu_9", "get_weather", json::object())}, stop_reason::tool_use));
  tool_result_message only_image;
  only_image.tool_call_id = "toolu_9";
  only_image.tool_name = "get_weather";
  only_image.content = {image_block{"image/png", "AAAA"}};
  only_image.is_error = true;
  f.conv.messages.push_back(only_image);
  return f;
}

}  // namespace

TEST_CASE("anthropic request: the body is byte for byte what the JSON tree dumped",
          "[anthropic-messages]") {
  // The messages are written into the body one by one (no tree of the whole history); the
  // expected bytes were written by the earlier builder, which dumped one tree.
  fixture f = every_kind_of_history();
  std::string body = f.request().body;
  auto parsed = json::parse(body);
  REQUIRE(parsed);
  CHECK(parsed->dump() == body);
  std::string expected = read_data("providers/anthropic-messages/every_kind.request.body");
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  CHECK(body == expected);

  // Text-only, thinking off, no tools or system prompt, no cache breakpoints.
  f.model.input = {"text"};
  f.model.reasoning = false;
  f.conv.tools.clear();
  f.conv.system_prompt.clear();
  f.options.params = json::object({{"cacheRetention", "none"}});
  f.options.temperature = 0.5;
  body = f.request().body;
  expected = read_data("providers/anthropic-messages/every_kind_text_only.request.body");
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  CHECK(body == expected);

  // Ending on a user message, which carries the breakpoint; and no messages at all.
  f.options.params = json::object();
  f.conv.messages.resize(8);
  auto ends_on_user = json::parse(f.request().body);
  REQUIRE(ends_on_user);
  CHECK(ends_on_user->dump() == f.request().body);
  const json& last = (*ends_on_user)["messages"].as_array().back();
  CHECK(last["content"].as_array().back()["cache_control"] ==
        json::object({{"type", "ephemeral"}}));
  f.conv.messages.clear();
  CHECK(f.request().body.find(R"("messages":[],)") != std::string::npos);
}

// ---- decoding ------------------------------------------------------------------------

TEST_CASE("anthropic stream: text with usage and cost", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "text.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 1);
  CHECK(text_at(m, 0).text == "Bonjour! Ça va? Here is a globe: 🌍 and 日本語.");
  CHECK(m.stop == stop_reason::stop);
  CHECK(m.response_id == "msg_01TextA1b2C3");
  CHECK(m.model == "claude-sonnet-4-5");  // the catalog id, so replay recognises its own model
  CHECK(m.usage.input == 21);
  CHECK(m.usage.output == 17);
  CHECK(m.usage.total_tokens == 38);
  CHECK(m.usage.cost.input == Approx(21 * 3.0 / 1e6));
  CHECK(m.usage.cost.output == Approx(17 * 15.0 / 1e6));
  CHECK(m.usage.cost.total == Approx((21 * 3.0 + 17 * 15.0) / 1e6));
}

TEST_CASE("anthropic stream: thinking with its signature", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "thinking.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  CHECK(thinking_at(m, 0).thinking == "The user asks for 27 * 453. 27 * 453 = 12231.");
  CHECK(thinking_at(m, 0).signature.size() == 212);
  CHECK(thinking_at(m, 0).signature.rfind("EqQBCkgIBxAB", 0) == 0);
  CHECK_FALSE(thinking_at(m, 0).redacted);
  CHECK(text_at(m, 1).text == "27 × 453 = 12,231.");
}

TEST_CASE("anthropic stream: redacted thinking keeps its data", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "redacted_thinking.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 3);
  CHECK(thinking_at(m, 0).redacted);
  CHECK(thinking_at(m, 0).signature.rfind("EmwKAhgBEgy3va3pzix/", 0) == 0);
  CHECK(thinking_at(m, 0).thinking == "[Reasoning redacted]");
  CHECK(thinking_at(m, 1).signature == "ErUBCkYIBRgCKkA1c2lnbmF0dXJl");
  CHECK(text_at(m, 2).text == "Done.");
}

TEST_CASE("anthropic stream: tool_use arguments from fragments", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "tool_use.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  CHECK(text_at(m, 0).text == "Let me check the weather.");
  CHECK(call_at(m, 1).id == "toolu_01A09q90qw90lq917835lq9");
  CHECK(call_at(m, 1).name == "get_weather");
  CHECK(call_at(m, 1).arguments ==
        json::object({{"location", "São Paulo, BR"}, {"unit", "celsius"}, {"days", 3}}));
  CHECK(m.stop == stop_reason::tool_use);
}

TEST_CASE("anthropic stream: interleaved tool calls follow the vendor index",
          "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "two_tools.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  CHECK(call_at(m, 0).name == "get_weather");
  CHECK(call_at(m, 0).arguments == json::object({{"location", "Paris"}}));
  CHECK(call_at(m, 1).name == "get_time");
  CHECK(call_at(m, 1).arguments == json::object({{"tz", "Asia/Tokyo"}}));
}

TEST_CASE("anthropic stream: cache usage (CRLF framing)", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "cache_usage.response.sse");
  const auto& u = r.final.usage;
  CHECK(u.input == 12);
  CHECK(u.cache_read == 20480);
  CHECK(u.cache_write == 1500);
  CHECK(u.output == 250);
  CHECK(u.total_tokens == 12 + 20480 + 1500 + 250);
  CHECK(u.cost.cache_read == Approx(20480 * 0.3 / 1e6));
  CHECK(u.cost.cache_write == Approx(1500 * 3.75 / 1e6));
}

TEST_CASE("anthropic stream: stop reasons", "[anthropic-messages]") {
  fixture f;
  CHECK(decode_file(f, "max_tokens.response.sse").final.stop == stop_reason::length);
  auto refusal = decode_file(f, "refusal.response.sse");
  CHECK(refusal.final.stop == stop_reason::error);
  CHECK(refusal.failures == std::vector<errc>{errc::permission_denied});
  CHECK(text_at(refusal.final, 0).text == "I can't help with that.");
}

TEST_CASE("anthropic stream: failures are events, never crashes", "[anthropic-messages]") {
  fixture f;
  auto overloaded = decode_file(f, "error_midstream.response.sse");
  CHECK(overloaded.final.stop == stop_reason::error);
  CHECK(overloaded.failures == std::vector<errc>{errc::unavailable});
  CHECK(text_at(overloaded.final, 0).text == "Partial answ");  // what arrived is kept

  auto truncated = decode_file(f, "truncated.response.sse");
  CHECK(truncated.failures == std::vector<errc>{errc::protocol_error});
  CHECK(text_at(truncated.final, 0).text == "Cut off");

  auto bad = decode_file(f, "invalid_json.response.sse");
  CHECK(bad.failures == std::vector<errc>{errc::protocol_error});
  CHECK(bad.final.error_message.find("invalid JSON") != std::string::npos);

  auto t = detail::make_anthropic_messages_transport();
  auto empty = wire_replay::decode_whole(*t, f.call(), "");
  wire_replay::check_invariants(empty);
  CHECK(empty.failures == std::vector<errc>{errc::protocol_error});
  auto garbage = wire_replay::decode_whole(*t, f.call(), "data: \x01\xff{{\n\n");
  wire_replay::check_invariants(garbage);
  CHECK(garbage.failures == std::vector<errc>{errc::protocol_error});
}

TEST_CASE("anthropic: a whole JSON message decodes like a stream", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "message.response.json");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 3);
  CHECK(thinking_at(m, 0).signature == "ErUBCkYIBRgCKkBzaWc=");
  CHECK(text_at(m, 1).text == "Checking.");
  CHECK(call_at(m, 2).arguments == json::object({{"location", "Paris"}}));
  CHECK(m.stop == stop_reason::tool_use);
  CHECK(m.usage.cache_read == 100);
  CHECK(m.response_id == "msg_01WholeX4y5");
}

// ---- errors --------------------------------------------------------------------------

TEST_CASE("anthropic errors are classified", "[anthropic-messages]") {
  auto t = detail::make_anthropic_messages_transport();
  auto classify = [&](int status, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http_head head;
    head.status = status;
    head.headers = std::move(headers);
    return t->classify_error(head, body);
  };
  auto body = [](std::string type, std::string message) {
    return json::object(
               {{"type", "error"}, {"error", json::object({{"type", type}, {"message", message}})}})
        .dump();
  };
  error e = classify(529, body("overloaded_error", "Overloaded"));
  CHECK(e.code == errc::unavailable);
  CHECK(e.retryable());
  CHECK(e.http_status == 529);
  CHECK(e.provider_message == "Overloaded");

  e = classify(429,
               body("rate_limit_error", "Number of request tokens has exceeded your rate limit"),
               {{"retry-after", "30"}});
  CHECK(e.code == errc::resource_exhausted);
  REQUIRE(e.retry_after.has_value());
  CHECK(e.retry_after->count() == 30000);

  CHECK(classify(400, body("invalid_request_error",
                           "prompt is too long: 213462 tokens > 200000 maximum"))
            .code == errc::context_overflow);
  CHECK(classify(413, body("request_too_large", "Request exceeds the maximum size")).code ==
        errc::context_overflow);
  CHECK(classify(401, body("authentication_error", "invalid x-api-key")).code ==
        errc::unauthenticated);
  CHECK(classify(403, body("permission_error", "no access")).code == errc::permission_denied);
  CHECK(classify(404, body("not_found_error", "model: claude-9")).code == errc::not_found);
  CHECK(classify(400, body("invalid_request_error", "messages: field required")).code ==
        errc::invalid_argument);
  e = classify(400, body("invalid_request_error",
                         "Your credit balance is too low to access the Anthropic API."));
  CHECK(e.code == errc::resource_exhausted);
  CHECK(e.message.find("billing") != std::string::npos);
  CHECK(classify(502, "<html>Bad Gateway</html>").code == errc::unavailable);
  CHECK(classify(500, body("api_error", "Internal server error")).code == errc::unavailable);
  CHECK(e.describe().find(canary) == std::string::npos);
}
