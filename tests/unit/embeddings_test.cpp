// Embeddings on the wire: request building per wire, recorded answers parsed, broken answers
// reported as protocol errors (never a crash).
#include "transports/embeddings.hpp"

#include <durar/catalog.hpp>
#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "wire_fixture.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

using namespace durar;
using wire_fixture::body_of;
using wire_fixture::header;
using wire_replay::read_data;

namespace {

provider_info provider(std::string id, api_kind api, std::string base_url) {
  provider_info p;
  p.id = std::move(id);
  p.api = api;
  p.base_url = std::move(base_url);
  return p;
}

const std::vector<std::string> two = {"first text", "second text"};

http_request build(api_kind api, const provider_info& p, std::string_view model, const secret* key,
                   std::optional<int> dimensions = std::nullopt,
                   const std::vector<std::string>& inputs = two) {
  const auto* wire = detail::embedding_wire_for(api);
  REQUIRE(wire != nullptr);
  auto req = wire->build({p, model, key, inputs, dimensions});
  REQUIRE(req.has_value());
  return *req;
}

// Parses with the wire of `api` and returns the error (the test expects one).
error parse_error(api_kind api, std::string_view body, std::size_t expected = 2) {
  auto parsed = detail::embedding_wire_for(api)->parse(body, expected);
  REQUIRE_FALSE(parsed.has_value());
  return parsed.error();
}

}  // namespace

TEST_CASE("each api maps to its embeddings wire, anthropic has none", "[embeddings]") {
  CHECK(detail::embedding_wire_for(api_kind::anthropic_messages) == nullptr);
  CHECK(detail::embedding_wire_for(api_kind::openai_completions)->max_batch == 2048);
  CHECK(detail::embedding_wire_for(api_kind::openai_responses) ==
        detail::embedding_wire_for(api_kind::openai_completions));
  CHECK(detail::embedding_wire_for(api_kind::google_generative_ai)->max_batch == 100);
  CHECK(detail::embedding_wire_for(api_kind::ollama)->max_batch == 512);
}

TEST_CASE("OpenAI embeddings request: URL, auth and body", "[embeddings]") {
  const secret key("sk-test-1");
  auto p = provider("openai", api_kind::openai_completions, "");
  auto req = build(api_kind::openai_completions, p, "text-embedding-3-small", &key, 256);
  CHECK(req.method == "POST");
  CHECK(req.url == "https://api.openai.com/v1/embeddings");
  CHECK(header(req, "Authorization") == "Bearer sk-test-1");
  CHECK(header(req, "Content-Type") == "application/json");
  CHECK(body_of(req) == json::object({{"model", "text-embedding-3-small"},
                                      {"input", json::array({"first text", "second text"})},
                                      {"encoding_format", "float"},
                                      {"dimensions", 256}}));

  // Azure-style query strings stay after the path; a base URL is required elsewhere.
  auto azure = provider("azure", api_kind::openai_completions,
                        "https://x.openai.azure.com/openai/v1/?api-version=preview");
  CHECK(build(api_kind::openai_completions, azure, "e", &key).url ==
        "https://x.openai.azure.com/openai/v1/embeddings?api-version=preview");
  auto none = provider("proxy", api_kind::openai_completions, "");
  auto missing = detail::build_openai_embeddings_request({none, "e", &key, two, std::nullopt});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == errc::invalid_argument);
}

TEST_CASE("Gemini batchEmbedContents request: one request per input", "[embeddings]") {
  const secret key("AIza-test-key");
  auto p = provider("google", api_kind::google_generative_ai,
                    "https://generativelanguage.googleapis.com/v1beta/openai/");
  auto req = build(api_kind::google_generative_ai, p, "models/gemini-embedding-001", &key, 768);
  CHECK(req.url ==
        "https://generativelanguage.googleapis.com/v1beta/models/"
        "gemini-embedding-001:batchEmbedContents");
  CHECK(header(req, "x-goog-api-key") == "AIza-test-key");
  CHECK(req.url.find("key=") == std::string::npos);
  json one = json::object(
      {{"model", "models/gemini-embedding-001"},
       {"content",
        json::object({{"parts", json::array({json::object({{"text", "first text"}})})}})},
       {"outputDimensionality", 768}});
  const json body = body_of(req);
  const json& requests = body["requests"];
  REQUIRE(requests.size() == 2);
  CHECK(requests[0] == one);
  CHECK(requests[1]["content"]["parts"][0]["text"].as_string() == "second text");
}

TEST_CASE("Ollama /api/embed request: host root, no auth unless a key", "[embeddings]") {
  auto p = provider("ollama", api_kind::ollama, "http://127.0.0.1:11434/v1");
  auto req = build(api_kind::ollama, p, "ollama/nomic-embed-text", nullptr);
  CHECK(req.url == "http://127.0.0.1:11434/api/embed");
  CHECK(header(req, "Authorization").empty());
  CHECK(body_of(req) == json::object({{"model", "nomic-embed-text"},
                                      {"input", json::array({"first text", "second text"})}}));
  const secret key("ollama-cloud-key");
  CHECK(header(build(api_kind::ollama, p, "m", &key, 64), "Authorization") ==
        "Bearer ollama-cloud-key");
}

TEST_CASE("recorded embedding answers parse into vectors in input order", "[embeddings]") {
  auto openai = detail::parse_openai_embeddings(
      read_data("providers/openai-completions/embeddings.response.json"), 2);
  REQUIRE(openai.has_value());
  REQUIRE(openai->vectors.size() == 2);
  CHECK(openai->vectors[0].size() == 8);
  CHECK(openai->vectors[0][0] == Approx(0.0023064255));
  CHECK(openai->vectors[1][0] == Approx(-0.011284535));
  CHECK(openai->input_tokens == 11);

  auto google = detail::parse_google_embeddings(
      read_data("providers/google-generative-ai/batch-embed.response.json"), 2);
  REQUIRE(google.has_value());
  REQUIRE(google->vectors.size() == 2);
  CHECK(google->vectors[1][7] == Approx(0.0039862934));
  CHECK(google->input_tokens == 0);

  auto ollama =
      detail::parse_ollama_embeddings(read_data("providers/ollama/embed.response.json"), 2);
  REQUIRE(ollama.has_value());
  REQUIRE(ollama->vectors.size() == 2);
  CHECK(ollama->vectors[0][6] == Approx(0.105441414));
  CHECK(ollama->input_tokens == 8);
}

TEST_CASE("OpenAI vectors are placed by index, not by arrival", "[embeddings]") {
  auto out = detail::parse_openai_embeddings(
      R"({"object":"list","data":[{"object":"embedding","index":1,"embedding":[2]},)"
      R"({"object":"embedding","index":0,"embedding":[1]}],"model":"m",)"
      R"("usage":{"prompt_tokens":3,"total_tokens":3}})",
      2);
  REQUIRE(out.has_value());
  CHECK(out->vectors == std::vector<std::vector<float>>{{1.0F}, {2.0F}});
  CHECK(parse_error(api_kind::openai_completions,
                    R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]})")
            .message.find("data[1].index 0 is out of place") != std::string::npos);
}

TEST_CASE("Gemini's NaN and Infinity strings are read as floats", "[embeddings]") {
  auto out =
      detail::parse_google_embeddings(R"({"embeddings":[{"values":[1,"NaN","-Infinity"]}]})", 1);
  REQUIRE(out.has_value());
  REQUIRE(out->vectors[0].size() == 3);
  CHECK(std::isnan(out->vectors[0][1]));
  CHECK(std::isinf(out->vectors[0][2]));
  CHECK(out->vectors[0][2] < 0);
}

TEST_CASE("broken embedding answers are protocol errors naming what is wrong", "[embeddings]") {
  using api = api_kind;
  struct bad {
    api wire;
    std::string body;
    std::string says;
  };
  const std::vector<bad> cases = {
      {api::openai_completions, "", "not valid JSON"},
      {api::openai_completions, R"({"data":[{"index":0,"embedding":[0.1,)", "not valid JSON"},
      {api::openai_completions, "[1,2]", "not a JSON object"},
      {api::openai_completions, R"({"object":"list"})", "no \"data\" array"},
      {api::openai_completions, R"({"data":[{"index":0},{"index":1,"embedding":[1]}]})",
       "data[0] has no embedding"},
      {api::openai_completions, R"({"data":[{"index":0,"embedding":"AAAA"},{"index":1}]})",
       "base64"},
      {api::openai_completions,
       R"({"data":[{"index":0,"embedding":[1,"x"]},{"index":1,"embedding":[1]}]})",
       "data[0].embedding[1] is not a number"},
      {api::openai_completions, R"({"data":[{"index":0,"embedding":[1]}]})",
       "1 vectors came back for 2 inputs"},
      {api::google_generative_ai, R"({"embeddings":[{"values":[1]},{}]})",
       "embeddings[1].values is missing"},
      {api::google_generative_ai, R"({"embeddings":[{"values":[1]}]})",
       "1 vectors came back for 2 inputs"},
      {api::google_generative_ai, "{\"embeddings\":[{\"values\":[1]},{\"values\":[\xff]}]}",
       "not valid JSON"},
      {api::ollama, R"({"embeddings":[[1],{"x":1}]})", "embeddings[1] is not an array"},
      {api::ollama, R"({"embeddings":[[1],[2],[3]]})", "3 vectors came back for 2 inputs"},
      {api::ollama, R"({"model":"m"})", "no \"embeddings\" array"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    error e = parse_error(c.wire, c.body);
    CHECK(e.code == errc::protocol_error);
    CHECK(e.message.find(c.says) != std::string::npos);
  }
  // An error inside a 2xx body is reported with the server's words.
  error said = parse_error(api::ollama, R"({"error":"model \"x\" not found"})");
  CHECK(said.message.find("model \"x\" not found") != std::string::npos);
}
