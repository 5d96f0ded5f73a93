// Client tools: functions an API caller runs itself. A reply that calls one ends the run
// with the call open in the session; the caller's output answers it and the model goes on.
// Against fake vendors over real sockets, checking the transcript and what the vendor got.
#include "agent_fixture.hpp"

using namespace agent_test;

namespace {

tool_result_message output_for(const std::string& call_id, std::string text) {
  tool_result_message r;
  r.tool_call_id = call_id;
  r.content.emplace_back(text_block{std::move(text), {}});
  return r;
}

std::vector<std::string> roles(const std::vector<json>& msgs) {
  std::vector<std::string> out;
  for (const auto& m : msgs) out.push_back(m["role"].as_string());
  return out;
}

}  // namespace

TEST_CASE("a client tool call ends the run and the caller's output resumes it", "[agent]") {
  auto api = GENERATE(as<std::string>{}, "openai-completions", "openai-responses",
                      "anthropic-messages", "google-generative-ai", "ollama");
  INFO(api);
  harness h(api);
  h.enqueue("weather_call");
  h.enqueue("weather_answer");
  auto o = h.options();
  o.client_tools = {weather_definition()};
  auto a = h.make(o);

  auto r = a->run(user_text("What's the weather in Paris?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::client_tools);
  CHECK(r->turns == 1);
  CHECK(h.events.back()["stop"].as_string() == "client_tools");
  // Offered to the model like any tool; nothing ran it.
  CHECK(h.server.requests().at(0).body.find("get_weather") != std::string::npos);
  CHECK(h.count("tool_execution_start") == 0);
  auto open = a->open_calls();
  REQUIRE(open.size() == 1);
  CHECK(open[0].name == "get_weather");
  CHECK(open[0].arguments == json::object({{"city", "Paris"}}));
  CHECK(roles(h.transcript_messages()) == std::vector<std::string>{"user", "assistant"});

  // An id that is not open is refused and nothing is written.
  auto wrong = a->answer({output_for("call_nope", "x")});
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == errc::not_found);
  CHECK(wrong.error().message.find(open[0].id) != std::string::npos);
  CHECK(h.transcript_messages().size() == 2);

  REQUIRE(a->answer({output_for(open[0].id, "18°C and sunny")}).has_value());
  CHECK(a->open_calls().empty());
  auto resumed = a->resume();
  REQUIRE(resumed.has_value());
  CHECK(resumed->stop == run_stop::done);
  CHECK(text_of(resumed->final) == "It is 18°C and sunny in Paris.");
  // The output went to the vendor as the call's result, in its own shape.
  auto second = h.server.requests().at(1).body;
  CHECK(second.find("18°C and sunny") != std::string::npos);

  auto msgs = h.transcript_messages();
  CHECK(roles(msgs) == std::vector<std::string>{"user", "assistant", "toolResult", "assistant"});
  CHECK(msgs[2]["toolName"].as_string() == "get_weather");
  CHECK(msgs[2]["isError"].as_bool() == false);
  CHECK(text_of_json(msgs[2]) == "18°C and sunny");
}

TEST_CASE("the agent's own calls in the reply run before it stops for the client's", "[agent]") {
  harness h;
  h.enqueue("parallel_calls");  // slow_lookup, then fast_lookup
  auto o = h.options();
  o.tools = {make_tool(simple_definition("fast_lookup"), [](const json&, const tool_context&) {
    return result<tool_result>(text_result("fast b"));
  })};
  o.client_tools = {simple_definition("slow_lookup")};
  auto a = h.make(o);

  auto r = a->run(user_text("look both up"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::client_tools);
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[2]["toolCallId"].as_string() == "call_Fast02");
  auto open = a->open_calls();
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == "call_Slow01");
  CHECK(h.server.requests().size() == 1);
}

TEST_CASE("a run that starts with client calls unanswered closes them first", "[agent]") {
  harness h;
  h.enqueue("weather_call");
  h.enqueue("answer_one");
  auto o = h.options();
  o.client_tools = {weather_definition()};
  auto a = h.make(o);
  REQUIRE(a->run(user_text("weather?"))->stop == run_stop::client_tools);

  auto r = a->run(user_text("never mind"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  auto msgs = h.transcript_messages();
  REQUIRE(roles(msgs) ==
          std::vector<std::string>{"user", "assistant", "toolResult", "user", "assistant"});
  CHECK(msgs[2]["isError"].as_bool());
  CHECK(text_of_json(msgs[2]).find("did not run") != std::string::npos);
  // Vendors reject a call without a result: the second request answers it.
  CHECK(h.request_body(1).dump().find("did not run") != std::string::npos);
}

TEST_CASE("a client tool named like one of the agent's tools is refused before the run",
          "[agent]") {
  harness h;
  auto o = h.options();
  o.tools = {make_tool(weather_definition(), [](const json&, const tool_context&) {
    return result<tool_result>(text_result("sunny"));
  })};
  o.client_tools = {weather_definition()};
  auto a = h.make(o);
  auto r = a->run(user_text("weather?"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message.find("get_weather") != std::string::npos);
  CHECK(h.server.requests().empty());
  CHECK(h.transcript_messages().empty());
}

TEST_CASE("open client calls survive reopening the session only when asked", "[agent]") {
  harness h;
  h.enqueue("weather_call");
  auto o = h.options();
  o.client_tools = {weather_definition()};
  {
    auto a = h.make(o);
    REQUIRE(a->run(user_text("weather?"))->stop == run_stop::client_tools);
  }
  const std::string key = h.sess->key();
  h.sess.reset();

  auto kept = h.store->open(key, {.close_unanswered_calls = false});
  REQUIRE(kept.has_value());
  CHECK((*kept)->report().orphaned_tool_calls_repaired == 0);
  {
    agent a(*h.router, kept->get(), o);
    CHECK(a.open_calls().size() == 1);
  }
  kept->reset();

  // The default treats them as a turn cut short: error results appended.
  auto mended = h.store->open(key);
  REQUIRE(mended.has_value());
  CHECK((*mended)->report().orphaned_tool_calls_repaired == 1);
  agent a(*h.router, mended->get(), o);
  CHECK(a.open_calls().empty());
}
