// durar gateway run's refusals, and gateway install. (The running gateway is driven by
// real clients in tests/gateway/.)
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "run_cli.hpp"

#include <filesystem>
#include <unistd.h>

using durar::test::run_durar;
using durar::test::temp_home;

TEST_CASE("gateway run refuses a port in use and names who holds it", "[cli][gateway]") {
  asio::io_context io;
  asio::ip::tcp::acceptor held(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = std::to_string(held.local_endpoint().port());
  temp_home home;
  auto r = run_durar({"gateway", "run", "--port", port}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("port " + port) != std::string::npos);
  CHECK(r.err.find("pid " + std::to_string(::getpid())) != std::string::npos);
  CHECK(r.err.find("--force") != std::string::npos);
}

TEST_CASE("gateway run refuses to bind beyond loopback without auth", "[cli][gateway]") {
  temp_home home;
  auto r = run_durar({"gateway", "run", "--port", "0", "--bind", "lan"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("refusing to bind gateway to 0.0.0.0") != std::string::npos);
  r = run_durar({"gateway", "run", "--port", "0", "--bind", "not-an-address"},
                {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not-an-address") != std::string::npos);
  r = run_durar({"gateway", "run", "--port", "70000"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
}

TEST_CASE("gateway status says when no gateway is there", "[cli][gateway]") {
  asio::io_context io;
  std::uint16_t free_port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    free_port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  temp_home home;
  auto r = run_durar({"gateway", "status", "--json"},
                     {{"HOME", home.path()}, {"DURAR_GATEWAY_PORT", std::to_string(free_port)}});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("\"running\": false") != std::string::npos);
}

TEST_CASE("gateway install writes a systemd user unit", "[cli][gateway]") {
  temp_home home;
  auto r = run_durar({"gateway", "install"}, {{"HOME", home.path()}});
  REQUIRE(r.exit_code == 0);
  std::string unit = home.read(".config/systemd/user/durar-gateway.service");
  CHECK(unit.find("ExecStart=" + std::string(DURAR_CLI_PATH) + " gateway run") !=
        std::string::npos);
  CHECK(unit.find("Restart=always") != std::string::npos);
  CHECK(r.out.find("systemctl --user") != std::string::npos);
}
