// The HTTP engine's contract with its callers: callbacks that throw, re-enter or outlive
// the client, and credentials that never reach an error message or a trace.
#include <durar/provider.hpp>
#include <durar/result.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "http/http_client.hpp"
#include "io_wait.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

using namespace std::chrono_literals;
using durar::errc;
using durar::detail::http_callbacks;
using durar::detail::http_client;
using durar::detail::http_timeouts;
using durar::detail::redact_http;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::run_until;

namespace {

durar::http_request request(std::string method, std::string url, std::string body = {}) {
  durar::http_request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

fake_response reply(std::string body) {
  fake_response r;
  r.body = std::move(body);
  return r;
}

const std::string canary = "sk-canary-7f3a9c";

}  // namespace

TEST_CASE("redact_http masks credentials in headers and URLs", "[http]") {
  CHECK(redact_http("Authorization: Bearer sk-1") == "Authorization: ***");
  CHECK(redact_http("authorization:Bearer sk-1\r\nAccept: */*\r\n") ==
        "authorization:***\r\nAccept: */*\r\n");
  CHECK(redact_http("X-Api-Key: abc\nx-goog-api-key:  def\n") ==
        "X-Api-Key: ***\nx-goog-api-key:  ***\n");
  CHECK(redact_http("> X-API-KEY: abc") == "> X-API-KEY: ***");
  CHECK(redact_http("Proxy-Authorization: Basic Zm9v") == "Proxy-Authorization: ***");
  CHECK(redact_http("Content-Type: application/json") == "Content-Type: application/json");
  CHECK(redact_http("my-x-api-key: visible") == "my-x-api-key: visible");
  CHECK(redact_http("Authorization:") == "Authorization:");
  CHECK(redact_http("GET /v1beta/models?key=AIza123&alt=sse HTTP/1.1") ==
        "GET /v1beta/models?key=***&alt=sse HTTP/1.1");
  CHECK(redact_http("https://h/p?alt=sse&key=AIza123") == "https://h/p?alt=sse&key=***");
  CHECK(redact_http("https://h/p?monkey=1&KEY=x#frag") == "https://h/p?monkey=1&KEY=***#frag");
  CHECK(redact_http("https://user:pass@host/p") == "https://***@host/p");
  CHECK(redact_http("https://host/p?q=a@b") == "https://host/p?q=a@b");
  CHECK(redact_http("") == "");
}

TEST_CASE("http_client: a throwing callback becomes an internal error", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);

  auto r = reply("data: 1\n\ndata: 2\n\n");
  r.split_every = 4;
  server.enqueue(r);
  std::optional<durar::result<void>> done;
  int bodies = 0;
  http_callbacks cb;
  cb.on_body = [&](std::string_view) {
    ++bodies;
    throw std::runtime_error("decoder exploded");
  };
  cb.on_complete = [&](durar::result<void> res) { done.emplace(std::move(res)); };
  client.start(request("POST", server.base_url() + "/a", "{}"), {}, cb);
  REQUIRE(run_until(io, [&] { return done.has_value(); }));
  REQUIRE_FALSE(*done);
  CHECK(done->error().code == errc::internal);
  CHECK_THAT(done->error().message, Catch::Contains("decoder exploded"));
  CHECK(bodies == 1);

  // A throwing on_head and on_complete must not hurt the client either.
  server.enqueue(reply("x"));
  server.enqueue(reply("y"));
  bool completed = false;
  http_callbacks bad;
  bad.on_head = [](const durar::http_head&) { throw 42; };
  bad.on_complete = [&](durar::result<void> res) {
    completed = true;
    CHECK(res.error().code == errc::internal);
    throw std::logic_error("ignored");
  };
  client.start(request("GET", server.base_url() + "/b"), {}, bad);
  REQUIRE(run_until(io, [&] { return completed; }));
  std::string body;
  std::optional<durar::result<void>> last;
  client.start(request("GET", server.base_url() + "/c"), {},
               {nullptr, [&](std::string_view b) { body += b; },
                [&](durar::result<void> res) { last.emplace(std::move(res)); }});
  REQUIRE(run_until(io, [&] { return last.has_value(); }));
  CHECK(*last);
  CHECK(body == "y");
}

TEST_CASE("http_client: start() works from inside callbacks", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  http_client client(io);
  server.enqueue(durar::test::error_response(503, R"({"error":"overloaded"})"));
  server.enqueue(reply("retried"));
  auto stream = reply("aaaa");
  stream.split_every = 1;
  server.enqueue(stream);
  server.enqueue(reply("nested"));

  // A retry from on_complete, as the router does.
  std::string retried_body;
  std::optional<durar::result<void>> retried;
  http_callbacks second{nullptr, [&](std::string_view b) { retried_body += b; },
                        [&](durar::result<void> r) { retried.emplace(std::move(r)); }};
  int status = 0;
  client.start(request("POST", server.base_url() + "/1", "{}"), {},
               {[&](const durar::http_head& h) { status = h.status; }, nullptr,
                [&](durar::result<void>) {
                  client.start(request("POST", server.base_url() + "/2", "{}"), {}, second);
                }});
  REQUIRE(run_until(io, [&] { return retried.has_value(); }));
  CHECK(status == 503);
  CHECK(*retried);
  CHECK(retried_body == "retried");

  // A request started from on_body, while libcurl is on the stack.
  bool started_inner = false;
  std::string inner_body;
  std::optional<durar::result<void>> inner;
  std::optional<durar::result<void>> outer;
  client.start(request("GET", server.base_url() + "/3"), {},
               {nullptr,
                [&](std::string_view) {
                  if (started_inner) return;
                  started_inner = true;
                  client.start(request("GET", server.base_url() + "/4"), {},
                               {nullptr, [&](std::string_view b) { inner_body += b; },
                                [&](durar::result<void> r) { inner.emplace(std::move(r)); }});
                },
                [&](durar::result<void> r) { outer.emplace(std::move(r)); }});
  REQUIRE(run_until(io, [&] { return inner.has_value() && outer.has_value(); }));
  CHECK(*outer);
  CHECK(*inner);
  CHECK(inner_body == "nested");
  CHECK(client.active() == 0);
}

TEST_CASE("http_client: destruction cancels without calling back", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  auto stalled = reply("data: partial");
  stalled.stall_after = 4;
  // By path: the two requests may reach the server in either order.
  server.respond_with(
      [stalled](const durar::test::recorded_request& r) -> std::optional<fake_response> {
        if (r.target == "/a") return stalled;
        return reply("unused");
      });
  int completions = 0;
  std::string body;
  {
    http_client client(io);
    client.start(request("POST", server.base_url() + "/a", "{}"), {},
                 {nullptr, [&](std::string_view b) { body += b; },
                  [&](durar::result<void>) { ++completions; }});
    client.start(request("GET", server.base_url() + "/b"), {},
                 {nullptr, nullptr, [&](durar::result<void>) { ++completions; }});
    REQUIRE(run_until(io, [&] { return body.size() == 4 && completions == 1; }));
    CHECK(client.active() == 1);
  }
  io.restart();
  io.poll();
  CHECK(completions == 1);
}

TEST_CASE("http_client: a client may be destroyed from any of its callbacks", "[http]") {
  fake_vendor_server server;
  asio::io_context io;
  auto stream = reply("data: 1\n\ndata: 2\n\n");
  stream.split_every = 2;
  server.enqueue(stream);
  server.enqueue(stream);  // for the request running alongside
  auto client = std::make_unique<http_client>(io);
  int calls_after = 0;
  auto destroy = [&] {
    if (client)
      client.reset();
    else
      ++calls_after;
  };
  http_callbacks cb;
  SECTION("on_head") {
    cb.on_head = [&](const durar::http_head&) { destroy(); };
  }
  SECTION("on_body") {
    cb.on_body = [&](std::string_view) { destroy(); };
  }
  SECTION("on_complete") {
    cb.on_complete = [&](durar::result<void>) { destroy(); };
  }
  if (!cb.on_body) cb.on_body = [&](std::string_view) { calls_after += client ? 0 : 1; };
  if (!cb.on_complete) cb.on_complete = [&](durar::result<void>) { ++calls_after; };
  int other_calls = 0;
  client->start(request("GET", server.base_url() + "/other"), {},
                {nullptr, nullptr, [&](durar::result<void>) { ++other_calls; }});
  client->start(request("GET", server.base_url() + "/"), {}, cb);
  REQUIRE(run_until(io, [&] { return client == nullptr; }));
  io.restart();
  io.poll();
  CHECK(calls_after == 0);
  CHECK(other_calls <= 1);
}

TEST_CASE("http_client: invalid requests fail through on_complete", "[http]") {
  asio::io_context io;
  http_client client(io);
  std::vector<durar::result<void>> results;
  auto record = [&](durar::result<void> r) { results.push_back(std::move(r)); };

  auto injected = request("GET", "http://127.0.0.1:1/");
  injected.headers = {{"X-Api-Key", canary + "\r\nX-Evil: 1"}};
  client.start(injected, {}, {nullptr, nullptr, record});
  client.start(request("GET", "ftp://127.0.0.1/file"), {}, {nullptr, nullptr, record});
  client.start(request("G ET", "http://127.0.0.1:1/"), {}, {nullptr, nullptr, record});
  CHECK(results.empty());  // never from inside start()
  REQUIRE(run_until(io, [&] { return results.size() == 3; }));
  for (const auto& r : results) {
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
    CHECK(r.error().describe().find(canary) == std::string::npos);
  }
}

TEST_CASE("http_client: the canary key never appears in errors or traces", "[http]") {
  // The trace goes to stderr; capture it in a file for the length of the test.
  char trace_path[] = "/tmp/durar_http_trace_XXXXXX";
  int trace_fd = ::mkstemp(trace_path);
  REQUIRE(trace_fd >= 0);
  std::fflush(stderr);
  int saved_stderr = ::dup(2);
  ::dup2(trace_fd, 2);
  ::setenv("DURAR_HTTP_TRACE", "1", 1);

  std::vector<std::string> messages;
  {
    fake_vendor_server server;
    asio::io_context io;
    http_client client(io);
    auto with_keys = [&](std::string url) {
      auto r = request("POST", std::move(url) + "?alt=sse&key=" + canary, "{}");
      r.headers = {
          {"Authorization", "Bearer " + canary}, {"x-api-key", canary}, {"X-Goog-Api-Key", canary}};
      return r;
    };
    auto reset = reply("data: x\n\n");
    reset.reset_after = 3;
    server.enqueue(reset);
    auto stall = reply("data: x\n\n");
    stall.stall_after = 3;
    server.enqueue(stall);
    fake_response reset_early;
    reset_early.reset_before_headers = true;
    server.enqueue(reset_early);

    http_timeouts quick;
    quick.idle = 150ms;
    const std::string refused = "http://user:" + canary + "@127.0.0.1:1/v1";
    int finished = 0;
    auto record = [&](durar::result<void> r) {
      ++finished;
      if (!r) messages.push_back(r.error().describe());
    };
    // Sequential, so each request meets the fault queued for it.
    for (const auto& url :
         {server.base_url() + "/a", server.base_url() + "/b", server.base_url() + "/c", refused}) {
      const int before = finished;
      client.start(with_keys(url), quick, {nullptr, nullptr, record});
      REQUIRE(run_until(io, [&] { return finished == before + 1; }));
    }
  }

  ::unsetenv("DURAR_HTTP_TRACE");
  std::fflush(stderr);
  ::dup2(saved_stderr, 2);
  ::close(saved_stderr);
  ::close(trace_fd);
  std::ifstream in(trace_path);
  std::stringstream trace;
  trace << in.rdbuf();
  std::remove(trace_path);

  REQUIRE(messages.size() == 4);
  for (const auto& m : messages) {
    INFO(m);
    CHECK(m.find(canary) == std::string::npos);
  }
  INFO(trace.str());
  CHECK(trace.str().find("durar http > POST /a?alt=sse&key=*** HTTP/1.1") != std::string::npos);
  CHECK(trace.str().find("Authorization: ***") != std::string::npos);
  CHECK(trace.str().find(canary) == std::string::npos);
}
