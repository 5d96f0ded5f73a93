// The WebSocket control protocol's runs: chat.send and agent turns, their streamed events,
// idempotency, aborts, timeouts and failures, and runs outliving their connection.
#include "gateway_control_fixture.hpp"

using namespace gateway_control_test;

TEST_CASE("chat.send answers started, streams deltas and a final, and the history shows it",
          "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  auto ws = f.connected();
  std::string id = f.request(
      ws, "chat.send",
      json::object({{"sessionKey", "main"}, {"message", "hello"}, {"idempotencyKey", "idem-1"}}));
  auto res = ws->responses(id);
  REQUIRE(res.size() == 1);
  REQUIRE(res[0]["ok"] == json(true));
  CHECK(res[0]["payload"]["status"] == json("started"));
  std::string run_id = res[0]["payload"]["runId"].as_string();

  json final_event = f.wait_chat(ws, run_id, "final");
  CHECK(final_event["sessionKey"] == json("agent:main:main"));
  CHECK(text_of_message(final_event["message"]) == "First answer.");
  CHECK(final_event["message"]["role"] == json("assistant"));
  CHECK(final_event["stopReason"] == json("stop"));
  CHECK(final_event["usage"]["output"] == json(12));

  std::string streamed;
  bool saw_response = false;
  std::uint64_t agent_seq = 0;
  std::vector<std::string> streams;
  for (const auto& fr : ws->frames()) {
    if (fr["type"] == json("res") && fr["id"] == json(id)) saw_response = true;
    if (fr["type"] != json("event")) continue;
    const json& p = fr["payload"];
    if (fr["event"] == json("chat") && p["state"] == json("delta")) {
      CHECK(saw_response);  // the runId is known before any event carries it
      streamed += p["deltaText"].as_string();
      CHECK(text_of_message(p["message"]) == streamed);
    }
    if (fr["event"] == json("agent")) {
      CHECK(saw_response);
      CHECK(p["runId"] == json(run_id));
      CHECK(p["sessionKey"] == json("agent:main:main"));
      CHECK(p["seq"].as_uint() == ++agent_seq);
      streams.push_back(p["stream"].as_string() + ":" + p["data"].string_or("phase"));
    }
  }
  CHECK(streamed == "First answer.");
  REQUIRE(streams.size() >= 3);
  CHECK(streams.front() == "lifecycle:start");
  CHECK(streams.back() == "lifecycle:end");
  CHECK(std::find(streams.begin(), streams.end(), "assistant:") != streams.end());

  json history = f.call(ws, "chat.history", json::object({{"sessionKey", "main"}, {"limit", 10}}));
  REQUIRE(history["ok"] == json(true));
  const json& msgs = history["payload"]["messages"];
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0]["role"] == json("user"));
  CHECK(text_of_message(msgs[0]) == "hello");
  CHECK(text_of_message(msgs[1]) == "First answer.");
  CHECK(history["payload"]["sessionKey"] == json("agent:main:main"));
  CHECK_FALSE(history["payload"]["sessionId"].as_string().empty());

  json limited = f.call(ws, "chat.history", json::object({{"sessionKey", "main"}, {"limit", 1}}));
  CHECK(limited["payload"]["messages"].size() == 1);
}

TEST_CASE("agent answers accepted and then the result on the same id", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_two");
  auto ws = f.connected();
  std::string id =
      f.request(ws, "agent", json::object({{"message", "hi"}, {"idempotencyKey", "a-1"}}));
  auto first = ws->responses(id);
  REQUIRE(first.size() == 1);
  CHECK(first[0]["payload"]["status"] == json("accepted"));
  CHECK(first[0]["payload"]["acceptedAt"].is_integer());
  std::string run_id = first[0]["payload"]["runId"].as_string();

  json fin = f.wait_response(ws, id, 2);
  REQUIRE(fin["ok"] == json(true));
  const json& p = fin["payload"];
  CHECK(p["runId"] == json(run_id));
  CHECK(p["status"] == json("ok"));
  REQUIRE(p["result"]["payloads"].size() == 1);
  CHECK_FALSE(p["result"]["payloads"][0]["text"].as_string().empty());
  CHECK(p["result"]["meta"]["durationMs"].is_integer());
  CHECK(p["result"]["meta"]["agentMeta"]["provider"] == json("fake"));
  CHECK(p["result"]["meta"]["agentMeta"]["model"] == json("m1"));
  CHECK_FALSE(p["result"]["meta"]["agentMeta"]["sessionId"].as_string().empty());

  // The same key again: the cached result, without another call to the model.
  std::string again =
      f.request(ws, "agent", json::object({{"message", "hi"}, {"idempotencyKey", "a-1"}}));
  auto repeat = ws->responses(again);
  REQUIRE(repeat.size() == 1);
  CHECK(repeat[0]["payload"]["runId"] == json(run_id));
  CHECK(repeat[0]["payload"]["status"] == json("ok"));
  CHECK(f.vendor.requests == 1);
}

TEST_CASE("a repeated idempotencyKey returns the same runId and runs once", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  auto ws = f.connected();
  json params =
      json::object({{"sessionKey", "main"}, {"message", "hello"}, {"idempotencyKey", "same"}});
  json first = f.call(ws, "chat.send", params);
  json second = f.call(ws, "chat.send", params);
  std::string run_id = first["payload"]["runId"].as_string();
  CHECK(second["payload"]["runId"] == json(run_id));
  CHECK(second["payload"]["status"] == json("in_flight"));
  f.wait_chat(ws, run_id, "final");
  json third = f.call(ws, "chat.send", params);
  CHECK(third["payload"]["runId"] == json(run_id));
  CHECK(third["payload"]["status"] == json("ok"));
  CHECK(f.vendor.requests == 1);
}

TEST_CASE("chat.abort on an idle session aborts nothing", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json res = f.call(ws, "chat.abort", json::object({{"sessionKey", "main"}}));
  REQUIRE(res["ok"] == json(true));
  CHECK(res["payload"] ==
        json::object({{"ok", true}, {"aborted", false}, {"runIds", json::array()}}));
}

TEST_CASE("chat.abort stops a running turn, which ends with an aborted chat event", "[gateway]") {
  fixture f;
  f.vendor.enqueue("partial_text", true);
  auto ws = f.connected();
  json started =
      f.call(ws, "chat.send",
             json::object(
                 {{"sessionKey", "main"}, {"message", "tell me"}, {"idempotencyKey", "abort-1"}}));
  std::string run_id = started["payload"]["runId"].as_string();
  f.wait_chat(ws, run_id, "delta");  // the model is mid-answer and stays there
  json res = f.call(ws, "chat.abort", json::object({{"sessionKey", "main"}, {"runId", run_id}}));
  CHECK(res["payload"]["aborted"] == json(true));
  CHECK(res["payload"]["runIds"] == json::array({run_id}));
  json aborted = f.wait_chat(ws, run_id, "aborted");
  CHECK(aborted["sessionKey"] == json("agent:main:main"));
}

TEST_CASE("a closed connection's run goes on and its events reach only the others", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  auto a = f.connected();
  auto b = f.connected();
  json started = f.call(
      a, "chat.send",
      json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "close-1"}}));
  std::string run_id = started["payload"]["runId"].as_string();
  a->close(1000, "bye");
  f.h.on_close(a, 1000);
  std::size_t a_frames = a->sent.size();
  json fin = f.wait_chat(b, run_id, "final");
  CHECK(text_of_message(fin["message"]) == "First answer.");
  CHECK(a->sent.size() == a_frames);
  CHECK(a->sends_after_close == 0);  // not even attempted
  CHECK(f.server->client_count() == 1);
  CHECK(b->events("presence").size() == 1);  // a left
}

TEST_CASE("a failing model ends the run with an error event and an error result", "[gateway]") {
  fixture f;  // nothing queued: the vendor answers an empty stream
  auto ws = f.connected();
  std::string id = f.request(
      ws, "agent",
      json::object({{"message", "hi"}, {"sessionKey", "main"}, {"idempotencyKey", "e-1"}}));
  std::string run_id = ws->responses(id)[0]["payload"]["runId"].as_string();
  json fin = f.wait_response(ws, id, 2);
  CHECK(fin["ok"] == json(false));
  CHECK(fin["payload"]["runId"] == json(run_id));
  CHECK(fin["payload"]["status"] == json("error"));
  CHECK_FALSE(fin["error"]["message"].as_string().empty());
  json err = f.wait_chat(ws, run_id, "error");
  CHECK_FALSE(err["errorMessage"].as_string().empty());
  bool lifecycle_error = false;
  for (const auto& e : ws->events("agent"))
    lifecycle_error |= e["payload"]["stream"] == json("lifecycle") &&
                       e["payload"]["data"]["phase"] == json("error");
  CHECK(lifecycle_error);
}

TEST_CASE("timeoutMs aborts a stalled turn as a timeout", "[gateway]") {
  fixture f;
  f.vendor.enqueue("partial_text", true);
  auto ws = f.connected();
  json started = f.call(ws, "chat.send",
                        json::object({{"sessionKey", "main"},
                                      {"message", "tell me"},
                                      {"timeoutMs", 50},
                                      {"idempotencyKey", "t-1"}}));
  json err = f.wait_chat(ws, started["payload"]["runId"].as_string(), "error");
  CHECK(err["errorMessage"] == json("agent run timed out"));
}

TEST_CASE("sessions.reset stops a running turn first", "[gateway]") {
  fixture f;
  f.vendor.enqueue("partial_text", true);
  auto ws = f.connected();
  json started = f.call(
      ws, "chat.send",
      json::object({{"sessionKey", "main"}, {"message", "tell me"}, {"idempotencyKey", "r-1"}}));
  std::string run_id = started["payload"]["runId"].as_string();
  f.wait_chat(ws, run_id, "delta");
  std::string id = f.request(ws, "sessions.reset", json::object({{"key", "main"}}));
  json reset = f.wait_response(ws, id);
  CHECK(reset["ok"] == json(true));
  f.wait_chat(ws, run_id, "aborted");
  CHECK(f.state->runs.active() == 0);
}

TEST_CASE("agent and chat.send take sampling fields and refuse bad ones", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_two");
  auto ws = f.connected();
  json hot =
      f.call(ws, "agent",
             json::object({{"message", "hi"}, {"idempotencyKey", "s-1"}, {"temperature", 5}}));
  CHECK(hot["ok"] == json(false));
  CHECK(hot["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(hot["error"]["message"].as_string().find("invalid agent params: temperature") !=
        std::string::npos);
  json none = f.call(ws, "chat.send",
                     json::object({{"sessionKey", "main"},
                                   {"message", "hi"},
                                   {"idempotencyKey", "s-2"},
                                   {"maxTokens", 0}}));
  CHECK(none["ok"] == json(false));
  CHECK(none["error"]["message"].as_string().find("maxTokens") != std::string::npos);
  CHECK(f.vendor.requests == 0);

  std::string id = f.request(ws, "agent",
                             json::object({{"message", "hi"},
                                           {"idempotencyKey", "s-3"},
                                           {"maxTokens", 64},
                                           {"temperature", 0.5},
                                           {"topP", 0.9}}));
  json fin = f.wait_response(ws, id, 2);
  CHECK(fin["ok"] == json(true));
  CHECK(fin["payload"]["status"] == json("ok"));
  CHECK(f.vendor.requests == 1);
}
