#include "fake_vendor_server.hpp"
#include "run_cli.hpp"

#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

using durar::test::error_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::run_durar;
using durar::test::temp_home;

namespace {

const std::filesystem::path hello = std::filesystem::path(DURAR_TEST_DATA) / "providers" /
                                    "router" / "hello.response.sse";

void write_config(const temp_home& home, const std::string& url) {
  home.write(".durar/durar.yaml", "models:\n  providers:\n    fake:\n      baseUrl: " + url +
                                      "/v1\n      models: [{ id: m1, cost: { input: 2, output: 10 } }]\n"
                                      "agents:\n  defaults:\n    model: { primary: fake/m1 }\n");
}

}  // namespace

TEST_CASE("complete streams the answer to stdout", "[cli][complete]") {
  fake_vendor_server server;
  server.enqueue(recorded(hello));
  temp_home home;
  write_config(home, server.base_url());
  auto r = run_durar({"complete", "say hi"}, {{"HOME", home.path()}, {"FAKE_API_KEY", "k"}});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Hello from the fake\n");
  auto body = durar::json::parse(server.requests().at(0).body);
  REQUIRE(body.has_value());
  CHECK((*body)["messages"][0]["content"].dump().find("say hi") != std::string::npos);
}

TEST_CASE("complete --json prints one event per line", "[cli][complete]") {
  fake_vendor_server server;
  server.enqueue(recorded(hello));
  temp_home home;
  write_config(home, server.base_url());
  auto r = run_durar({"complete", "--json", "--model", "fake/m1", "hi"},
                     {{"HOME", home.path()}, {"FAKE_API_KEY", "k"}});
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::vector<std::string> types;
  for (std::string line; std::getline(lines, line);) {
    auto e = durar::json::parse(line);
    REQUIRE(e.has_value());
    types.push_back((*e)["type"].as_string());
  }
  REQUIRE(types.size() >= 4);
  CHECK(types.front() == "start");
  CHECK(types.back() == "done");
}

TEST_CASE("complete reports a vendor error and exits 1", "[cli][complete]") {
  fake_vendor_server server;
  server.enqueue(error_response(401, R"({"error":{"message":"invalid api key"}})"));
  temp_home home;
  write_config(home, server.base_url());
  auto r = run_durar({"complete", "hi"}, {{"HOME", home.path()}, {"FAKE_API_KEY", "sk-canary-55"}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("invalid api key") != std::string::npos);
  CHECK(r.err.find("sk-canary-55") == std::string::npos);
}

TEST_CASE("complete rejects bad options as usage errors", "[cli][complete]") {
  temp_home home;
  auto r = run_durar({"complete", "--thinking", "huge", "hi"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--thinking") != std::string::npos);
  r = run_durar({"complete", "hi"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("agents.defaults.model.primary") != std::string::npos);
}
