// `durar gateway run` with gateway.reload.mode restart: a config edit drains the gateway and
// runs the same command again in the same process, which serves on the same port with the
// new config. The real binary, a fake vendor in this process, and raw HTTP over TCP.
#include <durar/json.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "fake_vendor_server.hpp"
#include "run_cli.hpp"

#include <csignal>
#include <filesystem>

using durar::json;
using durar::test::child_process;
using durar::test::fake_vendor_server;
using durar::test::recorded_request;
using durar::test::tcp_client;
using durar::test::temp_home;
using namespace std::chrono_literals;

namespace {

constexpr const char* token = "gw-cli-reload-token";

std::string config_yaml(const std::string& vendor, const std::string& model) {
  return "agents:\n  defaults:\n    model:\n      primary: " + model +
         "\nmodels:\n  providers:\n    fake:\n      baseUrl: " + vendor +
         "/v1\n      apiKey: sk-cli-reload-canary\n      models:\n        - id: m1\n        - "
         "id: m2\ngateway:\n  auth:\n    token: " +
         token + "\n  reload:\n    mode: restart\n    debounceMs: 100\n";
}

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();  // closed again on return: free for the gateway
}

// One non-streamed chat completion; the HTTP status (0 when there was no answer).
int chat(std::uint16_t port) {
  std::string body = R"({"model":"durar","messages":[{"role":"user","content":"hi"}]})";
  tcp_client c(port);
  c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
         std::string(token) + "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  c.wait_closed();
  auto reply = durar::test::parse_reply(c.received);
  return reply ? reply->status : 0;
}

std::string model_asked(const fake_vendor_server& vendor, std::size_t n) {
  auto reqs = vendor.requests();
  if (n >= reqs.size()) return "(no request)";
  auto body = json::parse(reqs[n].body);
  return body ? body->string_or("model") : "(bad body)";
}

}  // namespace

TEST_CASE("gateway run in restart mode re-executes itself on a config change",
          "[cli][gateway][reload]") {
  fake_vendor_server vendor;
  vendor.respond_with([](const recorded_request&) {
    return durar::test::recorded(std::filesystem::path(DURAR_TEST_DATA) / "agent" /
                                 "openai-completions" / "answer_one.response.sse");
  });
  temp_home home;
  const std::string config =
      home.write(".durar/durar.yaml", config_yaml(vendor.base_url(), "fake/m1"));
  const std::uint16_t port = free_port();
  child_process gw({DURAR_CLI_PATH, "gateway", "run", "--port", std::to_string(port)},
                   {{"HOME", home.path()}, {"NO_COLOR", "1"}});
  REQUIRE(gw.wait_stderr("watching " + config));
  CHECK(gw.err().find("reload mode restart") != std::string::npos);
  REQUIRE(chat(port) == 200);
  CHECK(model_asked(vendor, 0) == "m1");

  // Saved the way editors do: a new file renamed over the old one.
  home.write(".durar/durar.yaml.new", config_yaml(vendor.base_url(), "fake/m2"));
  std::filesystem::rename(config + ".new", config);
  REQUIRE(gw.wait_stderr("restarting: config changed: agents.defaults.model.primary"));
  // Only the new program image says this, once it listens again.
  REQUIRE(gw.wait_stderr("restarted: config changed: agents.defaults.model.primary"));
  CHECK(gw.err().find("listening on http://127.0.0.1:" + std::to_string(port)) !=
        std::string::npos);
  CHECK(chat(port) == 200);
  CHECK(model_asked(vendor, 1) == "m2");

  gw.signal(SIGTERM);
  auto code = gw.wait_exit();
  REQUIRE(code);
  CHECK(*code == 0);
  INFO(gw.err());
  CHECK(gw.err().find("sk-cli-reload-canary") == std::string::npos);
}
