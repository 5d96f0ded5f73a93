// The WebSocket control protocol's request methods that answer without running a turn
// themselves: health, status, models, config, sessions.*, and parameter validation.
#include "gateway_control_fixture.hpp"

using namespace gateway_control_test;

TEST_CASE("health, status, models.list and config.get answer without secrets", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json health = f.call(ws, "health");
  CHECK(health["payload"]["ok"] == json(true));
  json status = f.call(ws, "status");
  CHECK(status["payload"]["defaultModel"] == json("fake/m1"));
  CHECK(status["payload"]["gateway"]["authMode"] == json("token"));

  json models = f.call(ws, "models.list")["payload"]["models"];
  REQUIRE(models.size() == 1);
  CHECK(models[0]["id"] == json("m1"));
  CHECK(models[0]["provider"] == json("fake"));
  CHECK(models[0]["alias"] == json("one"));
  CHECK(models[0]["name"] == json("Model One"));
  CHECK(models[0]["contextWindow"] == json(32000));

  std::size_t before = ws->sent.size();
  json cfg = f.call(ws, "config.get");
  REQUIRE(cfg["ok"] == json(true));
  CHECK(cfg["payload"]["exists"] == json(true));
  CHECK(cfg["payload"]["config"]["models"]["providers"]["fake"]["apiKey"] == json("***"));
  CHECK(cfg["payload"]["config"]["gateway"]["auth"]["token"] == json("***"));
  CHECK(cfg["payload"]["config"]["agents"]["defaults"]["model"]["primary"] == json("fake/m1"));
  json one = f.call(ws, "config.get", json::object({{"path", "gateway.auth"}}));
  CHECK(one["payload"]["value"]["token"] == json("***"));
  for (std::size_t i = before; i < ws->sent.size(); ++i) {
    CHECK(ws->sent[i].find(token) == std::string::npos);
    CHECK(ws->sent[i].find(vendor_key) == std::string::npos);
  }
}

TEST_CASE("sessions.list, sessions.reset and sessions.delete", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  f.vendor.enqueue("answer_two");
  auto ws = f.connected();
  json one =
      f.call(ws, "chat.send",
             json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "s-1"}}));
  f.wait_chat(ws, one["payload"]["runId"].as_string(), "final");
  json two = f.call(
      ws, "chat.send",
      json::object(
          {{"sessionKey", "agent:main:side"}, {"message", "hi"}, {"idempotencyKey", "s-2"}}));
  f.wait_chat(ws, two["payload"]["runId"].as_string(), "final");

  json list = f.call(ws, "sessions.list");
  REQUIRE(list["ok"] == json(true));
  CHECK(list["payload"]["count"] == json(2));
  const json& rows = list["payload"]["sessions"];
  CHECK(rows[0]["agentId"] == json("main"));
  CHECK(rows[0]["sessionId"].is_string());
  json searched = f.call(ws, "sessions.list", json::object({{"search", "side"}}));
  REQUIRE(searched["payload"]["count"] == json(1));
  CHECK(searched["payload"]["sessions"][0]["key"] == json("agent:main:side"));

  std::string old_id =
      f.call(ws, "chat.history", json::object({{"sessionKey", "main"}}))["payload"]["sessionId"]
          .as_string();
  std::string reset_id = f.request(ws, "sessions.reset", json::object({{"key", "main"}}));
  json reset = f.wait_response(ws, reset_id);
  REQUIRE(reset["ok"] == json(true));
  CHECK(reset["payload"]["key"] == json("agent:main:main"));
  CHECK(reset["payload"]["entry"]["sessionId"] != json(old_id));
  CHECK(f.call(ws, "chat.history", json::object({{"sessionKey", "main"}}))["payload"]["messages"]
            .empty());

  json main_delete = f.call(ws, "sessions.delete", json::object({{"key", "main"}}));
  CHECK(main_delete["ok"] == json(false));
  std::string del_id = f.request(ws, "sessions.delete", json::object({{"key", "agent:main:side"}}));
  json del = f.wait_response(ws, del_id);
  CHECK(del["payload"]["deleted"] == json(true));
  CHECK(f.call(ws, "sessions.list")["payload"]["count"] == json(1));
}

TEST_CASE("bad params are INVALID_REQUEST naming the field", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json res = f.call(ws, "chat.send", json::object({{"sessionKey", "main"}, {"message", 5}}));
  CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(res["error"]["message"] == json("invalid chat.send params: message must be a string"));
  json hist = f.call(ws, "chat.history", json::object({{"sessionKey", "main"}, {"limit", 0}}));
  CHECK(hist["error"]["message"].as_string().find("limit") != std::string::npos);
  json agent = f.call(ws, "agent", json::object({{"message", "x"}, {"agentId", "nobody"}}));
  CHECK(agent["ok"] == json(false));
  CHECK(f.vendor.requests == 0);
}

TEST_CASE("sessions.compact with nothing to compact says so", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json none = f.call(ws, "sessions.compact", json::object({{"key", "main"}}));
  CHECK(none["payload"]["compacted"] == json(false));

  f.vendor.enqueue("answer_one");
  json one =
      f.call(ws, "chat.send",
             json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "c-1"}}));
  f.wait_chat(ws, one["payload"]["runId"].as_string(), "final");
  std::string id = f.request(ws, "sessions.compact", json::object({{"key", "main"}}));
  json res = f.wait_response(ws, id);
  REQUIRE(res["ok"] == json(true));
  CHECK(res["payload"]["key"] == json("agent:main:main"));
  CHECK(res["payload"]["compacted"] == json(false));  // one short exchange: nothing older to fold
}
