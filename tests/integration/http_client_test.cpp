// The HTTP engine against the fake vendor server over real sockets on 127.0.0.1.
#include "http/http_client.hpp"

#include <durar/provider.hpp>
#include <durar/result.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "io_wait.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using durar::errc;
using durar::detail::http_callbacks;
using durar::detail::http_client;
using durar::detail::http_timeouts;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::run_until;

namespace {

using clock_type = std::chrono::steady_clock;

// Everything the callbacks saw, in order.
struct outcome {
  std::optional<durar::http_head> head;
  int head_calls = 0;
  bool body_before_head = false;
  std::vector<std::string> pieces;
  std::string body;
  std::optional<durar::result<void>> done;
  int complete_calls = 0;

  [[nodiscard]] bool finished() const { return complete_calls > 0; }
  [[nodiscard]] bool ok() const { return done && done->has_value(); }
  [[nodiscard]] errc code() const { return done && !*done ? done->error().code : errc::ok; }
  [[nodiscard]] std::string message() const {
    return done && !*done ? done->error().describe() : std::string();
  }
};

http_callbacks collect(outcome& o) {
  return {
      [&o](const durar::http_head& h) {
        ++o.head_calls;
        o.head = h;
      },
      [&o](std::string_view bytes) {
        if (!o.head) o.body_before_head = true;
        o.pieces.emplace_back(bytes);
        o.body += bytes;
      },
      [&o](durar::result<void> r) {
        ++o.complete_calls;
        o.done.emplace(std::move(r));
      },
  };
}

durar::http_request request(std::string method, std::string url, std::string body = {}) {
  durar::http_request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

fake_response reply(std::string body, bool chunked = true) {
  fake_response r;
  r.headers.emplace_back("Content-Type", "text/event-stream");
  r.body = std::move(body);
  r.chunked = chunked;
  return r;
}

// A port nobody listens on: bound, then closed.
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}

const std::string stream_body =
    "data: {\"delta\":\"Hello\"}\n\ndata: {\"delta\":\", world\"}\n\ndata: [DONE]\n\n";

}  // namespace

TEST_CASE("http_client: GET and POST reach the server with headers and body", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);

  fake_response json = reply(R"({"models":[]})", false);
  json.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", "req-1"}};
  server.enqueue(json);
  outcome got;
  auto get = request("GET", server.base_url() + "/v1/models?limit=2");
  get.headers = {{"Accept", "application/json"}, {"X-Custom", "abc"}};
  client.start(get, {}, collect(got));
  REQUIRE(run_until(io, [&] { return got.finished(); }));
  REQUIRE(got.ok());
  CHECK(got.head_calls == 1);
  CHECK(got.head->status == 200);
  CHECK(got.head->header("content-type") == "application/json");
  CHECK(got.head->header("x-request-id") == "req-1");
  CHECK(got.body == R"({"models":[]})");

  server.enqueue(reply("ok", false));
  outcome posted;
  auto post = request("POST", server.base_url() + "/v1/chat/completions", R"({"model":"m"})");
  post.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-test"}};
  client.start(post, {}, collect(posted));
  REQUIRE(run_until(io, [&] { return posted.finished(); }));
  REQUIRE(posted.ok());
  CHECK(client.active() == 0);

  auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == "/v1/models?limit=2");
  CHECK(seen[0].header("x-custom") == "abc");
  CHECK(seen[0].body.empty());
  CHECK(seen[1].method == "POST");
  CHECK(seen[1].target == "/v1/chat/completions");
  CHECK(seen[1].body == R"({"model":"m"})");
  CHECK(seen[1].header("content-type") == "application/json");
  CHECK(seen[1].header("authorization") == "Bearer sk-test");
  CHECK(seen[1].header("content-length") == "13");
  CHECK(seen[1].header("expect").empty());
}

TEST_CASE("http_client: a request carries nothing of the one before it", "[http]") {
  // Finished transfers' handles are reset and reused: a method, body, header or target
  // of one request must not leak into the next.
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  auto run = [&](const durar::http_request& r) {
    server.enqueue(reply("ok", false));
    outcome o;
    client.start(r, {}, collect(o));
    REQUIRE(run_until(io, [&] { return o.finished(); }));
    REQUIRE(o.ok());
  };
  auto put = request("PUT", server.base_url() + "/first", "payload");
  put.headers = {{"X-Secret-Ish", "one"}, {"Content-Type", "text/plain"}};
  run(put);
  run(request("GET", server.base_url() + "/second"));
  run(request("HEAD", server.base_url() + "/third"));
  run(request("POST", server.base_url() + "/fourth", "{}"));

  auto seen = server.requests();
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].method == "PUT");
  CHECK(seen[0].body == "payload");
  CHECK(seen[1].method == "GET");
  CHECK(seen[1].target == "/second");
  CHECK(seen[1].body.empty());
  CHECK(seen[1].header("x-secret-ish").empty());
  CHECK(seen[1].header("content-type").empty());
  CHECK(seen[1].header("content-length").empty());
  CHECK(seen[2].method == "HEAD");
  CHECK(seen[3].method == "POST");
  CHECK(seen[3].body == "{}");
  CHECK(seen[3].header("x-secret-ish").empty());
  CHECK(client.active() == 0);
}

TEST_CASE("http_client: a request leaves from start() itself, and nothing calls back inside it",
          "[http]") {
  // A pass of the loop that starts many turns (a batch of clients' requests read together)
  // must not hold every upstream request until the pass ends. On a pooled connection the
  // request is written before start() returns; the answer still comes from the loop.
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  server.enqueue(reply("warm", false));
  outcome warm;
  client.start(request("GET", server.base_url() + "/warm"), {}, collect(warm));
  REQUIRE(run_until(io, [&] { return warm.finished(); }));
  REQUIRE(warm.ok());

  server.enqueue(reply(stream_body));
  outcome got;
  bool in_handler = false;
  int calls_in_handler = 0;
  http_callbacks inner = collect(got);
  http_callbacks counted{[&](const durar::http_head& head) {
                           calls_in_handler += in_handler ? 1 : 0;
                           inner.on_head(head);
                         },
                         [&](std::string_view bytes) {
                           calls_in_handler += in_handler ? 1 : 0;
                           inner.on_body(bytes);
                         },
                         [&](durar::result<void> r) {
                           calls_in_handler += in_handler ? 1 : 0;
                           inner.on_complete(std::move(r));
                         }};
  bool sent_in_handler = false;
  asio::post(io, [&] {
    in_handler = true;
    client.start(request("POST", server.base_url() + "/one", "{}"), {}, counted);
    sent_in_handler = server.wait_for_requests(2, std::chrono::seconds(5));
    in_handler = false;
  });
  REQUIRE(run_until(
      io, [&] { return got.finished(); }, std::chrono::seconds(20)));
  CHECK(sent_in_handler);
  CHECK(calls_in_handler == 0);
  REQUIRE(got.ok());
  CHECK(got.body == stream_body);
  CHECK(got.head_calls == 1);
  CHECK_FALSE(got.body_before_head);
  CHECK(client.active() == 0);
}

TEST_CASE("http_client: a stream split at every byte arrives whole and in order", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  auto r = reply(stream_body);
  r.split_every = 1;
  server.enqueue(r);
  outcome got;
  client.start(request("POST", server.base_url() + "/stream", "{}"), {}, collect(got));
  REQUIRE(run_until(io, [&] { return got.finished(); }));
  REQUIRE(got.ok());
  CHECK_FALSE(got.body_before_head);
  CHECK(got.head_calls == 1);
  CHECK(got.head->header("transfer-encoding") == "chunked");
  CHECK(got.body == stream_body);
  CHECK(got.pieces.size() > 1);
}

TEST_CASE("http_client: chunked and Content-Length responses, large bodies both ways", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < big.size(); i += 101) big[i] = static_cast<char>('a' + i % 26);

  for (bool chunked : {true, false}) {
    server.enqueue(reply(big, chunked));
    outcome got;
    client.start(request("POST", server.base_url() + "/big", big), {}, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    REQUIRE(got.ok());
    CHECK(got.head->header(chunked ? "transfer-encoding" : "content-length") ==
          (chunked ? "chunked" : std::to_string(big.size())));
    CHECK(got.body == big);
  }
  auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].body == big);  // no "Expect: 100-continue" stall on a large upload
  CHECK(seen[1].body == big);
}

TEST_CASE("http_client: sequential requests reuse one connection", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  for (int i = 0; i < 3; ++i) {
    server.enqueue(reply("r" + std::to_string(i), i % 2 == 0));
    outcome got;
    client.start(request("GET", server.base_url() + "/x"), {}, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    REQUIRE(got.ok());
    CHECK(got.body == "r" + std::to_string(i));
  }
  CHECK(server.connections() == 1);
}

TEST_CASE("http_client: ten concurrent requests on one io_context all complete", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  std::multiset<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    auto r = reply("body-" + std::to_string(i));
    r.split_every = 3;
    server.enqueue(r);
    expected.insert(r.body);
  }
  std::vector<outcome> got(10);
  for (auto& o : got) client.start(request("GET", server.base_url() + "/c"), {}, collect(o));
  CHECK(client.active() == 10);
  REQUIRE(run_until(io, [&] {
    return std::all_of(got.begin(), got.end(), [](const outcome& o) { return o.finished(); });
  }));
  std::multiset<std::string> bodies;
  for (auto& o : got) {
    CHECK(o.ok());
    CHECK(o.complete_calls == 1);
    bodies.insert(o.body);
  }
  CHECK(bodies == expected);
  CHECK(client.active() == 0);
}

TEST_CASE("http_client: a burst's connections are kept for the next burst", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  constexpr int burst = 32;
  for (int wave = 0; wave < 2; ++wave) {
    for (int i = 0; i < burst; ++i) {  // answers one after another, as under real load
      auto r = reply("b");
      r.delay_headers = std::chrono::milliseconds(2 * i);
      server.enqueue(r);
    }
    std::vector<outcome> got(burst);
    for (auto& o : got) client.start(request("GET", server.base_url() + "/w"), {}, collect(o));
    REQUIRE(run_until(io, [&] {
      return std::all_of(got.begin(), got.end(), [](const outcome& o) { return o.finished(); });
    }));
    for (auto& o : got) CHECK(o.ok());
  }
  // The first burst opened one connection per request; none was closed as it wound down,
  // so the second reused them all (libcurl's default pool shrinks with the transfers left).
  CHECK(server.connections() == burst);
}

TEST_CASE("http_client: cancelling one request leaves the other running", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  auto stalled = reply(stream_body);
  stalled.stall_after = 10;
  server.enqueue(stalled);
  auto slow = reply(stream_body);
  slow.delay_headers = 200ms;
  slow.split_every = 7;
  server.enqueue(slow);

  asio::cancellation_signal cancel_a;
  outcome a;
  outcome b;
  client.start(request("POST", server.base_url() + "/a", "{}"), {}, collect(a), cancel_a.slot());
  REQUIRE(run_until(io, [&] { return a.body.size() == 10; }));
  client.start(request("POST", server.base_url() + "/b", "{}"), {}, collect(b));
  REQUIRE(run_until(io, [&] { return server.requests().size() == 2; }));

  const auto emitted = clock_type::now();
  cancel_a.emit(asio::cancellation_type::terminal);
  REQUIRE(run_until(io, [&] { return a.finished(); }));
  CHECK(clock_type::now() - emitted < 1s);
  CHECK(a.code() == errc::cancelled);
  CHECK(a.body == stream_body.substr(0, 10));

  REQUIRE(run_until(io, [&] { return b.finished(); }));
  CHECK(b.ok());
  CHECK(b.body == stream_body);
  cancel_a.emit(asio::cancellation_type::terminal);  // after completion: nothing happens
  io.poll();
  CHECK(a.complete_calls == 1);
}

TEST_CASE("http_client: idle timeout fires on a stalled stream", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  auto r = reply(stream_body);
  r.stall_after = 12;
  r.split_every = 4;
  server.enqueue(r);
  outcome got;
  http_timeouts t;
  t.idle = 200ms;
  const auto started = clock_type::now();
  client.start(request("POST", server.base_url() + "/stall", "{}"), t, collect(got));
  REQUIRE(run_until(io, [&] { return got.finished(); }));
  CHECK(got.code() == errc::deadline_exceeded);
  CHECK_THAT(got.message(), Catch::Contains("idle timeout: no data for 200 ms"));
  CHECK(got.body == stream_body.substr(0, 12));
  CHECK(clock_type::now() - started >= 200ms);
}

TEST_CASE("http_client: total timeout and connect timeout are told apart", "[http]") {
  asio::io_context io;
  http_client client(io);

  SECTION("total") {
    fake_vendor_server server;
    auto r = reply("late");
    r.delay_headers = 5s;
    server.enqueue(r);
    outcome got;
    http_timeouts t;
    t.total = 200ms;
    client.start(request("GET", server.base_url() + "/slow"), t, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    CHECK(got.code() == errc::deadline_exceeded);
    CHECK_THAT(got.message(), Catch::Contains("total timeout"));
    CHECK_FALSE(got.head);
  }
  SECTION("connect") {
    // A listener with a full accept queue drops further SYNs, so connecting hangs.
    asio::io_context aux;
    asio::ip::tcp::acceptor listener(aux);
    asio::ip::tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
    listener.open(local.protocol());
    listener.bind(local);
    listener.listen(0);
    asio::ip::tcp::socket filler(aux);
    filler.connect(listener.local_endpoint());
    outcome got;
    http_timeouts t;
    t.connect = 200ms;
    const auto url = "http://127.0.0.1:" + std::to_string(listener.local_endpoint().port());
    client.start(request("GET", url + "/"), t, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    CHECK(got.code() == errc::deadline_exceeded);
    CHECK_THAT(got.message(), Catch::Contains("connect timeout"));
  }
}

TEST_CASE("http_client: refused, reset and truncated connections", "[http]") {
  asio::io_context io;
  http_client client(io);

  SECTION("connection refused") {
    outcome got;
    client.start(request("GET", "http://127.0.0.1:" + std::to_string(closed_port()) + "/"), {},
                 collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    CHECK(got.code() == errc::unavailable);
    CHECK_FALSE(got.head);
  }
  SECTION("reset mid-stream keeps the bytes before it") {
    fake_vendor_server server;
    auto r = reply(stream_body);
    r.split_every = 5;
    r.reset_after = 20;
    server.enqueue(r);
    outcome got;
    client.start(request("POST", server.base_url() + "/r", "{}"), {}, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    CHECK(got.code() == errc::unavailable);
    CHECK(got.head_calls == 1);
    CHECK(got.body == stream_body.substr(0, 20));
  }
  SECTION("reset before headers") {
    fake_vendor_server server;
    fake_response r;
    r.reset_before_headers = true;
    server.enqueue(r);
    outcome got;
    client.start(request("POST", server.base_url() + "/r", "{}"), {}, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    CHECK(got.code() == errc::unavailable);
    CHECK(got.head_calls == 0);
  }
  SECTION("connection closed inside a chunked body") {
    fake_vendor_server server;
    auto r = reply(stream_body);
    r.close_after = 15;
    server.enqueue(r);
    outcome got;
    client.start(request("POST", server.base_url() + "/t", "{}"), {}, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    CHECK_FALSE(got.ok());
    CHECK(got.code() == errc::unavailable);
    CHECK(got.body == stream_body.substr(0, 15));
  }
  SECTION("connection closed short of Content-Length") {
    fake_vendor_server server;
    auto r = reply(stream_body, false);
    r.close_after = 15;
    server.enqueue(r);
    outcome got;
    client.start(request("POST", server.base_url() + "/t", "{}"), {}, collect(got));
    REQUIRE(run_until(io, [&] { return got.finished(); }));
    CHECK(got.code() == errc::unavailable);
    CHECK(got.body == stream_body.substr(0, 15));
  }
  CHECK(client.active() == 0);
}

TEST_CASE("http_client: statuses are reported, redirects are not followed", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  server.enqueue(durar::test::error_response(429, R"({"error":"slow down"})", 7));
  fake_response redirect;
  redirect.status = 302;
  redirect.headers = {{"Location", "/elsewhere"}};
  server.enqueue(redirect);

  outcome limited;
  client.start(request("POST", server.base_url() + "/x", "{}"), {}, collect(limited));
  REQUIRE(run_until(io, [&] { return limited.finished(); }));
  REQUIRE(limited.ok());
  CHECK(limited.head->status == 429);
  CHECK(limited.head->header("retry-after") == "7");
  CHECK(limited.body == R"({"error":"slow down"})");

  outcome moved;
  client.start(request("GET", server.base_url() + "/y"), {}, collect(moved));
  REQUIRE(run_until(io, [&] { return moved.finished(); }));
  REQUIRE(moved.ok());
  CHECK(moved.head->status == 302);
  CHECK(moved.head->header("location") == "/elsewhere");
  CHECK(server.requests().size() == 2);
}
