#include "transports/discovery.hpp"

#include "transports/ollama.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <sstream>
#include <string>

namespace durar::detail {

namespace {

// The original's guess when a server does not say: ids that name reasoning.
bool looks_like_reasoning(std::string_view id) {
  for (std::string_view hint : {"r1", "reason", "think"})
    if (wire::icontains(id, hint)) return true;
  return false;
}

model_info discovered(const provider_info& provider, std::string id) {
  model_info m;
  m.provider = provider.id;
  m.name = id;
  m.id = std::move(id);
  m.api = provider.api;
  m.reasoning = looks_like_reasoning(m.id);
  m.context_window = discovered_context_window;
  m.max_tokens = discovered_max_tokens;
  return m;
}

bool listed(const json& array, std::string_view value) {
  if (!array.is_array()) return false;
  return std::any_of(array.as_array().begin(), array.as_array().end(),
                     [&](const json& v) { return v.is_string() && v.as_string() == value; });
}

// Ollama capabilities ("completion", "tools", "thinking", "vision") replace the guesses.
void apply_capabilities(model_info& m, const json& caps) {
  if (!caps.is_array()) return;
  m.reasoning = listed(caps, "thinking");
  m.input = listed(caps, "vision") ? std::vector<std::string>{"text", "image"}
                                   : std::vector<std::string>{"text"};
  m.compat["supportsTools"] = listed(caps, "tools");
}

http_request get(std::string url, const provider_info& provider, const secret* api_key) {
  http_request req;
  req.method = "GET";
  req.url = std::move(url);
  for (const auto& [k, v] : provider.headers) wire::put_header(req, k, v);
  wire::put_auth(req, provider, api_key);
  return req;
}

result<json> listing_json(std::string_view body, std::string_view what) {
  auto j = json::parse(body);
  if (!j || !j->is_object())
    return fail(errc::protocol_error, std::string(what) + " answer is not a JSON object");
  return std::move(*j);
}

}  // namespace

http_request build_listing_request(const provider_info& provider, const secret* api_key) {
  if (provider.api == api_kind::ollama)
    return get(ollama_api_base(provider.base_url) + "/api/tags", provider, api_key);
  return get(wire::trim_base(provider.base_url) + "/models", provider, api_key);
}

result<std::vector<model_info>> parse_listing(const provider_info& provider,
                                              std::string_view body) {
  const bool ollama = provider.api == api_kind::ollama;
  auto j = listing_json(body, ollama ? "the /api/tags" : "the /models");
  if (!j) return fail(j.error());
  const json& list = (*j)[ollama ? "models" : "data"];
  if (!list.is_array())
    return fail(errc::protocol_error, ollama ? "the /api/tags answer has no \"models\" list"
                                             : "the /models answer has no \"data\" list");
  std::vector<model_info> out;
  for (const auto& entry : list.as_array()) {
    std::string id = entry.string_or(ollama ? "name" : "id");
    if (ollama && id.empty()) id = entry.string_or("model");
    if (id.empty()) continue;
    if (std::any_of(out.begin(), out.end(), [&](const model_info& m) { return m.id == id; }))
      continue;
    model_info m = discovered(provider, std::move(id));
    if (ollama) apply_capabilities(m, entry["capabilities"]);
    // vLLM (and SGLang) report the served window; trust it over the default.
    if (std::int64_t window = entry.int_or("max_model_len", 0); window > 0)
      m.context_window = window;
    out.push_back(std::move(m));
  }
  return out;
}

http_request build_ollama_show_request(const provider_info& provider, std::string_view model_id,
                                       const secret* api_key) {
  http_request req = get(ollama_api_base(provider.base_url) + "/api/show", provider, api_key);
  req.method = "POST";
  wire::put_header(req, "Content-Type", "application/json");
  req.body = json::object({{"model", std::string(model_id)}}).dump();
  return req;
}

result<void> apply_ollama_show(model_info& model, std::string_view body) {
  auto j = listing_json(body, "the /api/show");
  if (!j) return fail(j.error());
  std::int64_t window = 0;
  if (const json& info = (*j)["model_info"]; info.is_object()) {
    for (const auto& [key, value] : info.as_object()) {
      if (key.ends_with(".context_length") && value.is_number() && value.as_double() >= 1) {
        window = static_cast<std::int64_t>(value.as_double());
        break;
      }
    }
  }
  // A Modelfile's "num_ctx N" line is what the server actually runs with.
  std::istringstream params((*j).string_or("parameters"));
  std::int64_t num_ctx = 0;
  for (std::string line; std::getline(params, line);) {
    std::istringstream words(line);
    std::string key;
    std::int64_t value = 0;
    if (words >> key >> value && key == "num_ctx" && value > 0) num_ctx = value;
  }
  if (num_ctx > window) window = num_ctx;
  if (window > 0) model.context_window = window;
  apply_capabilities(model, (*j)["capabilities"]);
  return {};
}

}  // namespace durar::detail
