// OpenAI embeddings (POST {baseUrl}/embeddings), spoken by OpenAI and the compatible servers
// behind openai-completions and openai-responses providers.
#include <durar/json.hpp>

#include <fmt/format.h>

#include "transports/embeddings.hpp"
#include "transports/embeddings_json.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>

namespace durar::detail {

namespace {

constexpr std::string_view wire_name = "OpenAI embeddings";

}  // namespace

result<http_request> build_openai_embeddings_request(const embedding_call& call) {
  const provider_info& provider = call.provider;
  std::string base = wire::trim_base(provider.base_url);
  if (base.empty() && provider.id == "openai") base = "https://api.openai.com/v1";
  if (base.empty())
    return fail(errc::invalid_argument,
                fmt::format("provider \"{}\" has no base URL", provider.id));
  // A query in the base URL (Azure's api-version) stays after the path.
  std::string query;
  if (auto q = base.find('?'); q != std::string::npos) {
    query = base.substr(q);
    base = wire::trim_base(base.substr(0, q));
  }
  json input = json::array();
  for (const auto& text : call.inputs) input.push_back(text);
  json body = json::object({{"model", std::string(call.model_id)},
                            {"input", std::move(input)},
                            {"encoding_format", "float"}});
  if (call.dimensions) body.set("dimensions", *call.dimensions);

  http_request req;
  req.url = base + "/embeddings" + query;
  wire::put_header(req, "Content-Type", "application/json");
  wire::put_auth(req, provider, call.api_key);
  for (const auto& [k, v] : provider.headers) wire::put_header(req, k, v);
  req.body = body.dump();
  return req;
}

result<embedding_batch> parse_openai_embeddings(std::string_view body, std::size_t expected) {
  namespace ej = embeddings_json;
  ej::dom::parser parser;
  auto object = ej::parse_object(parser, body, wire_name);
  if (!object) return fail(object.error());
  ej::dom::array data;
  if ((*object)["data"].get(data) != simdjson::SUCCESS)
    return fail(ej::malformed(wire_name, "the answer has no \"data\" array"));

  embedding_batch out;
  out.vectors.resize(data.size());
  std::vector<bool> filled(data.size(), false);
  std::size_t position = 0;
  for (ej::dom::element item : data) {
    const std::string what = fmt::format("data[{}]", position);
    // `index` says which input a vector belongs to; servers that omit it keep input order.
    std::size_t slot = position++;
    if (std::int64_t index = 0; item["index"].get(index) == simdjson::SUCCESS) {
      if (index < 0 || static_cast<std::size_t>(index) >= filled.size() ||
          filled[static_cast<std::size_t>(index)])
        return fail(
            ej::malformed(wire_name, fmt::format("{}.index {} is out of place", what, index)));
      slot = static_cast<std::size_t>(index);
    } else if (filled[slot]) {
      return fail(ej::malformed(wire_name, fmt::format("{} has no index", what)));
    }
    ej::dom::element vector;
    if (item["embedding"].get(vector) != simdjson::SUCCESS)
      return fail(ej::malformed(wire_name, what + " has no embedding"));
    if (vector.is_string())
      return fail(ej::malformed(wire_name, what + ".embedding is base64; float was asked for"));
    auto floats = ej::read_vector(vector, wire_name, what + ".embedding");
    if (!floats) return fail(floats.error());
    out.vectors[slot] = std::move(*floats);
    filled[slot] = true;
  }
  if (auto counted = ej::check_count(out.vectors.size(), expected, wire_name); !counted)
    return fail(counted.error());
  if (std::int64_t tokens = 0; (*object)["usage"]["prompt_tokens"].get(tokens) == simdjson::SUCCESS)
    out.input_tokens = std::max<std::int64_t>(tokens, 0);
  return out;
}

}  // namespace durar::detail
