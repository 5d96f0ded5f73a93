// Config hot reload in a real gateway, in this process: the gateway watches its config file,
// and the test edits the file the ways people and editors do, then talks to the gateway over
// a socket while a fake vendor records what reaches it. Every wait ends on an event (a log
// line, a reload outcome, bytes on a socket), bounded.
#include <durar/gateway.hpp>
#include <durar/runtime.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "gateway_server_fixture.hpp"
#include "gateway_thread.hpp"
#include "temp_dir.hpp"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

using namespace durar;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::recorded_request;
using gateway_server_test::raw_client;
using gateway_server_test::read_response;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const fs::path agent_data = fs::path(DURAR_TEST_DATA) / "agent" / "openai-completions";

struct config_text {
  std::string model = "fake/m1";
  std::string token = "gw-reload-token";
  std::string gateway_extra;  // more lines under gateway:
  std::string mode;           // gateway.reload.mode; "" = the default
  int debounce_ms = 100;
  std::string vendor_url;

  [[nodiscard]] std::string yaml() const {
    return "agents:\n  defaults:\n    model:\n      primary: " + model +
           "\nmodels:\n  providers:\n    fake:\n      baseUrl: " + vendor_url +
           "/v1\n      apiKey: sk-reload-canary\n      models:\n        - id: m1\n        - id: "
           "m2\ngateway:\n  auth:\n    token: " +
           token + "\n  reload:\n    debounceMs: " + std::to_string(debounce_ms) + "\n" +
           (mode.empty() ? "" : "    mode: " + mode + "\n") + gateway_extra;
  }
};

// What the gateway logged and the runtime reported, for the test thread to wait on.
class events {
 public:
  void line(std::string_view l) {
    std::lock_guard lock(m_);
    lines_.emplace_back(l);
    cv_.notify_all();
  }
  void outcome(const reload_report& r) {
    std::lock_guard lock(m_);
    outcomes_.push_back(r.what);
    changes_.push_back(r.describe_changes());
    cv_.notify_all();
  }
  // Waits until `n` lines containing `text` were logged.
  bool wait_line(const std::string& text, std::size_t n = 1,
                 std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, limit, [&] { return count_locked(text) >= n; });
  }
  std::size_t count(const std::string& text) {
    std::lock_guard lock(m_);
    return count_locked(text);
  }
  std::string find(const std::string& text) {
    std::lock_guard lock(m_);
    for (const auto& l : lines_)
      if (l.find(text) != std::string::npos) return l;
    return {};
  }
  std::vector<reload_report::outcome> outcomes() {
    std::lock_guard lock(m_);
    return outcomes_;
  }
  std::vector<std::string> changes() {
    std::lock_guard lock(m_);
    return changes_;
  }

 private:
  std::size_t count_locked(const std::string& text) const {
    std::size_t n = 0;
    for (const auto& l : lines_)
      if (l.find(text) != std::string::npos) ++n;
    return n;
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::vector<reload_report::outcome> outcomes_;
  std::vector<std::string> changes_;
};

// The gateway on port 0, its config in a temp dir, its loop on a thread of its own.
struct reload_harness {
  fake_vendor_server vendor;
  durar::test::temp_dir state;
  fs::path file = state.path / "durar.yaml";
  config_text text;
  events seen;
  asio::io_context io;
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway> gw;
  std::optional<gateway_test::serving_thread> loop;

  explicit reload_harness(int debounce_ms = 100, std::string mode = {}) {
    text.vendor_url = vendor.base_url();
    text.debounce_ms = debounce_ms;
    text.mode = std::move(mode);
    write_in_place(text.yaml());
    load_options o;
    o.paths.config_path = file;
    o.env = environment(std::map<std::string, std::string, std::less<>>{
        {"HOME", state.path.string()}, {"DURAR_STATE_DIR", state.path.string()}});
    o.working_dir = state.path;
    auto made = runtime::create(io, o);
    REQUIRE(made);
    rt = std::move(*made);
    rt->on_reload([this](const reload_report& r) { seen.outcome(r); });
    gateway_options go;
    go.port = 0;
    go.log = [this](std::string_view l) { seen.line(l); };
    auto g = gateway::create(io, *rt, go);
    REQUIRE(g);
    gw = std::move(*g);
    REQUIRE(gw->start());
    loop.emplace(io, *gw);
  }
  reload_harness(const reload_harness&) = delete;
  reload_harness& operator=(const reload_harness&) = delete;

  void write_in_place(const std::string& yaml) const {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << yaml;
  }
  // How most editors save: a new file renamed over the old one.
  void write_by_rename(const std::string& yaml) const {
    fs::path tmp = state.path / ".durar.yaml.swp";
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << yaml;
    fs::rename(tmp, file);
  }

  static std::string chat_request(const std::string& token) {
    std::string body = R"({"model":"durar","messages":[{"role":"user","content":"hi"}]})";
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
           token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }
  std::optional<gateway_server_test::response> chat(const std::string& token) const {
    raw_client c(gw->port());
    c.send(chat_request(token));
    return read_response(c);
  }
  // The status of the WebSocket upgrade a browser page on `origin` sends.
  [[nodiscard]] int upgrade_status(const std::string& origin) const {
    raw_client c(gw->port());
    c.send(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Origin: " +
        origin + "\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    return r->status;
  }
  // The model the vendor was asked for in its n-th request (0-based).
  [[nodiscard]] std::string vendor_model(std::size_t n) const {
    auto reqs = vendor.requests();
    if (n >= reqs.size()) return "(no request)";
    auto body = json::parse(reqs[n].body);
    return body ? body->string_or("model") : "(bad body)";
  }
};

fake_response answer() { return recorded(agent_data / "answer_one.response.sse"); }

}  // namespace

TEST_CASE("gateway reload: a new model in the config file serves the next completion",
          "[gateway][reload]") {
  reload_harness h;
  h.vendor.respond_with([](const recorded_request&) { return answer(); });
  REQUIRE(h.seen.wait_line("watching "));
  auto first = h.chat(h.text.token);
  REQUIRE(first);
  REQUIRE(first->status == 200);
  CHECK(h.vendor_model(0) == "m1");

  h.text.model = "fake/m2";
  h.write_in_place(h.text.yaml());
  REQUIRE(h.seen.wait_line("config reloaded"));
  CHECK(h.seen.find("config reloaded").find("agents.defaults.model.primary") != std::string::npos);

  auto second = h.chat(h.text.token);
  REQUIRE(second);
  CHECK(second->status == 200);
  CHECK(h.vendor_model(1) == "m2");
  CHECK(h.seen.outcomes() == std::vector<reload_report::outcome>{reload_report::outcome::applied});
}

TEST_CASE("gateway reload: an invalid config is logged with where, and the old one serves",
          "[gateway][reload]") {
  reload_harness h;
  h.vendor.respond_with([](const recorded_request&) { return answer(); });
  REQUIRE(h.seen.wait_line("watching "));

  SECTION("a schema error") {
    std::string bad = h.text.yaml();
    bad.replace(bad.find("primary:"), 8, "primray:");
    h.write_by_rename(bad);
    REQUIRE(h.seen.wait_line("config reload failed"));
    std::string line = h.seen.find("config reload failed");
    CHECK(line.find("still serving the previous config") != std::string::npos);
    CHECK(line.find(h.file.string() + ":4") != std::string::npos);  // file:line
    CHECK(line.find("primray") != std::string::npos);
  }
  SECTION("auth the gateway would refuse to start with") {
    std::string yaml = h.text.yaml();
    yaml.replace(yaml.find("  auth:\n"), 8, "  auth:\n    mode: password\n");
    h.write_in_place(yaml);
    REQUIRE(h.seen.wait_line("config reload failed"));
    CHECK(h.seen.find("config reload failed").find("no password is set") != std::string::npos);
  }
  SECTION("a parse error") {
    h.write_in_place(h.text.yaml() + "  : [unclosed\n");
    REQUIRE(h.seen.wait_line("config reload failed"));
    CHECK(h.seen.find("config reload failed").find(h.file.string()) != std::string::npos);
  }

  auto out = h.chat(h.text.token);
  REQUIRE(out);
  CHECK(out->status == 200);
  CHECK(h.vendor_model(0) == "m1");
  CHECK(h.seen.outcomes().empty());
}

TEST_CASE("gateway reload: hybrid asks for a restart when the port changes", "[gateway][reload]") {
  reload_harness h;
  h.vendor.respond_with([](const recorded_request&) { return answer(); });
  REQUIRE(h.seen.wait_line("watching "));
  h.text.gateway_extra = "  port: 45678\n";
  h.text.model = "fake/m2";
  h.write_by_rename(h.text.yaml());
  REQUIRE(h.seen.wait_line("a restart applies it"));
  CHECK(h.seen.outcomes() == std::vector<reload_report::outcome>{reload_report::outcome::restart});
  CHECK(h.seen.changes().at(0) == "agents.defaults.model.primary, gateway.port (restart)");

  // Until the host restarts it, the gateway serves the config it has, on the port it has.
  auto out = h.chat(h.text.token);
  REQUIRE(out);
  CHECK(out->status == 200);
  CHECK(h.vendor_model(0) == "m1");
}

TEST_CASE("gateway reload: hot mode applies what it can and names what waits",
          "[gateway][reload]") {
  reload_harness h;
  h.vendor.respond_with([](const recorded_request&) { return answer(); });
  REQUIRE(h.seen.wait_line("watching "));
  h.text.mode = "hot";  // a change of the mode alone applies under any mode but off
  h.write_in_place(h.text.yaml());
  REQUIRE(h.seen.wait_line("config reloaded"));
  CHECK(h.seen.find("config reloaded").find("gateway.reload.mode (none)") != std::string::npos);

  h.text.model = "fake/m2";
  h.text.gateway_extra = "  port: 45678\n";
  h.write_in_place(h.text.yaml());
  REQUIRE(h.seen.wait_line("config reloaded", 2));
  REQUIRE(h.seen.wait_line("not applied until the gateway restarts: gateway.port"));
  auto out = h.chat(h.text.token);
  REQUIRE(out);
  CHECK(out->status == 200);
  CHECK(h.vendor_model(0) == "m2");
}

TEST_CASE("gateway reload: a burst of writes is one reload of the last version",
          "[gateway][reload]") {
  // Editors save in several writes; a long quiet period keeps this test's bursts whole.
  reload_harness h(1000);
  h.vendor.respond_with([](const recorded_request&) { return answer(); });
  REQUIRE(h.seen.wait_line("watching "));
  const std::string good = h.text.yaml();
  h.write_in_place(good.substr(0, good.size() / 2));  // half-written
  h.write_in_place("agents: [");                      // a parse error on the way
  h.text.model = "fake/m2";
  h.write_by_rename(h.text.yaml());
  REQUIRE(h.seen.wait_line("config reloaded"));
  CHECK(h.seen.count("config reload failed") == 0);
  CHECK(h.seen.outcomes() == std::vector<reload_report::outcome>{reload_report::outcome::applied});
}

TEST_CASE("gateway reload: a new token replaces the old one at once", "[gateway][reload]") {
  reload_harness h;
  h.vendor.respond_with([](const recorded_request&) { return answer(); });
  REQUIRE(h.seen.wait_line("watching "));
  const std::string old_token = h.text.token;
  h.text.token = "gw-reload-token-two";
  h.write_by_rename(h.text.yaml());
  REQUIRE(h.seen.wait_line("gateway auth changed"));
  auto refused = h.chat(old_token);
  REQUIRE(refused);
  CHECK(refused->status == 401);
  auto ok = h.chat(h.text.token);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  for (const auto& l : {h.seen.find("config reloaded"), h.seen.find("auth")})
    CHECK(l.find("gw-reload-token") == std::string::npos);  // keys, never values
}

TEST_CASE("gateway reload: a turn in flight finishes on the config it started with",
          "[gateway][reload]") {
  reload_harness h;
  std::mutex m;
  std::condition_variable cv;
  bool arrived = false, open = false;
  h.vendor.respond_with([&](const recorded_request&) {
    std::unique_lock lock(m);
    if (!arrived) {
      arrived = true;
      cv.notify_all();
      cv.wait_for(lock, 20s, [&] { return open; });
    }
    return answer();
  });
  REQUIRE(h.seen.wait_line("watching "));
  raw_client slow(h.gw->port());
  slow.send(reload_harness::chat_request(h.text.token));
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return arrived; }));
  }
  // The provider the running turn uses changes under it (a new router is built).
  h.text.model = "fake/m2";
  h.write_by_rename(h.text.yaml());
  REQUIRE(h.seen.wait_line("config reloaded"));
  {
    std::lock_guard lock(m);
    open = true;
    cv.notify_all();
  }
  auto out = read_response(slow);
  REQUIRE(out);
  CHECK(out->status == 200);
  CHECK(out->body.find("First answer.") != std::string::npos);
  CHECK(h.vendor_model(0) == "m1");
  auto next = h.chat(h.text.token);
  REQUIRE(next);
  CHECK(h.vendor_model(1) == "m2");
}

TEST_CASE("gateway.controlUi.allowedOrigins is a key config reload applies live",
          "[gateway][reload][admission]") {
  CHECK(reload_effect_of("gateway.controlUi.allowedOrigins") == reload_effect::hot);
  CHECK(reload_effect_of("gateway.controlUi.allowedOrigins[0]") == reload_effect::hot);
}

TEST_CASE("gateway reload: an origin added to allowedOrigins gets in without a restart",
          "[gateway][reload][admission]") {
  const std::string mode = GENERATE(std::string(), std::string("hot"));  // "" is hybrid
  INFO("reload mode: " << (mode.empty() ? "hybrid (default)" : mode));
  const std::string origin = "https://control.example.com";
  reload_harness h(100, mode);
  REQUIRE(h.seen.wait_line("watching "));
  CHECK(h.upgrade_status(origin) == 403);
  CHECK(h.upgrade_status("http://127.0.0.1:5173") == 101);  // loopback, always

  h.text.gateway_extra = "  controlUi:\n    allowedOrigins:\n      - " + origin + "\n";
  h.write_in_place(h.text.yaml());
  REQUIRE(h.seen.wait_line("config reloaded"));
  CHECK(h.seen.wait_line("gateway.controlUi.allowedOrigins changed"));
  CHECK(h.seen.outcomes() == std::vector<reload_report::outcome>{reload_report::outcome::applied});
  CHECK(h.upgrade_status(origin) == 101);
  CHECK(h.upgrade_status("https://evil.example.net") == 403);

  // Taken off the list again: refused from the next connect on.
  h.text.gateway_extra.clear();
  h.write_in_place(h.text.yaml());
  REQUIRE(h.seen.wait_line("config reloaded", 2));
  CHECK(h.seen.outcomes() == std::vector<reload_report::outcome>{reload_report::outcome::applied,
                                                                 reload_report::outcome::applied});
  CHECK(h.upgrade_status(origin) == 403);
  CHECK(h.upgrade_status("http://localhost:3000") == 101);
}
