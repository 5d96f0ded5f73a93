#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "run_cli.hpp"

#include <sys/stat.h>

using durar::test::run_durar;
using durar::test::temp_home;

TEST_CASE("doctor on a fresh machine reports defaults and exits 0", "[cli][doctor]") {
  temp_home home;
  auto r = run_durar({"doctor"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Durar 0.") != std::string::npos);
  CHECK(r.out.find(home.path() + "/.durar/durar.yaml") != std::string::npos);
  CHECK(r.out.find("not found, using defaults") != std::string::npos);
  CHECK(r.out.find("18789") != std::string::npos);
  CHECK(r.out.find("none found") != std::string::npos);
}

TEST_CASE("doctor names credential sources and never prints keys", "[cli][doctor]") {
  temp_home home;
  const std::string canary = "sk-canary-7f3e9c1d2b";
  auto r = run_durar({"doctor"}, {{"HOME", home.path()},
                                  {"OPENAI_API_KEY", canary},
                                  {"ANTHROPIC_API_KEYS", canary + "a;" + canary + "b"}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("openai") != std::string::npos);
  CHECK(r.out.find("OPENAI_API_KEY") != std::string::npos);
  CHECK(r.out.find("ANTHROPIC_API_KEYS") != std::string::npos);
  CHECK(r.out.find(canary) == std::string::npos);
  CHECK(r.err.find(canary) == std::string::npos);

  auto j = run_durar({"doctor", "--json"}, {{"HOME", home.path()}, {"OPENAI_API_KEY", canary}});
  CHECK(j.out.find(canary) == std::string::npos);
}

TEST_CASE("doctor --json is machine-readable", "[cli][doctor]") {
  temp_home home;
  auto r = run_durar({"doctor", "--json"},
                     {{"HOME", home.path()}, {"DURAR_STATE_DIR", home.path() + "/st"}});
  REQUIRE(r.exit_code == 0);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  CHECK((*doc)["stateDir"].as_string() == home.path() + "/st");
  CHECK((*doc)["config"]["path"].as_string() == home.path() + "/st/durar.yaml");
  CHECK((*doc)["config"]["exists"].as_bool() == false);
  CHECK((*doc)["gatewayPort"].as_int() == 18789);
}

TEST_CASE("doctor reports config problems with file and line and exits 1", "[cli][doctor]") {
  temp_home home;
  home.write(".durar/durar.yaml",
             "agents:\n  defaults:\n    modle:\n      primary: openai/gpt-5.4\n");
  auto r = run_durar({"doctor"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("durar.yaml:3") != std::string::npos);
  CHECK(r.out.find("agents.defaults.modle") != std::string::npos);
  CHECK(r.out.find("did you mean 'model'") != std::string::npos);
}

TEST_CASE("the profile and dev options isolate the state dir and port", "[cli][doctor]") {
  temp_home home;
  auto r = run_durar({"doctor", "--json", "--profile", "work"}, {{"HOME", home.path()}});
  REQUIRE(r.exit_code == 0);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  CHECK((*doc)["stateDir"].as_string() == home.path() + "/.durar-work");

  r = run_durar({"--dev", "doctor", "--json"}, {{"HOME", home.path()}});
  REQUIRE(r.exit_code == 0);
  doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  CHECK((*doc)["stateDir"].as_string() == home.path() + "/.durar-dev");
  CHECK((*doc)["gatewayPort"].as_int() == 19001);
}

TEST_CASE("doctor points at an existing openclaw.json to import", "[cli][doctor]") {
  temp_home home;
  home.write(".openclaw/openclaw.json", "{ gateway: { port: 18789 } }\n");
  auto r = run_durar({"doctor"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("durar config import " + home.path() + "/.openclaw/openclaw.json") !=
        std::string::npos);
}

TEST_CASE("doctor names a state dir and config others can read, and --fix makes them private",
          "[cli][doctor]") {
  temp_home home;
  const std::string config = home.write(".durar/durar.yaml", "gateway:\n  port: 19002\n");
  const std::string state = home.path() + "/.durar";
  REQUIRE(::chmod(state.c_str(), 0755) == 0);
  REQUIRE(::chmod(config.c_str(), 0644) == 0);
  auto mode = [](const std::string& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };

  auto r = run_durar({"doctor"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);  // a warning, not a failure
  INFO(r.out);
  CHECK(r.out.find(state + " is 0755") != std::string::npos);
  CHECK(r.out.find("chmod 700 " + state) != std::string::npos);
  CHECK(r.out.find(config + " is 0644") != std::string::npos);
  CHECK(mode(state) == 0755);  // looking changes nothing

  auto j = run_durar({"doctor", "--json"}, {{"HOME", home.path()}});
  auto doc = durar::json::parse(j.out);
  REQUIRE(doc.has_value());
  REQUIRE((*doc)["permissions"].as_array().size() == 2);
  CHECK((*doc)["permissions"][0]["recommended"] == "0700");

  auto fixed = run_durar({"doctor", "--fix"}, {{"HOME", home.path()}});
  CHECK(fixed.exit_code == 0);
  CHECK(fixed.out.find("changed to 0700") != std::string::npos);
  CHECK(mode(state) == 0700);
  CHECK(mode(config) == 0600);
  auto after = run_durar({"doctor"}, {{"HOME", home.path()}});
  CHECK(after.out.find("private (only you") != std::string::npos);
}
