// Ollama embeddings: POST {host}/api/embed with every input of the batch in one call.
#include <durar/json.hpp>

#include <fmt/format.h>

#include "transports/embeddings.hpp"
#include "transports/embeddings_json.hpp"
#include "transports/ollama.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>

namespace durar::detail {

namespace {

constexpr std::string_view wire_name = "Ollama /api/embed";

}  // namespace

result<http_request> build_ollama_embeddings_request(const embedding_call& call) {
  json input = json::array();
  for (const auto& text : call.inputs) input.push_back(text);
  json body = json::object({{"model", ollama_wire_model_id(call.provider.id, call.model_id)},
                            {"input", std::move(input)}});
  if (call.dimensions) body.set("dimensions", *call.dimensions);

  http_request req;
  req.url = ollama_api_base(call.provider.base_url) + "/api/embed";
  wire::put_header(req, "Content-Type", "application/json");
  for (const auto& [k, v] : call.provider.headers) wire::put_header(req, k, v);
  wire::put_auth(req, call.provider, call.api_key);
  req.body = body.dump();
  return req;
}

result<embedding_batch> parse_ollama_embeddings(std::string_view body, std::size_t expected) {
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
    auto floats =
        ej::read_vector(item, wire_name, fmt::format("embeddings[{}]", out.vectors.size()));
    if (!floats) return fail(floats.error());
    out.vectors.push_back(std::move(*floats));
  }
  if (auto counted = ej::check_count(out.vectors.size(), expected, wire_name); !counted)
    return fail(counted.error());
  if (std::int64_t tokens = 0; (*object)["prompt_eval_count"].get(tokens) == simdjson::SUCCESS)
    out.input_tokens = std::max<std::int64_t>(tokens, 0);
  return out;
}

}  // namespace durar::detail
