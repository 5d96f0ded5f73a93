// Catalog lookups and turning user input (aliases, refs, bare model names) into refs.
#include <durar/catalog.hpp>
#include <durar/suggest.hpp>

#include "catalog/catalog_internal.hpp"

#include <algorithm>
#include <set>

namespace durar {

namespace {

// The original's compatibility spelling for OpenRouter's auto router.
constexpr std::string_view openrouter_auto_alias = "openrouter:auto";

model_ref normalized(const model_ref& ref) {
  std::string provider = detail::normalize_provider_id(ref.provider);
  std::string model = detail::normalize_model_id(provider, ref.model);
  return {std::move(provider), std::move(model)};
}

std::string join(const std::vector<std::string>& items, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > limit) out += ", ...";
  return out;
}

// The one provider offering `model`, or "" when none or several do.
template <class Refs>
std::string unique_provider(const Refs& refs, std::string_view model,
                            std::vector<std::string>* seen = nullptr) {
  std::set<std::string> providers;
  for (const model_ref& r : refs)
    if (detail::iequals(r.model, model)) providers.insert(r.provider);
  if (seen != nullptr)
    for (const auto& p : providers) seen->push_back(p + "/" + std::string(model));
  return providers.size() == 1 ? *providers.begin() : std::string();
}

std::vector<model_ref> catalog_refs(const catalog& cat) {
  std::vector<model_ref> refs;
  for (const auto& p : cat.providers())
    for (const auto& m : p.models) refs.push_back(m.ref());
  return refs;
}

std::vector<model_ref> allowlist_refs(const catalog& cat) {
  std::vector<model_ref> refs;
  for (const auto& [ref, alias] : cat.allowlist()) refs.push_back(ref);
  return refs;
}

}  // namespace

const provider_info* catalog::provider(std::string_view id) const noexcept {
  std::string wanted = detail::normalize_provider_id(id);
  for (const auto& p : providers_)
    if (p.id == wanted) return &p;
  return nullptr;
}

const model_info* catalog::model(const model_ref& ref) const noexcept {
  const provider_info* p = provider(ref.provider);
  if (p == nullptr) return nullptr;
  std::string id = detail::normalize_model_id(p->id, ref.model);
  for (const auto& m : p->models)
    if (m.id == id) return &m;
  for (const auto& m : p->models)
    if (detail::iequals(m.id, id)) return &m;
  return nullptr;
}

bool catalog::allowed(const model_ref& ref) const {
  if (allowlist_.empty()) return true;
  model_ref wanted = normalized(ref);
  auto same = [&](const model_ref& r) { return r == wanted; };
  return std::any_of(allowlist_.begin(), allowlist_.end(),
                     [&](const auto& entry) { return same(entry.first); }) ||
         std::any_of(implicit_allowed_.begin(), implicit_allowed_.end(), same);
}

std::string catalog::alias_of(const model_ref& ref) const {
  model_ref wanted = normalized(ref);
  for (const auto& [r, alias] : allowlist_)
    if (r == wanted && !alias.empty()) return alias;
  return {};
}

result<model_ref> catalog::resolve(std::string_view text) const {
  auto ref = catalog_builder::resolve_unchecked(*this, text);
  if (!ref || allowed(*ref)) return ref;
  std::vector<std::string> permitted;
  for (const auto& [r, alias] : allowlist_) permitted.push_back(r.str());
  for (const auto& r : implicit_allowed_) permitted.push_back(r.str());
  std::string message =
      "model " + detail::quoted(ref->str()) + " is not in agents.defaults.models (the allowlist)";
  std::string near = suggest(ref->str(), permitted);
  if (!near.empty())
    message += "; did you mean '" + near + "'?";
  else
    message += "; allowed: " + join(permitted, 12);
  return fail(errc::permission_denied, std::move(message));
}

result<void> catalog::add_provider(provider_info provider) {
  if (provider.id.empty()) return fail(errc::invalid_argument, "a provider needs an id");
  if (provider.base_url.empty())
    return fail(errc::invalid_argument, "provider '" + provider.id + "' needs a base URL");
  for (auto& m : provider.models) {
    m.provider = provider.id;
    if (provider.custom_api.empty()) m.api = provider.api;
  }
  provider.builtin = false;
  for (auto& p : providers_) {
    if (p.id == provider.id) {
      p = std::move(provider);
      return {};
    }
  }
  providers_.push_back(std::move(provider));
  return {};
}

result<model_ref> catalog::resolve_any(std::string_view text) const {
  return catalog_builder::resolve_unchecked(*this, text);
}

result<model_ref> catalog_builder::resolve_unchecked(const catalog& cat, std::string_view text) {
  std::string_view input = detail::trim(text);
  if (input.empty())
    return fail(errc::invalid_argument,
                "empty model reference; expected provider/model or an alias");

  std::optional<model_ref> ref;
  for (const auto& [target, alias] : cat.allowlist_) {
    if (!alias.empty() && detail::iequals(alias, input)) {
      ref = target;
      break;
    }
  }
  if (!ref && detail::iequals(input, openrouter_auto_alias)) ref = model_ref{"openrouter", "auto"};

  if (!ref && input.find('/') == std::string_view::npos) {
    if (detail::has_space_or_control(input))
      return fail(errc::invalid_argument, "invalid model ref " + detail::quoted(text) +
                                              ": it contains whitespace or control characters");
    // Same order as the original: the allowlist, configured models, the catalog, the primary.
    std::vector<std::string> offered;
    std::string provider = unique_provider(allowlist_refs(cat), input);
    if (provider.empty()) provider = unique_provider(cat.configured_models_, input);
    if (provider.empty()) provider = unique_provider(catalog_refs(cat), input, &offered);
    if (provider.empty() && cat.primary_) provider = cat.primary_->provider;
    if (provider.empty()) {
      std::string message = "model " + detail::quoted(input) +
                            " names no provider and is not an alias; write it as provider/model";
      if (!offered.empty()) {
        message += " (" + join(offered, 8) + ")";
      } else {
        std::vector<std::string> names;
        std::vector<std::string> shown;  // what to print for each name: an alias or a full ref
        for (const auto& [r, alias] : cat.allowlist_) {
          if (alias.empty()) continue;
          names.push_back(alias);
          shown.push_back(alias);
        }
        for (const auto& r : catalog_refs(cat)) {
          names.push_back(r.model);
          shown.push_back(r.str());
        }
        std::string near = suggest(input, names);
        if (!near.empty()) {
          auto at = std::find(names.begin(), names.end(), near) - names.begin();
          message += "; did you mean '" + shown[static_cast<std::size_t>(at)] + "'?";
        } else {
          // A fragment such as "opus" or "flash": offer the catalog models that contain it.
          std::vector<std::string> containing;
          for (const auto& r : catalog_refs(cat))
            if (detail::icontains(r.model, input)) containing.push_back(r.str());
          if (!containing.empty()) message += " (e.g. " + join(containing, 5) + ")";
        }
      }
      return fail(errc::invalid_argument, std::move(message));
    }
    ref = model_ref{std::move(provider), std::string(input)};
  }

  if (!ref) {
    auto parsed = model_ref::parse(input);
    if (!parsed) return parsed;
    ref = std::move(*parsed);
  }
  *ref = normalized(*ref);

  if (cat.provider(ref->provider) == nullptr) {
    std::vector<std::string> ids;
    for (const auto& p : cat.providers_) ids.push_back(p.id);
    std::string message =
        "unknown provider " + detail::quoted(ref->provider) + " in " + detail::quoted(input);
    std::string near = suggest(ref->provider, ids);
    if (!near.empty())
      message += "; did you mean '" + near + "/" + ref->model + "'?";
    else
      message += "; known providers: " + join(ids, 40);
    return fail(errc::not_found, std::move(message));
  }
  return std::move(*ref);
}

}  // namespace durar
