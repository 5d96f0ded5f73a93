// Embeddings, shared: which wire an api speaks and the JSON reading the three parsers share.
#include "transports/embeddings.hpp"

#include <fmt/format.h>

#include "transports/embeddings_json.hpp"

#include <limits>

namespace durar::detail {

namespace embeddings_json {

error malformed(std::string_view wire, std::string_view what) {
  return error(errc::protocol_error, fmt::format("{}: {}", wire, what));
}

result<dom::object> parse_object(dom::parser& parser, std::string_view body,
                                 std::string_view wire) {
  dom::element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root); err)
    return fail(malformed(
        wire, fmt::format("the answer is not valid JSON ({})", simdjson::error_message(err))));
  dom::object object;
  if (root.get(object) != simdjson::SUCCESS)
    return fail(malformed(wire, "the answer is not a JSON object"));
  // Some OpenAI-compatible servers and Ollama report failures inside a 2xx body.
  if (dom::element e; object["error"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    std::string_view said;
    if (e.get(said) != simdjson::SUCCESS) {
      dom::element message;
      if (e["message"].get(message) != simdjson::SUCCESS || message.get(said) != simdjson::SUCCESS)
        said = "no message";
    }
    error out(errc::unavailable, fmt::format("{}: the server reported an error: {}", wire, said));
    out.provider_message = std::string(said);
    return fail(std::move(out));
  }
  return object;
}

result<std::vector<float>> read_vector(dom::element value, std::string_view wire,
                                       std::string_view what) {
  dom::array numbers;
  if (value.get(numbers) != simdjson::SUCCESS)
    return fail(malformed(wire, fmt::format("{} is not an array of numbers", what)));
  std::vector<float> out;
  out.reserve(numbers.size());
  for (dom::element n : numbers) {
    double d = 0;
    if (n.get(d) == simdjson::SUCCESS) {  // doubles, and integers converted
      out.push_back(static_cast<float>(d));
      continue;
    }
    std::string_view s;
    if (n.get(s) == simdjson::SUCCESS) {
      if (s == "NaN") {
        out.push_back(std::numeric_limits<float>::quiet_NaN());
        continue;
      }
      if (s == "Infinity" || s == "-Infinity") {
        float inf = std::numeric_limits<float>::infinity();
        out.push_back(s.front() == '-' ? -inf : inf);
        continue;
      }
    }
    return fail(malformed(
        wire, fmt::format("{}[{}] is not a number", what, static_cast<std::size_t>(out.size()))));
  }
  return out;
}

result<void> check_count(std::size_t got, std::size_t expected, std::string_view wire) {
  if (got == expected) return {};
  return fail(malformed(wire, fmt::format("{} vectors came back for {} inputs", got, expected)));
}

}  // namespace embeddings_json

const embedding_wire* embedding_wire_for(api_kind api) noexcept {
  static constexpr embedding_wire openai{"OpenAI embeddings", openai_embeddings_max_batch,
                                         build_openai_embeddings_request, parse_openai_embeddings};
  static constexpr embedding_wire google{"Gemini batchEmbedContents", google_embeddings_max_batch,
                                         build_google_embeddings_request, parse_google_embeddings};
  static constexpr embedding_wire ollama{"Ollama /api/embed", ollama_embeddings_max_batch,
                                         build_ollama_embeddings_request, parse_ollama_embeddings};
  switch (api) {
    case api_kind::openai_completions:
    case api_kind::openai_responses:
      return &openai;
    case api_kind::google_generative_ai:
      return &google;
    case api_kind::ollama:
      return &ollama;
    case api_kind::anthropic_messages:
      return nullptr;
  }
  return nullptr;
}

}  // namespace durar::detail
