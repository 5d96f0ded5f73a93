// What the gateway lets in, and what it says about what fails: browser origins listed in
// gateway.controlUi.allowedOrigins, WebSocket turns whose session key names an unknown
// agent, bare backend model names the catalog does not know, and the log line a failed run
// leaves with its reason.
#include <durar/gateway.hpp>
#include <durar/log.hpp>
#include <durar/runtime.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include "../unit/gateway_control_fixture.hpp"
#include "../unit/gateway_openai_fixture.hpp"
#include "gateway_server_fixture.hpp"
#include "gateway_thread.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// `durar gateway run` on port 0 from a config file, its loop on a thread.
struct file_gateway {
  durar::test::temp_dir state;
  asio::io_context io;
  std::unique_ptr<durar::runtime> rt;
  std::unique_ptr<durar::gateway> gw;
  std::optional<gateway_test::serving_thread> loop;
  std::vector<durar::config_issue> warnings;

  explicit file_gateway(const std::string& yaml) {
    fs::path file = state.path / "durar.yaml";
    std::ofstream(file) << yaml;
    durar::load_options lo;
    lo.paths.config_path = file;
    lo.env = durar::environment(
        {{"HOME", state.path.string()}, {"DURAR_STATE_DIR", state.path.string()}});
    lo.working_dir = state.path;
    auto cfg = durar::load_config(lo);
    INFO((cfg ? std::string() : cfg.error().message));
    REQUIRE(cfg);
    warnings = cfg->warnings;
    rt = std::make_unique<durar::runtime>(io, std::move(*cfg));
    durar::gateway_options go;
    go.port = 0;
    auto g = durar::gateway::create(io, *rt, go);
    INFO((g ? std::string() : g.error().message));
    REQUIRE(g);
    gw = std::move(*g);
    REQUIRE(gw->start());
    loop.emplace(io, *gw);
  }
  file_gateway(const file_gateway&) = delete;
  file_gateway& operator=(const file_gateway&) = delete;

  // The status a WebSocket upgrade from `origin` gets.
  int upgrade_status(const std::string& origin) const {
    gateway_server_test::raw_client c(gw->port());
    c.send(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Origin: " +
        origin + "\r\n\r\n");
    auto r = gateway_server_test::read_response(c);
    REQUIRE(r);
    return r->status;
  }
};

}  // namespace

TEST_CASE("gateway.controlUi.allowedOrigins lets those browser origins in, and no others",
          "[gateway][admission]") {
  file_gateway g(
      "gateway:\n"
      "  auth:\n"
      "    mode: token\n"
      "    token: walkthrough-token-1\n"
      "  controlUi:\n"
      "    allowedOrigins:\n"
      "      - https://control.example.com\n"
      "      - ' https://other.example.org/ '\n");
  for (const auto& w : g.warnings) {
    INFO(w.describe());
    CHECK(w.path.find("controlUi") == std::string::npos);  // a key Durar reads now
  }
  CHECK(g.upgrade_status("https://control.example.com") == 101);
  CHECK(g.upgrade_status("HTTPS://Control.Example.com/") == 101);
  CHECK(g.upgrade_status("https://other.example.org") == 101);
  CHECK(g.upgrade_status("https://evil.example.net") == 403);
  CHECK(g.upgrade_status("https://control.example.com.evil.net") == 403);
  CHECK(g.upgrade_status("http://127.0.0.1:3000") == 101);  // loopback, always
}

TEST_CASE("without gateway.controlUi.allowedOrigins only loopback origins get in",
          "[gateway][admission]") {
  file_gateway g(
      "gateway:\n"
      "  auth:\n"
      "    mode: token\n"
      "    token: walkthrough-token-2\n");
  CHECK(g.upgrade_status("https://control.example.com") == 403);
  CHECK(g.upgrade_status("http://localhost:5173") == 101);
}

TEST_CASE("chat.send and agent refuse a session key naming an unknown agent before any ack",
          "[gateway][admission]") {
  using namespace gateway_control_test;
  fixture f;
  auto ws = f.connected();
  for (std::string method : {"chat.send", "agent"}) {
    INFO(method);
    json res = f.call(ws, method,
                      json::object({{"sessionKey", "agent:mian:main"},
                                    {"message", "hi"},
                                    {"idempotencyKey", method + "-ghost"}}));
    CHECK(res["ok"] == json(false));
    CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
    std::string message = res["error"]["message"].as_string();
    INFO(message);
    CHECK(message.find("unknown agent 'mian'") != std::string::npos);
    CHECK(message.find("did you mean 'main'") != std::string::npos);
    CHECK(message.find("agent:mian:main") != std::string::npos);

    json by_id = f.call(ws, method,
                        json::object({{"sessionKey", "main"},
                                      {"agentId", "ghost"},
                                      {"message", "hi"},
                                      {"idempotencyKey", method + "-ghost-id"}}));
    CHECK(by_id["ok"] == json(false));
    CHECK(by_id["error"]["message"].as_string().find("unknown agent 'ghost'") != std::string::npos);
  }
  CHECK(f.state->runs.active() == 0);
  CHECK(f.vendor.requests == 0);
  CHECK(ws->events("chat").empty());
  CHECK(ws->events("agent").empty());
}

TEST_CASE("chat.send and agent refuse an agentId the session key contradicts",
          "[gateway][admission]") {
  using namespace gateway_control_test;
  fixture f(std::chrono::seconds(30), {},
            "  list:\n    - id: main\n      default: true\n    - id: coder\n");
  auto ws = f.connected();
  for (std::string method : {"chat.send", "agent"}) {
    INFO(method);
    json res = f.call(ws, method,
                      json::object({{"sessionKey", "agent:main:main"},
                                    {"agentId", "coder"},
                                    {"message", "hi"},
                                    {"idempotencyKey", method + "-mismatch"}}));
    CHECK(res["ok"] == json(false));
    CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
    CHECK(res["error"]["message"].as_string().find(
              "agent \"coder\" does not match session key agent \"main\"") != std::string::npos);
  }
  CHECK(f.state->runs.active() == 0);
  CHECK(f.vendor.requests == 0);
}

TEST_CASE("a failed WebSocket run is a gateway warning with its run id, session and reason",
          "[gateway][admission]") {
  using namespace gateway_control_test;
  fixture f;  // nothing queued: the vendor answers an empty stream
  std::vector<std::string> lines;
  f.state->log = gateway_log(
      nullptr, [&](std::string_view l) { lines.emplace_back(l); }, false);
  auto ws = f.connected();
  json started = f.call(
      ws, "chat.send",
      json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "fail-1"}}));
  REQUIRE(started["ok"] == json(true));
  std::string run_id = started["payload"]["runId"].as_string();
  json err = f.wait_chat(ws, run_id, "error");
  std::string reason = err["errorMessage"].as_string();
  REQUIRE_FALSE(reason.empty());
  std::optional<std::string> line;
  for (const auto& l : lines)
    if (l.find(run_id) != std::string::npos) line = l;
  REQUIRE(line);
  INFO(*line);
  CHECK(line->find("agent:main:main") != std::string::npos);
  CHECK(line->find("failed") != std::string::npos);
  CHECK(line->find(reason) != std::string::npos);
  for (const auto& l : lines) CHECK(l.find(vendor_key) == std::string::npos);
}

TEST_CASE("x-durar-model with a bare name the catalog does not know is a 404 naming it",
          "[gateway][admission]") {
  using namespace gateway_openai_test;
  gateway_fixture gw;
  const std::string body = R"({"model":"durar","messages":[{"role":"user","content":"hi"}]})";
  auto bare = gw.call("POST", "/v1/chat/completions", body, {{"x-durar-model", "zz"}});
  CHECK(bare->status == 404);
  json e = error_of(*bare);
  CHECK(e["code"] == "model_not_found");
  std::string message = e["message"].as_string();
  INFO(message);
  CHECK(message.rfind("x-durar-model", 0) == 0);
  CHECK(message.find("'zz'") != std::string::npos);

  // A near miss of a catalog model gets a suggestion; /v1/responses answers the same.
  auto near = gw.call("POST", "/v1/responses", R"({"model":"durar","input":"hi"})",
                      {{"x-durar-model", "gpt-5.44"}});
  CHECK(near->status == 404);
  std::string near_message = error_of(*near)["message"].as_string();
  INFO(near_message);
  CHECK(near_message.find("did you mean 'openai/gpt-5.4") != std::string::npos);
}

TEST_CASE("x-durar-model still takes aliases and bare names the catalog knows",
          "[gateway][admission]") {
  using namespace gateway_openai_test;
  gateway_fixture gw;
  durar::gateway_detail::http_request req;
  req.headers.emplace_back("x-durar-model", "gpt-5.4");
  auto known = resolve_turn_target(*gw.gs, req, "durar");
  INFO((known ? std::string() : known.error().message));
  REQUIRE(known);
  CHECK(known->model_override == "openai/gpt-5.4");

  durar::gateway_detail::http_request full;
  full.headers.emplace_back("x-durar-model", "openai/some-new-model");  // a provider's call
  auto passed = resolve_turn_target(*gw.gs, full, "durar");
  REQUIRE(passed);
  CHECK(passed->model_override == "openai/some-new-model");
}

TEST_CASE("x-durar-model takes a configured alias", "[gateway][admission]") {
  using namespace gateway_control_test;
  fixture f;  // agents.defaults.models: fake/m1 with alias "one"
  durar::gateway_detail::http_request req;
  req.headers.emplace_back("x-durar-model", "one");
  auto t = durar::gateway_detail::resolve_turn_target(*f.state, req, "durar");
  INFO((t ? std::string() : t.error().message));
  REQUIRE(t);
  CHECK(t->model_override == "fake/m1");
  durar::gateway_detail::http_request bare;
  bare.headers.emplace_back("x-durar-model", "m1");
  auto m1 = durar::gateway_detail::resolve_turn_target(*f.state, bare, "durar");
  REQUIRE(m1);
  CHECK(m1->model_override == "fake/m1");
}
