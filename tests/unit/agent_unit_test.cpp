// Pieces of the agent that need no network: loop detection, canonical arguments, event JSON.
#include <durar/agent.hpp>

#include <catch2/catch.hpp>

#include "agent/agent_internal.hpp"

using namespace durar;

namespace {

tool_call_block call(std::string name, json args) {
  tool_call_block c;
  c.id = "call_1";
  c.name = std::move(name);
  c.arguments = std::move(args);
  return c;
}

}  // namespace

TEST_CASE("canonical JSON sorts keys at every depth", "[agent]") {
  auto a = json::parse(R"({"b":1,"a":{"y":[{"d":1,"c":2}],"x":null}})");
  auto b = json::parse(R"({"a":{"x":null,"y":[{"c":2,"d":1}]},"b":1})");
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(detail::canonical_json(*a) == detail::canonical_json(*b));
  CHECK(detail::canonical_json(*a) == R"({"a":{"x":null,"y":[{"c":2,"d":1}]},"b":1})");
}

TEST_CASE("the loop guard fires on the limit-th identical call in a row", "[agent]") {
  detail::loop_guard guard(3);
  auto ls = call("exec", json::object({{"command", "ls"}, {"cwd", "/tmp"}}));
  auto ls_reordered = call("exec", json::object({{"cwd", "/tmp"}, {"command", "ls"}}));
  auto pwd = call("exec", json::object({{"command", "pwd"}}));
  CHECK_FALSE(guard.observe({&ls}));
  CHECK_FALSE(guard.observe({&ls_reordered}));  // same arguments in another order
  auto fired = guard.observe({&ls});
  REQUIRE(fired.has_value());
  CHECK(*fired == R"(loop detected: exec {"command":"ls","cwd":"/tmp"} 3 times)");

  detail::loop_guard other(3);
  CHECK_FALSE(other.observe({&ls, &ls}));
  CHECK_FALSE(other.observe({&pwd}));  // a different call resets the count
  CHECK_FALSE(other.observe({&ls, &ls}));
  CHECK(other.observe({&ls}).has_value());

  detail::loop_guard off(0);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(off.observe({&ls}));
}

TEST_CASE("long arguments are shortened in the loop reason", "[agent]") {
  detail::loop_guard guard(2);
  auto big = call("write", json::object({{"text", std::string(1000, 'z')}}));
  CHECK_FALSE(guard.observe({&big}));
  auto fired = guard.observe({&big});
  REQUIRE(fired.has_value());
  CHECK(fired->size() < 300);
  CHECK(fired->find("…") != std::string::npos);
}

TEST_CASE("agent events as JSON use the original's field names", "[agent]") {
  auto c = call("get_weather", json::object({{"city", "Paris"}}));
  tool_result out = error_result("no network");
  agent_event e;
  e.kind = agent_event_kind::tool_execution_end;
  e.turn = 2;
  e.tool_call = &c;
  e.tool_output = &out;
  json j = to_json(e);
  CHECK(j["type"].as_string() == "tool_execution_end");
  CHECK(j["turn"].as_int() == 2);
  CHECK(j["toolCallId"].as_string() == "call_1");
  CHECK(j["toolName"].as_string() == "get_weather");
  CHECK(j["isError"].as_bool());
  CHECK(j["result"]["content"][0]["text"].as_string() == "no network");

  e.kind = agent_event_kind::tool_execution_start;
  e.tool_output = nullptr;
  CHECK(to_json(e)["args"] == json::object({{"city", "Paris"}}));

  run_result r;
  r.stop = run_stop::loop_detected;
  r.reason = "loop detected: x {} 3 times";
  r.turns = 3;
  agent_event end;
  end.kind = agent_event_kind::agent_end;
  end.outcome = &r;
  json je = to_json(end);
  CHECK(je["stop"].as_string() == "loop_detected");
  CHECK(je["reason"].as_string() == r.reason);
  CHECK(je["messages"].is_array());
  CHECK_FALSE(je.contains("error"));

  std::vector<tool_result_message> results(1);
  results[0].tool_call_id = "call_1";
  results[0].tool_name = "get_weather";
  message assistant = assistant_message{};
  agent_event turn_end;
  turn_end.kind = agent_event_kind::turn_end;
  turn_end.msg = &assistant;
  turn_end.tool_results = &results;
  json jt = to_json(turn_end);
  CHECK(jt["message"]["role"].as_string() == "assistant");
  CHECK(jt["toolResults"][0]["toolCallId"].as_string() == "call_1");

  CHECK(to_string(agent_event_kind::compaction_end) == "compaction_end");
  CHECK(to_string(run_stop::max_turns) == "max_turns");
}
