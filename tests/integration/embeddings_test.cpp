// model_router::embed against fake vendor servers over real sockets: the three wires, batching,
// key rotation, failures, cancellation and secrets.
#include <durar/router.hpp>

#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "io_wait.hpp"

#include <filesystem>
#include <string>
#include <vector>

using namespace durar;
using durar::test::error_response;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;

namespace {

const std::filesystem::path providers = std::filesystem::path(DURAR_TEST_DATA) / "providers";

// A config pointing provider `id` (built in or not) at `base_url`.
config with_provider(const std::string& id, const std::string& api, const std::string& base_url,
                     std::map<std::string, std::string, std::less<>> env_vars = {}) {
  config cfg;
  cfg.env = environment(std::move(env_vars));
  provider_config p;
  p.base_url = base_url;
  p.api = api;
  cfg.models.providers[id] = p;
  return cfg;
}

// An OpenAI answer for inputs "t<first>".."t<first+n-1>": vector i is {i, -i}.
fake_response openai_answer(std::size_t first, std::size_t n) {
  json data = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    auto v = static_cast<double>(first + i);
    data.push_back(json::object({{"object", "embedding"},
                                 {"index", static_cast<std::int64_t>(i)},
                                 {"embedding", json::array({v, -v})}}));
  }
  fake_response r;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = json::object({{"object", "list"},
                         {"data", std::move(data)},
                         {"model", "text-embedding-3-small"},
                         {"usage", json::object({{"prompt_tokens", static_cast<std::int64_t>(n)},
                                                 {"total_tokens", static_cast<std::int64_t>(n)}})}})
               .dump();
  r.chunked = false;
  return r;
}

std::vector<std::string> texts(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("t" + std::to_string(i));
  return out;
}

json body_json(const durar::test::recorded_request& r) {
  auto j = json::parse(r.body);
  REQUIRE(j.has_value());
  return *j;
}

result<embedding_result> embed(const config& cfg, embedding_request req,
                               std::vector<route_event>* routes = nullptr,
                               router_options opts = {}) {
  asio::io_context io;
  model_router router(io, cfg, std::move(opts));
  if (routes != nullptr) router.on_route([routes](const route_event& e) { routes->push_back(e); });
  return router.embed(std::move(req));
}

}  // namespace

TEST_CASE("OpenAI embeddings: exact request, vectors and tokens", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(recorded(providers / "openai-completions" / "embeddings.response.json"));
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEY", "sk-one"}});
  auto out = embed(cfg, {"openai/text-embedding-3-small", {"hello", "world"}, std::nullopt});
  REQUIRE(out.has_value());
  CHECK(out->ref.str() == "openai/text-embedding-3-small");
  REQUIRE(out->vectors.size() == 2);
  CHECK(out->vectors[0].size() == 8);
  CHECK(out->vectors[1][0] == Approx(-0.011284535));
  CHECK(out->input_tokens == 11);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/v1/embeddings");
  CHECK(reqs[0].header("authorization") == "Bearer sk-one");
  CHECK(reqs[0].header("content-type") == "application/json");
  CHECK(body_json(reqs[0]) == json::object({{"model", "text-embedding-3-small"},
                                            {"input", json::array({"hello", "world"})},
                                            {"encoding_format", "float"}}));
}

TEST_CASE("an openai-responses provider embeds over the same wire, dimensions forwarded",
          "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(openai_answer(0, 1));
  auto cfg =
      with_provider("acme", "openai-responses", server.base_url() + "/v1", {{"ACME_API_KEY", "k"}});
  auto out = embed(cfg, {"acme/embed-large", {"t0"}, 256});
  REQUIRE(out.has_value());
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1/embeddings");
  CHECK(body_json(reqs[0])["dimensions"] == json(256));
}

TEST_CASE("Gemini batchEmbedContents: exact request and vectors", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(recorded(providers / "google-generative-ai" / "batch-embed.response.json"));
  auto cfg = with_provider("google", "google-generative-ai", server.base_url() + "/v1beta",
                           {{"GEMINI_API_KEY", "AIza-one"}});
  auto out = embed(cfg, {"google/gemini-embedding-001", {"hello", "world"}, 768});
  REQUIRE(out.has_value());
  REQUIRE(out->vectors.size() == 2);
  CHECK(out->vectors[0][0] == Approx(0.013168523));
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1beta/models/gemini-embedding-001:batchEmbedContents");
  CHECK(reqs[0].header("x-goog-api-key") == "AIza-one");
  CHECK(reqs[0].header("authorization").empty());
  auto request = [](const char* text) {
    return json::object(
        {{"model", "models/gemini-embedding-001"},
         {"content", json::object({{"parts", json::array({json::object({{"text", text}})})}})},
         {"outputDimensionality", 768}});
  };
  CHECK(body_json(reqs[0]) ==
        json::object({{"requests", json::array({request("hello"), request("world")})}}));
}

TEST_CASE("Ollama /api/embed: exact request, no key needed", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(recorded(providers / "ollama" / "embed.response.json"));
  auto cfg = with_provider("ollama", "ollama", server.base_url());
  auto out = embed(cfg, {"ollama/nomic-embed-text", {"hello", "world"}, 128});
  REQUIRE(out.has_value());
  REQUIRE(out->vectors.size() == 2);
  CHECK(out->input_tokens == 8);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/api/embed");
  CHECK(reqs[0].header("authorization").empty());
  CHECK(body_json(reqs[0]) == json::object({{"model", "nomic-embed-text"},
                                            {"input", json::array({"hello", "world"})},
                                            {"dimensions", 128}}));
}

TEST_CASE("inputs beyond the wire's batch limit go in sequential requests, order kept",
          "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(openai_answer(0, 2048));
  server.enqueue(openai_answer(2048, 52));
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEY", "k"}});
  auto out = embed(cfg, {"openai/text-embedding-3-small", texts(2100), std::nullopt});
  REQUIRE(out.has_value());
  REQUIRE(out->vectors.size() == 2100);
  for (std::size_t i = 0; i < out->vectors.size(); ++i) {
    REQUIRE(out->vectors[i].size() == 2);
    REQUIRE(out->vectors[i][0] == static_cast<float>(i));
  }
  CHECK(out->input_tokens == 2100);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  const json first = body_json(reqs[0]);
  const json second = body_json(reqs[1]);
  CHECK(first["input"].size() == 2048);
  CHECK(first["input"][2047].as_string() == "t2047");
  CHECK(second["input"].size() == 52);
  CHECK(second["input"][0].as_string() == "t2048");
}

TEST_CASE("a rate limit rotates to the next key for the failing batch", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(error_response(429, R"({"error":{"message":"Rate limit reached"}})", 120));
  server.enqueue(openai_answer(0, 2));
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEYS", "k1,k2"}});
  std::vector<route_event> routes;
  auto out = embed(cfg, {"openai/text-embedding-3-small", texts(2), std::nullopt}, &routes);
  REQUIRE(out.has_value());
  CHECK(out->vectors.size() == 2);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].header("authorization") == "Bearer k1");
  CHECK(reqs[1].header("authorization") == "Bearer k2");
  CHECK(reqs[0].body == reqs[1].body);
  bool cooled = false;
  for (const auto& e : routes)
    cooled |= e.what == route_event::kind::cooldown && e.cooldown >= std::chrono::seconds(120);
  CHECK(cooled);
}

TEST_CASE("a short Retry-After on the only key is waited out, a long one fails", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(error_response(429, R"({"error":{"message":"slow down"}})", 0));
  server.enqueue(openai_answer(0, 1));
  server.enqueue(error_response(429, R"({"error":{"message":"slow down a lot"}})", 60));
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEY", "k1"}});
  auto out = embed(cfg, {"openai/text-embedding-3-small", texts(1), std::nullopt});
  REQUIRE(out.has_value());
  CHECK(server.requests().size() == 2);

  auto refused = embed(cfg, {"openai/text-embedding-3-small", texts(1), std::nullopt});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == errc::resource_exhausted);
  CHECK(refused.error().message.find("slow down a lot") != std::string::npos);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("an auth failure ends the call at once, with the vendor's message", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(error_response(401, R"({"error":{"message":"Incorrect API key provided"}})"));
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEYS", "k1,k2"}});
  auto out = embed(cfg, {"openai/text-embedding-3-small", texts(3), std::nullopt});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == errc::unauthenticated);
  CHECK(out.error().http_status == 401);
  CHECK(out.error().message.find("openai/text-embedding-3-small") != std::string::npos);
  CHECK(out.error().message.find("Incorrect API key provided") != std::string::npos);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("a failure in a later batch names the inputs it covered", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(openai_answer(0, 2048));
  server.enqueue(error_response(400, R"({"error":{"message":"input too weird"}})"));
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEY", "k"}});
  auto out = embed(cfg, {"openai/text-embedding-3-small", texts(2050), std::nullopt});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == errc::invalid_argument);
  CHECK(out.error().message.find("inputs 2049-2050 of 2050") != std::string::npos);
}

TEST_CASE("providers and setups that cannot embed fail before any request", "[embeddings]") {
  SECTION("anthropic has no embeddings API") {
    config cfg;
    cfg.env =
        environment(std::map<std::string, std::string, std::less<>>{{"ANTHROPIC_API_KEY", "k"}});
    auto out = embed(cfg, {"anthropic/claude-sonnet-4-6", texts(1), std::nullopt});
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == errc::invalid_argument);
    CHECK(out.error().message.find("anthropic") != std::string::npos);
    CHECK(out.error().message.find("no embeddings") != std::string::npos);
  }
  SECTION("no key names the variable to set") {
    config cfg;
    auto out = embed(cfg, {"openai/text-embedding-3-small", texts(1), std::nullopt});
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == errc::unauthenticated);
    CHECK(out.error().message == "no API key for openai: set OPENAI_API_KEY");
  }
  SECTION("an unknown provider is not found, with a suggestion") {
    config cfg;
    auto out = embed(cfg, {"opeani/text-embedding-3-small", texts(1), std::nullopt});
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == errc::not_found);
    CHECK(out.error().message.find("openai") != std::string::npos);
  }
  SECTION("dimensions must be positive") {
    config cfg;
    cfg.env = environment(std::map<std::string, std::string, std::less<>>{{"OPENAI_API_KEY", "k"}});
    auto out = embed(cfg, {"openai/text-embedding-3-small", texts(1), 0});
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == errc::invalid_argument);
  }
}

TEST_CASE("no inputs: an empty result and no request", "[embeddings]") {
  fake_vendor_server server;
  auto cfg = with_provider("ollama", "ollama", server.base_url());
  auto out = embed(cfg, {"ollama/nomic-embed-text", {}, std::nullopt});
  REQUIRE(out.has_value());
  CHECK(out->vectors.empty());
  CHECK(out->ref.str() == "ollama/nomic-embed-text");
  CHECK(server.requests().empty());
}

TEST_CASE("an answer with the wrong number of vectors is a protocol error", "[embeddings]") {
  fake_vendor_server server;
  server.enqueue(openai_answer(0, 1));
  fake_response garbage;
  garbage.headers = {{"Content-Type", "application/json"}};
  garbage.body = R"({"embeddings": [[0.1, 0.2], )";  // cut short
  server.enqueue(garbage);
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEY", "k"}});
  auto out = embed(cfg, {"openai/text-embedding-3-small", texts(2), std::nullopt});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == errc::protocol_error);
  CHECK(out.error().message.find("1 vectors came back for 2 inputs") != std::string::npos);

  auto ollama = embed(with_provider("ollama", "ollama", server.base_url()),
                      {"ollama/nomic-embed-text", texts(2), std::nullopt});
  REQUIRE_FALSE(ollama.has_value());
  CHECK(ollama.error().code == errc::protocol_error);
  CHECK(ollama.error().message.find("not valid JSON") != std::string::npos);
}

TEST_CASE("cancelling an embedding in flight ends it as cancelled", "[embeddings]") {
  fake_vendor_server server;
  fake_response stalled = openai_answer(0, 2);
  stalled.stall_after = 10;
  server.enqueue(stalled);
  asio::io_context io;
  model_router router(io, with_provider("openai", "openai-completions", server.base_url() + "/v1",
                                        {{"OPENAI_API_KEY", "k"}}));
  asio::cancellation_signal cancel;
  std::optional<result<embedding_result>> outcome;
  router.async_embed(
      {"openai/text-embedding-3-small", texts(2), std::nullopt},
      [&](result<embedding_result> r) { outcome = std::move(r); }, cancel.slot());
  REQUIRE(durar::test::run_until(io, [&] { return !server.requests().empty(); }));
  CHECK_FALSE(outcome.has_value());
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(durar::test::run_until(io, [&] { return outcome.has_value(); }));
  REQUIRE_FALSE(outcome->has_value());
  CHECK(outcome->error().code == errc::cancelled);
}

TEST_CASE("total_timeout bounds each request", "[embeddings]") {
  fake_vendor_server server;
  fake_response stalled = openai_answer(0, 1);
  stalled.stall_after = 10;
  server.enqueue(stalled);
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEY", "k"}});
  embedding_request req{"openai/text-embedding-3-small", texts(1), std::nullopt};
  req.total_timeout = std::chrono::milliseconds(300);
  auto out = embed(cfg, req);
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == errc::deadline_exceeded);
}

TEST_CASE("a canary key never appears in embedding errors or routes", "[embeddings]") {
  const std::string canary = "sk-canary-embed-5b1c0e77";
  fake_vendor_server server;
  server.enqueue(error_response(
      401, R"({"error":{"message":"Incorrect API key provided: )" + canary + R"("}})"));
  fake_response echoed;
  echoed.headers = {{"Content-Type", "application/json"}};
  echoed.body = R"({"error":{"message":"key )" + canary + R"( is not allowed here"}})";
  server.enqueue(echoed);
  auto cfg = with_provider("openai", "openai-completions", server.base_url() + "/v1",
                           {{"OPENAI_API_KEY", canary}});
  std::vector<route_event> routes;
  for (int i = 0; i < 2; ++i) {
    auto out = embed(cfg, {"openai/text-embedding-3-small", texts(1), std::nullopt}, &routes);
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().describe().find(canary) == std::string::npos);
    CHECK(out.error().describe().find("***") != std::string::npos);
  }
  REQUIRE_FALSE(routes.empty());
  for (const auto& e : routes) {
    CHECK(e.failure.describe().find(canary) == std::string::npos);
    CHECK(e.credential.find(canary) == std::string::npos);
  }
}
