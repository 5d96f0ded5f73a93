// `durar models list --local` and `models status` against a fake Ollama configured through a
// temp config; the other local servers point at ports where nothing listens.
#include <durar/json.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "run_cli.hpp"

#include <filesystem>

using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded_request;
using durar::test::run_durar;
using durar::test::temp_home;

namespace {

const std::filesystem::path ollama_data =
    std::filesystem::path(DURAR_TEST_DATA) / "providers" / "ollama";

std::uint16_t refused_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}

// A fake Ollama (tags + show) and a config pointing every built-in local provider somewhere
// known; the default model is hosted, so only --local hides it.
struct local_setup {
  temp_home home;
  fake_vendor_server ollama;
  std::map<std::string, std::string> env;

  local_setup() {
    ollama.respond_with([](const recorded_request& r) -> std::optional<fake_response> {
      if (r.target == "/api/tags") return durar::test::recorded(ollama_data / "tags.listing.json");
      if (r.target == "/api/show") return durar::test::recorded(ollama_data / "show.listing.json");
      return std::nullopt;
    });
    const std::string closed = "http://127.0.0.1:" + std::to_string(refused_port());
    home.write(".durar/durar.yaml",
               "agents:\n  defaults:\n    model:\n      primary: anthropic/claude-opus-4-6\n"
               "models:\n  providers:\n"
               "    ollama:\n      baseUrl: " +
                   ollama.base_url() +
                   "\n"
                   "    vllm:\n      baseUrl: " +
                   closed +
                   "/v1\n"
                   "    sglang:\n      baseUrl: " +
                   closed +
                   "/v1\n"
                   "    lmstudio:\n      baseUrl: " +
                   closed +
                   "/v1\n"
                   "    litellm:\n      baseUrl: " +
                   closed + "/v1\n");
    env = {{"HOME", home.path()}, {"ANTHROPIC_API_KEY", "k"}};
  }
};

const durar::json* find_key(const durar::json& list, const std::string& field,
                            const std::string& value) {
  for (const auto& item : list.as_array())
    if (item[field].is_string() && item[field].as_string() == value) return &item;
  return nullptr;
}

}  // namespace

TEST_CASE("models list --local lists what the local servers serve", "[cli][models][discovery]") {
  local_setup s;
  auto r = run_durar({"models", "list", "--local", "--json"}, s.env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  const auto& models = (*doc)["models"];
  CHECK((*doc)["count"].as_int() == 3);
  CHECK(find_key(models, "key", "anthropic/claude-opus-4-6") == nullptr);  // not local
  const durar::json* llama = find_key(models, "key", "ollama/llama3.2:latest");
  REQUIRE(llama != nullptr);
  CHECK((*llama)["local"].as_bool());
  CHECK((*llama)["available"].as_bool());
  CHECK((*llama)["contextWindow"].as_int() == 131072);  // from /api/show
  CHECK((*llama)["tags"].dump().find("\"local\"") != std::string::npos);

  const auto& servers = (*doc)["servers"];
  REQUIRE(servers.is_array());
  CHECK(servers.as_array().size() == 5);
  const durar::json* ollama = find_key(servers, "provider", "ollama");
  REQUIRE(ollama != nullptr);
  CHECK((*ollama)["reachable"].as_bool());
  CHECK((*ollama)["models"].as_int() == 3);
  CHECK((*ollama)["baseUrl"].as_string() == s.ollama.base_url());
  const durar::json* vllm = find_key(servers, "provider", "vllm");
  REQUIRE(vllm != nullptr);
  CHECK_FALSE((*vllm)["reachable"].as_bool());
  CHECK((*vllm)["error"].as_string().find("/v1/models") != std::string::npos);
}

TEST_CASE("models list --local reports unreachable servers only with --verbose",
          "[cli][models][discovery]") {
  local_setup s;
  auto r = run_durar({"models", "list", "--local"}, s.env);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("ollama/deepseek-r1:14b") != std::string::npos);
  CHECK(r.out.find("anthropic/") == std::string::npos);
  CHECK(r.err.empty());

  r = run_durar({"models", "list", "--local", "--verbose"}, s.env);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("unreachable: vllm: GET http://127.0.0.1:") != std::string::npos);
  CHECK(r.err.find("ollama") == std::string::npos);
}

TEST_CASE("plain models list does not probe, models status does", "[cli][models][discovery]") {
  local_setup s;
  auto r = run_durar({"models", "list", "--json"}, s.env);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("ollama/") == std::string::npos);
  CHECK(s.ollama.requests().empty());

  r = run_durar({"models", "status", "--json"}, s.env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = durar::json::parse(r.out);
  REQUIRE(doc.has_value());
  const durar::json* ollama = find_key((*doc)["localServers"], "provider", "ollama");
  REQUIRE(ollama != nullptr);
  CHECK((*ollama)["reachable"].as_bool());
  const durar::json* sglang = find_key((*doc)["localServers"], "provider", "sglang");
  REQUIRE(sglang != nullptr);
  CHECK_FALSE((*sglang)["reachable"].as_bool());

  r = run_durar({"models", "status"}, s.env);
  CHECK(r.out.find("up, 3 models") != std::string::npos);
  CHECK(r.out.find("down: not reachable") != std::string::npos);
}
