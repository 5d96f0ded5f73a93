// The gateway's listener over real sockets on 127.0.0.1: HTTP/1.1 framing, limits and
// timeouts, streamed responses, client disconnects, and WebSocket framing and closing.
// The client side is a small blocking socket with bounded waits, so the bytes on the wire
// are exactly what the test wrote.
#include <durar/result.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include "gateway/http_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using durar::gateway_detail::http_request;
using durar::gateway_detail::http_responder;
using durar::gateway_detail::http_server;
using durar::gateway_detail::http_server_options;
using durar::gateway_detail::ws_connection;
using durar::gateway_detail::ws_handlers;

namespace {

constexpr auto wait_limit = 5s;

// A blocking client socket; every read waits at most wait_limit.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect");
    }
  }
  ~raw_client() { close(); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may have closed: the reads will tell
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // One more read into the buffer; false on timeout or EOF.
  bool read_more(std::chrono::milliseconds limit = wait_limit) {
    if (eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    char tmp[16384];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  bool wait_for(std::string_view needle) {
    auto until = std::chrono::steady_clock::now() + wait_limit;
    while (buf_.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until || !read_more()) return false;
    }
    return true;
  }
  bool wait_bytes(std::size_t n) {
    auto until = std::chrono::steady_clock::now() + wait_limit;
    while (buf_.size() < n) {
      if (std::chrono::steady_clock::now() > until || !read_more()) return false;
    }
    return true;
  }
  // Reads until the server closes; false if it does not within the limit.
  bool wait_eof() {
    auto until = std::chrono::steady_clock::now() + wait_limit;
    while (!eof_) {
      if (std::chrono::steady_clock::now() > until) return false;
      if (!read_more() && !eof_) return false;
    }
    return true;
  }
  std::string take(std::size_t n) {
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  std::string& buffer() { return buf_; }
  [[nodiscard]] bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

struct response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one response: Content-Length, chunked, or up to EOF.
std::optional<response> read_response(raw_client& c) {
  if (!c.wait_for("\r\n\r\n")) return std::nullopt;
  auto end = c.buffer().find("\r\n\r\n");
  std::string head = c.take(end + 4);
  response r;
  r.status = std::stoi(head.substr(9, 3));
  std::size_t pos = head.find("\r\n") + 2;
  while (pos < head.size() - 2) {
    auto eol = head.find("\r\n", pos);
    auto line = head.substr(pos, eol - pos);
    auto colon = line.find(':');
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(line.substr(0, colon))] = value;
    pos = eol + 2;
  }
  if (r.status < 200 || r.status == 204 || r.status == 304) return r;
  if (auto cl = r.headers.find("content-length"); cl != r.headers.end()) {
    auto n = std::stoul(cl->second);
    if (!c.wait_bytes(n)) return std::nullopt;
    r.body = c.take(n);
  } else if (r.headers.count("transfer-encoding")) {
    for (;;) {
      if (!c.wait_for("\r\n")) return std::nullopt;
      auto size = std::stoul(c.take(c.buffer().find("\r\n") + 2), nullptr, 16);
      if (!c.wait_bytes(size + 2)) return std::nullopt;
      r.body += c.take(size);
      c.take(2);
      if (size == 0) break;
    }
  } else {
    c.wait_eof();
    r.body = c.take(c.buffer().size());
  }
  return r;
}

// What the handlers saw, for the test thread to wait on.
struct recorder {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> log;
  void add(std::string s) {
    std::lock_guard lock(m);
    log.push_back(std::move(s));
    cv.notify_all();
  }
  bool wait_for(const std::string& s) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, wait_limit,
                       [&] { return std::find(log.begin(), log.end(), s) != log.end(); });
  }
  std::size_t count(const std::string& s) {
    std::lock_guard lock(m);
    return static_cast<std::size_t>(std::count(log.begin(), log.end(), s));
  }
};

struct with_io_t {};
constexpr with_io_t with_io;

// The server on its own io thread, as in the gateway.
struct server_fixture {
  asio::io_context io;
  std::unique_ptr<http_server> server;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;

  server_fixture(http_server_options options, durar::gateway_detail::http_handler handler,
                 ws_handlers ws = {})
      : server_fixture(
            with_io, std::move(options), [h = std::move(handler)](asio::io_context&) { return h; },
            std::move(ws)) {}
  // For handlers that need the io_context (timers, posts).
  server_fixture(with_io_t, http_server_options options,
                 const std::function<durar::gateway_detail::http_handler(asio::io_context&)>& make,
                 ws_handlers ws = {}) {
    server = std::make_unique<http_server>(io, std::move(options), make(io), std::move(ws));
    auto listening = server->listen();
    REQUIRE(listening.has_value());
    guard.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
  }
  ~server_fixture() {
    run_on_io([this] { server->stop(); });  // no REQUIRE in a destructor
    guard.reset();
    io.stop();
    thread.join();
    server.reset();
  }
  server_fixture(const server_fixture&) = delete;
  server_fixture& operator=(const server_fixture&) = delete;

  [[nodiscard]] std::uint16_t port() const { return server->port(); }

  // Runs f on the io thread and waits for it (bounded).
  bool run_on_io(std::function<void()> f) {
    auto done = std::make_shared<std::promise<void>>();
    auto ready = done->get_future();
    asio::post(io, [f = std::move(f), done] {
      f();
      done->set_value();
    });
    return ready.wait_for(wait_limit) == std::future_status::ready;
  }
  void on_io(std::function<void()> f) { REQUIRE(run_on_io(std::move(f))); }
};

// Answers "<method> <path> ?<query> [<body>] <x-test header> <peer>".
void echo(http_request req, std::shared_ptr<http_responder> res) {
  std::string text = req.method + " " + req.path + " ?" + req.query + " [" + req.body + "] " +
                     std::string(req.header("x-test").value_or("-")) + " " + req.remote_address +
                     (req.remote_is_loopback ? " loopback" : "");
  res->respond(200, {{"Content-Type", "text/plain"}, {"X-Seen", req.target}}, std::move(text));
}

// ---- WebSocket client side

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

// ---- HTTP

TEST_CASE("gateway server: GET and POST round trip", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  c.send("GET /hello%20there?a=1&b=%20 HTTP/1.1\r\nHost: x\r\nX-Test:  yes  \r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "GET /hello there ?a=1&b=%20 [] yes 127.0.0.1 loopback");
  CHECK(r->headers["content-length"] == std::to_string(r->body.size()));
  CHECK(r->headers["content-type"] == "text/plain");
  CHECK(r->headers["x-seen"] == "/hello%20there?a=1&b=%20");

  c.send("POST /v1/thing HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
  r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /v1/thing ? [hello world] - 127.0.0.1 loopback");
}

TEST_CASE("gateway server: keep-alive serves two requests on one connection", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  for (int i = 0; i < 2; ++i) {
    c.send("GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->body.rfind("GET /n" + std::to_string(i) + " ", 0) == 0);
    CHECK(r->headers.count("connection") == 0);
  }
  CHECK_FALSE(c.eof());
}

TEST_CASE("gateway server: pipelined requests are answered in order", "[gateway][server]") {
  // The first request is answered only when the test says so, after the second arrived.
  recorder events;
  std::shared_ptr<http_responder> held;  // io thread only
  server_fixture s({}, [&](http_request req, std::shared_ptr<http_responder> res) {
    events.add("handler " + req.path);
    if (req.path == "/slow")
      held = std::move(res);
    else
      res->respond(200, {}, "fast");
  });
  raw_client c(s.port());
  c.send(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /fast HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 2\r\n\r\nhi");
  REQUIRE(events.wait_for("handler /slow"));
  CHECK(events.count("handler /fast") == 0);  // one request at a time
  s.on_io([&] {
    held->respond(200, {}, "slow");
    held.reset();
  });
  auto first = read_response(c);
  auto second = read_response(c);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->body == "slow");
  CHECK(second->body == "fast");
}

TEST_CASE("gateway server: chunked request bodies are reassembled", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  c.send(
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
      "6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /c ? [hello world] - 127.0.0.1 loopback");
}

TEST_CASE("gateway server: Expect 100-continue", "[gateway][server]") {
  http_server_options o;
  o.max_body_bytes = 100;
  server_fixture s(o, echo);
  {
    raw_client c(s.port());
    c.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    auto interim = read_response(c);
    REQUIRE(interim);
    CHECK(interim->status == 100);
    c.send("abcde");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "POST /e ? [abcde] - 127.0.0.1 loopback");
  }
  {
    // Too large: refused before the client sends a byte of the body.
    raw_client c(s.port());
    c.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nExpect: 100-continue\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(c.wait_eof());
  }
}

TEST_CASE("gateway server: bodies over the limit get 413", "[gateway][server]") {
  http_server_options o;
  o.max_body_bytes = 100;
  server_fixture s(o, echo);
  {
    raw_client c(s.port());
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->headers["connection"] == "close");
    CHECK(c.wait_eof());
  }
  {
    raw_client c(s.port());
    std::string chunk(80, 'x');
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + chunk +
           "\r\n50\r\n" + chunk + "\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(c.wait_eof());
  }
}

TEST_CASE("gateway server: headers over the limit get 431", "[gateway][server]") {
  http_server_options o;
  o.max_header_bytes = 1024;
  server_fixture s(o, echo);
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 431);
  CHECK(c.wait_eof());
}

TEST_CASE("gateway server: garbage gets 400 and the connection closes", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  constexpr char noise[] = "\x16\x03\x01\x02\x00 garbage\r\n\r\n";
  c.send(std::string_view(noise, sizeof noise - 1));
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(c.wait_eof());

  // Request smuggling shape: both Content-Length and chunked.
  raw_client d(s.port());
  d.send(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n");
  r = read_response(d);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(d.wait_eof());
}

TEST_CASE("gateway server: HTTP/1.0 closes after the response", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  c.send("GET /old HTTP/1.0\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(c.wait_eof());
}

TEST_CASE("gateway server: Connection close from the handler is honoured", "[gateway][server]") {
  server_fixture s({}, [](http_request, std::shared_ptr<http_responder> res) {
    res->respond(200, {{"Connection", "close"}}, "bye");
  });
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->body == "bye");
  CHECK(r->headers["connection"] == "close");
  CHECK(c.wait_eof());
}

TEST_CASE("gateway server: a dropped responder answers 500", "[gateway][server]") {
  server_fixture s({}, [](http_request, std::shared_ptr<http_responder>) {});
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 500);
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");  // and the connection still serves
  r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 500);
}

TEST_CASE("gateway server: streamed responses use chunked encoding", "[gateway][server]") {
  server_fixture s(with_io, {}, [](asio::io_context& io) {
    return [&io](http_request req, std::shared_ptr<http_responder> res) {
      if (req.path != "/stream") {
        res->respond(200, {}, "plain");
        return;
      }
      res->start_stream(200, {{"Content-Type", "text/event-stream"}});
      res->write("data: 1\n\n");
      res->write("");  // an empty write must not end the body
      // The rest comes later, from the io_context, as a run's events do.
      asio::post(io, [res] {
        res->write("data: 2\n\n");
        res->end();
        res->write("late");  // after end(): ignored
      });
    };
  });
  raw_client c(s.port());
  c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["transfer-encoding"] == "chunked");
  CHECK(r->headers.count("content-length") == 0);
  CHECK(r->body == "data: 1\n\ndata: 2\n\n");
  c.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");  // keep-alive after a stream
  r = read_response(c);
  REQUIRE(r);
  CHECK(r->body == "plain");
}

TEST_CASE("gateway server: a client leaving mid-stream triggers on_disconnect once",
          "[gateway][server]") {
  recorder events;
  std::shared_ptr<http_responder> held;  // io thread only
  server_fixture s({}, [&](http_request, std::shared_ptr<http_responder> res) {
    res->start_stream(200, {{"Content-Type", "text/event-stream"}});
    res->on_disconnect([&] { events.add("disconnect"); });
    res->write("first");
    held = std::move(res);
  });
  {
    raw_client c(s.port());
    c.send("GET /run HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(c.wait_for("first"));
  }  // closed here, response still open
  REQUIRE(events.wait_for("disconnect"));
  s.on_io([&] {
    CHECK_FALSE(held->open());
    held->write("nobody hears this");
    held->end();
    held.reset();
  });
  CHECK(events.count("disconnect") == 1);
}

TEST_CASE("gateway server: a slow request header gets 408 and a close", "[gateway][server]") {
  http_server_options o;
  o.header_timeout = 200ms;
  server_fixture s(o, echo);
  raw_client c(s.port());
  auto started = std::chrono::steady_clock::now();
  c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  REQUIRE(c.wait_eof());
  CHECK(std::chrono::steady_clock::now() - started >= 150ms);
  CHECK(c.buffer().rfind("HTTP/1.1 408 ", 0) == 0);
}

TEST_CASE("gateway server: a slow request body gets 408 and a close", "[gateway][server]") {
  http_server_options o;
  o.body_timeout = 200ms;
  server_fixture s(o, echo);
  raw_client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  REQUIRE(c.wait_eof());
  CHECK(c.buffer().rfind("HTTP/1.1 408 ", 0) == 0);
}

TEST_CASE("gateway server: idle keep-alive connections are closed", "[gateway][server]") {
  http_server_options o;
  o.idle_timeout = 200ms;
  server_fixture s(o, echo);
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  REQUIRE(c.wait_eof());
  CHECK(c.buffer().empty());  // closed quietly, no 408
}

TEST_CASE("gateway server: a port in use is reported by name", "[gateway][server]") {
  server_fixture s({}, echo);
  asio::io_context io2;
  http_server_options o;
  o.port = s.port();
  http_server second(io2, o, echo, {});
  auto r = second.listen();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == durar::errc::unavailable);
  CHECK(r.error().message ==
        "port " + std::to_string(s.port()) + " on 127.0.0.1 is already in use");

  http_server_options bad;
  bad.host = "not-an-address";
  http_server third(io2, bad, echo, {});
  auto r3 = third.listen();
  REQUIRE_FALSE(r3.has_value());
  CHECK(r3.error().code == durar::errc::invalid_argument);
}

TEST_CASE("gateway server: connections beyond max_connections are closed", "[gateway][server]") {
  http_server_options o;
  o.max_connections = 1;
  server_fixture s(o, echo);
  raw_client first(s.port());
  first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(read_response(first));  // accepted and counted
  raw_client second(s.port());
  CHECK(second.wait_eof());
  std::size_t count = 0;
  s.on_io([&] { count = s.server->connection_count(); });
  CHECK(count == 1);
}

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
