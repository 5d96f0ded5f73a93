// The gateway's log lines carry their subsystem and level from the source: a refused
// WebSocket secret is a gateway/auth warning that never shows the secret, clients coming and
// going are gateway/ws lines, and every HTTP request is a gateway/http debug line. The
// logger here masks nothing, so any secret in a line would show.
#include <durar/gateway.hpp>
#include <durar/log.hpp>
#include <durar/runtime.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include "gateway_server_fixture.hpp"
#include "gateway_thread.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace durar;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view gateway_token = "tok-log-canary-7e21c9";
constexpr std::string_view wrong_token = "wrong-log-canary-5d2c40";

// A gateway on port 0 logging everything (trace) to a JSON-lines file, its loop on a thread.
struct log_harness {
  durar::test::temp_dir state;
  fs::path file = state.path / "gateway.log";
  asio::io_context io;
  std::unique_ptr<logger> log;
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway> gw;
  std::optional<gateway_test::serving_thread> loop;

  log_harness() {
    logger_options lo;
    lo.file = file;
    lo.file_level = log_level::trace;
    lo.console = nullptr;
    lo.redact_patterns = false;  // the gateway must not need it
    auto made = logger::create(lo);
    REQUIRE(made);
    log = std::move(*made);

    config cfg;
    cfg.paths.state_dir = state.path;
    cfg.env =
        environment(std::map<std::string, std::string, std::less<>>{{"HOME", state.path.string()}});
    cfg.gateway.auth_token = secret(std::string(gateway_token));
    rt = std::make_unique<runtime>(io, std::move(cfg));
    gateway_options go;
    go.port = 0;
    go.log_to = log.get();
    auto g = gateway::create(io, *rt, go);
    REQUIRE(g);
    gw = std::move(*g);
    REQUIRE(gw->start());
    loop.emplace(io, *gw);
  }
  log_harness(const log_harness&) = delete;
  log_harness& operator=(const log_harness&) = delete;

  [[nodiscard]] std::vector<std::string> raw_lines() const {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  // The first record that `match` accepts, waiting for it (lines are written from the
  // gateway's thread) at most a few seconds.
  std::optional<json> wait_record(const std::function<bool(const json&)>& match) const {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      for (const auto& line : raw_lines())
        if (auto r = json::parse(line); r && match(*r)) return *r;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(10ms);  // polling the file, bounded by the deadline
    }
  }
};

auto record(std::string_view level, std::string_view subsystem, std::string_view text) {
  return [=](const json& r) {
    return r.string_or("level") == level && r.string_or("subsystem") == subsystem &&
           r.string_or("message").find(text) != std::string::npos;
  };
}

}  // namespace

TEST_CASE("a WebSocket connect with a wrong token is a gateway/auth warning without the token",
          "[gateway][log]") {
  log_harness h;
  gateway_client_options o;
  o.url = h.gw->ws_url();
  o.token = secret(std::string(wrong_token));
  o.timeout = 5s;
  auto refused = gateway_client::connect(o);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::unauthenticated);

  auto line = h.wait_record(record("warn", "gateway/auth", "connect refused"));
  REQUIRE(line);
  INFO(line->dump());
  CHECK(line->string_or("message").find("AUTH_TOKEN_MISMATCH") != std::string::npos);
  CHECK(line->string_or("message").find("127.0.0.1") != std::string::npos);

  // The right token: the client's arrival and departure are gateway/ws lines.
  o.token = secret(std::string(gateway_token));
  auto client = gateway_client::connect(o);
  REQUIRE(client);
  REQUIRE((*client)->call("health"));
  (*client)->close();
  CHECK(h.wait_record(record("info", "gateway/ws", "connected")));
  CHECK(h.wait_record(record("debug", "gateway/ws", "health ok in")));
  CHECK(h.wait_record(record("info", "gateway/ws", "disconnected")));

  for (const auto& text : h.raw_lines()) {
    INFO(text);
    CHECK(text.find(wrong_token) == std::string::npos);
    CHECK(text.find(gateway_token) == std::string::npos);
  }
}

TEST_CASE("HTTP requests are gateway/http debug lines, refused ones gateway/auth warnings",
          "[gateway][log]") {
  log_harness h;
  {
    gateway_server_test::raw_client c(h.gw->port());
    c.send(
        "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Authorization: Bearer " +
        std::string(gateway_token) + "\r\n\r\n");
    auto r = gateway_server_test::read_response(c);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  auto line = h.wait_record(record("debug", "gateway/http", "GET /v1/models from 127.0.0.1"));
  CHECK(line);
  {
    gateway_server_test::raw_client c(h.gw->port());
    c.send(
        "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Authorization: Bearer " +
        std::string(wrong_token) + "\r\n\r\n");
    auto r = gateway_server_test::read_response(c);
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  CHECK(h.wait_record(record("warn", "gateway/auth", "refused GET /v1/models from 127.0.0.1")));
  CHECK(h.wait_record(record("info", "gateway", "gateway listening on")));
  for (const auto& text : h.raw_lines()) {
    INFO(text);
    CHECK(text.find(wrong_token) == std::string::npos);
    CHECK(text.find(gateway_token) == std::string::npos);
  }
}
