// POST /v1/embeddings: float arrays or base64 of little-endian float32 (what OpenAI's SDKs
// ask for by default). `model` is a provider/model, or an agent name meaning that agent's
// memorySearch embedding model.
#include <durar/session.hpp>

#include <asio/cancellation_signal.hpp>

#include "core/base64.hpp"
#include "openai_api.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace durar::gateway_detail {

namespace {

constexpr std::size_t max_inputs = 2048;  // OpenAI's own limit per request

std::string type_name(const json& j) { return std::string(to_string(j.type())); }

// Embedding models the original uses when memorySearch names only a provider.
std::string default_embedding_model(std::string_view provider) {
  if (provider == "openai") return "text-embedding-3-small";
  if (provider == "gemini" || provider == "google") return "gemini-embedding-001";
  if (provider == "mistral") return "mistral-embed";
  if (provider == "ollama") return "nomic-embed-text";
  return {};
}

}  // namespace

api_result<embeddings_request> parse_embeddings_request(const json& body) {
  embeddings_request out;
  const json* model = body.find("model");
  if (model == nullptr || model->is_null())
    return bad_request("model: required (provider/model, or an agent: durar/<agentId>)", "model");
  if (!model->is_string() || model->as_string().empty())
    return bad_request("model: expected a non-empty string", "model");
  out.model = model->as_string();

  const json* input = body.find("input");
  if (input == nullptr || input->is_null())
    return bad_request("input: required; a string or an array of strings", "input");
  if (input->is_string()) {
    out.inputs.push_back(input->as_string());
  } else if (input->is_array()) {
    const auto& items = input->as_array();
    if (items.empty()) return bad_request("input: the array is empty", "input");
    if (items.size() > max_inputs)
      return bad_request("input: at most " + std::to_string(max_inputs) + " items per request",
                         "input");
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].is_number() || items[i].is_array())
        return bad_request("input: token arrays are not supported; send text", "input");
      if (!items[i].is_string())
        return bad_request(
            "input[" + std::to_string(i) + "]: expected a string, got " + type_name(items[i]),
            "input");
      out.inputs.push_back(items[i].as_string());
    }
  } else {
    return bad_request("input: expected a string or an array of strings, got " + type_name(*input),
                       "input");
  }
  for (std::size_t i = 0; i < out.inputs.size(); ++i)
    if (out.inputs[i].empty())
      return bad_request(
          (out.inputs.size() == 1 ? std::string("input") : "input[" + std::to_string(i) + "]") +
              ": empty strings cannot be embedded",
          "input");

  if (const json* f = body.find("encoding_format"); f && !f->is_null()) {
    if (!f->is_string() || (f->as_string() != "float" && f->as_string() != "base64"))
      return bad_request("encoding_format: expected 'float' or 'base64'", "encoding_format");
    out.base64 = f->as_string() == "base64";
  }
  if (const json* d = body.find("dimensions"); d && !d->is_null()) {
    if (!d->is_integer() || d->as_double() < 1 || d->as_double() > 65536)
      return bad_request("dimensions: expected a positive integer", "dimensions");
    out.dimensions = static_cast<int>(d->as_int());
  }
  return out;
}

std::string float32_base64(const std::vector<float>& v) {
  static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);
  std::string bytes(v.size() * 4, '\0');
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t bits = std::bit_cast<std::uint32_t>(v[i]);
    // Little-endian on the wire whatever the host is.
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return detail::base64_encode(bytes);
}

std::string embeddings_body(const embedding_result& r, const std::string& model, bool base64) {
  // Written by hand: thousands of floats, each in its shortest float (not double) form.
  std::string out = R"({"object":"list","data":[)";
  char buf[32];
  for (std::size_t i = 0; i < r.vectors.size(); ++i) {
    if (i > 0) out += ',';
    out += R"({"object":"embedding","index":)";
    out += std::to_string(i);
    out += R"(,"embedding":)";
    if (base64) {
      out += '"';
      out += float32_base64(r.vectors[i]);
      out += '"';
    } else {
      out += '[';
      for (std::size_t k = 0; k < r.vectors[i].size(); ++k) {
        if (k > 0) out += ',';
        float f = r.vectors[i][k];
        if (!std::isfinite(f)) {
          out += "null";
          continue;
        }
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
        out.append(buf, ec == std::errc() ? end : buf);
      }
      out += ']';
    }
    out += '}';
  }
  out += R"(],"model":)";
  json_quote(out, model);
  out += R"(,"usage":{"prompt_tokens":)";
  out += std::to_string(r.input_tokens);
  out += R"(,"total_tokens":)";
  out += std::to_string(r.input_tokens);
  out += "}}";
  return out;
}

api_result<std::string> resolve_embedding_model(gateway_state& state, const http_request& req,
                                                const std::string& model) {
  const catalog& models = state.rt.router().models();
  auto check_ref = [&](const std::string& ref, std::string_view where) -> api_result<std::string> {
    auto slash = ref.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == ref.size())
      return bad_request(std::string(where) + ": expected provider/model, got '" + ref + "'",
                         "model");
    if (models.provider(std::string_view(ref).substr(0, slash)) == nullptr)
      return not_found(std::string(where) + ": unknown provider '" + ref.substr(0, slash) + "'",
                       "model", "model_not_found");
    return ref;
  };
  if (auto backend = durar_header(req, "model")) return check_ref(*backend, "x-durar-model");

  auto agent = agent_of_model_name(model);
  if (!agent) {
    if (model.find('/') == std::string::npos)
      return not_found("The model '" + model +
                           "' does not exist: use provider/model (e.g. "
                           "openai/text-embedding-3-small) or an agent (durar/<agentId>) "
                           "whose memorySearch names an embedding model",
                       "model", "model_not_found");
    return check_ref(model, "model");
  }
  auto profile = state.rt.agent(*agent);
  if (!profile) {
    api_error e = to_api_error(profile.error(), "model");
    if (e.status == 404) e.code = "model_not_found";
    return e;
  }
  // memorySearch is the original's key; Durar reads it from the config document (the agent's
  // entry over agents.defaults) without implementing memory search itself.
  const json& doc = state.rt.cfg().document;
  const json& defaults = doc["agents"]["defaults"]["memorySearch"];
  const json* own = nullptr;
  if (const json* list = doc["agents"].find("list"); list && list->is_array())
    for (const auto& a : list->as_array())
      if (a.is_object() && normalize_agent_id(a.string_or("id")) == profile->id)
        own = a.find("memorySearch");
  auto pick = [&](std::string_view key) {
    if (own != nullptr)
      if (std::string v = own->string_or(key); !v.empty()) return v;
    return defaults.string_or(key);
  };
  bool enabled = defaults.bool_or("enabled", true);
  if (own != nullptr && own->contains("enabled")) enabled = own->bool_or("enabled", true);
  std::string provider = pick("provider");
  std::string name = pick("model");
  if (provider == "gemini" && models.provider("gemini") == nullptr) provider = "google";
  if (provider == "auto") provider.clear();
  if (enabled) {
    if (provider.empty() && name.find('/') != std::string::npos)
      return check_ref(name, "memorySearch.model");
    if (name.empty()) name = default_embedding_model(provider);
    if (!provider.empty() && !name.empty())
      return check_ref(name.rfind(provider + "/", 0) == 0 ? name : provider + "/" + name,
                       "memorySearch");
  }
  return bad_request("agent '" + profile->id +
                         "' has no embedding model: set agents.defaults.memorySearch.provider "
                         "and .model, or send model as provider/model",
                     "model");
}

void handle_embeddings(gateway_state& state, const http_request& req,
                       const std::shared_ptr<http_responder>& out) {
  auto body = parse_json_object(req.body);
  if (!body) return respond_error(*out, bad_request(body.error().message));
  auto parsed = parse_embeddings_request(*body);
  if (!parsed) return respond_error(*out, parsed.error());
  auto ref = resolve_embedding_model(state, req, parsed->model);
  if (!ref) return respond_error(*out, ref.error());

  embedding_request er;
  er.model = *ref;
  er.inputs = std::move(parsed->inputs);
  er.dimensions = parsed->dimensions;
  auto cancel = std::make_shared<asio::cancellation_signal>();
  auto finished = std::make_shared<bool>(false);
  out->on_disconnect([cancel, finished] {
    if (!*finished) cancel->emit(asio::cancellation_type::terminal);
  });
  state.rt.router().async_embed(
      std::move(er),
      [out, cancel, finished, model = parsed->model,
       base64 = parsed->base64](result<embedding_result> r) {
        *finished = true;
        try {
          if (!r) return respond_error(*out, to_api_error(r.error()));
          out->respond(200, {{"content-type", "application/json; charset=utf-8"}},
                       embeddings_body(*r, model, base64));
        } catch (...) {  // never into the router's callback chain
        }
      },
      cancel->slot());
}

}  // namespace durar::gateway_detail
