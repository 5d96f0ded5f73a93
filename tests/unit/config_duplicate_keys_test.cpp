// A key written twice in one object is a config error naming the key and its first line,
// in YAML, JSON and JSON5 alike (the last one used to win silently).
#include <durar/config.hpp>

#include <catch2/catch.hpp>

#include "config_fixtures.hpp"

using namespace config_fixtures;

namespace {

// The single error of a config that must not load.
config_issue only_error(std::string_view text, const std::string& file) {
  auto c = durar::check_config_text(text, file, test_env());
  INFO(all_issues(c));
  REQUIRE_FALSE(c.ok());
  REQUIRE(c.issues.size() == 1);
  return c.issues[0];
}

}  // namespace

TEST_CASE("a duplicate key in YAML is an error at the second, naming the first line", "[config]") {
  auto i = only_error(
      "# ports\n"
      "gateway:\n"
      "  port: 19100\n"
      "  bind: loopback\n"
      "  port: 19200\n",
      "c.yaml");
  CHECK(i.level == config_issue::severity::error);
  CHECK(i.describe() == "c.yaml:5:3: error: gateway.port: duplicate key (first defined on line 3)");

  // Top level, and inside flow style.
  CHECK(only_error("gateway: {}\nagents: {}\ngateway: {port: 1}\n", "c.yaml").describe() ==
        "c.yaml:3:1: error: gateway: duplicate key (first defined on line 1)");
  CHECK(only_error("gateway: {port: 1, port: 2}\n", "c.yaml").describe() ==
        "c.yaml:1:20: error: gateway.port: duplicate key (first defined on line 1)");
  // Quoting does not make a different key; a different key is fine.
  CHECK(only_error("gateway:\n  port: 1\n  'port': 2\n", "c.yaml").path == "gateway.port");
  CHECK(durar::check_config_text("gateway:\n  port: 1\nagents:\n  defaults: {}\n", "c.yaml",
                                 test_env())
            .ok());
}

TEST_CASE("a duplicate key in JSON is an error at the second, naming the first line", "[config]") {
  auto i = only_error(
      "{\n"
      "  \"gateway\": {\"port\": 19100},\n"
      "  \"agents\": {},\n"
      "  \"gateway\": {\"bind\": \"lan\"}\n"
      "}\n",
      "c.json");
  CHECK(i.describe() == "c.json:4:3: error: gateway: duplicate key (first defined on line 2)");
  CHECK(only_error("{\"a\": {\"b\": 1, \"b\": 1}}", "c.json").path == "a.b");
}

TEST_CASE("a duplicate key in JSON5 is an error, however the key is written", "[config]") {
  auto i = only_error(
      "// config\n"
      "{\n"
      "  gateway: {\n"
      "    port: 19100,\n"
      "    'port': 19200,\n"
      "  },\n"
      "}\n",
      "c.json5");
  CHECK(i.describe() ==
        "c.json5:5:5: error: gateway.port: duplicate key (first defined on line 4)");
  // \u0070 is 'p': the same key.
  CHECK(only_error("{gateway: {port: 1, \\u0070ort: 2}}", "c.json5").path == "gateway.port");
  // The same key in two different objects is fine.
  CHECK(durar::check_config_text("{gateway: {port: 1}, agents: {defaults: {}}}", "c.json5",
                                 test_env())
            .ok());
}

TEST_CASE("a duplicate key stops config edits before they write", "[config]") {
  temp_dir tmp;
  fs::path file = tmp.path / "durar.yaml";
  const std::string text = "gateway:\n  port: 1\n  port: 2\n";
  spit(file, text);
  auto set = durar::config_set(file, "gateway.port", "3");
  REQUIRE_FALSE(set);
  CHECK_THAT(set.error().message, Catch::Contains("gateway.port: duplicate key"));
  CHECK_FALSE(durar::config_unset(file, "gateway.port"));
  CHECK(slurp(file) == text);
}
