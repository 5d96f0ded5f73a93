// The WebSocket control protocol, connection side: the challenge, connect and its auth,
// protocol and origin checks, framing errors, event numbering, scopes and shutdown.
#include "gateway/control_frames.hpp"
#include "gateway_control_fixture.hpp"

using namespace gateway_control_test;

TEST_CASE("the server speaks first with connect.challenge, which has no seq", "[gateway]") {
  fixture f;
  auto ws = f.open();
  REQUIRE(ws->sent.size() == 1);
  json ch = parse(ws->sent[0]);
  CHECK(ch["type"] == json("event"));
  CHECK(ch["event"] == json("connect.challenge"));
  CHECK(ch["payload"]["nonce"].is_string());
  CHECK(ch["payload"]["ts"].is_integer());
  CHECK_FALSE(ch.contains("seq"));
}

TEST_CASE("connect answers hello-ok with protocol, features, snapshot, auth and policy",
          "[gateway]") {
  fixture f;
  auto ws = f.open();
  json res = f.call(ws, "connect", f.connect_params(json::array({"operator.read"})));
  REQUIRE(res["ok"] == json(true));
  const json& p = res["payload"];
  CHECK(p["type"] == json("hello-ok"));
  CHECK(p["protocol"] == json(3));
  CHECK(p["server"]["version"].is_string());
  CHECK_FALSE(p["server"]["connId"].as_string().empty());
  auto has = [](const json& list, const char* name) {
    for (const auto& v : list.as_array())
      if (v == json(name)) return true;
    return false;
  };
  for (const char* m : {"health", "status", "agent", "chat.send", "chat.history", "chat.abort",
                        "sessions.list", "sessions.reset", "models.list", "config.get"})
    CHECK(has(p["features"]["methods"], m));
  for (const char* e : {"agent", "chat", "tick", "presence", "shutdown", "health"})
    CHECK(has(p["features"]["events"], e));
  CHECK(p["snapshot"]["presence"].is_array());
  CHECK(p["snapshot"]["health"]["ok"] == json(true));
  CHECK(p["snapshot"]["stateVersion"]["presence"].is_integer());
  CHECK(p["snapshot"]["uptimeMs"].is_integer());
  CHECK(p["snapshot"]["sessionDefaults"]["mainSessionKey"] == json("agent:main:main"));
  CHECK(p["auth"]["role"] == json("operator"));
  CHECK(p["auth"]["scopes"] == json::array({"operator.read"}));
  CHECK(p["policy"]["tickIntervalMs"] == json(30000));
  CHECK(p["policy"]["maxPayload"].as_int() > 0);
  CHECK(p["policy"]["maxBufferedBytes"].as_int() > 0);
  CHECK(f.server->client_count() == 1);

  SECTION("a client speaking only protocol 4 gets 4") {
    auto ws4 = f.open();
    json r4 = f.call(ws4, "connect", f.connect_params(nullptr, 4, 4));
    CHECK(r4["payload"]["protocol"] == json(4));
    // No scopes asked: the holder of the shared secret gets all of them.
    CHECK(r4["payload"]["auth"]["scopes"].size() == 3);
  }
}

TEST_CASE("a first request other than connect is refused and the socket closed with 1008",
          "[gateway]") {
  fixture f;
  auto ws = f.open();
  json res = f.call(ws, "health");
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(res["error"]["message"] == json("invalid handshake: first request must be connect"));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1008));

  auto garbage = f.open();
  f.h.on_text(garbage, "not json");
  CHECK(garbage->close_code == std::optional<std::uint16_t>(1008));
}

TEST_CASE("a protocol range without 3 or 4 fails with PROTOCOL_MISMATCH and 1002 before auth",
          "[gateway]") {
  fixture f;
  auto ws = f.open();
  // The secret is wrong too: the protocol is checked first.
  json res = f.call(ws, "connect", f.connect_params(nullptr, 1, 2, "wrong"));
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["details"]["code"] == json("PROTOCOL_MISMATCH"));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1002));
}

TEST_CASE("a wrong or missing token fails with the original's message and 1008", "[gateway]") {
  fixture f;
  auto ws = f.open();
  json res = f.call(ws, "connect", f.connect_params(nullptr, 3, 3, "not-the-token"));
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["message"] == json("unauthorized: gateway token mismatch"));
  CHECK(res["error"]["details"]["code"] == json("AUTH_TOKEN_MISMATCH"));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1008));
  CHECK(ws->sent.back().find(token) == std::string::npos);

  auto ws2 = f.open();
  json p = f.connect_params();
  p.erase("auth");
  json res2 = f.call(ws2, "connect", p);
  CHECK(res2["error"]["details"]["code"] == json("AUTH_TOKEN_MISSING"));
  CHECK(ws2->close_code == std::optional<std::uint16_t>(1008));
  CHECK(f.server->client_count() == 0);
}

TEST_CASE("connect shares the HTTP throttle and says how long the lockout lasts", "[gateway]") {
  fixture f;
  auto now = std::chrono::steady_clock::now();
  f.state->auth.set_clock([&] { return now; });
  // Connects without any secret are not guesses: they never lock anyone out.
  for (int i = 0; i < 8; ++i) {
    auto ws = f.open();
    json p = f.connect_params();
    p.erase("auth");
    CHECK(f.call(ws, "connect", p)["error"]["details"]["code"] == json("AUTH_TOKEN_MISSING"));
  }
  for (int i = 0; i < 5; ++i) {
    auto ws = f.open();
    json res = f.call(ws, "connect", f.connect_params(nullptr, 3, 3, "not-the-token"));
    CHECK(res["error"]["details"]["code"] == json("AUTH_TOKEN_MISMATCH"));
  }
  now += std::chrono::milliseconds(250);
  auto ws = f.open();
  json res = f.call(ws, "connect", f.connect_params());
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["details"]["code"] == json("AUTH_RATE_LIMITED"));
  CHECK(res["error"]["retryable"] == json(true));
  CHECK(res["error"]["retryAfterMs"] == json(750));
  now += std::chrono::milliseconds(750);
  auto ok = f.open();
  CHECK(f.call(ok, "connect", f.connect_params())["ok"] == json(true));
}

TEST_CASE("a frame over 64 KiB before connect closes the socket", "[gateway]") {
  fixture f;
  auto ws = f.open();
  json p = f.connect_params();
  p.set("pad", std::string(70 * 1024, 'x'));
  f.send(ws, json::object({{"type", "req"}, {"id", "1"}, {"method", "connect"}, {"params", p}}));
  CHECK(ws->close_code.has_value());
  CHECK(ws->sent.size() == 1);  // the challenge only
}

TEST_CASE("unknown methods and bad frames fail and leave the socket open", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json res = f.call(ws, "no.such.method");
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(res["error"]["message"].as_string().find("no.such.method") != std::string::npos);
  CHECK(ws->open());

  f.h.on_text(ws, "{broken");
  json bad = parse(ws->sent.back());
  CHECK(bad["ok"] == json(false));
  CHECK(bad["id"] == json("invalid"));
  CHECK(ws->open());

  CHECK(f.call(ws, "health")["ok"] == json(true));
  CHECK(f.call(ws, "connect", f.connect_params())["ok"] == json(false));
  CHECK(ws->open());
}

TEST_CASE("event seq is per connection, starts at 1 and counts ticks", "[gateway]") {
  fixture f(std::chrono::milliseconds(20));
  auto a = f.connected();
  auto b = f.connected();  // a sees a presence event for b
  f.server->broadcast("health", json::object({{"ok", true}}));
  REQUIRE(
      f.run_until([&] { return a->events("tick").size() >= 2 && b->events("tick").size() >= 2; }));
  for (const auto& ws : {a, b}) {
    std::uint64_t expect = 1;
    for (const auto& fr : ws->frames()) {
      if (fr["type"] != json("event") || fr["event"] == json("connect.challenge")) continue;
      CHECK(fr["seq"].as_uint() == expect);
      ++expect;
    }
    CHECK(expect >= 3);
    CHECK(ws->events("tick")[0]["payload"]["ts"].is_integer());
  }
  CHECK(a->events("presence").size() == 1);
  CHECK(b->events("presence").empty());
}

TEST_CASE("read-only clients may read but not write", "[gateway]") {
  fixture f;
  auto ws = f.connected(json::array({"operator.read"}));
  json res =
      f.call(ws, "chat.send",
             json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "k"}}));
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["code"] == json("FORBIDDEN"));
  CHECK(res["error"]["message"] == json("missing scope: operator.write"));
  CHECK(f.call(ws, "chat.history", json::object({{"sessionKey", "main"}}))["ok"] == json(true));
  CHECK(f.vendor.requests == 0);

  auto writer = f.connected(json::array({"operator.write"}));
  CHECK(f.call(writer, "sessions.list")["ok"] == json(true));  // write implies read
}

TEST_CASE("browser origins must be loopback or allowed", "[gateway]") {
  fixture f(std::chrono::seconds(30), {"https://control.example.com"});
  auto with_origin = [](std::string origin) {
    gateway_detail::http_request r;
    r.method = "GET";
    r.remote_address = "127.0.0.1";
    if (!origin.empty()) r.headers.emplace_back("origin", std::move(origin));
    return r;
  };
  CHECK_FALSE(f.h.accept(with_origin("")).has_value());  // not a browser
  CHECK_FALSE(f.h.accept(with_origin("http://localhost:5173")).has_value());
  CHECK_FALSE(f.h.accept(with_origin("http://127.0.0.1:18789")).has_value());
  CHECK_FALSE(f.h.accept(with_origin("http://[::1]:8080")).has_value());
  CHECK_FALSE(f.h.accept(with_origin("https://control.example.com")).has_value());
  CHECK(f.h.accept(with_origin("https://evil.example")) == std::optional<int>(403));
  CHECK(f.h.accept(with_origin("http://127.0.0.1.evil.example")) == std::optional<int>(403));
  CHECK(f.h.accept(with_origin("null")) == std::optional<int>(403));
}

TEST_CASE("shutdown tells every client and closes with 1012 on restart", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  auto pending = f.open();  // not handshaken: closed without the event
  f.server->shutdown("restarting", true);
  auto ev = ws->events("shutdown");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0]["payload"]["reason"] == json("restarting"));
  CHECK(ev[0]["payload"]["restartExpectedMs"].is_integer());
  CHECK(ev[0]["seq"] == json(1));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1012));
  CHECK(pending->close_code == std::optional<std::uint16_t>(1012));
  CHECK(pending->events("shutdown").empty());

  fixture g;
  auto other = g.connected();
  g.server->shutdown("bye", false);
  CHECK(other->close_code == std::optional<std::uint16_t>(1001));
}

TEST_CASE("a request frame without params reads whole (params become an empty object)",
          "[gateway]") {
  // Regression: reading "params" through a mutable [] inserted it and moved "method", which
  // was then read after it was freed (ASan, a non-connect first frame).
  auto f =
      durar::gateway_detail::parse_request_frame(R"({"type":"req","id":"h1","method":"health"})");
  REQUIRE(f.request);
  CHECK(f.request->method == "health");
  CHECK(f.request->id == "h1");
  CHECK(f.request->params == json::object());
}
