// gateway.controlUi.allowedOrigins under config hot reload: a browser origin added to (or
// taken off) the list in the config file is let in (or refused) on the next WebSocket connect,
// without a restart. A real gateway on port 0 watches its file; every wait ends on an event
// (a reload outcome, a log line, a response on a socket), bounded.
#include <durar/gateway.hpp>
#include <durar/runtime.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "gateway_server_fixture.hpp"
#include "gateway_thread.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace durar;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string origin = "https://control.example.com";

// The config with `origins` as gateway.controlUi.allowedOrigins (none: the key left out).
std::string config_yaml(const std::string& mode, const std::vector<std::string>& origins) {
  std::string yaml =
      "gateway:\n"
      "  auth:\n"
      "    mode: token\n"
      "    token: origin-reload-token\n"
      "  reload:\n"
      "    debounceMs: 50\n";
  if (!mode.empty()) yaml += "    mode: " + mode + "\n";
  if (!origins.empty()) {
    yaml += "  controlUi:\n    allowedOrigins:\n";
    for (const auto& o : origins) yaml += "      - " + o + "\n";
  }
  return yaml;
}

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
    cv_.notify_all();
  }
  bool wait_line(const std::string& text, std::size_t n = 1) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, 10s, [&] {
      return static_cast<std::size_t>(std::count_if(lines_.begin(), lines_.end(), [&](auto& l) {
               return l.find(text) != std::string::npos;
             })) >= n;
    });
  }
  // Waits for the n-th reload outcome (1-based) and returns it.
  std::optional<reload_report::outcome> wait_outcome(std::size_t n) {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, 10s, [&] { return outcomes_.size() >= n; })) return std::nullopt;
    return outcomes_[n - 1];
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::vector<reload_report::outcome> outcomes_;
};

// The gateway on port 0 serving a config file in a temp dir, its loop on a thread.
struct origin_gateway {
  durar::test::temp_dir state;
  fs::path file = state.path / "durar.yaml";
  std::string mode;
  events seen;
  asio::io_context io;
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway> gw;
  std::optional<gateway_test::serving_thread> loop;

  explicit origin_gateway(std::string reload_mode) : mode(std::move(reload_mode)) {
    write({});
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
    REQUIRE(seen.wait_line("watching "));
  }
  origin_gateway(const origin_gateway&) = delete;
  origin_gateway& operator=(const origin_gateway&) = delete;

  void write(const std::vector<std::string>& origins) const {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << config_yaml(mode, origins);
  }

  // The status of a WebSocket upgrade a browser on `from` sends.
  [[nodiscard]] int upgrade_status(const std::string& from) const {
    gateway_server_test::raw_client c(gw->port());
    c.send(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Origin: " +
        from + "\r\n\r\n");
    auto r = gateway_server_test::read_response(c);
    REQUIRE(r);
    return r->status;
  }
};

}  // namespace

TEST_CASE("gateway.controlUi.allowedOrigins is a key config reload applies live",
          "[gateway][reload][admission]") {
  CHECK(reload_effect_of("gateway.controlUi.allowedOrigins") == reload_effect::hot);
  CHECK(reload_effect_of("gateway.controlUi.allowedOrigins[0]") == reload_effect::hot);
}

TEST_CASE("gateway reload: an origin added to allowedOrigins gets in without a restart",
          "[gateway][reload][admission]") {
  const std::string mode = GENERATE(std::string(), std::string("hot"));  // "" is hybrid
  INFO("reload mode: " << (mode.empty() ? "hybrid (default)" : mode));
  origin_gateway g(mode);
  CHECK(g.upgrade_status(origin) == 403);
  CHECK(g.upgrade_status("http://127.0.0.1:5173") == 101);  // loopback, always

  g.write({origin});
  auto first = g.seen.wait_outcome(1);
  REQUIRE(first);
  CHECK(*first == reload_report::outcome::applied);  // not a restart
  CHECK(g.seen.wait_line("config reloaded"));
  CHECK(g.seen.wait_line("gateway.controlUi.allowedOrigins changed"));
  CHECK(g.upgrade_status(origin) == 101);
  CHECK(g.upgrade_status("https://evil.example.net") == 403);

  // Taken off the list again: refused from the next connect on.
  g.write({});
  auto second = g.seen.wait_outcome(2);
  REQUIRE(second);
  CHECK(*second == reload_report::outcome::applied);
  CHECK(g.seen.wait_line("config reloaded", 2));
  CHECK(g.upgrade_status(origin) == 403);
  CHECK(g.upgrade_status("http://localhost:3000") == 101);
}
