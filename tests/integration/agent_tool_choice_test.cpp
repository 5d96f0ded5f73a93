// agent_options::tool_choice against fake vendors: a forced choice reaches the vendor in its
// own field until a model call of the run has called a tool, then the run's calls are
// automatic so the model can answer; a resumed run goes on automatic; bad choices are
// refused before anything is sent.
#include "agent_fixture.hpp"

using namespace agent_test;

namespace {

std::shared_ptr<tool> weather_tool() {
  return make_tool(weather_definition(), [](const json&, const tool_context&) {
    return result<tool_result>(text_result("18°C and sunny"));
  });
}

// Whether a vendor request forces a call to get_weather, in the API's own shape.
bool forces_weather(const std::string& api, const json& body) {
  if (api == "openai-completions")
    return body["tool_choice"] ==
           json::object(
               {{"type", "function"}, {"function", json::object({{"name", "get_weather"}})}});
  if (api == "openai-responses")
    return body["tool_choice"] == json::object({{"type", "function"}, {"name", "get_weather"}});
  if (api == "anthropic-messages")
    return body["tool_choice"] == json::object({{"type", "tool"}, {"name", "get_weather"}});
  if (api == "google-generative-ai")
    return body["toolConfig"]["functionCallingConfig"] ==
           json::object({{"mode", "ANY"}, {"allowedFunctionNames", json::array({"get_weather"})}});
  return false;
}

// Nothing forced: no field, or the "auto" an OpenAI-compatible proxy is sent anyway.
bool automatic(const json& body) {
  const json* c = body.find("tool_choice");
  return (c == nullptr || *c == json("auto")) && !body.contains("toolConfig");
}

tool_choice named_weather() { return {tool_choice_mode::named, "get_weather"}; }

}  // namespace

TEST_CASE("a forced tool_choice holds until the model called a tool, then the run is automatic",
          "[agent][tool-choice]") {
  auto api = GENERATE(as<std::string>{}, "openai-completions", "openai-responses",
                      "anthropic-messages", "google-generative-ai");
  INFO(api);
  harness h(api);
  h.enqueue("weather_call");
  h.enqueue("weather_answer");
  auto o = h.options();
  o.tools = {weather_tool()};
  o.tool_choice = named_weather();
  auto a = h.make(o);

  auto r = a->run(user_text("What's the weather in Paris?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(r->turns == 2);
  CHECK(text_of(r->final) == "It is 18°C and sunny in Paris.");
  REQUIRE(h.server.requests().size() == 2);
  json first = h.request_body(0);
  json second = h.request_body(1);
  INFO(first.dump());
  INFO(second.dump());
  CHECK(forces_weather(api, first));
  CHECK(automatic(second));
  CHECK(second.contains("tools"));  // still offered, only not forced
}

TEST_CASE("a forced tool_choice holds over turns without a tool call, and each run starts forced",
          "[agent][tool-choice]") {
  harness h;
  h.enqueue("answer_one");  // text only, although forced: a vendor need not obey
  h.enqueue("answer_two");
  h.enqueue("final_text");
  auto o = h.options();
  o.tools = {weather_tool()};
  o.tool_choice = {tool_choice_mode::required, {}};
  auto a = h.make(o);
  a->follow_up(user_text("And tomorrow?"));
  auto r = a->run(user_text("Today?"));
  REQUIRE(r.has_value());
  CHECK(r->turns == 2);
  CHECK(h.request_body(0)["tool_choice"] == json("required"));
  CHECK(h.request_body(1)["tool_choice"] == json("required"));

  auto next = a->run(user_text("And the day after?"));
  REQUIRE(next.has_value());
  CHECK(h.request_body(2)["tool_choice"] == json("required"));
}

TEST_CASE("a run resumed after client tool outputs is not forced again", "[agent][tool-choice]") {
  harness h;
  h.enqueue("weather_call");
  h.enqueue("weather_answer");
  auto o = h.options();
  o.client_tools = {weather_definition()};
  o.tool_choice = named_weather();
  auto a = h.make(o);
  auto r = a->run(user_text("What's the weather in Paris?"));
  REQUIRE(r.has_value());
  REQUIRE(r->stop == run_stop::client_tools);
  CHECK(forces_weather("openai-completions", h.request_body(0)));

  auto open = a->open_calls();
  REQUIRE(open.size() == 1);
  tool_result_message out;
  out.tool_call_id = open[0].id;
  out.content.emplace_back(text_block{"18°C and sunny", {}});
  REQUIRE(a->answer({out}).has_value());
  auto resumed = a->resume();
  REQUIRE(resumed.has_value());
  CHECK(resumed->stop == run_stop::done);
  CHECK(automatic(h.request_body(1)));
}

TEST_CASE("a tool_choice naming no tool, or required without tools, is refused at the start",
          "[agent][tool-choice]") {
  harness h;
  auto o = h.options();
  o.tools = {weather_tool()};
  o.tool_choice = {tool_choice_mode::named, "nope"};
  auto a = h.make(o);
  auto r = a->run(user_text("hi"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message.find("'nope'") != std::string::npos);

  auto bare = h.options();
  bare.tool_choice = {tool_choice_mode::required, {}};
  auto b = h.make(bare);
  auto none = b->run(user_text("hi"));
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == errc::invalid_argument);
  CHECK(h.server.requests().empty());
}
