// Embeddings on the wire, pure: one batch of inputs as an HTTP request, and a response body
// as vectors. One file per wire (openai_embeddings.cpp, google_embeddings.cpp,
// ollama_embeddings.cpp); the router sends, batches, rotates keys and classifies errors with
// the provider's transport.
#pragma once

#include <durar/catalog.hpp>
#include <durar/provider.hpp>
#include <durar/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

// One request's worth of inputs for a model of a provider.
struct embedding_call {
  const provider_info& provider;
  std::string_view model_id;  // as in the ref ("text-embedding-3-small")
  const secret* api_key;      // nullptr when there is none
  std::span<const std::string> inputs;
  std::optional<int> dimensions;
};

// A response body's vectors, in input order, and the input tokens it reports (0 if none).
struct embedding_batch {
  std::vector<std::vector<float>> vectors;
  std::int64_t input_tokens = 0;
};

// Most inputs one request may carry (OpenAI's documented limit, Gemini's batch limit, and a
// bound for Ollama, which states none, that keeps one answer a few MB).
inline constexpr std::size_t openai_embeddings_max_batch = 2048;
inline constexpr std::size_t google_embeddings_max_batch = 100;
inline constexpr std::size_t ollama_embeddings_max_batch = 512;

// POST {baseUrl}/embeddings {model, input: [...], encoding_format: "float", dimensions?}.
result<http_request> build_openai_embeddings_request(const embedding_call& call);
// {data: [{index, embedding}], usage: {prompt_tokens}}; vectors placed by index.
result<embedding_batch> parse_openai_embeddings(std::string_view body, std::size_t expected);

// POST {baseUrl}/models/<id>:batchEmbedContents, the key in x-goog-api-key.
result<http_request> build_google_embeddings_request(const embedding_call& call);
// {embeddings: [{values}]}; Gemini reports no token count.
result<embedding_batch> parse_google_embeddings(std::string_view body, std::size_t expected);

// POST {host}/api/embed {model, input: [...], dimensions?}.
result<http_request> build_ollama_embeddings_request(const embedding_call& call);
// {embeddings: [[...]], prompt_eval_count}.
result<embedding_batch> parse_ollama_embeddings(std::string_view body, std::size_t expected);

// The wire an api speaks for embeddings.
struct embedding_wire {
  std::string_view name;  // for messages: "OpenAI embeddings"
  std::size_t max_batch;
  result<http_request> (*build)(const embedding_call&);
  result<embedding_batch> (*parse)(std::string_view body, std::size_t expected);
};

// nullptr for an api without embeddings (anthropic-messages).
const embedding_wire* embedding_wire_for(api_kind api) noexcept;

}  // namespace durar::detail
