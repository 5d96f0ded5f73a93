// The agent loop against fake vendors over real sockets: multi-turn tool conversations on
// every wire API, parallel and sequential tools, failing tools, invalid arguments, missing
// tools and hooks. Each test checks what reached the transcript and the vendor.
#include <asio/post.hpp>

#include "agent_fixture.hpp"

using namespace agent_test;

namespace {

std::shared_ptr<tool> weather_tool(std::vector<json>& seen) {
  return make_tool(weather_definition(), [&seen](const json& args, const tool_context&) {
    seen.push_back(args);
    return result<tool_result>(text_result("18°C and sunny"));
  });
}

}  // namespace

TEST_CASE("a tool conversation runs to the answer on every wire API", "[agent]") {
  auto api = GENERATE(as<std::string>{}, "openai-completions", "openai-responses",
                      "anthropic-messages", "google-generative-ai", "ollama");
  INFO(api);
  harness h(api);
  h.enqueue("weather_call");
  h.enqueue("weather_answer");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  auto a = h.make(o);

  auto r = a->run(user_text("What's the weather in Paris?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(r->turns == 2);
  CHECK(text_of(r->final) == "It is 18°C and sunny in Paris.");
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == json::object({{"city", "Paris"}}));

  // Usage is the sum over both assistant messages.
  REQUIRE(r->messages.size() == 4);
  const auto& first = std::get<assistant_message>(r->messages[1]);
  const auto& last = std::get<assistant_message>(r->messages[3]);
  CHECK(first.stop == stop_reason::tool_use);
  CHECK(r->total.input == first.usage.input + last.usage.input);
  CHECK(r->total.output == first.usage.output + last.usage.output);
  CHECK(r->total.output > 0);

  // The transcript holds the four messages in order.
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 4);
  CHECK(msgs[0]["role"].as_string() == "user");
  CHECK(msgs[1]["role"].as_string() == "assistant");
  CHECK(msgs[1]["stopReason"].as_string() == "toolUse");
  const json* call = nullptr;
  for (const auto& b : msgs[1]["content"].as_array())
    if (b["type"].as_string() == "toolCall") call = &b;
  REQUIRE(call != nullptr);
  CHECK((*call)["name"].as_string() == "get_weather");
  CHECK((*call)["arguments"] == json::object({{"city", "Paris"}}));
  CHECK(msgs[2]["role"].as_string() == "toolResult");
  CHECK(msgs[2]["toolCallId"].as_string() == (*call)["id"].as_string());
  CHECK(msgs[2]["isError"].as_bool() == false);
  CHECK(text_of_json(msgs[2]) == "18°C and sunny");
  CHECK(msgs[3]["stopReason"].as_string() == "stop");
  CHECK(text_of_json(msgs[3]) == "It is 18°C and sunny in Paris.");

  // The second request carries the call and its result in the vendor's own shape.
  auto second = h.server.requests().at(1).body;
  CHECK(second.find("18°C and sunny") != std::string::npos);
  CHECK(second.find("get_weather") != std::string::npos);
  if (api != "google-generative-ai" && api != "ollama") {
    // Responses ids are "<call_id>|<item id>"; the wire carries both parts separately.
    std::string id = (*call)["id"].as_string();
    CHECK(second.find(id.substr(0, id.find('|'))) != std::string::npos);
  }
  if (api == "google-generative-ai") {
    CHECK(second.find("functionResponse") != std::string::npos);
    CHECK(second.find("CiQBVKhc7wAgentWeatherSignature") != std::string::npos);
  }

  // Events in the documented order.
  std::vector<std::string> expected = {
      "agent_start",        "turn_start",     "message_start",  "message_end",
      "message_start",      "message_update", "message_end",    "tool_execution_start",
      "tool_execution_end", "message_start",  "message_end",    "turn_end",
      "turn_start",         "message_start",  "message_update", "message_end",
      "turn_end",           "agent_end"};
  CHECK(h.event_types() == expected);
  CHECK(h.events.back()["stop"].as_string() == "done");
  CHECK(h.events.back()["turns"].as_int() == 2);
}

TEST_CASE("parallel tool results arrive in the model's order, not finishing order", "[agent]") {
  harness h;
  h.enqueue("parallel_calls");
  h.enqueue("final_text");
  tool_done slow_done;
  std::vector<std::string> finished;
  auto slow = make_async_tool(simple_definition("slow_lookup"),
                              [&](const json&, tool_context, tool_done done) {
                                slow_done = std::move(done);  // answers later
                              });
  auto fast = make_tool(simple_definition("fast_lookup"), [](const json&, const tool_context&) {
    return result<tool_result>(text_result("fast b"));
  });
  auto o = h.options();
  o.tools = {slow, fast};
  auto a = h.make(o);
  a->subscribe([&](const agent_event& e) {
    if (e.kind != agent_event_kind::tool_execution_end) return;
    finished.push_back(e.tool_call->name);
    // The fast call is done while the slow one still runs: finish the slow one now.
    if (e.tool_call->name == "fast_lookup") {
      REQUIRE(slow_done);
      asio::post(h.io, [&] { slow_done(text_result("slow a")); });
    }
  });

  auto r = a->run(user_text("look both up"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(finished == std::vector<std::string>{"fast_lookup", "slow_lookup"});

  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 5);
  CHECK(msgs[2]["toolCallId"].as_string() == "call_Slow01");
  CHECK(text_of_json(msgs[2]) == "slow a");
  CHECK(msgs[3]["toolCallId"].as_string() == "call_Fast02");
  CHECK(text_of_json(msgs[3]) == "fast b");

  auto body = h.request_body(1);
  std::vector<std::string> tool_ids;
  for (const auto& m : body["messages"].as_array())
    if (m["role"].as_string() == "tool") tool_ids.push_back(m["tool_call_id"].as_string());
  CHECK(tool_ids == std::vector<std::string>{"call_Slow01", "call_Fast02"});
}

TEST_CASE("a sequential tool runs its calls one after another", "[agent]") {
  harness h;
  h.enqueue("sequential_calls");
  h.enqueue("final_text");
  std::vector<tool_done> pending;
  std::vector<std::string> texts;
  auto note = make_async_tool(
      simple_definition("note"),
      [&](const json& args, tool_context, tool_done done) {
        texts.push_back(args["text"].as_string());
        pending.push_back(std::move(done));
      },
      /*sequential=*/true);
  auto o = h.options();
  o.tools = {note};
  auto a = h.make(o);
  int starts = 0, ends = 0;
  a->subscribe([&](const agent_event& e) {
    if (e.kind == agent_event_kind::tool_execution_end) ++ends;
    if (e.kind != agent_event_kind::tool_execution_start) return;
    // Only one call may be running: every earlier one has already ended.
    CHECK(ends == starts);
    ++starts;
    asio::post(h.io, [&] { pending.back()(text_result("noted " + texts.back())); });
  });
  auto r = a->run(user_text("take two notes"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(texts == std::vector<std::string>{"one", "two"});
  // Announced one by one: each result message right after its own call.
  std::vector<std::string> types;
  for (const auto& e : h.events) {
    const std::string& t = e["type"].as_string();
    if (t.rfind("tool_execution", 0) == 0 ||
        (t == "message_end" && e["message"]["role"].as_string() == "toolResult"))
      types.push_back(t);
  }
  CHECK(types == std::vector<std::string>{"tool_execution_start", "tool_execution_end",
                                          "message_end", "tool_execution_start",
                                          "tool_execution_end", "message_end"});
}

TEST_CASE("a failing tool becomes an error result and the run goes on", "[agent]") {
  harness h;
  h.enqueue("explode_call");
  h.enqueue("final_text");
  auto explode = make_tool(simple_definition("explode"),
                           [](const json&, const tool_context&) -> result<tool_result> {
                             throw std::runtime_error("boom: disk on fire");
                           });
  auto o = h.options();
  o.tools = {explode};
  auto a = h.make(o);
  auto r = a->run(user_text("blow it up"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 4);
  CHECK(msgs[2]["isError"].as_bool());
  CHECK(text_of_json(msgs[2]) == "boom: disk on fire");
  bool saw_error_end = false;
  for (const auto& e : h.events)
    if (e["type"].as_string() == "tool_execution_end") saw_error_end = e["isError"].as_bool();
  CHECK(saw_error_end);
  CHECK(h.server.requests().at(1).body.find("boom: disk on fire") != std::string::npos);
}

TEST_CASE("invalid arguments reach the model, which repairs the call", "[agent]") {
  harness h;
  h.enqueue("bad_args_call");
  h.enqueue("good_args_call");
  h.enqueue("final_text");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  auto a = h.make(o);
  auto r = a->run(user_text("weather?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(r->turns == 3);
  // The handler only ever saw valid arguments.
  REQUIRE(seen.size() == 1);
  CHECK(seen[0]["city"].as_string() == "Paris");
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 6);
  CHECK(msgs[2]["isError"].as_bool());
  std::string why = text_of_json(msgs[2]);
  CHECK(why.find("Invalid arguments for tool get_weather") != std::string::npos);
  CHECK(why.find("/city") != std::string::npos);
  CHECK(why.find("42") != std::string::npos);
  CHECK_FALSE(msgs[4]["isError"].as_bool());
  CHECK(h.server.requests().at(1).body.find("Invalid arguments for tool get_weather") !=
        std::string::npos);
}

TEST_CASE("a call to a tool that does not exist lists the ones that do", "[agent]") {
  harness h;
  h.enqueue("missing_tool_call");
  h.enqueue("final_text");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  auto a = h.make(o);
  auto r = a->run(user_text("go to Mars"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 4);
  CHECK(msgs[2]["isError"].as_bool());
  CHECK(msgs[2]["toolName"].as_string() == "teleport");
  CHECK(text_of_json(msgs[2]) == "Tool teleport not found. Available tools: get_weather");
}

TEST_CASE("hooks block and rewrite tool calls, a throwing hook is an error result", "[agent]") {
  harness h;
  h.enqueue("weather_call");
  h.enqueue("weather_answer");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  std::string expected;
  SECTION("before_tool blocks") {
    o.hooks.before_tool = [](const tool_call_block& c) -> std::optional<std::string> {
      if (c.name == "get_weather") return "weather lookups are disabled here";
      return std::nullopt;
    };
    expected = "weather lookups are disabled here";
  }
  SECTION("after_tool rewrites") {
    o.hooks.after_tool = [](const tool_call_block&, tool_result& r) {
      r = text_result("rewritten by the host");
    };
    expected = "rewritten by the host";
  }
  SECTION("a hook that throws") {
    o.hooks.before_tool = [](const tool_call_block&) -> std::optional<std::string> {
      throw std::runtime_error("policy store offline");
    };
    expected = "Tool call blocked: the before_tool hook failed: policy store offline";
  }
  auto a = h.make(o);
  auto r = a->run(user_text("weather?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 4);
  CHECK(text_of_json(msgs[2]) == expected);
  CHECK(seen.size() == (o.hooks.after_tool ? 1U : 0U));
}

TEST_CASE("without a session the conversation lives in memory", "[agent]") {
  harness h;
  h.enqueue("weather_call");
  h.enqueue("weather_answer");
  h.enqueue("answer_two");
  std::vector<json> seen;
  auto o = h.options();
  o.tools = {weather_tool(seen)};
  auto a = h.make(o, /*with_session=*/false);
  auto r = a->run(user_text("weather?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  REQUIRE(a->context().size() == 4);
  auto again = a->run(user_text("thanks"));
  REQUIRE(again.has_value());
  CHECK(a->context().size() == 6);
  // The second run sent the whole history.
  CHECK(h.server.requests().at(2).body.find("and sunny") != std::string::npos);
  CHECK(h.lines().empty());  // nothing went to the (unused) session
}

TEST_CASE("a listener that throws does not stop the run or other listeners", "[agent]") {
  harness h;
  h.enqueue("final_text");
  auto o = h.options();
  h.open();
  auto a = std::make_unique<agent>(*h.router, h.sess.get(), o);
  int seen = 0;
  a->subscribe([](const agent_event&) { throw std::runtime_error("listener bug"); });
  a->subscribe([&](const agent_event&) { ++seen; });
  auto r = a->run(user_text("hi"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(seen > 5);
  CHECK(h.transcript_messages().size() == 2);
}
