// One gateway per state dir: `durar gateway run` beside a running one refuses to start,
// names it, and leaves its gateway.json (how the CLI finds it) alone; a gateway that was
// killed blocks nothing. The real binary on port 0 with a private HOME.
#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "run_cli.hpp"

#include <csignal>
#include <filesystem>

using durar::test::child_process;
using durar::test::run_durar;
using durar::test::tcp_client;
using durar::test::temp_home;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> env_of(const temp_home& home) {
  return {{"HOME", home.path()}, {"NO_COLOR", "1"}};
}

// `durar gateway run --port 0 --json ARGS...` once it listens; its port.
std::uint16_t started(child_process& gw) {
  REQUIRE(gw.wait_stdout("}\n"));  // {"url","port"} once it listens
  auto j = durar::json::parse(gw.out().substr(0, gw.out().find('\n')));
  REQUIRE(j.has_value());
  return static_cast<std::uint16_t>((*j)["port"].as_int());
}

int health(std::uint16_t port) {
  tcp_client c(port);
  c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  c.wait_closed();
  auto reply = durar::test::parse_reply(c.received);
  return reply ? reply->status : 0;
}

std::string runtime_file(const temp_home& home) { return home.read(".durar/gateway.json"); }

}  // namespace

TEST_CASE("a second gateway on one state dir refuses to start and leaves the first alone",
          "[cli][gateway]") {
  temp_home home;
  const std::string state_dir = (std::filesystem::path(home.path()) / ".durar").string();
  child_process first({DURAR_CLI_PATH, "gateway", "run", "--port", "0", "--json"}, env_of(home));
  const std::uint16_t port = started(first);
  const std::string written = runtime_file(home);
  auto info = durar::json::parse(written);
  REQUIRE(info.has_value());
  REQUIRE((*info)["pid"].as_int() == first.pid());

  const std::string running = "a gateway is already running for state dir " + state_dir + " (pid " +
                              std::to_string(first.pid()) + ", port " + std::to_string(port) +
                              "); stop it first";
  {
    child_process second({DURAR_CLI_PATH, "gateway", "run", "--port", "0", "--json"}, env_of(home));
    auto code = second.wait_exit(20s);
    REQUIRE(code.has_value());  // it refused rather than serving beside the first
    CHECK(*code == 1);
    CHECK(second.err().find(running) != std::string::npos);
    CHECK(second.out().empty());
  }
  {
    // --force frees a port; it does not stop the gateway on this state dir that holds it.
    child_process forced(
        {DURAR_CLI_PATH, "gateway", "run", "--port", std::to_string(port), "--force", "--json"},
        env_of(home));
    auto code = forced.wait_exit(20s);
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    CHECK(forced.err().find(running) != std::string::npos);
    CHECK(forced.err().find("--force frees a port") != std::string::npos);
  }

  // The first is untouched: same gateway.json, still serving, still what the CLI finds.
  CHECK(runtime_file(home) == written);
  CHECK(health(port) == 200);
  auto status = run_durar({"gateway", "status", "--json"}, env_of(home));
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("\"running\": true") != std::string::npos);

  // Killed, it leaves a gateway.json naming a dead pid, and its lock with the kernel: the
  // next gateway starts and takes both over.
  first.signal(SIGKILL);
  REQUIRE(first.wait_exit().has_value());
  CHECK(runtime_file(home) == written);
  child_process next({DURAR_CLI_PATH, "gateway", "run", "--port", "0", "--json"}, env_of(home));
  const std::uint16_t next_port = started(next);
  info = durar::json::parse(runtime_file(home));
  REQUIRE(info.has_value());
  CHECK((*info)["pid"].as_int() == next.pid());
  CHECK((*info)["port"].as_int() == next_port);
  CHECK(health(next_port) == 200);

  // Stopped, it removes the gateway.json it wrote.
  next.signal(SIGTERM);
  auto code = next.wait_exit(20s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(state_dir) / "gateway.json"));
}

TEST_CASE("a gateway.json naming a live process that is no gateway does not block a start",
          "[cli][gateway]") {
  temp_home home;
  // This test process is alive, holds no lock, and is no gateway.
  home.write(".durar/gateway.json", "{\"pid\": " + std::to_string(::getpid()) +
                                        ", \"port\": 1, \"url\": \"ws://127.0.0.1:1\"}\n");
  child_process gw({DURAR_CLI_PATH, "gateway", "run", "--port", "0", "--json"}, env_of(home));
  const std::uint16_t port = started(gw);
  auto info = durar::json::parse(runtime_file(home));
  REQUIRE(info.has_value());
  CHECK((*info)["pid"].as_int() == gw.pid());
  CHECK((*info)["port"].as_int() == port);
  auto status = run_durar({"gateway", "status", "--json"}, env_of(home));
  CHECK(status.exit_code == 0);
  gw.signal(SIGTERM);
  CHECK(gw.wait_exit(20s) == std::optional<int>(0));
}
