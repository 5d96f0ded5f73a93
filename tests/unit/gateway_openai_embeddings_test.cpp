// The OpenAI-compatible API's embeddings: base64 float32, response bodies, request parsing,
// and which embedding model an agent name resolves to.
#include "gateway_openai_fixture.hpp"

using namespace gateway_openai_test;

TEST_CASE("embeddings encode as little-endian float32 in base64", "[gateway][openai]") {
  // 1.0f = 0x3f800000 -> bytes 00 00 80 3f; -2.5f = 0xc0200000 -> 00 00 20 c0
  CHECK(float32_base64({1.0f}) == "AACAPw==");
  CHECK(float32_base64({1.0f, -2.5f}) == "AACAPwAAIMA=");
  CHECK(float32_base64({}) == "");
}

TEST_CASE("embedding bodies list vectors in order with floats in short form", "[gateway][openai]") {
  embedding_result r;
  r.vectors = {{0.1f, -0.25f, 3.0f}, {1e-8f}};
  r.input_tokens = 7;
  json body = parse(embeddings_body(r, "openai/text-embedding-3-small", false));
  CHECK(body["object"] == "list");
  CHECK(body["model"] == "openai/text-embedding-3-small");
  CHECK(body["usage"] == parse(R"({"prompt_tokens":7,"total_tokens":7})"));
  REQUIRE(body["data"].size() == 2);
  CHECK(body["data"][0]["object"] == "embedding");
  CHECK(body["data"][1]["index"] == 1);
  CHECK(static_cast<float>(body["data"][0]["embedding"][0].as_double()) == 0.1f);
  CHECK(body["data"][0]["embedding"][1].as_double() == -0.25);
  std::string text = embeddings_body(r, "m", false);
  CHECK(text.find("0.1,") != std::string::npos);  // float's shortest form, not double's

  json b64 = parse(embeddings_body(r, "m", true));
  CHECK(b64["data"][0]["embedding"] == float32_base64(r.vectors[0]));
}

TEST_CASE("embedding requests take a string or strings and an encoding", "[gateway][openai]") {
  auto one = parse_embeddings_request(parse(R"({"model":"openai/x","input":"hi"})"));
  REQUIRE(one.ok());
  CHECK(one->inputs == std::vector<std::string>{"hi"});
  CHECK_FALSE(one->base64);
  auto many = parse_embeddings_request(parse(
      R"({"model":"openai/x","input":["a","b"],"encoding_format":"base64","dimensions":256})"));
  REQUIRE(many.ok());
  CHECK(many->inputs.size() == 2);
  CHECK(many->base64);
  CHECK(many->dimensions == 256);

  auto bad = [](std::string_view body, std::string_view what) {
    auto r = parse_embeddings_request(parse(body));
    INFO(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == 400);
    CHECK(r.error().message.find(what) != std::string::npos);
  };
  bad(R"({"input":"x"})", "model: required");
  bad(R"({"model":"openai/x"})", "input: required");
  bad(R"({"model":"openai/x","input":[]})", "empty");
  bad(R"({"model":"openai/x","input":[1,2,3]})", "token arrays");
  bad(R"({"model":"openai/x","input":["a",""]})", "input[1]");
  bad(R"({"model":"openai/x","input":"x","encoding_format":"int8"})", "encoding_format");
  bad(R"({"model":"openai/x","input":"x","dimensions":-1})", "dimensions");
}

TEST_CASE("an agent's embedding model comes from memorySearch", "[gateway][openai]") {
  gateway_fixture gw({}, parse(R"({"agents":{"defaults":{"memorySearch":{"provider":"openai"}},
      "list":[{"id":"main"},{"id":"coder","memorySearch":{"provider":"mistral","model":"mistral-embed"}}]}})"));
  gateway_detail::http_request req;
  auto main_model = resolve_embedding_model(*gw.gs, req, "durar");
  REQUIRE(main_model.ok());
  CHECK(*main_model == "openai/text-embedding-3-small");
  auto coder_model = resolve_embedding_model(*gw.gs, req, "durar/coder");
  REQUIRE(coder_model.ok());
  CHECK(*coder_model == "mistral/mistral-embed");
  auto direct = resolve_embedding_model(*gw.gs, req, "openai/text-embedding-3-large");
  REQUIRE(direct.ok());
  CHECK(*direct == "openai/text-embedding-3-large");
  req.headers.emplace_back("x-durar-model", "ollama/nomic-embed-text");
  auto overridden = resolve_embedding_model(*gw.gs, req, "durar");
  REQUIRE(overridden.ok());
  CHECK(*overridden == "ollama/nomic-embed-text");
}
