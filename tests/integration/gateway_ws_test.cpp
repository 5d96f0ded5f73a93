// The gateway's listener over real sockets on 127.0.0.1, WebSocket side: the upgrade,
// framing and closing, and HTTP and WebSocket bytes split or scrambled on one port.
#include "gateway_server_fixture.hpp"

using namespace gateway_server_test;

namespace {

std::string ws_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                     bool mask = true) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  const unsigned char m = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    f += static_cast<char>(m | payload.size());
  } else if (payload.size() < 65536) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  }
  const char key[4] = {0x1f, 0x2e, 0x3d, 0x4c};
  if (mask) {
    f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
      f += static_cast<char>(payload[i] ^ key[i % 4]);
  } else {
    f.append(payload);
  }
  return f;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xff);
  p.append(reason);
  return p;
}

struct frame {
  int opcode = -1;
  bool fin = false;
  std::string payload;
  [[nodiscard]] int close_code() const {
    if (payload.size() < 2) return 0;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
  }
};

std::optional<frame> read_frame(raw_client& c) {
  if (!c.wait_bytes(2)) return std::nullopt;
  auto& b = c.buffer();
  frame f;
  f.fin = (static_cast<unsigned char>(b[0]) & 0x80) != 0;
  f.opcode = static_cast<unsigned char>(b[0]) & 0x0f;
  if (static_cast<unsigned char>(b[1]) & 0x80) return std::nullopt;  // servers never mask
  std::size_t len = static_cast<unsigned char>(b[1]) & 0x7f;
  std::size_t header = 2;
  if (len == 126) {
    if (!c.wait_bytes(4)) return std::nullopt;
    len = (static_cast<unsigned char>(b[2]) << 8) | static_cast<unsigned char>(b[3]);
    header = 4;
  } else if (len == 127) {
    if (!c.wait_bytes(10)) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(b[2 + i]);
    header = 10;
  }
  if (!c.wait_bytes(header + len)) return std::nullopt;
  c.take(header);
  f.payload = c.take(len);
  return f;
}

constexpr std::string_view rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";

std::string upgrade_request(std::string_view path = "/ws", std::string_view version = "13") {
  return "GET " + std::string(path) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: keep-alive, "
         "Upgrade\r\nSec-WebSocket-Key: " +
         std::string(rfc_key) + "\r\nSec-WebSocket-Version: " + std::string(version) + "\r\n\r\n";
}

// A server whose WebSockets echo text and record their lifecycle.
struct ws_fixture {
  recorder events;
  std::unique_ptr<server_fixture> server;

  explicit ws_fixture(http_server_options options = {}) {
    ws_handlers ws;
    ws.accept = [](const http_request& r) -> std::optional<int> {
      if (r.path == "/refuse") return 401;
      return std::nullopt;
    };
    ws.on_open = [this](const std::shared_ptr<ws_connection>& c) {
      events.add("open " + c->upgrade_request().path);
    };
    ws.on_text = [](const std::shared_ptr<ws_connection>& c, std::string text) {
      c->send_text("echo:" + text);
    };
    ws.on_close = [this](const std::shared_ptr<ws_connection>&, std::uint16_t code) {
      events.add("close " + std::to_string(code));
    };
    server = std::make_unique<server_fixture>(std::move(options), echo, std::move(ws));
  }

  // Connects and completes the opening handshake.
  std::unique_ptr<raw_client> open() {
    auto c = std::make_unique<raw_client>(server->port());
    c->send(upgrade_request());
    auto r = read_response(*c);
    REQUIRE(r);
    REQUIRE(r->status == 101);
    REQUIRE(events.wait_for("open /ws"));
    return c;
  }
};

}  // namespace

// ---- WebSocket

TEST_CASE("gateway server: WebSocket handshake and masked text echo", "[gateway][server]") {
  ws_fixture f;
  raw_client c(f.server->port());
  c.send(upgrade_request());
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 101);
  CHECK(lower(r->headers["upgrade"]) == "websocket");
  CHECK(r->headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 1.3
  REQUIRE(f.events.wait_for("open /ws"));

  c.send(ws_frame(0x1, "hello"));
  auto m = read_frame(c);
  REQUIRE(m);
  CHECK(m->opcode == 0x1);
  CHECK(m->fin);
  CHECK(m->payload == "echo:hello");

  std::string big(70000, 'z');  // 64-bit length form both ways
  c.send(ws_frame(0x1, big));
  m = read_frame(c);
  REQUIRE(m);
  CHECK(m->payload == "echo:" + big);
}

TEST_CASE("gateway server: WebSocket fragments, ping and the close handshake",
          "[gateway][server]") {
  ws_fixture f;
  auto c = f.open();
  // A message in three fragments with a ping between them.
  c->send(ws_frame(0x1, "Hel", false) + ws_frame(0x9, "p1") + ws_frame(0x0, "lo ", false));
  c->send(ws_frame(0x0, "world", true));
  auto pong = read_frame(*c);
  REQUIRE(pong);
  CHECK(pong->opcode == 0xA);
  CHECK(pong->payload == "p1");
  auto m = read_frame(*c);
  REQUIRE(m);
  CHECK(m->payload == "echo:Hello world");

  c->send(ws_frame(0x8, close_payload(1000, "done")));
  auto closing = read_frame(*c);
  REQUIRE(closing);
  CHECK(closing->opcode == 0x8);
  CHECK(closing->close_code() == 1000);
  CHECK(c->wait_eof());
  REQUIRE(f.events.wait_for("close 1000"));
  CHECK(f.events.count("close 1000") == 1);
}

TEST_CASE("gateway server: WebSocket protocol violations close with their codes",
          "[gateway][server]") {
  http_server_options o;
  o.max_ws_message_bytes = 1024;
  ws_fixture f(o);
  struct violation {
    std::string bytes;
    int code;
  };
  const std::vector<violation> cases = {
      {ws_frame(0x1, std::string("ok \xff\xfe", 5)), 1007},  // invalid UTF-8
      {ws_frame(0x1, std::string(2000, 'a')), 1009},         // over the message limit
      {ws_frame(0x1, std::string(600, 'a'), false) +         // ... also when fragmented
           ws_frame(0x0, std::string(600, 'a')),
       1009},
      {ws_frame(0x2, "bin"), 1003},                    // binary
      {ws_frame(0x1, "unmasked", true, false), 1002},  // clients must mask
  };
  for (const auto& v : cases) {
    auto c = f.open();
    c->send(v.bytes);
    auto closing = read_frame(*c);
    REQUIRE(closing);
    CHECK(closing->opcode == 0x8);
    CHECK(closing->close_code() == v.code);
    c->send(ws_frame(0x8, close_payload(static_cast<std::uint16_t>(v.code))));
    CHECK(c->wait_eof());
    REQUIRE(f.events.wait_for("close " + std::to_string(v.code)));
  }
}

TEST_CASE("gateway server: a WebSocket over its send buffer closes with 1008",
          "[gateway][server]") {
  http_server_options o;
  o.max_ws_buffered_bytes = 100;
  ws_fixture f(o);
  auto c = f.open();
  c->send(ws_frame(0x1, "short"));
  auto m = read_frame(*c);
  REQUIRE(m);
  CHECK(m->payload == "echo:short");
  c->send(ws_frame(0x1, std::string(150, 'q')));  // the echo would not fit
  auto closing = read_frame(*c);
  REQUIRE(closing);
  CHECK(closing->opcode == 0x8);
  CHECK(closing->close_code() == 1008);
  c->send(ws_frame(0x8, close_payload(1008)));
  CHECK(c->wait_eof());
  REQUIRE(f.events.wait_for("close 1008"));
}

TEST_CASE("gateway server: refused and malformed upgrades", "[gateway][server]") {
  ws_fixture f;
  {
    raw_client c(f.server->port());
    c.send(upgrade_request("/refuse"));
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(c.wait_eof());
  }
  {
    raw_client c(f.server->port());
    c.send(upgrade_request("/ws", "8"));
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 426);
    CHECK(r->headers["sec-websocket-version"] == "13");
  }
  CHECK(f.events.count("open /ws") == 0);
}

TEST_CASE("gateway server: stop closes WebSockets with 1001", "[gateway][server]") {
  ws_fixture f;
  auto c = f.open();
  raw_client idle(f.server->port());
  idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(read_response(idle));
  f.server->on_io([&] { f.server->server->stop(); });
  CHECK(f.events.count("close 1001") == 1);  // reported during stop()
  auto closing = read_frame(*c);
  REQUIRE(closing);
  CHECK(closing->opcode == 0x8);
  CHECK(closing->close_code() == 1001);
  c->send(ws_frame(0x8, close_payload(1001)));
  CHECK(c->wait_eof());
  CHECK(idle.wait_eof());
  CHECK_THROWS_AS(raw_client{f.server->port()}, std::runtime_error);  // nobody listens
}

// ---- robustness

TEST_CASE("gateway server: requests and frames split at every byte", "[gateway][server]") {
  ws_fixture f;
  {
    raw_client c(f.server->port());
    const std::string wire =
        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        "GET /b?q HTTP/1.1\r\nHost: x\r\n\r\n";
    for (char ch : wire) c.send(std::string(1, ch));
    auto first = read_response(c);
    auto second = read_response(c);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->body == "POST /a ? [abc] - 127.0.0.1 loopback");
    CHECK(second->body == "GET /b ?q [] - 127.0.0.1 loopback");
  }
  {
    raw_client c(f.server->port());
    const std::string wire = upgrade_request() + ws_frame(0x1, "split", false) + ws_frame(0x9, "") +
                             ws_frame(0x0, " up");
    for (char ch : wire) c.send(std::string(1, ch));
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 101);
    auto pong = read_frame(c);
    REQUIRE(pong);
    CHECK(pong->opcode == 0xA);
    auto m = read_frame(c);
    REQUIRE(m);
    CHECK(m->payload == "echo:split up");
  }
}

TEST_CASE("gateway server: random bytes never bring it down", "[gateway][server]") {
  http_server_options o;
  o.header_timeout = 100ms;
  o.idle_timeout = 100ms;
  o.max_header_bytes = 2048;
  ws_fixture f(o);
  std::uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  const std::string valid = "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  for (int i = 0; i < 60; ++i) {
    std::string wire;
    if (i % 3 == 0) {  // noise
      auto n = next() % 300;
      for (std::size_t k = 0; k < n; ++k) wire += static_cast<char>(next() & 0xff);
    } else if (i % 3 == 1) {  // a valid request with a few bytes flipped
      wire = valid;
      for (int k = 0; k < 3; ++k) wire[next() % wire.size()] = static_cast<char>(next() & 0xff);
    } else {  // a WebSocket with noise after the handshake
      wire = upgrade_request();
      auto n = next() % 200;
      for (std::size_t k = 0; k < n; ++k) wire += static_cast<char>(next() & 0xff);
    }
    raw_client c(f.server->port());
    c.send(wire);
    c.send("\r\n\r\n");
    // An answer, a close, or silence (a WebSocket waiting for the rest of a frame).
    while (c.read_more(300ms)) {
    }
  }
  // Still serving.
  raw_client c(f.server->port());
  c.send("GET /alive HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
}
