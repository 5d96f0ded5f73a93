// google-generative-ai: the exact requests Durar sends and the decoding of recorded streams.
#include "transports/google_generative_ai.hpp"

#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "transports/transports.hpp"
#include "wire_replay.hpp"

#include <string>

using namespace durar;
using wire_replay::read_data;

namespace {

constexpr const char* canary = "AIzaSy-CANARY-never-print-me";
constexpr const char* data_dir = "providers/google-generative-ai/";

model_info gemini(std::string id = "gemini-2.5-flash", bool reasoning = true) {
  model_info m;
  m.provider = "google";
  m.id = std::move(id);
  m.api = api_kind::google_generative_ai;
  m.reasoning = reasoning;
  m.input = {"text", "image"};
  m.cost = {0.3, 2.5, 0.075, 0};
  m.context_window = 1048576;
  m.max_tokens = 65536;
  return m;
}

provider_info google() {
  provider_info p;
  p.id = "google";
  p.api = api_kind::google_generative_ai;
  p.base_url = "https://generativelanguage.googleapis.com/v1beta";
  return p;
}

struct fixture {
  model_info model = gemini();
  provider_info provider = google();
  secret key{canary};
  conversation conv;
  request_options options;

  [[nodiscard]] call_spec call() const { return {model, provider, &key, conv, options}; }
  [[nodiscard]] http_request request() const {
    auto r = detail::make_google_generative_ai_transport()->build_request(call());
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

void check_matches_file(const json& body, const std::string& file) {
  auto expected = json::parse(read_data(std::string(data_dir) + file));
  REQUIRE(expected.has_value());
  INFO("sent:     " << body.dump(2));
  INFO("expected: " << expected->dump(2));
  CHECK(body == *expected);
}

wire_replay::run decode_file(const fixture& f, const std::string& name) {
  std::string body = read_data(std::string(data_dir) + name);
  auto t = detail::make_google_generative_ai_transport();
  wire_replay::check_every_split(*t, f.call(), body);
  auto r = wire_replay::decode_whole(*t, f.call(), body);
  wire_replay::check_invariants(r);
  return r;
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

tool_call_block call(std::string id, std::string name, json args, std::string sig = "") {
  tool_call_block c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.arguments = std::move(args);
  c.thought_signature = std::move(sig);
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

tool_definition weather_tool() {
  tool_definition t;
  t.name = "get_weather";
  t.description = "Current weather for a place";
  t.parameters = json::object(
      {{"type", "object"},
       {"properties",
        json::object({{"location", json::object({{"type", "string"}})},
                      {"unit", json::object({{"type", "string"},
                                             {"enum", json::array({"celsius", "fahrenheit"})}})}})},
       {"required", json::array({"location"})},
       {"additionalProperties", false}});
  return t;
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

TEST_CASE("gemini request: URL, headers and a plain body", "[google-generative-ai]") {
  fixture f;
  f.provider.base_url += "/";
  f.conv.system_prompt = "You are terse.";
  f.conv.messages.push_back(user_text("Hello"));
  f.options.temperature = 0.2;
  f.options.max_tokens = 1024;
  http_request r = f.request();
  CHECK(r.method == "POST");
  CHECK(r.url ==
        "https://generativelanguage.googleapis.com/v1beta/models/"
        "gemini-2.5-flash:streamGenerateContent?alt=sse");
  CHECK(header(r, "x-goog-api-key") == canary);
  CHECK(header(r, "content-type") == "application/json");
  // The key never travels in the URL or the body.
  CHECK(r.url.find(canary) == std::string::npos);
  CHECK(r.url.find("key=") == std::string::npos);
  CHECK(r.body.find(canary) == std::string::npos);
  check_matches_file(f.body(), "plain.request.json");
}

TEST_CASE("gemini request: authHeader and extra headers", "[google-generative-ai]") {
  fixture f;
  f.conv.messages.push_back(user_text("Hi"));
  f.provider.auth_header = "Authorization";
  f.provider.headers["x-goog-user-project"] = "proj";
  f.options.headers = {{"X-Goog-User-Project", "other"}};
  http_request r = f.request();
  CHECK(header(r, "Authorization") == std::string("Bearer ") + canary);
  CHECK(header(r, "x-goog-api-key").empty());
  CHECK(header(r, "x-goog-user-project") == "other");
  f.model.id = "models/gemini-2.5-pro";
  CHECK(f.request().url.find("/models/gemini-2.5-pro:streamGenerateContent") != std::string::npos);
}

TEST_CASE("gemini request: thinking config per model family", "[google-generative-ai]") {
  fixture f;
  f.conv.messages.push_back(user_text("Think."));
  auto cfg = [&](const char* id, thinking_level level) {
    f.model = gemini(id);
    f.options.thinking = level;
    return f.body()["generationConfig"]["thinkingConfig"];
  };
  using tl = thinking_level;
  auto budget = [](std::int64_t b) {
    return json::object({{"includeThoughts", true}, {"thinkingBudget", b}});
  };
  auto level = [](const char* l) {
    return json::object({{"includeThoughts", true}, {"thinkingLevel", l}});
  };
  CHECK(cfg("gemini-2.5-flash", tl::minimal) == budget(128));
  CHECK(cfg("gemini-2.5-flash", tl::low) == budget(2048));
  CHECK(cfg("gemini-2.5-flash", tl::medium) == budget(8192));
  CHECK(cfg("gemini-2.5-flash", tl::high) == budget(24576));
  CHECK(cfg("gemini-2.5-flash", tl::xhigh) == budget(24576));
  CHECK(cfg("gemini-2.5-pro", tl::high) == budget(32768));
  CHECK(cfg("gemini-2.5-flash-lite", tl::minimal) == budget(512));
  CHECK(cfg("gemini-exp-thinking", tl::medium) == budget(-1));
  CHECK(cfg("gemini-3-pro-preview", tl::minimal) == level("LOW"));
  CHECK(cfg("gemini-3-pro-preview", tl::medium) == level("HIGH"));
  CHECK(cfg("gemini-3.1-pro-preview", tl::low) == level("LOW"));
  CHECK(cfg("gemini-3-flash-preview", tl::minimal) == level("MINIMAL"));
  CHECK(cfg("gemini-3-flash-preview", tl::medium) == level("MEDIUM"));
  CHECK(cfg("gemma-4-27b-it", tl::low) == level("MINIMAL"));
  // Off: Gemini 2.x takes a zero budget; Gemini 3 only goes down to its lowest level.
  CHECK(cfg("gemini-2.5-flash", tl::off) == json::object({{"thinkingBudget", 0}}));
  CHECK(cfg("gemini-3-pro-preview", tl::off) == json::object({{"thinkingLevel", "LOW"}}));
  CHECK(cfg("gemini-3-flash-preview", tl::off) == json::object({{"thinkingLevel", "MINIMAL"}}));
  f.model = gemini("gemini-2.0-flash", false);
  f.options.thinking = tl::high;
  CHECK_FALSE(f.body()["generationConfig"].contains("thinkingConfig"));
}

TEST_CASE("gemini request: a function call round trip, exactly", "[google-generative-ai]") {
  fixture f;
  f.model = gemini("gemini-2.5-pro");
  f.conv.tools.push_back(weather_tool());
  f.conv.messages.push_back(user_text("Weather in São Paulo?"));
  auto t = detail::make_google_generative_ai_transport();
  auto answer = wire_replay::decode_whole(
      *t, f.call(), read_data(std::string(data_dir) + "function_call.response.sse"));
  REQUIRE(answer.final.stop == stop_reason::tool_use);
  f.conv.messages.push_back(answer.final);
  f.conv.messages.push_back(result_of(call_at(answer.final, 0).id, "get_weather", "24C, sunny"));
  f.options.max_tokens = 8192;
  f.options.thinking = thinking_level::high;
  json body = f.body();
  check_matches_file(body, "tools.request.json");
  // The signature rides on the same part it came with.
  CHECK(body["contents"][1]["parts"][0]["thoughtSignature"].as_string() ==
        call_at(answer.final, 0).thought_signature);
}

TEST_CASE("gemini request: parallel results share a turn, orphans get an error",
          "[google-generative-ai]") {
  fixture f;
  f.conv.messages.push_back(user_text("go"));
  f.conv.messages.push_back(
      from(f.model,
           {call("get_weather_a_1", "get_weather", json::object({{"location", "Paris"}})),
            call("get_weather_a_2", "get_weather", json::object({{"location", "Tokyo"}})),
            call("get_time_a_3", "get_time", json::object())},
           stop_reason::tool_use));
  f.conv.messages.push_back(result_of("get_weather_a_2", "", "rain"));  // name found by id
  f.conv.messages.push_back(result_of("get_weather_a_1", "get_weather", "sun"));
  f.conv.messages.push_back(result_of("unknown_id", "get_weather", "stray"));
  json body = f.body();
  REQUIRE(body["contents"].size() == 3);
  const json& turn = body["contents"][2];
  CHECK(turn["role"].as_string() == "user");
  REQUIRE(turn["parts"].size() == 3);
  CHECK(turn["parts"][0]["functionResponse"] ==
        json::object({{"name", "get_weather"}, {"response", json::object({{"output", "rain"}})}}));
  CHECK(turn["parts"][1]["functionResponse"]["response"]["output"].as_string() == "sun");
  CHECK(turn["parts"][2]["functionResponse"] ==
        json::object(
            {{"name", "get_time"}, {"response", json::object({{"error", "No result provided"}})}}));
  CHECK(body.dump().find("stray") == std::string::npos);
  CHECK(body.dump().find("\"id\"") == std::string::npos);  // Gemini itself takes no ids
}

TEST_CASE("gemini request: signatures replay only to their own model", "[google-generative-ai]") {
  fixture f;
  const std::string sig =
      "CiQB0e2Kb7wFhYx8q1nGmN3kAI4lq7uB5pQv8Xy9z0A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5";
  auto mine = from(f.model,
                   {thinking_block{"Let me think.", sig, false}, text_block{"Answer.", sig},
                    call("c1", "get_weather", json::object(), sig)},
                   stop_reason::tool_use);
  f.conv.messages = {user_text("q"), mine, result_of("c1", "get_weather", "ok")};
  json parts = f.body()["contents"][1]["parts"];
  CHECK(parts[0] ==
        json::object({{"thought", true}, {"text", "Let me think."}, {"thoughtSignature", sig}}));
  CHECK(parts[1] == json::object({{"text", "Answer."}, {"thoughtSignature", sig}}));
  CHECK(parts[2]["thoughtSignature"].as_string() == sig);

  SECTION("another model sees plain text and no signatures") {
    f.model = gemini("gemini-2.5-pro");
    json other = f.body()["contents"][1]["parts"];
    CHECK(other[0] == json::object({{"text", "Let me think."}}));
    CHECK(other[1] == json::object({{"text", "Answer."}}));
    CHECK_FALSE(other[2].contains("thoughtSignature"));
  }
  SECTION("Gemini 3 accepts unsigned calls through the documented sentinel") {
    f.model = gemini("gemini-3-flash-preview");
    CHECK(f.body()["contents"][1]["parts"][2]["thoughtSignature"].as_string() ==
          "skip_thought_signature_validator");
  }
  SECTION("a signature that is not base64 (another vendor's) is never sent") {
    f.conv.messages[1] = from(f.model, {text_block{"Answer.", "msg_0123|phase"}});
    CHECK_FALSE(f.body()["contents"][1]["parts"][0].contains("thoughtSignature"));
  }
  SECTION("an empty signed part is replayed; an empty unsigned one is not") {
    f.conv.messages[1] =
        from(f.model, {text_block{"Hi.", {}}, text_block{"", sig}, text_block{" ", {}}});
    json p = f.body()["contents"][1]["parts"];
    REQUIRE(p.size() == 2);
    CHECK(p[1] == json::object({{"text", ""}, {"thoughtSignature", sig}}));
  }
}

TEST_CASE("gemini request: tool schemas cleaned to Gemini's subset", "[google-generative-ai]") {
  fixture f;
  f.conv.messages.push_back(user_text("go"));
  tool_definition t;
  t.name = "edit";
  t.description = "Edit a file";
  t.parameters = *json::parse(R"({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": false,
    "$defs": {"mode": {"type": "string", "enum": ["a", "b"], "description": "how"}},
    "properties": {
      "path": {"type": "string", "minLength": 1, "pattern": "^/", "format": "uri-reference"},
      "mode": {"$ref": "#/$defs/mode"},
      "count": {"type": ["integer", "null"], "minimum": 0, "maximum": 10},
      "kind": {"anyOf": [{"const": "x", "type": "string"}, {"const": "y", "type": "string"}],
               "description": "kind"},
      "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "optional"},
      "level": {"enum": [1, 2, 3], "type": "integer"},
      "tags": {"type": "array", "items": {"type": "string", "examples": ["t"]}, "uniqueItems": true},
      "meta": {"type": "object", "patternProperties": {".*": {"type": "string"}}},
      "any": {}
    },
    "required": ["path", "missing"]
  })");
  f.conv.tools.push_back(t);
  tool_definition bare;
  bare.name = "now";
  bare.description = "The time";
  f.conv.tools.push_back(bare);
  json decls = f.body()["tools"][0]["functionDeclarations"];
  CHECK(decls[0]["parameters"] == *json::parse(R"({
    "type": "OBJECT",
    "properties": {
      "path": {"type": "STRING"},
      "mode": {"type": "STRING", "enum": ["a", "b"], "description": "how"},
      "count": {"type": "INTEGER"},
      "kind": {"type": "STRING", "enum": ["x", "y"], "description": "kind"},
      "note": {"type": "STRING", "description": "optional"},
      "level": {"type": "INTEGER", "enum": ["1", "2", "3"]},
      "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
      "meta": {"type": "OBJECT"},
      "any": {"type": "STRING"}
    },
    "required": ["path"]
  })"));
  // No arguments: no parameters at all (Gemini refuses an OBJECT without properties).
  CHECK(decls[1] == json::object({{"name", "now"}, {"description", "The time"}}));
}

TEST_CASE("gemini request: images, and tool images per model generation",
          "[google-generative-ai]") {
  fixture f;
  user_message u;
  u.content = {text_block{"What is this?", {}}, image_block{"image/png", "iVBORw0KGgo="}};
  tool_result_message shot;
  shot.tool_call_id = "s1";
  shot.tool_name = "screenshot";
  shot.content = {image_block{"image/jpeg", "/9j/4AAQ"}};
  f.conv.messages = {
      u, from(f.model, {call("s1", "screenshot", json::object())}, stop_reason::tool_use), shot};
  json body = f.body();
  CHECK(body["contents"][0]["parts"][1] ==
        json::object(
            {{"inlineData", json::object({{"mimeType", "image/png"}, {"data", "iVBORw0KGgo="}})}}));
  // Gemini 2.x: the image follows in its own user turn.
  REQUIRE(body["contents"].size() == 4);
  CHECK(body["contents"][2]["parts"][0]["functionResponse"]["response"]["output"].as_string() ==
        "(see attached image)");
  CHECK(body["contents"][3]["parts"][0]["text"].as_string() == "Tool result image:");
  CHECK(body["contents"][3]["parts"][1]["inlineData"]["mimeType"].as_string() == "image/jpeg");

  f.model = gemini("gemini-3-pro-preview");
  f.conv.messages[1] =
      from(f.model, {call("s1", "screenshot", json::object())}, stop_reason::tool_use);
  json v3 = f.body();
  REQUIRE(v3["contents"].size() == 3);
  CHECK(v3["contents"][2]["parts"][0]["functionResponse"]["parts"][0]["inlineData"]["data"]
            .as_string() == "/9j/4AAQ");

  f.model = gemini("gemini-2.5-flash");
  f.model.input = {"text"};
  json text_only = f.body();
  CHECK(text_only["contents"][0]["parts"][1]["text"].as_string() ==
        "(image omitted: model does not support images)");
}

TEST_CASE("gemini request: models that need call ids get normalised ones",
          "[google-generative-ai]") {
  fixture f;
  f.model = gemini("claude-sonnet-4-5", false);
  f.conv.messages = {user_text("go"),
                     from(f.model, {call("call|1.x", "a", json::object())}, stop_reason::tool_use),
                     result_of("call|1.x", "a", "ok")};
  json body = f.body();
  CHECK(body["contents"][1]["parts"][0]["functionCall"]["id"].as_string() == "call_1_x");
  CHECK(body["contents"][2]["parts"][0]["functionResponse"]["id"].as_string() == "call_1_x");
}

TEST_CASE("gemini request: the body is byte for byte what the JSON tree dumped",
          "[google-generative-ai]") {
  // The contents are written into the body one by one (no tree of the whole history); the
  // expected bytes were written by the earlier builder, which dumped one tree.
  fixture f;
  f.conv.system_prompt = "Be \"brief\".\n";
  f.conv.tools.push_back(weather_tool());
  f.options.temperature = 0.25;
  user_message u;
  u.content = {text_block{"", {}}, text_block{"first \xC3\xA9 line\nsecond \xFF", {}},
               image_block{"image/png", "iVBORw0KGgo="}, image_block{"image/gif", "R0lG"}};
  tool_result_message shot;
  shot.tool_call_id = "s1";
  shot.tool_name = "";
  shot.content = {text_block{"line 1", {}}, image_block{"image/jpeg", "/9j/4AAQ"}};
  model_info other = gemini("gemini-2.0-flash");
  f.conv.messages = {
      u,
      from(f.model,
           {thinking_block{"hmm", "c2lnbmF0dXJl", false}, thinking_block{"x", "y", true},
            text_block{" ", {}}, text_block{"", "c2ln"}, text_block{"Checking.", "bad sig"},
            call("s1", "screenshot", json::object(), "c2ln"),
            call("c|2", "get_weather", json::array())},
           stop_reason::tool_use),
      shot,
      result_of("s1", "screenshot", "a duplicate, dropped"),
      result_of("stray", "x", "a stray result, dropped"),
      user_text("thanks"),
      from(other,
           {thinking_block{"foreign", "c2ln", false}, text_block{"hello", "c2ln"},
            call("o1", "get_weather", json::object({{"location", "Paris \"FR\""}}))},
           stop_reason::tool_use),
      result_of("o1", "get_weather", "18C", true),
      from(f.model, {text_block{"cut off", {}}}, stop_reason::error),
      from(f.model, {call("s2", "screenshot", json::object())}, stop_reason::tool_use),
      shot};
  f.conv.messages.back() = [&] {
    tool_result_message r = shot;
    r.tool_call_id = "s2";
    r.content = {image_block{"image/png", "AAAA"}};
    return r;
  }();
  for (const auto& [model, file] :
       {std::pair{gemini(), "every_kind.request.body"},
        std::pair{gemini("gemini-3-pro-preview"), "every_kind_gemini3.request.body"},
        std::pair{gemini("claude-sonnet-4-5", false), "every_kind_ids.request.body"}}) {
    f.model = model;
    std::string body = f.request().body;
    auto parsed = json::parse(body);
    REQUIRE(parsed);
    CHECK(parsed->dump() == body);
    std::string expected = read_data(std::string(data_dir) + file);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    CHECK(body == expected);
  }
  f.model.input = {"text"};
  f.conv.messages.clear();
  CHECK(f.request().body.rfind(R"({"contents":[],)", 0) == 0);
}

// ---- decoding ------------------------------------------------------------------------

TEST_CASE("gemini stream: text with usage and cost", "[google-generative-ai]") {
  fixture f;
  auto r = decode_file(f, "text.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 1);
  CHECK(text_at(m, 0).text == "Bonjour! Ça va? Here is a globe: 🌍 and 日本語.");
  CHECK(m.stop == stop_reason::stop);
  CHECK(m.response_id == "kqBTaKHXL9-FqtsP9qLh0Q0");
  CHECK(m.usage.input == 9);
  CHECK(m.usage.output == 14);
  CHECK(m.usage.total_tokens == 23);
  CHECK(m.usage.cost.total == Approx((9 * 0.3 + 14 * 2.5) / 1e6));
}

TEST_CASE("gemini stream: thought parts and signatures", "[google-generative-ai]") {
  fixture f;
  auto r = decode_file(f, "thinking.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  CHECK(thinking_at(m, 0).thinking ==
        "**Computing the product**\n\nI need 27 * 453. That is 12231.");
  CHECK(text_at(m, 1).text == "27 × 453 = 12,231.");
  CHECK(text_at(m, 1).signature.rfind("CiQB0e2Kb7", 0) == 0);
  CHECK(m.usage.output == 8 + 35);
  CHECK(m.usage.reasoning == 35);
  CHECK(m.usage.input == 20);
}

TEST_CASE("gemini stream: a function call gets a stable id and its signature",
          "[google-generative-ai]") {
  fixture f;
  auto r = decode_file(f, "function_call.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 1);
  const auto& c = call_at(m, 0);
  CHECK(c.name == "get_weather");
  CHECK(c.id == "get_weather_fcResp01_1");
  CHECK(c.arguments == json::object({{"location", "São Paulo, BR"}, {"unit", "celsius"}}));
  CHECK(c.thought_signature.rfind("EpwCCpkC", 0) == 0);
  CHECK(m.stop == stop_reason::tool_use);
}

TEST_CASE("gemini stream: parallel function calls", "[google-generative-ai]") {
  fixture f;
  auto r = decode_file(f, "parallel_calls.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 3);
  CHECK(text_at(m, 0).text == "Checking both.");
  CHECK(call_at(m, 1).arguments == json::object({{"location", "Paris"}}));
  CHECK(call_at(m, 2).arguments == json::object({{"location", "Tokyo"}}));
  CHECK(call_at(m, 1).id != call_at(m, 2).id);
  CHECK_FALSE(call_at(m, 1).thought_signature.empty());
  CHECK(call_at(m, 2).thought_signature.empty());
  CHECK(m.stop == stop_reason::tool_use);
}

TEST_CASE("gemini stream: cached tokens are not input tokens", "[google-generative-ai]") {
  fixture f;
  auto r = decode_file(f, "cache_usage.response.sse");
  const auto& u = r.final.usage;
  CHECK(u.input == 20480 - 16384);
  CHECK(u.cache_read == 16384);
  CHECK(u.output == 12);
  CHECK(u.cost.cache_read == Approx(16384 * 0.075 / 1e6));
}

TEST_CASE("gemini stream: finish reasons", "[google-generative-ai]") {
  fixture f;
  auto length = decode_file(f, "max_tokens.response.sse");
  CHECK(length.final.stop == stop_reason::length);
  CHECK(text_at(length.final, 0).text == "Once upon a time, there");

  auto safety = decode_file(f, "safety.response.sse");
  CHECK(safety.final.stop == stop_reason::error);
  CHECK(safety.failures == std::vector<errc>{errc::permission_denied});
  CHECK(safety.final.error_message.find("SAFETY") != std::string::npos);
  CHECK(text_at(safety.final, 0).text == "I was about to");
}

TEST_CASE("gemini stream: failures are events, never crashes", "[google-generative-ai]") {
  fixture f;
  auto truncated = decode_file(f, "truncated.response.sse");
  CHECK(truncated.failures == std::vector<errc>{errc::protocol_error});
  auto overloaded = decode_file(f, "error_midstream.response.sse");
  CHECK(overloaded.failures == std::vector<errc>{errc::unavailable});
  CHECK(text_at(overloaded.final, 0).text == "Partial");
  auto bad = decode_file(f, "invalid_json.response.sse");
  CHECK(bad.failures == std::vector<errc>{errc::protocol_error});

  auto t = detail::make_google_generative_ai_transport();
  auto empty = wire_replay::decode_whole(*t, f.call(), "");
  wire_replay::check_invariants(empty);
  CHECK(empty.failures == std::vector<errc>{errc::protocol_error});
  auto odd = wire_replay::decode_whole(*t, f.call(),
                                       "data: [1,2]\r\n\r\ndata: {\"candidates\":7}\r\n\r\n");
  wire_replay::check_invariants(odd);
  CHECK(odd.failures == std::vector<errc>{errc::protocol_error});
}

TEST_CASE("gemini: a JSON array body decodes like the stream", "[google-generative-ai]") {
  fixture f;
  auto r = decode_file(f, "stream.response.json");
  CHECK(text_at(r.final, 0).text == "Hello world");
  CHECK(r.final.stop == stop_reason::stop);
  CHECK(r.final.usage.output == 2);
}

// ---- errors --------------------------------------------------------------------------

TEST_CASE("gemini errors are classified", "[google-generative-ai]") {
  auto t = detail::make_google_generative_ai_transport();
  auto classify = [&](int status, std::string body) {
    http_head head;
    head.status = status;
    return t->classify_error(head, body);
  };
  auto body = [](int code, std::string status, std::string message, json details = json()) {
    json err = json::object({{"code", code}, {"message", message}, {"status", status}});
    if (!details.is_null()) err.set("details", details);
    return json::object({{"error", err}}).dump();
  };
  error e = classify(
      429, body(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.",
                json::array({json::object({{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                                           {"retryDelay", "37s"}})})));
  CHECK(e.code == errc::resource_exhausted);
  REQUIRE(e.retry_after.has_value());
  CHECK(e.retry_after->count() == 37000);
  CHECK(e.provider_message == "You exceeded your current quota.");

  CHECK(classify(503, body(503, "UNAVAILABLE", "The model is overloaded.")).code ==
        errc::unavailable);
  CHECK(classify(500, body(500, "INTERNAL", "An internal error has occurred.")).code ==
        errc::unavailable);
  e = classify(
      400, body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                json::array({json::object({{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                           {"reason", "API_KEY_INVALID"}})})));
  CHECK(e.code == errc::unauthenticated);
  CHECK(classify(400, body(400, "INVALID_ARGUMENT",
                           "The input token count (1196265) exceeds the maximum number of tokens "
                           "allowed (1048575)."))
            .code == errc::context_overflow);
  CHECK(classify(400, body(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")).code ==
        errc::invalid_argument);
  CHECK(classify(403, body(403, "PERMISSION_DENIED", "denied")).code == errc::permission_denied);
  CHECK(classify(401, body(401, "UNAUTHENTICATED", "no creds")).code == errc::unauthenticated);
  CHECK(classify(404, body(404, "NOT_FOUND", "models/gemini-9 is not found")).code ==
        errc::not_found);
  CHECK(classify(429, "[" + body(429, "RESOURCE_EXHAUSTED", "quota") + "]").code ==
        errc::resource_exhausted);
  CHECK(classify(502, "<html>bad gateway</html>").code == errc::unavailable);
  // Without a status word the HTTP status decides, as for every vendor.
  CHECK(classify(402, "").code == errc::resource_exhausted);
  CHECK(classify(422, "").code == errc::invalid_argument);
  CHECK(classify(413, "").code == errc::context_overflow);
  CHECK(e.describe().find(canary) == std::string::npos);
}

TEST_CASE("gemini request: temperature and topP go in generationConfig", "[google-generative-ai]") {
  fixture f;
  f.conv.messages.emplace_back(user_text("Hi"));
  CHECK_FALSE(f.body()["generationConfig"].contains("topP"));
  f.options.temperature = 0.2;
  f.options.top_p = 0.9;
  json gen = f.body()["generationConfig"];
  CHECK(gen["temperature"].as_double() == 0.2);
  CHECK(gen["topP"].as_double() == 0.9);
}
