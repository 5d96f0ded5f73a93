// How the tool behaves with a config that has errors, and how it prints errors: duplicate
// keys are config errors, the commands that only talk to a running gateway (or read its
// log) still work, and error lines carry no internal code names.
#include <catch2/catch.hpp>

#include "gateway_fixture.hpp"
#include "run_cli.hpp"

#include <string>

using durar::test::run_durar;
using durar::test::temp_home;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t lines_with(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    n += text.substr(at, end - at).find(part) != std::string::npos;
    at = end + 1;
  }
  return n;
}

}  // namespace

TEST_CASE("config validate reports a duplicate key with both lines", "[cli][config]") {
  temp_home home;
  std::string file = home.write(".durar/durar.yaml", "gateway:\n  port: 19100\n  port: 19200\n");
  auto r = run_durar({"config", "validate"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  INFO(r.err);
  CHECK(has(r.err, file + ":3:3: error: gateway.port: duplicate key (first defined on line 2)"));

  r = run_durar({"config", "validate", "--json"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  CHECK((*doc)["valid"] == durar::json(false));
  CHECK((*doc)["issues"][0]["path"] == durar::json("gateway.port"));
  CHECK((*doc)["issues"][0]["line"] == durar::json(3));

  std::string json5 = home.write("c.json5", "{gateway: {port: 1}, gateway: {port: 2}}");
  r = run_durar({"config", "validate", "--config", json5}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, json5 + ":1:22: error: gateway: duplicate key (first defined on line 1)"));
}

TEST_CASE("error lines show the message without the internal code name", "[cli]") {
  temp_home home;
  auto r = run_durar({"complete", "--model", "nosuch/m", "hi"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  INFO(r.err);
  CHECK(r.err.starts_with("error: unknown provider 'nosuch' in 'nosuch/m'"));
  CHECK_FALSE(has(r.err, "not_found"));

  r = run_durar({"complete", "--model", "openai/gpt-5.4", "hi"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.starts_with("error: no API key for openai"));
  CHECK_FALSE(has(r.err, "unauthenticated"));
}

TEST_CASE("config unset removes the block it empties", "[cli][config]") {
  temp_home home;
  home.write(".durar/durar.yaml", "# mine\ngateway:\n  port: 19100\nagents: {}  # kept\n");
  auto r = run_durar({"config", "unset", "gateway.port"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 0);
  CHECK(home.read(".durar/durar.yaml") == "# mine\nagents: {}  # kept\n");
}

TEST_CASE("health, gateway status and logs work beside a gateway while the config is broken",
          "[cli][gateway]") {
  temp_home home;
  durar::test::write_fake_config(home, "http://127.0.0.1:9");
  durar::test::gateway_process gw(home);
  const std::map<std::string, std::string> env = {{"HOME", home.path()}};
  REQUIRE(run_durar({"health"}, env).exit_code == 0);

  home.write(".durar/durar.yaml", "gateway: [\n");
  const std::string warning = "has errors ('durar config validate' shows them)";

  auto r = run_durar({"health"}, env);
  INFO(r.out + r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "Gateway health: ok"));
  CHECK(lines_with(r.err, "warning:") == 1);
  CHECK(lines_with(r.err, warning) == 1);

  r = run_durar({"gateway", "status"}, env);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "Gateway: running at ws://127.0.0.1:" + gw.port));
  CHECK(lines_with(r.err, warning) == 1);

  r = run_durar({"logs", "--lines", "5"}, env);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.out.empty());
  CHECK(lines_with(r.err, warning) == 1);

  // What needs the config still fails with its error.
  r = run_durar({"models", "list"}, env);
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "durar.yaml:2:1: error:"));
  CHECK_FALSE(has(r.err, warning));
}
