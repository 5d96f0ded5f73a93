// Building a catalog: the built-in providers, merged with (or replaced by) the config's
// models.providers, plus the agents.defaults.models allowlist and aliases.
#include <durar/catalog.hpp>

#include "catalog/catalog_internal.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace durar {

namespace {

// Defaults for omitted model fields, per the original's model-providers page.
constexpr std::int64_t default_context_window = 200000;
constexpr std::int64_t default_max_tokens = 8192;

// Aliases the original fills in for allowlisted refs that have none of their own.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> default_aliases{{
    {"opus", "anthropic/claude-opus-4-7"},
    {"sonnet", "anthropic/claude-sonnet-4-6"},
    {"gpt", "openai/gpt-5.4"},
    {"gpt-mini", "openai/gpt-5.4-mini"},
    {"gpt-nano", "openai/gpt-5.4-nano"},
    {"gemini", "google/gemini-3.1-pro-preview"},
    {"gemini-flash", "google/gemini-3-flash-preview"},
    {"gemini-flash-lite", "google/gemini-3.1-flash-lite-preview"},
}};

bool loopback_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  std::string_view rest = url.substr(scheme + 3);
  std::string_view host;
  if (rest.starts_with("[")) {
    host = rest.substr(0, rest.find(']') + 1);
  } else {
    host = rest.substr(0, rest.find_first_of(":/?#"));
  }
  host = host.substr(host.rfind('@') == std::string_view::npos ? 0 : host.rfind('@') + 1);
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

unexpected<error> config_error(const std::string& where, const std::string& what) {
  return fail(errc::invalid_argument, where + ": " + what);
}

}  // namespace

// Overlays the fields the config sets; `fresh` models get the documented defaults first.
void detail::apply_model_config(model_info& m, const model_config& mc) {
  if (!mc.name.empty()) m.name = mc.name;
  if (mc.reasoning) m.reasoning = *mc.reasoning;
  if (!mc.input.empty()) m.input = mc.input;
  if (mc.cost) m.cost = *mc.cost;
  if (mc.context_window && *mc.context_window > 0) m.context_window = *mc.context_window;
  if (mc.context_tokens && *mc.context_tokens >= 0) m.context_tokens = *mc.context_tokens;
  if (mc.max_tokens && *mc.max_tokens > 0) m.max_tokens = *mc.max_tokens;
  if (!mc.compat.is_null()) m.compat = mc.compat;
  m.max_tokens = std::min(m.max_tokens, m.context_window);  // the original clamps the same way
}

namespace {

result<void> apply_provider_config(provider_info& p, const provider_config& pc,
                                   const std::string& where) {
  if (!pc.api.empty()) {
    auto api = parse_api_kind(pc.api);
    if (!api)
      return config_error(where + ".api", "unknown api " + detail::quoted(pc.api) +
                                              " for provider '" + p.id +
                                              "'; expected openai-completions, openai-responses, "
                                              "anthropic-messages, google-generative-ai or ollama");
    p.api = *api;
    for (auto& m : p.models) m.api = *api;
  }
  if (!pc.base_url.empty()) p.base_url = pc.base_url;
  if (pc.api_key) p.api_key = pc.api_key;
  for (const auto& [name, value] : pc.headers) p.headers[name] = value;
  if (!pc.auth_header.empty()) p.auth_header = pc.auth_header;
  if (pc.timeout_seconds) p.timeout_seconds = pc.timeout_seconds;

  for (std::size_t i = 0; i < pc.models.size(); ++i) {
    const model_config& mc = pc.models[i];
    std::string id(detail::trim(mc.id));
    if (id.empty())
      return config_error(where + ".models[" + std::to_string(i) + "]", "id is required");
    auto it = std::find_if(p.models.begin(), p.models.end(),
                           [&](const model_info& m) { return m.id == id; });
    if (it == p.models.end()) {
      model_info m;
      m.provider = p.id;
      m.id = id;
      m.name = id;
      m.api = p.api;
      m.context_window = default_context_window;
      m.max_tokens = default_max_tokens;
      p.models.push_back(std::move(m));
      it = std::prev(p.models.end());
    }
    detail::apply_model_config(*it, mc);
  }
  return {};
}

// A provider only the config knows: it must say where it lives.
result<provider_info> new_provider(const std::string& id, const provider_config& pc,
                                   const std::string& where) {
  if (detail::trim(pc.base_url).empty())
    return config_error(
        where, "provider '" + id + "' is not built in, so it needs a baseUrl (and usually an api)");
  provider_info p;
  p.id = id;
  p.name = id;
  p.api = api_kind::openai_completions;  // baseUrl without api means OpenAI-compatible
  p.builtin = false;
  p.auth_env = {detail::env_stem(id)};
  p.local = loopback_url(pc.base_url);
  p.needs_key = !p.local;
  auto applied = apply_provider_config(p, pc, where);
  if (!applied) return fail(std::move(applied).error());
  return p;
}

}  // namespace

catalog catalog_builder::make(std::vector<provider_info> providers) {
  catalog c;
  c.providers_ = std::move(providers);
  return c;
}

const catalog& catalog::builtin() {
  static const catalog instance = [] {
    std::vector<provider_info> providers;
    detail::add_vendor_providers(providers);
    detail::add_hosted_providers(providers);
    detail::add_local_providers(providers);
    return catalog_builder::make(std::move(providers));
  }();
  return instance;
}

result<catalog> catalog::from_config(const config& cfg) {
  return catalog_builder::from_config(cfg);
}

result<catalog> catalog_builder::from_config(const config& cfg) {
  const std::string mode = detail::to_lower(detail::trim(cfg.models.mode));
  if (!mode.empty() && mode != "merge" && mode != "replace")
    return config_error("models.mode",
                        "expected merge or replace, got " + detail::quoted(cfg.models.mode));

  const catalog& base = catalog::builtin();
  catalog cat;
  if (mode != "replace") cat.providers_ = base.providers_;

  for (const auto& [raw_id, pc] : cfg.models.providers) {
    std::string where = "models.providers." + raw_id;
    std::string id = detail::normalize_provider_id(raw_id);
    if (id.empty() || detail::has_space_or_control(id) || id.find('/') != std::string::npos)
      return config_error(where, "invalid provider id " + detail::quoted(raw_id) +
                                     " (no '/', whitespace or empty ids)");
    auto existing = std::find_if(cat.providers_.begin(), cat.providers_.end(),
                                 [&](const provider_info& p) { return p.id == id; });
    if (existing == cat.providers_.end()) {
      if (const provider_info* known = base.provider(id)) {
        // replace mode keeps a built-in provider's address and env names, not its models
        provider_info p = *known;
        p.models.clear();
        cat.providers_.push_back(std::move(p));
        existing = std::prev(cat.providers_.end());
      }
    }
    if (existing != cat.providers_.end()) {
      auto applied = apply_provider_config(*existing, pc, where);
      if (!applied) return fail(std::move(applied).error());
    } else {
      auto p = new_provider(id, pc, where);
      if (!p) return fail(std::move(p).error());
      cat.providers_.push_back(std::move(*p));
    }
    for (const auto& mc : pc.models)
      cat.configured_models_.push_back({id, std::string(detail::trim(mc.id))});
  }

  // A primary written as provider/model places bare allowlist keys; one written as an alias
  // needs the allowlist first.
  const std::string& primary = cfg.agents.model.primary;
  auto set_primary = [&] {
    if (cat.primary_ || detail::trim(primary).empty()) return;
    if (auto ref = resolve_unchecked(cat, primary)) cat.primary_ = *ref;
  };
  if (primary.find('/') != std::string::npos) set_primary();
  for (const auto& [key, options] : cfg.agents.models) {
    auto ref = resolve_unchecked(cat, key);
    if (!ref && ref.error().code != errc::not_found)
      return config_error("agents.defaults.models[\"" + key + "\"]", ref.error().message);
    model_ref target = ref ? *ref : model_ref::parse(key).value_or(model_ref{});
    if (target.provider.empty()) continue;
    std::string alias(detail::trim(options.alias));
    if (alias.empty())
      for (const auto& [name, default_target] : default_aliases)
        if (target.str() == default_target) alias = name;
    cat.allowlist_.emplace_back(std::move(target), std::move(alias));
  }

  // Primary and fallbacks (default and per agent) are allowed without being listed; one
  // that does not resolve fails later, where it is used, with resolve()'s message.
  auto allow = [&](const std::string& text) {
    if (detail::trim(text).empty()) return;
    if (auto ref = resolve_unchecked(cat, text)) cat.implicit_allowed_.push_back(*ref);
  };
  set_primary();
  allow(primary);
  for (const auto& f : cfg.agents.model.fallbacks) allow(f);
  for (const auto& agent : cfg.agents.list) {
    if (!agent.model) continue;
    allow(agent.model->primary);
    for (const auto& f : agent.model->fallbacks) allow(f);
  }
  return cat;
}

}  // namespace durar
