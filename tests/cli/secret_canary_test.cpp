// A canary provider key and a canary gateway token, configured for real and used for real
// (a vendor that echoes the key in its 401, a gateway at trace level logging every frame),
// must never come back out: not in the log file or the console, error messages, HTTP
// bodies, WebSocket events, transcripts, or `config get` / `config.get`. Every file under the
// state dir and every byte the programs printed is searched; only the config file the user
// wrote holds them.
#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "fake_vendor_server.hpp"
#include "run_cli.hpp"
#include "ws_client.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

using durar::json;
using durar::test::child_process;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded_request;
using durar::test::run_durar;
using durar::test::tcp_client;
using durar::test::temp_home;
using durar::test::ws_client;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

const std::string canary_key = "sk-canary-7f3a9c2e51d4b6";
const std::string canary_token = "gw-canary-token-5b8e1d93";

// The vendor answers every request whole, except one whose history asks for the key back:
// then it does what OpenAI does and quotes the key in its 401.
void vendor_behaviour(fake_vendor_server& vendor) {
  vendor.respond_with([](const recorded_request& r) -> std::optional<fake_response> {
    if (r.body.find("echo the key") != std::string::npos) {
      return durar::test::error_response(
          401, R"({"error":{"message":"Incorrect API key provided: )" + canary_key +
                   R"(. You can find your API key at https://example.invalid.","type":)"
                   R"("invalid_request_error","code":"invalid_api_key"}})");
    }
    return durar::test::recorded(fs::path(DURAR_TEST_DATA) / "providers/router/hello.response.sse");
  });
}

void write_config(const temp_home& home, const std::string& url) {
  home.write(".durar/durar.yaml", "models:\n  providers:\n    fake:\n      baseUrl: " + url +
                                      "/v1\n      apiKey: " + canary_key +
                                      "\n      models: [{ id: m1 }]\n"
                                      "agents:\n  defaults:\n    model: { primary: fake/m1 }\n"
                                      "    workspace: " +
                                      home.path() +
                                      "/ws\n"
                                      "gateway:\n  auth:\n    mode: token\n    token: " +
                                      canary_token +
                                      "\nlogging:\n  level: trace\n  consoleLevel: trace\n");
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Fails with where a canary showed up.
void check_clean(const std::string& where, const std::string& text) {
  INFO(where << ":\n" << text.substr(0, 4000));
  CHECK(text.find(canary_key) == std::string::npos);
  CHECK(text.find(canary_token) == std::string::npos);
}

// One HTTP request on its own connection; the whole exchange as received.
std::string http(std::uint16_t port, const std::string& path, const std::string& body,
                 const std::string& bearer = canary_token) {
  tcp_client c(port);
  std::string req = (body.empty() ? "GET " : "POST ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    "Authorization: Bearer " + bearer + "\r\nConnection: close\r\n";
  if (!body.empty())
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  REQUIRE(c.send(req + "\r\n" + body));
  CHECK(c.wait_closed(10s));
  return c.received;
}

std::string chat(const std::string& message, bool stream, const std::string& session) {
  return json::object(
             {{"model", "durar"},
              {"stream", stream},
              {"user", session},
              {"messages", json::array({json::object({{"role", "user"}, {"content", message}})})}})
      .dump();
}

}  // namespace

TEST_CASE("a canary key and token never appear in logs, errors, events, transcripts or config",
          "[cli][secrets]") {
  fake_vendor_server vendor;
  vendor_behaviour(vendor);
  temp_home home;
  write_config(home, vendor.base_url());
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  std::vector<std::pair<std::string, std::string>> outputs;  // (where, what)

  child_process gw({DURAR_CLI_PATH, "gateway", "run", "--port", "0", "--json", "--verbose"}, env);
  REQUIRE(gw.wait_stdout("}\n"));
  auto listening = json::parse(gw.out().substr(0, gw.out().find('\n')));
  REQUIRE(listening);
  const auto port = static_cast<std::uint16_t>((*listening)["port"].as_int());
  const std::map<std::string, std::string> cli_env{{"HOME", home.path()},
                                                   {"DURAR_GATEWAY_PORT", std::to_string(port)}};

  // HTTP: the vendor's 401 quoting the key, whole and streamed; a good turn; a wrong token.
  std::string refused = http(port, "/v1/chat/completions", chat("echo the key", false, "canary"));
  CHECK(refused.find("Incorrect API key provided") != std::string::npos);  // the error came
  outputs.emplace_back("HTTP error", refused);
  std::string refused_stream =
      http(port, "/v1/chat/completions", chat("echo the key", true, "canary"));
  outputs.emplace_back("HTTP streamed error", refused_stream);
  std::string good = http(port, "/v1/chat/completions", chat("hi", true, "canary-good"));
  INFO(good);
  CHECK(good.find("Hello") != std::string::npos);
  outputs.emplace_back("HTTP stream", good);
  outputs.emplace_back("HTTP wrong token", http(port, "/v1/models", "", "not-" + canary_token));

  // WebSocket: every frame of a session that reads the config and runs a failing turn.
  {
    std::string frames;
    auto record = [&frames](auto done) {
      return [&frames, done](const json& j) {
        frames += j.dump() + "\n";
        return done(j);
      };
    };
    ws_client ws(port);
    REQUIRE(ws.handshake(canary_token));
    ws.send_json(json::object({{"type", "req"}, {"id", "cfg"}, {"method", "config.get"}}));
    auto cfg = ws.wait_json(record([](const json& j) { return j.string_or("id") == "cfg"; }));
    REQUIRE(cfg);
    CHECK((*cfg)["ok"] == json(true));
    // A secret asked for by its own path, where no key name above it says "secret".
    for (const char* path : {"gateway.auth.token", "models.providers.fake.apiKey"}) {
      ws.send_json(json::object({{"type", "req"},
                                 {"id", path},
                                 {"method", "config.get"},
                                 {"params", json::object({{"path", path}})}}));
      auto leaf = ws.wait_json(record([path](const json& j) { return j.string_or("id") == path; }));
      REQUIRE(leaf);
      CHECK((*leaf)["payload"]["value"] == json("***"));
    }
    ws.send_json(json::object({{"type", "req"},
                               {"id", "send"},
                               {"method", "chat.send"},
                               {"params", json::object({{"sessionKey", "agent:main:ws-canary"},
                                                        {"message", "echo the key"},
                                                        {"idempotencyKey", "canary-1"}})}}));
    auto ended = ws.wait_json(record([](const json& j) {
      return j.string_or("event") == "chat" && (j["payload"].string_or("state") == "error" ||
                                                j["payload"].string_or("state") == "final");
    }));
    REQUIRE(ended);
    CHECK((*ended)["payload"]["state"] == json("error"));
    outputs.emplace_back("WebSocket frames", frames);
  }

  // The CLI: config reads, the gateway's own view of it, a failing turn, history, logs.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"config", "get", "models.providers.fake.apiKey"},
           {"config", "get", "gateway"},
           {"config", "get", "models"},
           {"gateway", "call", "config.get"},
           {"gateway", "status", "--json"},
           {"agent", "-m", "echo the key", "--session", "cli-canary"},
           {"agent", "--local", "-m", "echo the key", "--session", "cli-local"},
           {"sessions", "list", "--json"},
           {"sessions", "export", "agent:main:cli-canary"},
           {"doctor"},
           {"models", "status"},
           {"logs", "--lines", "1000"}}) {
    auto r = run_durar(args, cli_env);
    std::string where = "durar";
    for (const auto& a : args) where += " " + a;
    outputs.emplace_back(where + " (stdout)", r.out);
    outputs.emplace_back(where + " (stderr)", r.err);
  }

  gw.signal(SIGTERM);
  REQUIRE(gw.wait_exit(15s) == std::optional<int>(0));
  outputs.emplace_back("gateway stdout", gw.out());
  outputs.emplace_back("gateway stderr", gw.err());
  // Not vacuous: the console ran at trace and logged frames and requests.
  CHECK(gw.err().find("config.get") != std::string::npos);

  for (const auto& [where, what] : outputs) check_clean(where, what);

  // Every file under the state dir but the config the user wrote.
  std::size_t files = 0, transcripts = 0, logs = 0;
  const fs::path config = fs::path(home.path()) / ".durar" / "durar.yaml";
  for (const auto& f : fs::recursive_directory_iterator(home.path())) {
    if (!f.is_regular_file() || f.path() == config) continue;
    ++files;
    transcripts += f.path().extension() == ".jsonl";
    logs += f.path().extension() == ".log";
    check_clean(f.path().string(), slurp(f.path()));
  }
  CHECK(transcripts >= 3);
  CHECK(logs >= 1);
  CHECK(files >= 5);
}
