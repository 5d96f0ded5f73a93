// openai-responses: request bodies against golden files and rules, recorded streams decoded
// whole, at every split and byte by byte.
#include <durar/catalog.hpp>
#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "transports/transports.hpp"
#include "wire_fixture.hpp"
#include "wire_replay.hpp"

#include <random>
#include <string>

using namespace durar;
using namespace wire_fixture;
using wire_replay::check_every_split;
using wire_replay::check_invariants;
using wire_replay::decode_whole;
using wire_replay::read_data;

namespace {

const transport& responses() {
  static auto t = detail::make_openai_responses_transport();
  return *t;
}

fixture openai(std::string_view model_id) {
  fixture f;
  const auto& cat = catalog::builtin();
  f.provider = *cat.provider("openai");
  f.provider.models.clear();
  f.model = *cat.model({"openai", std::string(model_id)});
  f.key = secret(canary_key);
  return f;
}

tool_definition weather_tool() {
  tool_definition t;
  t.name = "get_weather";
  t.description = "Current weather for a city";
  t.parameters = json::object(
      {{"type", "object"},
       {"properties", json::object({{"city", json::object({{"type", "string"}})},
                                    {"unit", json::object({{"type", "string"},
                                                           {"enum", json::array({"c", "f"})}})}})},
       {"required", json::array({"city"})}});
  return t;
}

std::string sse_file(std::string_view name) {
  return read_data("providers/openai-responses/" + std::string(name));
}

// The `response` object of the stream's last response.completed / response.incomplete event.
std::string final_response_object(const std::string& sse) {
  auto at = sse.rfind("data: {\"type\":\"response.");
  REQUIRE(at != std::string::npos);
  auto end = sse.find('\n', at);
  auto event = json::parse(std::string_view(sse).substr(at + 6, end - at - 6));
  REQUIRE(event.has_value());
  return (*event)["response"].dump();
}

}  // namespace

// ---- requests ----------------------------------------------------------------------------

TEST_CASE("responses: a native request sends store:false, tools and sampling",
          "[openai-responses]") {
  fixture f = openai("gpt-4.1");
  f.conv.system_prompt = "You are terse.";
  f.conv.messages.emplace_back(user_text("Weather in Paris?"));
  std::get<user_message>(f.conv.messages.back()).timestamp = 1;
  f.conv.tools.push_back(weather_tool());
  f.options.temperature = 0.3;
  f.options.max_tokens = 1024;
  f.options.session_id = "sess-42";
  auto req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  check_golden(*req, "providers/openai-responses/text.request.json");
  json body = body_of(*req);
  CHECK(req->url == "https://api.openai.com/v1/responses");
  CHECK(header(*req, "Authorization") == std::string("Bearer ") + canary_key);
  CHECK(body["store"] == json(false));
  CHECK(body["input"][0]["role"] == json("system"));  // not a reasoning model
  CHECK(!body.contains("reasoning"));
  CHECK(body["tools"][0]["strict"] == json(false));
}

TEST_CASE("responses: history replays our reasoning items and normalises foreign tool ids",
          "[openai-responses]") {
  fixture f = openai("gpt-5");
  f.conv.system_prompt = "Be helpful.";
  f.conv.tools.push_back(weather_tool());
  f.options.thinking = thinking_level::high;
  f.options.temperature = 0.7;  // reasoning models take none
  const std::string reasoning_item =
      R"({"id":"rs_1","type":"reasoning","encrypted_content":"gAAAAopaque","summary":[{"type":"summary_text","text":"Plan"}]})";
  f.conv.messages.emplace_back(user({text_block{"Weather in Paris? Here is a photo.", {}},
                                     image_block{"image/png", "iVBORw0KGgo="}}));
  f.conv.messages.emplace_back(
      assistant("openai-responses", "openai", "gpt-5",
                {thinking_block{"Plan", reasoning_item, false},
                 text_block{"Checking.", R"({"v":1,"id":"msg_abc","phase":"commentary"})"},
                 call("call_1|fc_1", "get_weather", json::object({{"city", "Paris"}}))},
                stop_reason::tool_use));
  f.conv.messages.emplace_back(tool_result(
      "call_1|fc_1", "get_weather", {text_block{"18C", {}}, image_block{"image/png", "AAAA"}}));
  // Another vendor's turn: its thinking becomes text, its ids become acceptable ones.
  f.conv.messages.emplace_back(
      assistant("anthropic-messages", "anthropic", "claude-opus-4-6",
                {thinking_block{"Let me look again.", "anthropic-signature", false},
                 text_block{"One more check.", {}},
                 call("toolu_01A.b", "get_weather", json::object({{"city", "Lyon"}})),
                 call("call_9|fc_other.1", "get_weather", json::object({{"city", "Nice"}}))},
                stop_reason::tool_use));
  f.conv.messages.emplace_back(tool_result("toolu_01A.b", "get_weather", {text_block{"20C", {}}}));
  // call_9 was never answered; a failed turn is dropped.
  f.conv.messages.emplace_back(user({text_block{"Thanks", {}}}));
  f.conv.messages.emplace_back(assistant("openai-responses", "openai", "gpt-5",
                                         {text_block{"partial", {}}}, stop_reason::error));
  auto req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  check_golden(*req, "providers/openai-responses/replay.request.json");

  json body = body_of(*req);
  const json& input = body["input"];
  CHECK(input[0]["role"] == json("developer"));
  CHECK(input[2] == *json::parse(reasoning_item));  // replayed byte-for-byte
  CHECK(input[3]["id"] == json("msg_abc"));
  CHECK(input[3]["phase"] == json("commentary"));
  CHECK(input[4]["call_id"] == json("call_1"));
  CHECK(input[4]["id"] == json("fc_1"));
  CHECK(input[5]["output"].is_array());  // tool image kept for a vision model
  CHECK(input[6]["content"][0]["text"] == json("Let me look again."));
  CHECK(input[8]["call_id"] == json("toolu_01A_b"));
  CHECK(!input[8].contains("id"));
  CHECK(input[9]["call_id"] == json("call_9"));
  CHECK(input[9]["id"].as_string().starts_with("fc_"));
  CHECK(input[9]["id"] != json("fc_other_1"));  // another provider's item id is hashed
  CHECK(input[10]["call_id"] == json("toolu_01A_b"));
  CHECK(input[11]["type"] == json("function_call_output"));
  CHECK(input[11]["call_id"] == json("call_9"));
  CHECK(input[11]["output"] == json("No result provided"));
  CHECK(input.size() == 13);  // ... the user's "Thanks"; the failed turn is gone
  CHECK(body["reasoning"] == json::object({{"effort", "high"}, {"summary", "auto"}}));
  CHECK(body["include"] == json::array({"reasoning.encrypted_content"}));
  CHECK(!body.contains("temperature"));
}

TEST_CASE("responses: the body is byte for byte what the JSON tree dumped", "[openai-responses]") {
  // The input items are written into the body one by one (no tree of the whole history);
  // the expected bytes were written by the earlier builder, which dumped one tree.
  fixture f = openai("gpt-5");
  f.conv.system_prompt = "Be \"brief\".\n";
  f.conv.tools.push_back(weather_tool());
  f.options.thinking = thinking_level::high;
  f.options.session_id = "session-1";
  f.options.params = json::object({{"cacheRetention", "long"}, {"serviceTier", "flex"}});
  const std::string reasoning_item =
      R"({"id":"rs_1","type":"reasoning","encrypted_content":"gAAAAopaque","summary":[]})";
  f.conv.messages.emplace_back(user({text_block{"first \xC3\xA9 line\nsecond \xFF", {}},
                                     image_block{"image/png", "iVBORw0KGgo="}}));
  f.conv.messages.emplace_back(user({}));  // nothing to send: left out
  f.conv.messages.emplace_back(
      assistant("openai-responses", "openai", "gpt-5",
                {thinking_block{"Plan", reasoning_item, false}, thinking_block{"x", "", false},
                 text_block{"Checking.", R"({"v":1,"id":"msg_abc","phase":"commentary"})"},
                 text_block{"more", {}}, text_block{"and more", {}},
                 call("call_1|fc_1", "get_weather", json::object({{"city", "Paris \"FR\""}}))},
                stop_reason::tool_use));
  f.conv.messages.emplace_back(tool_result(
      "call_1|fc_1", "get_weather", {text_block{"18C", {}}, image_block{"image/png", "AAAA"}}));
  f.conv.messages.emplace_back(tool_result("stray", "get_weather", {text_block{"x", {}}}));
  f.conv.messages.emplace_back(
      assistant("anthropic-messages", "anthropic", "claude-opus-4-6",
                {thinking_block{"Let me look again.", "anthropic-signature", false},
                 text_block{"One more check.", {}},
                 call("toolu_01A.b", "get_weather", json::object({{"city", "Lyon"}})),
                 call("call_9|fc_other.1", "get_weather", json::object())},
                stop_reason::tool_use));
  f.conv.messages.emplace_back(tool_result("toolu_01A.b", "get_weather", {image_block{"a", "b"}}));
  f.conv.messages.emplace_back(user({text_block{"Thanks", {}}}));
  f.conv.messages.emplace_back(assistant("openai-responses", "openai", "gpt-5",
                                         {text_block{"partial", {}}}, stop_reason::error));
  f.conv.messages.emplace_back(
      assistant("openai-responses", "openai", "gpt-5-mini", {text_block{"other model", {}}}));
  auto req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  auto parsed = json::parse(req->body);
  REQUIRE(parsed);
  CHECK(parsed->dump() == req->body);
  std::string expected = read_data("providers/openai-responses/every_kind.request.body");
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  CHECK(req->body == expected);

  // Without vision, a system prompt or tools, and on a model that takes sampling.
  f.model.input = {"text"};
  f.model.reasoning = false;
  f.conv.system_prompt.clear();
  f.conv.tools.clear();
  f.options.temperature = 0.5;
  req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  expected = read_data("providers/openai-responses/every_kind_text_only.request.body");
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  CHECK(req->body == expected);
  f.conv.messages.clear();
  req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  CHECK(req->body.rfind(R"({"model":"gpt-5","input":[],"stream":true)", 0) == 0);
}

TEST_CASE("responses: a proxy gets no store, its auth header and the caller's headers",
          "[openai-responses]") {
  fixture f;
  f.provider.id = "my-proxy";
  f.provider.api = api_kind::openai_responses;
  f.provider.base_url = "https://llm.example.com/v1/";
  f.provider.auth_header = "api-key";
  f.provider.headers = {{"X-Team", "core"}, {"X-Trace", "on"}};
  f.model.provider = "my-proxy";
  f.model.id = "gpt-5";
  f.model.api = api_kind::openai_responses;
  f.model.reasoning = true;
  f.key = secret(canary_key);
  f.options.headers = {{"x-team", "caller"}};
  f.conv.messages.emplace_back(
      user({text_block{"Describe", {}}, image_block{"image/jpeg", "/9j/4AAQ"}}));
  auto req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  check_golden(*req, "providers/openai-responses/proxy.request.json");
  json body = body_of(*req);
  CHECK(req->url == "https://llm.example.com/v1/responses");
  CHECK(!body.contains("store"));
  CHECK(!body.contains("reasoning"));  // thinking off: nothing to say to a proxy
  CHECK(header(*req, "api-key") == canary_key);
  CHECK(header(*req, "Authorization").empty());
  CHECK(header(*req, "X-Team") == "caller");
  CHECK(body["input"][0]["content"][1]["text"] ==
        json("(image omitted: model does not support images)"));
}

TEST_CASE("responses: reasoning effort follows what the model accepts", "[openai-responses]") {
  auto effort = [](std::string_view model_id, thinking_level level) {
    fixture f = openai(model_id);
    f.options.thinking = level;
    f.conv.messages.emplace_back(user_text("hi"));
    auto req = responses().build_request(f.call());
    REQUIRE(req.has_value());
    return body_of(*req)["reasoning"]["effort"];
  };
  CHECK(effort("gpt-5", thinking_level::xhigh) == json("high"));
  CHECK(effort("gpt-5.4", thinking_level::xhigh) == json("xhigh"));
  CHECK(effort("gpt-5", thinking_level::minimal) == json("minimal"));
  CHECK(effort("gpt-5.4", thinking_level::minimal) == json("low"));
  CHECK(effort("o3", thinking_level::minimal) == json("low"));
  CHECK(effort("gpt-5.4", thinking_level::off) == json("none"));  // native: say it
  CHECK(effort("gpt-5", thinking_level::off).is_null());          // cannot switch off
}

TEST_CASE("responses: another model of the same provider keeps text, not pairing ids",
          "[openai-responses]") {
  fixture f = openai("gpt-5");
  f.conv.messages.emplace_back(user_text("q"));
  f.conv.messages.emplace_back(assistant(
      "openai-responses", "openai", "gpt-5-mini",
      {thinking_block{"mini thought", R"({"id":"rs_m","type":"reasoning","summary":[]})", false},
       text_block{"a", R"({"v":1,"id":"msg_m"})"},
       call("call_m|fc_m", "get_weather", json::object())},
      stop_reason::tool_use));
  f.conv.messages.emplace_back(tool_result("call_m|fc_m", "get_weather", {text_block{"ok", {}}}));
  auto req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  const json input = body_of(*req)["input"];
  CHECK(input[1]["type"] == json("message"));  // the thought, as text; no reasoning item
  CHECK(input[1]["content"][0]["text"] == json("mini thought"));
  CHECK(input[1]["id"] == json("msg_1"));
  CHECK(input[2]["id"] == json("msg_1_1"));  // the other model's message id is not reused
  CHECK(input[3]["type"] == json("function_call"));
  CHECK(!input[3].contains("id"));
  CHECK(input[4]["call_id"] == json("call_m"));
}

TEST_CASE("responses: a provider without a base URL is an error without the key",
          "[openai-responses]") {
  fixture f = openai("gpt-5");
  f.provider.base_url.clear();
  auto req = responses().build_request(f.call());
  REQUIRE(!req.has_value());
  CHECK(req.error().code == errc::invalid_argument);
  CHECK(req.error().describe().find(canary_key) == std::string::npos);
}

// ---- decoding ----------------------------------------------------------------------------

TEST_CASE("responses: a text stream with cached input", "[openai-responses]") {
  fixture f = openai("gpt-4.1");
  const std::string body = sse_file("text.response.sse");
  auto r = decode_whole(responses(), f.call(), body);
  check_invariants(r);
  const auto& m = r.final;
  CHECK(m.stop == stop_reason::stop);
  CHECK(text_of(m) ==
        "Bonjour ! \xC3\x87"
        "a va tr\xC3\xA8s bien \xF0\x9F\x98\x80, merci.");
  CHECK(m.response_id == "resp_68a6f2b0e5d08190a1b2c3d4e5f60718");
  CHECK(m.model == "gpt-4.1");  // the catalog id, so the next turn counts as the same model
  CHECK(std::get<text_block>(m.content[0]).signature ==
        R"({"v":1,"id":"msg_68a6f2b1a2c48190b7e6f5d4c3b2a190"})");
  CHECK(m.usage.input == 240);
  CHECK(m.usage.cache_read == 1280);
  CHECK(m.usage.output == 11);
  CHECK(m.usage.total_tokens == 1531);
  CHECK(m.usage.cost.input == Approx(240 * 2.0 / 1e6));
  CHECK(m.usage.cost.cache_read == Approx(1280 * 0.5 / 1e6));
  CHECK(m.usage.cost.output == Approx(11 * 8.0 / 1e6));
  CHECK(m.usage.cost.total ==
        Approx(m.usage.cost.input + m.usage.cost.cache_read + m.usage.cost.output));
  check_every_split(responses(), f.call(), body);
}

TEST_CASE("responses: reasoning summary and encrypted item become a signed thinking block",
          "[openai-responses]") {
  fixture f = openai("gpt-5");
  const std::string body = sse_file("reasoning.response.sse");
  auto r = decode_whole(responses(), f.call(), body);
  check_invariants(r);
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  const auto& th = std::get<thinking_block>(m.content[0]);
  CHECK(th.thinking ==
        "**Checking the arithmetic**\n\nThe user asks for 17 \xC3\x97 23.\n\n**Computing**\n\n"
        "17 \xC3\x97 23 = 391; double-check: 17 \xC3\x97 20 + 17 \xC3\x97 3.");
  auto item = json::parse(th.signature);
  REQUIRE(item.has_value());
  CHECK((*item)["type"] == json("reasoning"));
  CHECK((*item)["encrypted_content"].as_string().size() > 60);  // the done item's, not added's
  CHECK(std::get<text_block>(m.content[1]).signature ==
        R"({"v":1,"id":"msg_68a6f3c9b4d48190a9f8e7d6c5b4a392","phase":"final_answer"})");
  CHECK(m.usage.reasoning == 256);
  CHECK(m.usage.input == 1024);
  CHECK(m.usage.cache_read == 1024);
  check_every_split(responses(), f.call(), body);

  // The next turn replays it as the same reasoning item.
  f.conv.messages.emplace_back(user_text("17 x 23?"));
  f.conv.messages.emplace_back(m);
  f.conv.messages.emplace_back(user_text("and 18 x 23?"));
  f.options.thinking = thinking_level::medium;
  auto req = responses().build_request(f.call());
  REQUIRE(req.has_value());
  const json input = body_of(*req)["input"];
  CHECK(input[1] == *item);
  CHECK(input[2]["id"] == json("msg_68a6f3c9b4d48190a9f8e7d6c5b4a392"));
  CHECK(input[2]["phase"] == json("final_answer"));
}

TEST_CASE("responses: parallel function calls with interleaved deltas", "[openai-responses]") {
  fixture f = openai("gpt-4.1");
  const std::string body = sse_file("tool_calls.response.sse");
  auto r = decode_whole(responses(), f.call(), body);
  check_invariants(r);
  const auto& m = r.final;
  CHECK(m.stop == stop_reason::tool_use);
  auto calls = tool_calls_of(m);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]->id == "call_Xq1bT9kLmN2pQr3s|fc_68a6f4d1a1b28190aa11bb22cc33dd44");
  CHECK(calls[0]->name == "get_weather");
  CHECK(calls[0]->arguments == json::object({{"city", "Paris"}, {"unit", "c"}}));
  CHECK(calls[1]->id == "call_Yz7cU0vWx4aBc5d|fc_68a6f4d1a1b28190ee55ff6600778899");
  CHECK(calls[1]->arguments == json::object({{"timezone", "Europe/Paris"}}));
  check_every_split(responses(), f.call(), body);
}

TEST_CASE("responses: max_output_tokens ends with length", "[openai-responses]") {
  fixture f = openai("gpt-4.1");
  const std::string body = sse_file("incomplete.response.sse");
  auto r = decode_whole(responses(), f.call(), body);
  check_invariants(r);
  CHECK(r.final.stop == stop_reason::length);
  CHECK(text_of(r.final) == "Once upon a time, in a land");
  CHECK(r.final.usage.output == 16);
  check_every_split(responses(), f.call(), body);
}

TEST_CASE("responses: failures are classified", "[openai-responses]") {
  fixture f = openai("gpt-5");
  SECTION("response.failed") {
    const std::string body = sse_file("failed.response.sse");
    auto r = decode_whole(responses(), f.call(), body);
    check_invariants(r);
    CHECK(r.final.stop == stop_reason::error);
    REQUIRE(r.failures == std::vector<errc>{errc::unavailable});
    CHECK(r.final.error_message.find("server_error") != std::string::npos);
    check_every_split(responses(), f.call(), body);
  }
  SECTION("an error event keeps the text so far") {
    const std::string body = sse_file("error_event.response.sse");
    auto r = decode_whole(responses(), f.call(), body);
    check_invariants(r);
    REQUIRE(r.failures == std::vector<errc>{errc::resource_exhausted});
    CHECK(text_of(r.final) == "Let me");
    check_every_split(responses(), f.call(), body);
  }
  SECTION("context overflow") {
    auto r =
        decode_whole(responses(), f.call(),
                     "event: error\ndata: {\"type\":\"error\",\"code\":\"context_length_exceeded\","
                     "\"message\":\"Your input exceeds the context window of this model.\"}\n\n");
    REQUIRE(r.failures == std::vector<errc>{errc::context_overflow});
  }
  SECTION("content filter") {
    auto r = decode_whole(responses(), f.call(),
                          "data: {\"type\":\"response.incomplete\",\"response\":{\"id\":\"resp_1\","
                          "\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":"
                          "\"content_filter\"}}}\n\n");
    REQUIRE(r.failures == std::vector<errc>{errc::permission_denied});
  }
}

TEST_CASE("responses: a stream that stops early or lies is a protocol error",
          "[openai-responses]") {
  fixture f = openai("gpt-4.1");
  const std::string full = sse_file("text.response.sse");
  SECTION("no response.completed") {
    auto cut = full.find("event: response.completed");
    auto r = decode_whole(responses(), f.call(), std::string_view(full).substr(0, cut));
    check_invariants(r);
    REQUIRE(r.failures == std::vector<errc>{errc::protocol_error});
    CHECK(text_of(r.final) ==
          "Bonjour ! \xC3\x87"
          "a va tr\xC3\xA8s bien \xF0\x9F\x98\x80, merci.");
  }
  SECTION("invalid JSON in an event") {
    std::string broken = full;
    broken.replace(broken.find("\"delta\":\"Bonjour\""), 17, "\"delta\":Bonjour\"");
    auto r = decode_whole(responses(), f.call(), broken);
    check_invariants(r);
    REQUIRE(r.failures == std::vector<errc>{errc::protocol_error});
  }
  SECTION("an empty body") {
    auto r = decode_whole(responses(), f.call(), "");
    check_invariants(r);
    REQUIRE(r.failures == std::vector<errc>{errc::protocol_error});
  }
  SECTION("random bytes never crash") {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
      std::string noise = full.substr(0, rng() % full.size());
      for (int k = 0; k < 8; ++k)
        if (!noise.empty()) noise[rng() % noise.size()] = static_cast<char>(rng() % 256);
      auto r = decode_whole(responses(), f.call(), noise);
      REQUIRE(r.terminals == 1);
    }
  }
}

TEST_CASE("responses: a non-streaming response decodes like the stream", "[openai-responses]") {
  fixture f = openai("gpt-5");
  SECTION("a recorded response object") {
    const std::string body = read_data("providers/openai-responses/non_streaming.response.json");
    auto r = decode_whole(responses(), f.call(), body);
    check_invariants(r);
    const auto& m = r.final;
    REQUIRE(m.content.size() == 3);
    CHECK(std::get<thinking_block>(m.content[0]).thinking == "**Looking up the weather**");
    CHECK(text_of(m) == "Checking Paris now.");
    CHECK(std::get<tool_call_block>(m.content[2]).arguments == json::object({{"city", "Paris"}}));
    CHECK(m.stop == stop_reason::tool_use);
    CHECK(m.usage.cache_read == 512);
    check_every_split(responses(), f.call(), body);
  }
  SECTION("each stream's final response object gives the stream's message") {
    for (const char* name : {"text.response.sse", "reasoning.response.sse",
                             "tool_calls.response.sse", "incomplete.response.sse"}) {
      INFO(name);
      const std::string sse = sse_file(name);
      auto streamed = decode_whole(responses(), f.call(), sse);
      auto whole = decode_whole(responses(), f.call(), final_response_object(sse));
      check_invariants(whole);
      CHECK(wire_replay::dump(whole.final) == wire_replay::dump(streamed.final));
    }
  }
}

TEST_CASE("responses: effort tables by model family", "[openai-responses]") {
  auto effort = [](std::string id, thinking_level level, json compat = json()) {
    fixture f = openai("gpt-5");
    f.model.id = std::move(id);
    f.model.compat = std::move(compat);
    f.options.thinking = level;
    auto req = responses().build_request(f.call());
    REQUIRE(req.has_value());
    return body_of(*req)["reasoning"]["effort"];
  };
  CHECK(effort("gpt-5-2025-08-07", thinking_level::minimal) == json("minimal"));  // dated gpt-5
  CHECK(effort("gpt-5.1-codex-mini", thinking_level::low) == json("medium"));
  CHECK(effort("gpt-5.3-codex", thinking_level::minimal) == json("low"));
  CHECK(effort("gpt-5-pro", thinking_level::low) == json("high"));
  CHECK(effort("gpt-5.4-pro", thinking_level::low) == json("medium"));
  CHECK(effort("gpt-5.1", thinking_level::xhigh) == json("high"));
  CHECK(effort("gpt-5.2.1-mini", thinking_level::xhigh) == json("xhigh"));
  CHECK(effort("gpt-5x", thinking_level::minimal) == json("low"));  // not the gpt-5 family
  CHECK(effort("o3", thinking_level::medium,
               json::object({{"supportedReasoningEfforts", json::array({"high"})}})) ==
        json("high"));
}

// ---- per-model params --------------------------------------------------------------------

TEST_CASE("responses: params set tier, verbosity, parallel calls and cache retention",
          "[openai-responses]") {
  fixture f = openai("gpt-5.4");
  f.conv.messages.emplace_back(user_text("hi"));
  f.options.session_id = "sess-1";
  f.options.params = json::object({{"serviceTier", "Flex"},
                                   {"textVerbosity", "HIGH"},
                                   {"parallelToolCalls", false},
                                   {"cacheRetention", "long"}});
  json body = body_of(*responses().build_request(f.call()));
  CHECK(body["service_tier"] == json("flex"));
  CHECK(body["text"] == json::object({{"verbosity", "high"}}));
  CHECK(body["parallel_tool_calls"] == json(false));
  CHECK(body["prompt_cache_key"] == json("sess-1"));
  CHECK(body["prompt_cache_retention"] == json("24h"));
  CHECK(body["store"] == json(false));

  // snake_case wins over camelCase; an unknown tier is ignored rather than sent.
  f.options.params = json::object({{"service_tier", "priority"}, {"serviceTier", "flex"}});
  CHECK(body_of(*responses().build_request(f.call()))["service_tier"] == json("priority"));
  f.options.params = json::object({{"serviceTier", "turbo"}});
  CHECK(!body_of(*responses().build_request(f.call())).contains("service_tier"));

  // Fast mode is priority processing, unless a tier is named.
  f.options.params = json::object({{"fastMode", true}});
  CHECK(body_of(*responses().build_request(f.call()))["service_tier"] == json("priority"));
  f.options.params = json::object({{"fastMode", "on"}, {"serviceTier", "default"}});
  CHECK(body_of(*responses().build_request(f.call()))["service_tier"] == json("default"));

  // cacheRetention "none" sends no cache key at all.
  f.options.params = json::object({{"cacheRetention", "none"}});
  body = body_of(*responses().build_request(f.call()));
  CHECK(!body.contains("prompt_cache_key"));
  CHECK(!body.contains("prompt_cache_retention"));
}

TEST_CASE("responses: OpenAI's GPT-5 runs terse with parallel calls unless params say otherwise",
          "[openai-responses]") {
  auto body_for = [](std::string_view model_id, json params) {
    fixture f = openai(model_id);
    f.conv.messages.emplace_back(user_text("hi"));
    f.options.params = std::move(params);
    return body_of(*responses().build_request(f.call()));
  };
  json b = body_for("gpt-5.4", json());
  CHECK(b["text"] == json::object({{"verbosity", "low"}}));
  CHECK(b["parallel_tool_calls"] == json(true));
  b = body_for("gpt-5.4", json::object({{"text_verbosity", "medium"},
                                        {"parallel_tool_calls", json()}}));  // null: unset
  CHECK(b["text"] == json::object({{"verbosity", "medium"}}));
  CHECK(!b.contains("parallel_tool_calls"));
  b = body_for("gpt-4.1", json());
  CHECK(!b.contains("text"));
  CHECK(!b.contains("parallel_tool_calls"));
}

TEST_CASE("responses: a proxy gets no tier and no cache key unless its compat allows",
          "[openai-responses]") {
  fixture f;
  f.provider.id = "my-proxy";
  f.provider.api = api_kind::openai_responses;
  f.provider.base_url = "https://llm.example.com/v1";
  f.model.provider = "my-proxy";
  f.model.id = "gpt-5";
  f.model.api = api_kind::openai_responses;
  f.conv.messages.emplace_back(user_text("hi"));
  f.options.session_id = "sess-1";
  f.options.params = json::object({{"serviceTier", "priority"},
                                   {"fastMode", true},
                                   {"textVerbosity", "low"},
                                   {"responsesServerCompaction", true}});
  json body = body_of(*responses().build_request(f.call()));
  CHECK(!body.contains("service_tier"));
  CHECK(!body.contains("prompt_cache_key"));
  CHECK(!body.contains("store"));
  CHECK(!body.contains("context_management"));
  CHECK(!body.contains("parallel_tool_calls"));  // the GPT-5 default is OpenAI's own
  CHECK(body["text"] == json::object({{"verbosity", "low"}}));
  f.model.compat = json::object({{"supportsPromptCacheKey", true}});
  CHECK(body_of(*responses().build_request(f.call()))["prompt_cache_key"] == json("sess-1"));
}

TEST_CASE("responses: server compaction stores the exchange and sets a threshold",
          "[openai-responses]") {
  fixture f = openai("gpt-5.4");
  f.model.context_window = 400000;
  f.conv.messages.emplace_back(user_text("hi"));
  f.options.params = json::object({{"responsesServerCompaction", true}});
  json body = body_of(*responses().build_request(f.call()));
  CHECK(body["store"] == json(true));
  CHECK(body["context_management"] ==
        json::array({json::object({{"type", "compaction"}, {"compact_threshold", 280000}})}));
  f.options.params.set("responsesCompactThreshold", 50000);
  body = body_of(*responses().build_request(f.call()));
  CHECK(body["context_management"][0]["compact_threshold"] == json(50000));
  f.model.compat = json::object({{"supportsStore", false}});
  body = body_of(*responses().build_request(f.call()));
  CHECK(!body.contains("context_management"));
}

TEST_CASE("responses: top_p reaches models that take sampling, not reasoning models",
          "[openai-responses]") {
  for (const char* id : {"gpt-4.1", "gpt-5"}) {
    INFO(id);
    fixture f = openai(id);
    f.conv.messages.emplace_back(user_text("Hi"));
    f.options.top_p = 0.9;
    auto req = responses().build_request(f.call());
    REQUIRE(req.has_value());
    json body = body_of(*req);
    if (f.model.reasoning)
      CHECK_FALSE(body.contains("top_p"));
    else
      CHECK(body["top_p"].as_double() == 0.9);
  }
}
