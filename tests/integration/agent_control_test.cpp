// Controlling a run: abort mid-stream and mid-tool, steering, follow-ups, max_turns, loop
// detection, timeouts, completion tokens (callback, future, awaitable, cancellation slot),
// model and thinking changes, and destroying an agent mid-run.
#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "agent_fixture.hpp"

#include <algorithm>
#include <future>

using namespace agent_test;

namespace {

std::shared_ptr<tool> weather_tool(std::vector<json>& seen) {
  return make_tool(weather_definition(), [&seen](const json& args, const tool_context&) {
    seen.push_back(args);
    return result<tool_result>(text_result("18°C and sunny"));
  });
}

// A reply that sends its first text delta and then stalls with the connection open.
fake_response stalled_after_first_delta(const std::string& api) {
  auto r = reply(api, "partial_text");
  r.stall_after = r.body.find("about that");
  return r;
}

}  // namespace

TEST_CASE("abort mid-stream keeps the partial reply, marked aborted", "[agent]") {
  harness h;
  h.server.enqueue(stalled_after_first_delta(h.api));
  auto a = h.make(h.options());
  bool aborted = false;
  a->subscribe([&](const agent_event& e) {
    if (e.kind == agent_event_kind::message_update && !aborted) {
      aborted = true;
      a->abort();
    }
  });
  auto r = a->run(user_text("tell me a long story"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::aborted);
  CHECK(r->final.stop == stop_reason::aborted);
  CHECK(text_of(r->final) == "Let me think");
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[1]["stopReason"].as_string() == "aborted");
  CHECK(text_of_json(msgs[1]) == "Let me think");
  auto types = h.event_types();
  REQUIRE(types.size() >= 3);
  CHECK(types[types.size() - 3] == "message_end");
  CHECK(types[types.size() - 2] == "turn_end");
  CHECK(types.back() == "agent_end");
  CHECK(h.events.back()["stop"].as_string() == "aborted");
  CHECK_FALSE(a->running());
}

TEST_CASE("abort mid-tool emits the tools' cancellation, unanswered calls get 'aborted'",
          "[agent]") {
  harness h;
  h.enqueue("wait_calls");
  bool cancel_seen = false;
  tool_done hang_done;
  auto waits = make_async_tool(simple_definition("wait_for_cancel"),
                               [&](const json&, tool_context ctx, tool_done done) {
                                 ctx.cancel.assign([&cancel_seen, done](asio::cancellation_type) {
                                   cancel_seen = true;
                                   done(error_result("stopped: the run was aborted"));
                                 });
                               });
  auto hangs =
      make_async_tool(simple_definition("hang"), [&](const json&, tool_context, tool_done done) {
        hang_done = std::move(done);  // ignores the abort
      });
  auto o = h.options();
  o.tools = {waits, hangs};
  auto a = h.make(o);
  int started = 0;
  a->subscribe([&](const agent_event& e) {
    if (e.kind == agent_event_kind::tool_execution_start && ++started == 2) a->abort();
  });
  auto r = a->run(user_text("wait"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::aborted);
  CHECK(cancel_seen);
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 4);
  CHECK(msgs[1]["stopReason"].as_string() == "toolUse");
  CHECK(msgs[2]["toolCallId"].as_string() == "call_Wait01");
  CHECK(text_of_json(msgs[2]) == "stopped: the run was aborted");
  CHECK(msgs[2]["isError"].as_bool());
  CHECK(msgs[3]["toolCallId"].as_string() == "call_Hang02");
  CHECK(text_of_json(msgs[3]) == "aborted");
  CHECK(msgs[3]["isError"].as_bool());
  CHECK(h.count("tool_execution_end") == 2);

  // A tool that answers after the run ended is ignored.
  const auto events_before = h.events.size();
  REQUIRE(hang_done);
  hang_done(text_result("too late"));
  h.io.restart();
  h.io.poll();
  CHECK(h.events.size() == events_before);
  CHECK(h.transcript_messages().size() == 4);
}

TEST_CASE("a steering message goes in after the turn's tool calls", "[agent]") {
  harness h;
  h.enqueue("weather_call");
  h.enqueue("weather_answer");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  auto a = h.make(o);
  a->subscribe([&](const agent_event& e) {
    if (e.kind == agent_event_kind::tool_execution_start) a->steer(user_text("Also, is it windy?"));
  });
  auto r = a->run(user_text("weather in Paris?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(seen.size() == 1);  // the turn's tool call still ran
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 5);
  CHECK(msgs[2]["role"].as_string() == "toolResult");
  CHECK(msgs[3]["role"].as_string() == "user");
  CHECK(text_of_json(msgs[3]) == "Also, is it windy?");
  // The second request ends with the steering message, after the tool result.
  auto body = h.request_body(1);
  const auto& sent = body["messages"].as_array();
  REQUIRE(sent.size() >= 2);
  CHECK(sent[sent.size() - 2]["role"].as_string() == "tool");
  CHECK(sent.back()["role"].as_string() == "user");
  CHECK(sent.back()["content"].as_string() == "Also, is it windy?");
  // ... and it opens the second turn.
  auto types = h.event_types();
  auto turn2 = std::find(types.begin() + 2, types.end(), "turn_start");
  REQUIRE(turn2 != types.end());
  CHECK(*(turn2 - 1) == "turn_end");
  CHECK(*(turn2 + 1) == "message_start");
}

TEST_CASE("a follow-up runs when the agent would otherwise stop", "[agent]") {
  harness h;
  h.enqueue("answer_one");
  h.enqueue("answer_two");
  auto a = h.make(h.options());
  a->follow_up(user_text("And tomorrow?"));
  auto r = a->run(user_text("Today?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(r->turns == 2);
  CHECK(text_of(r->final) == "Second answer.");
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 4);
  CHECK(text_of_json(msgs[0]) == "Today?");
  CHECK(text_of_json(msgs[1]) == "First answer.");
  CHECK(text_of_json(msgs[2]) == "And tomorrow?");
  CHECK(text_of_json(msgs[3]) == "Second answer.");
  CHECK(h.server.requests().at(1).body.find("And tomorrow?") != std::string::npos);
}

TEST_CASE("max_turns stops a model that keeps calling tools", "[agent]") {
  harness h;
  h.enqueue("step_call_1");
  h.enqueue("step_call_2");
  h.enqueue("step_call_3");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  o.max_turns = 2;
  auto a = h.make(o);
  auto r = a->run(user_text("tour Europe"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::max_turns);
  CHECK(r->turns == 2);
  CHECK(r->reason.find("max_turns") != std::string::npos);
  CHECK(h.server.requests().size() == 2);
  CHECK(seen.size() == 2);
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 5);
  CHECK(msgs.back()["role"].as_string() == "toolResult");  // no call left without a result
}

TEST_CASE("the same call repeated loop_limit times in a row ends the run", "[agent]") {
  harness h;
  h.enqueue("loop_call_1");
  h.enqueue("loop_call_2");
  h.enqueue("loop_call_3");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  o.loop_limit = 3;
  auto a = h.make(o);
  auto r = a->run(user_text("weather?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::loop_detected);
  CHECK(r->reason == R"(loop detected: get_weather {"city":"Paris"} 3 times)");
  CHECK(seen.size() == 2);  // the third identical call never ran
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 7);
  CHECK(msgs[6]["isError"].as_bool());
  CHECK(text_of_json(msgs[6]).find("loop detected") != std::string::npos);
  CHECK(h.events.back()["stop"].as_string() == "loop_detected");
}

TEST_CASE("a run that outlives its timeout stops with deadline_exceeded", "[agent]") {
  harness h;
  h.server.enqueue(stalled_after_first_delta(h.api));
  auto o = h.options();
  o.timeout = std::chrono::milliseconds(200);
  auto a = h.make(o);
  auto r = a->run(user_text("story"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::timeout);
  CHECK(r->failure.code == errc::deadline_exceeded);
  CHECK(r->final.stop == stop_reason::aborted);
  CHECK(h.transcript_messages().size() == 2);
}

TEST_CASE("async_run works with a callback, use_future and use_awaitable", "[agent]") {
  harness h;
  h.enqueue("answer_one");
  h.enqueue("answer_two");
  h.enqueue("final_text");
  auto a = h.make(h.options());

  std::optional<result<run_result>> by_callback;
  a->async_run(user_text("one"), [&](result<run_result> r) { by_callback = std::move(r); });
  REQUIRE(durar::test::run_until(h.io, [&] { return by_callback.has_value(); }));
  REQUIRE(by_callback->has_value());
  CHECK(text_of((*by_callback)->final) == "First answer.");

  auto fut = a->async_run(user_text("two"), asio::use_future);
  REQUIRE(durar::test::run_until(
      h.io, [&] { return fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
  auto by_future = fut.get();
  REQUIRE(by_future.has_value());
  CHECK(text_of(by_future->final) == "Second answer.");

  std::optional<result<run_result>> by_coroutine;
  asio::co_spawn(
      h.io,
      [&]() -> asio::awaitable<void> {
        by_coroutine = co_await a->async_run(user_text("three"), asio::use_awaitable);
      },
      asio::detached);
  REQUIRE(durar::test::run_until(h.io, [&] { return by_coroutine.has_value(); }));
  REQUIRE(by_coroutine->has_value());
  CHECK(text_of((*by_coroutine)->final) == "Done.");
  CHECK(h.transcript_messages().size() == 6);
}

TEST_CASE("emitting the completion token's cancellation slot aborts the run", "[agent]") {
  harness h;
  h.server.enqueue(stalled_after_first_delta(h.api));
  auto a = h.make(h.options());
  asio::cancellation_signal cancel;
  std::optional<result<run_result>> out;
  bool emitted = false;
  a->subscribe([&](const agent_event& e) {
    if (e.kind == agent_event_kind::message_update && !emitted) {
      emitted = true;
      cancel.emit(asio::cancellation_type::terminal);
    }
  });
  a->async_run(user_text("story"),
               asio::bind_cancellation_slot(cancel.slot(),
                                            [&](result<run_result> r) { out = std::move(r); }));
  REQUIRE(durar::test::run_until(h.io, [&] { return out.has_value(); }));
  REQUIRE(out->has_value());
  CHECK((*out)->stop == run_stop::aborted);
}

TEST_CASE("a second run while one is in progress is refused", "[agent]") {
  harness h;
  h.enqueue("answer_one");
  auto a = h.make(h.options());
  std::optional<result<run_result>> first, second;
  a->async_run(user_text("one"), [&](result<run_result> r) { first = std::move(r); });
  a->async_run(user_text("two"), [&](result<run_result> r) { second = std::move(r); });
  REQUIRE(durar::test::run_until(h.io, [&] { return first && second; }));
  REQUIRE_FALSE(second->has_value());
  CHECK(second->error().code == errc::unavailable);
  REQUIRE(first->has_value());
  CHECK((*first)->stop == run_stop::done);
}

TEST_CASE("set_model and set_thinking are recorded and used from the next turn", "[agent]") {
  harness h("openai-completions", std::nullopt, /*reasoning=*/true);
  h.enqueue("answer_one");
  h.enqueue("answer_two");
  auto a = h.make(h.options());
  REQUIRE(a->run(user_text("one")).has_value());
  CHECK_FALSE(h.request_body(0).contains("reasoning_effort"));
  REQUIRE(a->set_thinking(thinking_level::high).has_value());
  REQUIRE(a->set_model("fake/m1").has_value());
  CHECK_FALSE(a->set_model("nowhere/none").has_value());
  REQUIRE(a->run(user_text("two")).has_value());
  CHECK(h.request_body(1)["reasoning_effort"].as_string() == "high");
  std::vector<std::string> types;
  for (auto& l : h.lines()) types.push_back(l["type"].as_string());
  CHECK(std::find(types.begin(), types.end(), "thinking_level_change") != types.end());
  CHECK(std::find(types.begin(), types.end(), "model_change") != types.end());
  CHECK(h.sess->thinking_level().value_or("") == "high");
  CHECK(h.sess->model().value_or("") == "fake/m1");
}

TEST_CASE("destroying the agent mid-run never calls its handler", "[agent]") {
  harness h;
  h.server.enqueue(stalled_after_first_delta(h.api));
  auto a = h.make(h.options());
  bool called = false;
  bool destroyed = false;
  a->subscribe([&](const agent_event& e) {
    if (e.kind == agent_event_kind::message_update && !destroyed) {
      destroyed = true;
      asio::post(h.io, [&] { a.reset(); });
    }
  });
  a->async_run(user_text("story"), [&](result<run_result>) { called = true; });
  REQUIRE(durar::test::run_until(h.io, [&] { return destroyed && !a; }));
  // Let the cancelled call wind down.
  h.io.restart();
  for (int i = 0; i < 50 && h.io.poll() > 0; ++i) {
  }
  CHECK_FALSE(called);
  CHECK(h.transcript_messages().size() == 1);  // the user message only
}
