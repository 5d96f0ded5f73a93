#include <catch2/catch.hpp>

#include "run_cli.hpp"

using durar::test::run_durar;
using durar::test::temp_home;

TEST_CASE("durar --version prints the version and exits 0", "[cli]") {
  temp_home home;
  auto r = run_durar({"--version"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("durar 0.", 0) == 0);
  CHECK(r.err.empty());
}

TEST_CASE("durar --help lists the commands and exits 0", "[cli]") {
  temp_home home;
  auto r = run_durar({"--help"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("doctor") != std::string::npos);
  CHECK(r.out.find("config set") != std::string::npos);
  CHECK(r.out.find("models list") != std::string::npos);
}

TEST_CASE("every command has its own help", "[cli]") {
  temp_home home;
  for (auto cmd : {"doctor", "config path", "config get", "config set", "config unset",
                   "config validate", "config import", "models list", "models set", "models status",
                   "models probe", "complete"}) {
    std::vector<std::string> args;
    std::string c = cmd;
    for (auto pos = c.find(' '); pos != std::string::npos; pos = c.find(' ')) {
      args.push_back(c.substr(0, pos));
      c = c.substr(pos + 1);
    }
    args.push_back(c);
    args.push_back("--help");
    auto r = run_durar(args, {{"HOME", home.path()}});
    INFO(cmd);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(std::string("Usage: durar ") + cmd) != std::string::npos);
  }
}

TEST_CASE("no command prints usage and exits 2", "[cli]") {
  temp_home home;
  auto r = run_durar({}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Usage: durar") != std::string::npos);
}

TEST_CASE("a mistyped command is a usage error with a suggestion", "[cli]") {
  temp_home home;
  auto r = run_durar({"modles", "list"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown command 'modles'") != std::string::npos);
  CHECK(r.err.find("did you mean 'models'") != std::string::npos);

  r = run_durar({"config", "gte", "x"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("did you mean 'config get'") != std::string::npos);
}

TEST_CASE("a mistyped flag is a usage error with a suggestion", "[cli]") {
  temp_home home;
  auto r = run_durar({"models", "list", "--al"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown option '--al'") != std::string::npos);
  CHECK(r.err.find("did you mean '--all'") != std::string::npos);
}

TEST_CASE("wrong argument counts are usage errors", "[cli]") {
  temp_home home;
  CHECK(run_durar({"config", "get"}, {{"HOME", home.path()}}).exit_code == 2);
  CHECK(run_durar({"config", "set", "a"}, {{"HOME", home.path()}}).exit_code == 2);
  CHECK(run_durar({"doctor", "extra"}, {{"HOME", home.path()}}).exit_code == 2);
  CHECK(run_durar({"--config"}, {{"HOME", home.path()}}).exit_code == 2);
}

TEST_CASE("a command group alone prints its commands", "[cli]") {
  temp_home home;
  auto r = run_durar({"config"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("config validate") != std::string::npos);
  r = run_durar({"config", "--help"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
}

TEST_CASE("output carries no color codes when NO_COLOR is set or output is not a terminal",
          "[cli]") {
  temp_home home;
  auto r = run_durar({"doctor"}, {{"HOME", home.path()}, {"NO_COLOR", "1"}});
  CHECK(r.out.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\x1b') == std::string::npos);
}
