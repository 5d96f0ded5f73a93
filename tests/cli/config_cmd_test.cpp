#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "run_cli.hpp"

#include <filesystem>
#include <sys/stat.h>

using durar::test::run_durar;
using durar::test::temp_home;

TEST_CASE("config path follows --config, DURAR_CONFIG_PATH and the default", "[cli][config]") {
  temp_home home;
  auto r = run_durar({"config", "path"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out == home.path() + "/.durar/durar.yaml\n");

  r = run_durar({"config", "path"},
                {{"HOME", home.path()}, {"DURAR_CONFIG_PATH", home.path() + "/x.yaml"}});
  CHECK(r.out == home.path() + "/x.yaml\n");

  r = run_durar({"config", "path", "--config", home.path() + "/y.json5"},
                {{"HOME", home.path()}, {"DURAR_CONFIG_PATH", home.path() + "/x.yaml"}});
  CHECK(r.out == home.path() + "/y.json5\n");
}

TEST_CASE("config set creates a private file and config get reads it back", "[cli][config]") {
  temp_home home;
  std::map<std::string, std::string> env = {{"HOME", home.path()}};
  auto r = run_durar({"config", "set", "agents.defaults.model.primary", "openai/gpt-5.4"}, env);
  REQUIRE(r.exit_code == 0);
  struct stat st {};
  REQUIRE(::stat((home.path() + "/.durar/durar.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  r = run_durar({"config", "get", "agents.defaults.model.primary"}, env);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "openai/gpt-5.4\n");

  r = run_durar({"config", "set", "gateway.port", "18800"}, env);
  REQUIRE(r.exit_code == 0);
  r = run_durar({"config", "get", "gateway", "--json"}, env);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  CHECK((*doc)["port"].as_int() == 18800);
}

TEST_CASE("config set keeps YAML comments", "[cli][config]") {
  temp_home home;
  home.write(".durar/durar.yaml",
             "# my settings\nagents:\n  defaults:\n    # the model I like\n    model:\n      "
             "primary: openai/gpt-5.4\n");
  auto r =
      run_durar({"config", "set", "agents.defaults.model.primary", "anthropic/claude-opus-4-6"},
                {{"HOME", home.path()}});
  REQUIRE(r.exit_code == 0);
  auto text = home.read(".durar/durar.yaml");
  CHECK(text.find("# my settings") != std::string::npos);
  CHECK(text.find("# the model I like") != std::string::npos);
  CHECK(text.find("anthropic/claude-opus-4-6") != std::string::npos);
}

TEST_CASE("config set refuses an invalid value and leaves the file untouched", "[cli][config]") {
  temp_home home;
  const std::string before = "gateway:\n  port: 18789\n";
  home.write(".durar/durar.yaml", before);
  auto r = run_durar({"config", "set", "gateway.bind", "everywhere"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("gateway.bind") != std::string::npos);
  CHECK(home.read(".durar/durar.yaml") == before);

  r = run_durar({"config", "set", "gateway.prot", "1"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("did you mean 'port'") != std::string::npos);
  CHECK(home.read(".durar/durar.yaml") == before);
}

TEST_CASE("config get of a missing key fails with exit 1", "[cli][config]") {
  temp_home home;
  home.write(".durar/durar.yaml", "gateway:\n  port: 18789\n");
  auto r = run_durar({"config", "get", "gateway.bind"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("gateway.bind") != std::string::npos);
}

TEST_CASE("config get redacts secrets unless asked", "[cli][config]") {
  temp_home home;
  home.write(".durar/durar.yaml",
             "gateway:\n  auth:\n    mode: token\n    token: canary-token-123\n");
  auto r = run_durar({"config", "get", "gateway"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("canary-token-123") == std::string::npos);
  CHECK(r.out.find("***") != std::string::npos);
  r = run_durar({"config", "get", "gateway.auth.token", "--show-secrets"}, {{"HOME", home.path()}});
  CHECK(r.out == "canary-token-123\n");
}

TEST_CASE("config validate reports each problem with its line", "[cli][config]") {
  temp_home home;
  home.write(".durar/durar.yaml",
             "gateway:\n  port: 18789\n  bind: sideways\nlogging:\n  levle: debug\n");
  auto r = run_durar({"config", "validate"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("durar.yaml:3") != std::string::npos);
  CHECK(r.err.find("durar.yaml:5") != std::string::npos);

  home.write(".durar/durar.yaml", "gateway:\n  port: 18789\n");
  r = run_durar({"config", "validate"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Config valid") != std::string::npos);
}

TEST_CASE("malformed config is an error with a line, never a crash", "[cli][config]") {
  temp_home home;
  home.write(".durar/durar.yaml", "agents:\n  defaults: [unclosed\n");
  auto r = run_durar({"config", "validate"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("durar.yaml:") != std::string::npos);
  r = run_durar({"models", "list"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
}

TEST_CASE("config import turns an openclaw.json into a durar.yaml that validates",
          "[cli][config]") {
  temp_home home;
  // The original's file references ${LOCAL_API_KEY}; an unset variable is a load error.
  std::map<std::string, std::string> env = {{"HOME", home.path()}, {"LOCAL_API_KEY", "k"}};
  auto r = run_durar(
      {"config", "import", std::string(DURAR_TEST_DATA) + "/config/openclaw-real.json"}, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(home.path() + "/.durar/durar.yaml"));
  r = run_durar({"config", "validate"}, env);
  CHECK(r.exit_code == 0);
  r = run_durar({"config", "validate"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("LOCAL_API_KEY is not set") != std::string::npos);
  // A second import would overwrite: refused without --force.
  r = run_durar({"config", "import", std::string(DURAR_TEST_DATA) + "/config/openclaw-real.json"},
                env);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--force") != std::string::npos);
}
