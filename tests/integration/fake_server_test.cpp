// The fake vendor server itself, driven by a raw blocking client so its framing and faults
// are checked byte for byte, independently of libcurl.
#include <catch2/catch.hpp>

#include "fake_http_wire.hpp"
#include "fake_vendor_server.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::parse_request;
using durar::test::parsed_request;

namespace {

// A blocking TCP client whose every read is bounded by a deadline.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads until `done(received)` holds, the peer closes, or 5 s pass.
  template <class Done>
  std::string read_until(Done&& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done(received_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        last_errno_ = n < 0 ? errno : 0;
        closed_ = true;
        break;
      }
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return received_;
  }
  std::string read_to_end() {
    return read_until([](const std::string&) { return false; });
  }

  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] int last_errno() const { return last_errno_; }

 private:
  int fd_;
  std::string received_;
  bool closed_ = false;
  int last_errno_ = 0;
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("fake server: parses requests split at every byte", "[http][fake_server]") {
  const std::string wire =
      "POST /v1/x?y=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
      "X-Folded: a\r\n b\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n"
      "GET /next HTTP/1.1\r\n\r\n";
  const auto first_end = wire.find("GET /next");
  for (std::size_t cut = 0; cut < first_end; ++cut)
    CHECK(parse_request(std::string_view(wire).substr(0, cut)).status ==
          parsed_request::state::need_more);
  auto p = parse_request(wire);
  REQUIRE(p.status == parsed_request::state::done);
  CHECK(p.consumed == first_end);
  CHECK(p.request.method == "POST");
  CHECK(p.request.target == "/v1/x?y=1");
  CHECK(p.request.header("x-folded") == "a b");
  CHECK(p.request.body == "hello world");
  auto next = parse_request(std::string_view(wire).substr(first_end));
  REQUIRE(next.status == parsed_request::state::done);
  CHECK(next.request.target == "/next");

  CHECK(parse_request("BROKEN\r\n\r\n").status == parsed_request::state::bad);
  CHECK(parse_request("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n").status ==
        parsed_request::state::bad);
  CHECK(parse_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").status ==
        parsed_request::state::bad);
}

TEST_CASE("fake server: keep-alive serves queued responses in order", "[http][fake_server]") {
  fake_vendor_server server;
  fake_response first;
  first.body = "first";
  first.chunked = false;
  fake_response second;
  second.body = "second";
  server.enqueue(first);
  server.enqueue(second);

  raw_client c(server.port());
  c.send(
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nX-Key: v\r\n\r\nabc"
      "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "2\r\nde\r\n1\r\nf\r\n0\r\n\r\n");
  auto text = c.read_to_end();
  CHECK(c.closed());
  CHECK(contains(text, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"));
  CHECK(contains(text, "Transfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n"));
  CHECK(text.find("first") < text.find("second"));

  REQUIRE(server.wait_for_requests(2, 5s));
  auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].target == "/a");
  CHECK(seen[0].body == "abc");
  CHECK(seen[0].header("x-key") == "v");
  CHECK(seen[1].target == "/b");
  CHECK(seen[1].body == "def");
  CHECK(server.connections() == 1);
}

TEST_CASE("fake server: 599 when nothing is queued, 400 for garbage", "[http][fake_server]") {
  fake_vendor_server server;
  CHECK_FALSE(server.wait_for_requests(1, 20ms));
  {
    raw_client c(server.port());
    c.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    auto text = c.read_to_end();
    CHECK(text.starts_with("HTTP/1.1 599 "));
    CHECK(contains(text, "Content-Type: application/json"));
    CHECK(contains(text, "no response queued"));
  }
  {
    raw_client c(server.port());
    c.send("NONSENSE\r\n\r\n");
    CHECK(c.read_to_end().starts_with("HTTP/1.1 400 "));
  }
  CHECK(server.connections() == 2);
  CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("fake server: response helpers", "[http][fake_server]") {
  auto limited = durar::test::error_response(429, R"({"error":"slow"})", 3);
  CHECK(limited.status == 429);
  CHECK_FALSE(limited.chunked);
  CHECK(limited.headers == std::vector<std::pair<std::string, std::string>>{
                               {"Content-Type", "application/json"}, {"Retry-After", "3"}});
  CHECK(durar::test::error_response(500, "{}").headers.size() == 1);

  durar::test::temp_dir dir;
  for (auto [name, type] :
       {std::pair{"a.sse", "text/event-stream"}, std::pair{"b.ndjson", "application/x-ndjson"},
        std::pair{"c.json", "application/json"}}) {
    auto r = durar::test::recorded(dir.write(name, "data: 1\n\n"));
    CHECK(r.status == 200);
    CHECK(r.body == "data: 1\n\n");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].second == type);
  }
  CHECK_THROWS(durar::test::recorded(dir.path / "missing.sse"));
}

TEST_CASE("fake server: split, delayed and truncated bodies on the wire", "[http][fake_server]") {
  fake_vendor_server server;
  fake_response split;
  split.body = "abcdefgh";
  split.split_every = 3;
  server.enqueue(split);
  fake_response truncated;
  truncated.body = "0123456789";
  truncated.chunked = false;
  truncated.close_after = 4;
  truncated.delay_headers = 30ms;
  server.enqueue(truncated);

  raw_client c(server.port());
  c.send("GET /split HTTP/1.1\r\n\r\n");
  auto text = c.read_until([](const std::string& s) { return s.ends_with("0\r\n\r\n"); });
  CHECK(contains(text, "\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n2\r\ngh\r\n0\r\n\r\n"));

  const auto sent = std::chrono::steady_clock::now();
  c.send("GET /truncated HTTP/1.1\r\n\r\n");
  text = c.read_to_end();
  CHECK(std::chrono::steady_clock::now() - sent >= 30ms);
  CHECK(c.closed());
  CHECK(c.last_errno() == 0);  // FIN, not RST
  CHECK(text.ends_with("Content-Length: 10\r\n\r\n0123"));
}

TEST_CASE("fake server: resets and stalls", "[http][fake_server]") {
  fake_vendor_server server;
  fake_response early;
  early.reset_before_headers = true;
  server.enqueue(early);
  fake_response mid;
  mid.body = "0123456789";
  mid.reset_after = 6;
  server.enqueue(mid);
  fake_response stall;
  stall.body = "0123456789";
  stall.stall_after = 2;
  server.enqueue(stall);

  {
    raw_client c(server.port());
    c.send("GET /early HTTP/1.1\r\n\r\n");
    CHECK(c.read_to_end().empty());
    CHECK(c.last_errno() == ECONNRESET);
  }
  {
    raw_client c(server.port());
    c.send("GET /mid HTTP/1.1\r\n\r\n");
    auto text = c.read_to_end();
    CHECK(text.ends_with("\r\n\r\n6\r\n012345\r\n"));
    CHECK(c.last_errno() == ECONNRESET);
  }
  raw_client c(server.port());
  c.send("GET /stall HTTP/1.1\r\n\r\n");
  auto text = c.read_until([](const std::string& s) { return s.ends_with("2\r\n01\r\n"); });
  CHECK(text.ends_with("2\r\n01\r\n"));
  CHECK_FALSE(c.closed());
  // Leaving scope destroys the server with this connection still stalled: it must not hang.
}

TEST_CASE("fake server: answers Expect: 100-continue", "[http][fake_server]") {
  fake_vendor_server server;
  fake_response r;
  r.body = "done";
  server.enqueue(r);
  raw_client c(server.port());
  c.send("POST /up HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto text = c.read_until([](const std::string& s) { return s.ends_with("\r\n\r\n"); });
  CHECK(text == "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("body");
  text = c.read_until([](const std::string& s) { return s.ends_with("0\r\n\r\n"); });
  CHECK(contains(text, "HTTP/1.1 200 OK"));
  REQUIRE(server.wait_for_requests(1, 5s));
  CHECK(server.requests()[0].body == "body");
}
