// request_options::tool_choice on every built-in transport: each vendor's own field and
// shape, nothing when automatic or when the call offers no tools, and the cases a vendor
// cannot force (Anthropic with extended thinking, Ollama).
#include <durar/provider.hpp>

#include "wire_fixture.hpp"

#include <string>

using namespace durar;
using wire_fixture::body_of;

namespace {

tool_definition weather() {
  tool_definition d;
  d.name = "get_weather";
  d.description = "Current weather for a city.";
  d.parameters =
      json::object({{"type", "object"},
                    {"properties", json::object({{"city", json::object({{"type", "string"}})}})}});
  return d;
}

wire_fixture::fixture call_for(api_kind api) {
  wire_fixture::fixture f;
  f.model.api = api;
  f.model.provider = "p";
  f.model.id = "m1";
  f.provider.api = api;
  f.provider.id = "p";
  switch (api) {
    case api_kind::openai_completions:
      f.provider.id = f.model.provider = "openai";
      f.provider.base_url = "https://api.openai.com/v1";
      break;
    case api_kind::openai_responses:
      f.provider.base_url = "https://api.openai.com/v1";
      break;
    case api_kind::anthropic_messages:
      f.model.id = "claude-sonnet-4-5";
      break;
    case api_kind::google_generative_ai:
      f.model.id = "gemini-2.0-flash";
      break;
    case api_kind::ollama:
      f.provider.base_url = "http://127.0.0.1:11434";
      break;
  }
  f.key.emplace("sk-test");
  f.conv.messages = {user_text("What's the weather in Paris?")};
  f.conv.tools = {weather()};
  return f;
}

json body(const wire_fixture::fixture& f) {
  auto t = builtin_transport(f.model.api);
  REQUIRE(t != nullptr);
  auto r = t->build_request(f.call());
  if (!r) FAIL("build_request failed: " << r.error().describe());
  return body_of(*r);
}

tool_choice named(std::string name) { return {tool_choice_mode::named, std::move(name)}; }
tool_choice mode(tool_choice_mode m) { return {m, {}}; }

}  // namespace

TEST_CASE("tool_choice: automatic sends nothing, and nothing goes without tools", "[tool-choice]") {
  auto api =
      GENERATE(api_kind::openai_completions, api_kind::openai_responses,
               api_kind::anthropic_messages, api_kind::google_generative_ai, api_kind::ollama);
  INFO(to_string(api));
  auto f = call_for(api);
  const json plain = body(f);
  CHECK_FALSE(plain.contains("tool_choice"));
  CHECK_FALSE(plain.contains("toolConfig"));
  CHECK(plain.contains("tools"));

  // A forced choice over no tools would be refused by the vendors: it is left out.
  f.conv.tools.clear();
  for (const auto& c :
       {mode(tool_choice_mode::none), mode(tool_choice_mode::required), named("get_weather")}) {
    f.options.tool_choice = c;
    json b = body(f);
    CHECK_FALSE(b.contains("tool_choice"));
    CHECK_FALSE(b.contains("toolConfig"));
  }
}

TEST_CASE("tool_choice: openai-completions", "[tool-choice]") {
  auto f = call_for(api_kind::openai_completions);
  f.options.tool_choice = mode(tool_choice_mode::none);
  CHECK(body(f)["tool_choice"] == json("none"));
  f.options.tool_choice = mode(tool_choice_mode::required);
  CHECK(body(f)["tool_choice"] == json("required"));
  f.options.tool_choice = named("get_weather");
  json b = body(f);
  CHECK(b["tool_choice"] == json::object({{"type", "function"},
                                          {"function", json::object({{"name", "get_weather"}})}}));
  CHECK(b["tools"].as_array().size() == 1);

  // A proxy gets "auto" spelled out when nothing is forced, the choice when it is.
  f.provider.id = f.model.provider = "vllm";
  f.provider.base_url = "http://127.0.0.1:8000/v1";
  f.options.tool_choice = {};
  CHECK(body(f)["tool_choice"] == json("auto"));
  f.options.tool_choice = mode(tool_choice_mode::required);
  CHECK(body(f)["tool_choice"] == json("required"));
}

TEST_CASE("tool_choice: openai-responses", "[tool-choice]") {
  auto f = call_for(api_kind::openai_responses);
  f.options.tool_choice = mode(tool_choice_mode::none);
  CHECK(body(f)["tool_choice"] == json("none"));
  f.options.tool_choice = mode(tool_choice_mode::required);
  CHECK(body(f)["tool_choice"] == json("required"));
  f.options.tool_choice = named("get_weather");
  CHECK(body(f)["tool_choice"] == json::object({{"type", "function"}, {"name", "get_weather"}}));
}

TEST_CASE("tool_choice: anthropic-messages, and no forced call with extended thinking",
          "[tool-choice]") {
  auto f = call_for(api_kind::anthropic_messages);
  f.options.tool_choice = mode(tool_choice_mode::none);
  CHECK(body(f)["tool_choice"] == json::object({{"type", "none"}}));
  f.options.tool_choice = mode(tool_choice_mode::required);
  CHECK(body(f)["tool_choice"] == json::object({{"type", "any"}}));
  f.options.tool_choice = named("get_weather");
  CHECK(body(f)["tool_choice"] == json::object({{"type", "tool"}, {"name", "get_weather"}}));

  // Thinking on a reasoning model: Anthropic refuses any/tool there, so the call is auto.
  f.model.reasoning = true;
  f.options.thinking = thinking_level::medium;
  json thinking = body(f);
  REQUIRE(thinking["thinking"]["type"] == json("enabled"));
  CHECK_FALSE(thinking.contains("tool_choice"));
  f.options.tool_choice = mode(tool_choice_mode::required);
  CHECK_FALSE(body(f).contains("tool_choice"));
  f.options.tool_choice = mode(tool_choice_mode::none);
  CHECK(body(f)["tool_choice"] == json::object({{"type", "none"}}));
  // Adaptive thinking (Opus 4.6 and later) is thinking too.
  f.model.id = "claude-opus-4-6";
  f.options.tool_choice = named("get_weather");
  json adaptive = body(f);
  REQUIRE(adaptive["thinking"]["type"] == json("adaptive"));
  CHECK_FALSE(adaptive.contains("tool_choice"));
  // Thinking off on the same model: forced again.
  f.options.thinking = thinking_level::off;
  CHECK(body(f)["tool_choice"] == json::object({{"type", "tool"}, {"name", "get_weather"}}));
}

TEST_CASE("tool_choice: google-generative-ai toolConfig", "[tool-choice]") {
  auto f = call_for(api_kind::google_generative_ai);
  auto config = [&] { return body(f)["toolConfig"]["functionCallingConfig"]; };
  f.options.tool_choice = mode(tool_choice_mode::none);
  CHECK(config() == json::object({{"mode", "NONE"}}));
  f.options.tool_choice = mode(tool_choice_mode::required);
  CHECK(config() == json::object({{"mode", "ANY"}}));
  f.options.tool_choice = named("get_weather");
  CHECK(config() ==
        json::object({{"mode", "ANY"}, {"allowedFunctionNames", json::array({"get_weather"})}}));
  CHECK_FALSE(body(f).contains("tool_choice"));
}

TEST_CASE("tool_choice: ollama has no field, so none leaves the tools out", "[tool-choice]") {
  auto f = call_for(api_kind::ollama);
  f.options.tool_choice = mode(tool_choice_mode::none);
  CHECK_FALSE(body(f).contains("tools"));
  for (const auto& c : {mode(tool_choice_mode::required), named("get_weather")}) {
    f.options.tool_choice = c;
    json b = body(f);
    CHECK(b["tools"].as_array().size() == 1);
    CHECK_FALSE(b.contains("tool_choice"));
  }
}
