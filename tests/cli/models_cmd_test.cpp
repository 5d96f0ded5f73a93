#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "run_cli.hpp"

#include <filesystem>

using durar::test::run_durar;
using durar::test::temp_home;

TEST_CASE("models set writes the default and models list shows it", "[cli][models]") {
  temp_home home;
  std::map<std::string, std::string> env = {{"HOME", home.path()}, {"ANTHROPIC_API_KEY", "k"}};
  auto r = run_durar({"models", "set", "anthropic/claude-opus-4-6"}, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("Default model: anthropic/claude-opus-4-6") != std::string::npos);

  r = run_durar({"models", "list"}, env);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("anthropic/claude-opus-4-6") != std::string::npos);
  CHECK(r.out.find("default") != std::string::npos);

  r = run_durar({"models", "list", "--json"}, env);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  REQUIRE((*doc)["count"].as_int() >= 1);
  const auto& first = (*doc)["models"][0];
  CHECK(first["key"].as_string() == "anthropic/claude-opus-4-6");
  CHECK(first["available"].as_bool());
  CHECK(first["contextWindow"].as_int() > 0);
}

TEST_CASE("models set resolves aliases and adds to an existing allowlist", "[cli][models]") {
  temp_home home;
  home.write(".durar/durar.yaml",
             "agents:\n  defaults:\n    models:\n      \"openai/gpt-5.4\":\n        alias: GPT\n");
  std::map<std::string, std::string> env = {{"HOME", home.path()}};
  auto r = run_durar({"models", "set", "gpt"}, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(run_durar({"config", "get", "agents.defaults.model.primary"}, env).out ==
        "openai/gpt-5.4\n");

  r = run_durar({"models", "set", "anthropic/claude-opus-4-6"}, env);
  REQUIRE(r.exit_code == 0);
  r = run_durar({"config", "get", "agents.defaults.models", "--json"}, env);
  CHECK(r.out.find("anthropic/claude-opus-4-6") != std::string::npos);
  CHECK(r.out.find("GPT") != std::string::npos);
}

TEST_CASE("models set with an unknown provider fails with a suggestion", "[cli][models]") {
  temp_home home;
  auto r = run_durar({"models", "set", "opnai/gpt-5.4"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("openai") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(home.path() + "/.durar/durar.yaml"));
}

TEST_CASE("models list --all shows the catalog", "[cli][models]") {
  temp_home home;
  auto r = run_durar({"models", "list", "--all", "--json"}, {{"HOME", home.path()}});
  REQUIRE(r.exit_code == 0);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  CHECK((*doc)["count"].as_int() > 10);
  r = run_durar({"models", "list", "--all", "--provider", "anthropic"}, {{"HOME", home.path()}});
  CHECK(r.out.find("openai/") == std::string::npos);
  CHECK(r.out.find("anthropic/") != std::string::npos);
}
