// anthropic-messages: the exact requests Durar sends (decoding: anthropic_messages_decode_test).
#include "anthropic_messages_fixture.hpp"

#include <algorithm>
#include <cctype>
#include <string>

using namespace anthropic_test;

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
  // The same tools rendered with another marker are rendered anew, not reused.
  CHECK(f.body()["tools"][0]["cache_control"]["ttl"].as_string() == "1h");
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
