// Private to the catalog module: the built-in data tables and the ref normalisation rules
// shared by model_ref.cpp, catalog.cpp, catalog_config.cpp and credentials.cpp.
#pragma once

#include <durar/catalog.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

// Declared a friend of catalog; the only code that fills or reads its private members.
struct catalog_builder {
  static catalog make(std::vector<provider_info> providers);
  static result<catalog> from_config(const config& cfg);
  // resolve() without the allowlist check: alias, compat names, bare names, normalisation,
  // unknown provider.
  static result<model_ref> resolve_unchecked(const catalog& cat, std::string_view text);
  static std::vector<model_ref>& implicit_allowed(catalog& cat) { return cat.implicit_allowed_; }
  static std::vector<model_ref>& configured_models(catalog& cat) { return cat.configured_models_; }
  static std::optional<model_ref>& primary(catalog& cat) { return cat.primary_; }
  static std::vector<provider_info>& providers(catalog& cat) { return cat.providers_; }
  static std::vector<std::pair<model_ref, std::string>>& allowlist(catalog& cat) {
    return cat.allowlist_;
  }
};

namespace detail {

// ---- text helpers ----------------------------------------------------------------------

std::string_view trim(std::string_view s) noexcept;
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;
bool icontains(std::string_view haystack, std::string_view needle) noexcept;
bool has_space_or_control(std::string_view s) noexcept;
// The input quoted for an error message, control characters replaced, long input cut.
std::string quoted(std::string_view s);

// ---- ids -------------------------------------------------------------------------------

// Lower-cased and trimmed, with the original's spellings folded: "z.ai" and "z-ai" -> "zai",
// "kimi-coding" -> "kimi", "modelstudio" -> "qwen", ...
std::string normalize_provider_id(std::string_view id);
// Per-provider model id rules: short names ("opus-4.6" -> "claude-opus-4-6"), stripped
// prefixes and vendor prefixes for bare ids ("auto" on openrouter -> "openrouter/auto").
std::string normalize_model_id(std::string_view provider, std::string_view model);
// "my-proxy" -> "MY_PROXY": the stem of MY_PROXY_API_KEY and friends.
std::string env_stem(std::string_view provider_id);

// ---- config ----------------------------------------------------------------------------

// Overlays the fields a config model entry sets (name, limits, cost, ...) on `m`; also used
// for discovered models, so that what the config says wins over what a server reports.
void apply_model_config(model_info& m, const model_config& mc);

// ---- built-in data ---------------------------------------------------------------------

enum class thinks : bool { no = false, yes = true };
enum class sees : bool { text = false, images = true };

struct model_row {
  const char* id;
  const char* name;
  thinks reasoning;
  sees input;
  model_cost cost;  // USD per 1M tokens: input, output, cache read, cache write
  std::int64_t context_window;
  std::int64_t max_tokens;
};

struct provider_row {
  const char* id;
  const char* name;
  api_kind api;
  const char* base_url;
  std::initializer_list<const char*> stems;
  std::initializer_list<const char*> extra_env;
};

provider_info make_provider(const provider_row& row, std::initializer_list<model_row> models);
// A local server: no key needed, models discovered at runtime.
provider_info make_local_provider(const provider_row& row);

// Model developers' own APIs and local servers (builtin_providers.cpp).
void add_vendor_providers(std::vector<provider_info>& out);
void add_local_providers(std::vector<provider_info>& out);
// Hosted inference services and gateways (builtin_hosted.cpp).
void add_hosted_providers(std::vector<provider_info>& out);

}  // namespace detail
}  // namespace durar
