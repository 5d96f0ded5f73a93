// What a new user meets first: unknown options and `durar help`, a mistyped provider,
// `gateway install` on a custom state dir, and `status` / `gateway status` for people.
#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "gateway_fixture.hpp"
#include "run_cli.hpp"

#include <filesystem>

using durar::test::gateway_process;
using durar::test::run_durar;
using durar::test::temp_home;
using durar::test::write_fake_config;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("an unknown option without a command is a usage error, not the help", "[cli]") {
  temp_home home;
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  auto r = run_durar({"--bogus"}, env);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(has(r.err, "unknown option '--bogus'"));
  CHECK(has(r.err, "durar --help"));
  CHECK_FALSE(has(r.err, "Usage:"));

  r = run_durar({"--confg", "x.yaml", "doctor"}, env);
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "unknown option '--confg'"));

  r = run_durar({"--confg"}, env);
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "did you mean '--config'?"));

  r = run_durar({"config", "--bogus"}, env);  // a group, no command to own the option
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "unknown option '--bogus'"));
  CHECK(has(r.err, "Run 'durar --help'"));

  // A mistyped subcommand points at its group's list.
  r = run_durar({"config", "nosuchthing"}, env);
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "unknown command 'config nosuchthing'"));
  CHECK(has(r.err, "Run 'durar config --help'"));

  r = run_durar({"---"}, env);
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "unknown option '---'"));

  // An unknown command is still named first.
  r = run_durar({"modles", "--bogus"}, env);
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "did you mean 'models'?"));
}

TEST_CASE("durar help prints what --help prints", "[cli]") {
  temp_home home;
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  const std::vector<std::vector<std::string>> asked = {
      {}, {"config"}, {"config", "get"}, {"gateway", "install"}, {"help"}};
  for (const auto& words : asked) {
    std::vector<std::string> with_help = words, as_command = {"help"};
    with_help.emplace_back("--help");
    as_command.insert(as_command.end(), words.begin(), words.end());
    auto expected = run_durar(with_help, env);
    auto r = run_durar(as_command, env);
    INFO(with_help.front());
    CHECK(expected.exit_code == 0);
    CHECK(r.exit_code == 0);
    CHECK(r.out == expected.out);
    CHECK(r.err.empty());
  }
  auto listed = run_durar({"--help"}, env);
  CHECK(has(listed.out, "  help [command]"));

  auto r = run_durar({"help", "confg"}, env);
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "unknown command 'confg' (did you mean 'config'?)"));
}

TEST_CASE("models list with an unknown provider is an error naming it", "[cli][models]") {
  temp_home home;
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  auto r = run_durar({"models", "list", "--all", "--provider", "nosuch"}, env);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(has(r.err, "unknown provider 'nosuch'"));

  r = run_durar({"models", "list", "--all", "--provider", "anthropc"}, env);
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "did you mean 'anthropic'?"));

  // A known provider, spelled as the catalog does not, still lists its models.
  r = run_durar({"models", "list", "--all", "--provider", "Anthropic", "--json"}, env);
  CHECK(r.exit_code == 0);
  auto j = durar::json::parse(r.out);
  REQUIRE(j.has_value());
  CHECK((*j)["count"].as_int() > 0);
}

TEST_CASE("gateway install carries the state dir and config path and keeps an existing unit",
          "[cli][gateway]") {
  temp_home home;
  const std::string state = home.path() + "/my state";
  const std::string cfg = home.path() + "/conf/durar.yaml";
  std::map<std::string, std::string> env{
      {"HOME", home.path()}, {"DURAR_STATE_DIR", state}, {"DURAR_CONFIG_PATH", cfg}};
  const std::string unit_path = ".config/systemd/user/durar-gateway.service";

  auto r = run_durar({"gateway", "install"}, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string unit = home.read(unit_path);
  CHECK(has(unit, "Environment=\"DURAR_STATE_DIR=" + state + "\"\n"));
  CHECK(has(unit, "Environment=DURAR_CONFIG_PATH=" + cfg + "\n"));
  CHECK(unit.find("Environment=") < unit.find("ExecStart="));
  CHECK(has(unit, "ExecStart=" + std::string(DURAR_CLI_PATH) + " gateway run\n"));

  // The same unit again: nothing to do.
  r = run_durar({"gateway", "install"}, env);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "already installed"));

  // A different one is not overwritten without --force.
  env.erase("DURAR_CONFIG_PATH");
  r = run_durar({"gateway", "install"}, env);
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "already exists"));
  CHECK(has(r.err, "--force"));
  CHECK(home.read(unit_path) == unit);

  r = run_durar({"gateway", "install", "--force"}, env);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "Replaced"));
  CHECK_FALSE(has(home.read(unit_path), "DURAR_CONFIG_PATH"));
  CHECK(has(home.read(unit_path), "DURAR_STATE_DIR"));

  // A unit installed from a plain shell has no Environment= lines.
  temp_home plain;
  r = run_durar({"gateway", "install"}, {{"HOME", plain.path()}});
  CHECK(r.exit_code == 0);
  CHECK_FALSE(has(plain.read(unit_path), "Environment="));
}

TEST_CASE("gateway install writes where XDG_CONFIG_HOME says", "[cli][gateway]") {
  temp_home home;
  const std::string xdg = home.path() + "/xdg";
  auto r = run_durar({"gateway", "install", "--config", home.path() + "/a b.yaml"},
                     {{"HOME", home.path()}, {"XDG_CONFIG_HOME", xdg}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(xdg + "/systemd/user/durar-gateway.service"));
  CHECK_FALSE(std::filesystem::exists(home.path() + "/.config/systemd"));
  CHECK(has(home.read("xdg/systemd/user/durar-gateway.service"),
            " --config \"" + home.path() + "/a b.yaml\" gateway run\n"));
}

TEST_CASE("status reads for people and gateway status tells a refused token from no gateway",
          "[cli][gateway]") {
  temp_home home;
  write_fake_config(home, "http://127.0.0.1:9");  // never called: no turn runs
  gateway_process gw(home);
  std::map<std::string, std::string> env{{"HOME", home.path()}, {"DURAR_GATEWAY_PORT", gw.port}};

  auto r = run_durar({"status"}, env);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("Gateway: running on ", 0) == 0);
  CHECK(has(r.out, "Default model: fake/m1\n"));
  CHECK(has(r.out, "State dir: " + home.path() + "/.durar\n"));
  CHECK(has(r.out, "Agents: main (default)\n"));
  CHECK_FALSE(has(r.out, "{"));

  r = run_durar({"status", "--json"}, env);
  CHECK(r.exit_code == 0);
  auto j = durar::json::parse(r.out);
  REQUIRE(j.has_value());
  CHECK((*j)["defaultModel"].as_string() == "fake/m1");
  CHECK((*j)["uptimeMs"].is_integer());

  env["DURAR_GATEWAY_TOKEN"] = "bad";
  r = run_durar({"gateway", "status"}, env);
  CHECK(r.exit_code == 1);
  CHECK(has(r.out, "Gateway: running at ws://127.0.0.1:" + gw.port +
                       ", but it refused the token (gateway token mismatch)"));
  CHECK(has(r.out, "DURAR_GATEWAY_TOKEN"));
  CHECK(has(r.out, "gateway.auth.token"));
  CHECK_FALSE(has(r.out, "not reachable"));

  r = run_durar({"gateway", "status", "--json"}, env);
  CHECK(r.exit_code == 1);
  j = durar::json::parse(r.out);
  REQUIRE(j.has_value());
  CHECK((*j)["running"].as_bool());
  CHECK_FALSE((*j)["authorized"].as_bool());
}
