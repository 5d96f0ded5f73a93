// openai-responses: the per-model `params` (agents.defaults.models[ref].params) that shape a
// Responses body, as the original applies them: service tier and fast mode on OpenAI's own
// endpoints, text verbosity, parallel tool calls, prompt-cache retention, server compaction.
#include "transports/openai_responses.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace durar::detail {

namespace {

// The snake_case spelling wins over the camelCase one, as in the original.
const json* param(const json& params, std::string_view snake, std::string_view camel) {
  if (!params.is_object()) return nullptr;
  if (const json* v = params.find(snake)) return v;
  return camel.empty() ? nullptr : params.find(camel);
}

std::optional<std::string> one_of(const json* v, std::initializer_list<std::string_view> allowed) {
  if (v == nullptr || !v->is_string()) return std::nullopt;
  std::string s = wire::lower(v->as_string());
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) return std::nullopt;
  return s;
}

std::optional<bool> flag(const json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->as_bool();
  if (!v->is_string()) return std::nullopt;
  std::string s = wire::lower(v->as_string());
  if (s == "on" || s == "true" || s == "yes" || s == "1" || s == "fast") return true;
  if (s == "off" || s == "false" || s == "no" || s == "0" || s == "normal") return false;
  return std::nullopt;
}

// OpenAI's own Responses endpoints (public API, Codex): the only ones that take service_tier.
bool takes_service_tier(const provider_info& provider) {
  std::string host = wire::url_host(provider.base_url);
  return host == "api.openai.com" || host == "chatgpt.com";
}

// The original runs OpenAI's GPT-5 family terse and with parallel calls unless told otherwise.
bool gpt5_on_openai(const model_info& model) {
  if (model.provider != "openai" && model.provider != "openai-codex") return false;
  std::string id = wire::lower(model.id);
  return id.starts_with("gpt-5") && (id.size() == 5 || id[5] == '.' || id[5] == '-');
}

std::int64_t compact_threshold(const json& params, const model_info& model) {
  if (const json* t = params.find("responsesCompactThreshold")) {
    if (t->is_number() && t->as_double() >= 1) return static_cast<std::int64_t>(t->as_double());
    if (t->is_string()) {
      long long v = std::strtoll(t->as_string().c_str(), nullptr, 10);
      if (v > 0) return v;
    }
  }
  if (model.context_window > 0) return std::max<std::int64_t>(1000, model.context_window * 7 / 10);
  return 80000;
}

}  // namespace

void apply_responses_params(json& body, const call_spec& call) {
  const json& params = call.options.params;
  const model_info& model = call.model;
  const bool native = takes_service_tier(call.provider);

  if (native) {
    auto tier = one_of(param(params, "service_tier", "serviceTier"),
                       {"auto", "default", "flex", "priority"});
    if (!tier && flag(param(params, "fast_mode", "fastMode")).value_or(false)) tier = "priority";
    if (tier) body.set("service_tier", *tier);
  }

  const json* verbosity_param = param(params, "text_verbosity", "textVerbosity");
  auto verbosity = one_of(verbosity_param, {"low", "medium", "high"});
  if (!verbosity && verbosity_param == nullptr && gpt5_on_openai(model)) verbosity = "low";
  if (verbosity) body.set("text", json::object({{"verbosity", *verbosity}}));

  // null switches the GPT-5 default off without sending anything.
  const json* parallel = param(params, "parallel_tool_calls", "parallelToolCalls");
  if (parallel != nullptr && parallel->is_bool())
    body.set("parallel_tool_calls", parallel->as_bool());
  else if (parallel == nullptr && gpt5_on_openai(model))
    body.set("parallel_tool_calls", true);

  const std::string retention = params.is_object() ? params.string_or("cacheRetention") : "";
  if (retention == "none") {
    body.erase("prompt_cache_key");
  } else if (retention == "long" && body.contains("prompt_cache_key") &&
             model.compat.bool_or("supportsLongCacheRetention", true)) {
    body.set("prompt_cache_retention", "24h");
  }

  // Server-side compaction keeps the conversation on OpenAI's side, so it needs store:true.
  const json* compaction = param(params, "responsesServerCompaction", "");
  if (native && compaction != nullptr && compaction->is_bool() && compaction->as_bool() &&
      model.compat.bool_or("supportsStore", true)) {
    body.set("store", true);
    body.set(
        "context_management",
        json::array({json::object(
            {{"type", "compaction"}, {"compact_threshold", compact_threshold(params, model)}})}));
  }
}

}  // namespace durar::detail
