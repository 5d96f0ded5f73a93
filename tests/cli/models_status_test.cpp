// `durar models status` after a real billing failure: the key's cooldown shows, in hours.
#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "run_cli.hpp"

#include <filesystem>

using durar::test::error_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::run_durar;
using durar::test::temp_home;

TEST_CASE("models status shows a key cooling down after a billing error", "[cli][models]") {
  fake_vendor_server alpha, beta;
  alpha.enqueue(error_response(
      429,
      R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}})"));
  beta.enqueue(recorded(std::filesystem::path(DURAR_TEST_DATA) / "providers" / "router" /
                        "hello.response.sse"));
  temp_home home;
  home.write(".durar/durar.yaml",
             "models:\n  providers:\n"
             "    alpha:\n      baseUrl: " +
                 alpha.base_url() +
                 "/v1\n      models: [{ id: m1 }]\n"
                 "    beta:\n      baseUrl: " +
                 beta.base_url() +
                 "/v1\n      models: [{ id: m1 }]\n"
                 "agents:\n  defaults:\n    model: { primary: alpha/m1, fallbacks: [beta/m1] }\n");
  const std::map<std::string, std::string> env = {
      {"HOME", home.path()}, {"ALPHA_API_KEY", "sk-alpha-0123456789"}, {"BETA_API_KEY", "kb"}};

  auto done = run_durar({"complete", "hi"}, env);
  INFO(done.err);
  REQUIRE(done.exit_code == 0);
  CHECK(done.out == "Hello from the fake\n");  // the fallback answered

  auto status = run_durar({"models", "status"}, env);
  INFO(status.out << status.err);
  REQUIRE(status.exit_code == 0);
  CHECK(status.out.find("alpha/m1") != std::string::npos);
  CHECK(status.out.find("ALPHA_API_KEY#") != std::string::npos);
  CHECK(status.out.find("billing") != std::string::npos);
  const bool hours = status.out.find("4h59m") != std::string::npos ||
                     status.out.find("5h00m") != std::string::npos;
  CHECK(hours);
  CHECK(status.out.find("sk-alpha") == std::string::npos);

  auto as_json = run_durar({"models", "status", "--json"}, env);
  auto doc = durar::json::parse(as_json.out);
  REQUIRE(doc.has_value());
  const durar::json& cool = (*doc)["cooldowns"];
  REQUIRE(cool.size() == 1);
  CHECK(cool[0]["reason"] == durar::json("billing"));
  CHECK(cool[0]["level"] == durar::json(1));
  CHECK(cool[0]["remainingSeconds"].as_int() > 5 * 3600 - 120);
  CHECK(cool[0]["remainingSeconds"].as_int() <= 5 * 3600);
}
