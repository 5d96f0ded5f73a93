// Gemini embeddings: POST {baseUrl}/models/<id>:batchEmbedContents with one EmbedContentRequest
// per input.
#include <durar/json.hpp>

#include <fmt/format.h>

#include "transports/embeddings.hpp"
#include "transports/embeddings_json.hpp"
#include "transports/wire_helpers.hpp"

namespace durar::detail {

namespace {

constexpr std::string_view wire_name = "Gemini batchEmbedContents";
constexpr std::string_view default_base_url = "https://generativelanguage.googleapis.com/v1beta";

// Users paste Gemini's OpenAI-compatible base (".../v1beta/openai"); the native API sits above.
std::string native_base(std::string_view base_url) {
  std::string base = wire::trim_base(base_url);
  if (base.size() >= 7 && wire::iequals(std::string_view(base).substr(base.size() - 7), "/openai"))
    base = wire::trim_base(base.substr(0, base.size() - 7));
  return base.empty() ? std::string(default_base_url) : base;
}

}  // namespace

result<http_request> build_google_embeddings_request(const embedding_call& call) {
  std::string_view id = call.model_id;
  if (id.starts_with("models/")) id.remove_prefix(7);
  if (id.empty()) return fail(errc::invalid_argument, "no Gemini embedding model given");
  const std::string model_path = "models/" + std::string(id);

  json requests = json::array();
  for (const auto& text : call.inputs) {
    json part = json::object({{"text", text}});
    json request = json::object(
        {{"model", model_path}, {"content", json::object({{"parts", json::array({part})}})}});
    if (call.dimensions) request.set("outputDimensionality", *call.dimensions);
    requests.push_back(std::move(request));
  }
  json body = json::object({{"requests", std::move(requests)}});

  http_request req;
  req.url = native_base(call.provider.base_url) + "/" + model_path + ":batchEmbedContents";
  wire::put_header(req, "content-type", "application/json");
  // The key travels in a header, never in the URL, so it cannot leak through logged URLs.
  if (call.provider.auth_header.empty()) {
    if (call.api_key != nullptr && !call.api_key->empty())
      wire::put_header(req, "x-goog-api-key", call.api_key->reveal());
  } else {
    wire::put_auth(req, call.provider, call.api_key);
  }
  for (const auto& [k, v] : call.provider.headers) wire::put_header(req, k, v);
  req.body = body.dump();
  return req;
}

result<embedding_batch> parse_google_embeddings(std::string_view body, std::size_t expected) {
  namespace ej = embeddings_json;
  ej::dom::parser parser;
  auto object = ej::parse_object(parser, body, wire_name);
  if (!object) return fail(object.error());
  ej::dom::array embeddings;
  if ((*object)["embeddings"].get(embeddings) != simdjson::SUCCESS)
    return fail(ej::malformed(wire_name, "the answer has no \"embeddings\" array"));
  embedding_batch out;
  out.vectors.reserve(embeddings.size());
  for (ej::dom::element item : embeddings) {
    const std::string what = fmt::format("embeddings[{}].values", out.vectors.size());
    ej::dom::element values;
    if (item["values"].get(values) != simdjson::SUCCESS)
      return fail(ej::malformed(wire_name, what + " is missing"));
    auto floats = ej::read_vector(values, wire_name, what);
    if (!floats) return fail(floats.error());
    out.vectors.push_back(std::move(*floats));
  }
  if (auto counted = ej::check_count(out.vectors.size(), expected, wire_name); !counted)
    return fail(counted.error());
  return out;
}

}  // namespace durar::detail
