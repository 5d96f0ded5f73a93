// The model catalog: which providers exist, how to reach them, what their models can do
// and cost; `provider/model` refs, aliases and the allowlist; where credentials come from.
#pragma once

#include <durar/config.hpp>
#include <durar/environment.hpp>
#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>
#include <durar/secret.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

// The wire APIs Durar speaks. Names match the config's `api` values.
enum class api_kind {
  openai_completions,
  openai_responses,
  anthropic_messages,
  google_generative_ai,
  ollama
};

DURAR_API std::string_view to_string(api_kind api) noexcept;  // "openai-completions", ...
DURAR_API std::optional<api_kind> parse_api_kind(std::string_view name) noexcept;

// "provider/model", split on the first '/', so "openrouter/anthropic/claude-opus-4.6" is
// provider "openrouter", model "anthropic/claude-opus-4.6".
struct DURAR_API model_ref {
  std::string provider;
  std::string model;

  // Fails (invalid_argument) on an empty part or whitespace; a ref without '/' is
  // invalid here (aliases are resolved by catalog::resolve).
  static result<model_ref> parse(std::string_view text);
  [[nodiscard]] std::string str() const { return provider + "/" + model; }
  friend bool operator==(const model_ref&, const model_ref&) = default;
};

struct model_info {
  std::string provider;
  std::string id;
  std::string name;
  api_kind api = api_kind::openai_completions;
  bool reasoning = false;
  std::vector<std::string> input{"text"};  // "text", "image"
  model_cost cost;                         // USD per 1M tokens
  std::int64_t context_window = 200000;    // what the model accepts
  std::int64_t context_tokens = 0;         // runtime cap; 0 = context_window
  std::int64_t max_tokens = 8192;
  json compat;
  [[nodiscard]] model_ref ref() const { return {provider, id}; }
  [[nodiscard]] std::int64_t effective_context() const noexcept {
    return context_tokens > 0 ? context_tokens : context_window;
  }
};

struct provider_info {
  std::string id;
  std::string name;  // for people: "OpenAI"
  api_kind api = api_kind::openai_completions;
  std::string custom_api;  // a host wire API added with model_router::add_transport; "" = api
  std::string base_url;               // per CONTRACTS.md conventions (with /v1 for OpenAI-style)
  std::vector<std::string> auth_env;  // env var stems, e.g. {"OPENAI"}; keys from <STEM>_API_KEY...
  std::vector<std::string> extra_env;  // further single-key vars, e.g. GOOGLE_API_KEY, HF_TOKEN
  bool needs_key = true;               // false for local servers (ollama, vllm, ...)
  bool local = false;                  // runs on this machine; discovered by probing
  std::optional<secret> api_key;       // from config models.providers.<id>.apiKey
  std::map<std::string, std::string> headers;
  std::string auth_header;
  std::optional<double> timeout_seconds;
  bool builtin = true;  // false when defined only by config
  std::vector<model_info> models;
};

// Where a key came from ("OPENAI_API_KEY", "config") and the key itself.
struct credential {
  std::string source;
  secret key;
};

// Prints the source only: "OPENAI_API_KEY=***".
inline std::ostream& operator<<(std::ostream& os, const credential& c) {
  return os << c.source << "=***";
}

// Keys for a provider in priority order, deduplicated by value:
// DURAR_LIVE_<P>_KEY (or OPENCLAW_LIVE_<P>_KEY) > <P>_API_KEYS (comma/semicolon list) >
// <P>_API_KEY > <P>_API_KEY_* (sorted) > the provider's extra vars > config apiKey.
DURAR_API std::vector<credential> resolve_credentials(const provider_info& provider,
                                                      const environment& env);

class DURAR_API catalog {
 public:
  // The providers and models Durar knows without any config.
  static const catalog& builtin();
  // builtin() merged with (or, for models.mode: replace, replaced by) the config's
  // models.providers, plus the agents.defaults.models allowlist and aliases.
  static result<catalog> from_config(const config& cfg);

  [[nodiscard]] const std::vector<provider_info>& providers() const noexcept { return providers_; }
  // Adds a provider at run time, or replaces the one with the same id. Fails
  // (invalid_argument) on an empty id or base URL.
  result<void> add_provider(provider_info provider);
  [[nodiscard]] const provider_info* provider(std::string_view id) const noexcept;
  // The model's metadata; for a provider that exists but does not list the model,
  // nullptr (callers decide whether unknown ids may pass through).
  [[nodiscard]] const model_info* model(const model_ref& ref) const noexcept;

  // Turns user input into a ref: an alias (case-insensitive) or "provider/model". A ref
  // naming an unknown provider is not_found; with an allowlist, a ref outside it is
  // permission_denied. Errors name the input and suggest the nearest known ref.
  [[nodiscard]] result<model_ref> resolve(std::string_view text) const;
  // resolve() without the allowlist check, for choosing a model to add to the allowlist.
  [[nodiscard]] result<model_ref> resolve_any(std::string_view text) const;

  // True when agents.defaults.models is empty (no allowlist) or contains the ref.
  [[nodiscard]] bool allowed(const model_ref& ref) const;
  // The alias for a ref, or "".
  [[nodiscard]] std::string alias_of(const model_ref& ref) const;
  [[nodiscard]] bool has_allowlist() const noexcept { return !allowlist_.empty(); }
  [[nodiscard]] const std::vector<std::pair<model_ref, std::string>>& allowlist() const noexcept {
    return allowlist_;
  }

 private:
  std::vector<provider_info> providers_;
  std::vector<std::pair<model_ref, std::string>> allowlist_;  // ref, alias ("" for none)
  std::vector<model_ref> implicit_allowed_;   // primary and fallbacks pass the allowlist unlisted
  std::vector<model_ref> configured_models_;  // models.providers entries, to place bare names
  std::optional<model_ref> primary_;          // its provider places bare names nothing else claims
  friend struct catalog_builder;
};

}  // namespace durar

// fmt is not a dependency of the public headers; hosts that use fmt get the formatter.
#if __has_include(<fmt/format.h>)
template <>
struct fmt::formatter<durar::credential> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const durar::credential& c, Ctx& ctx) const {
    std::string text = c.source + "=***";
    return fmt::formatter<std::string_view>::format(text, ctx);
  }
};
#endif
