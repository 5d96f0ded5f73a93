// Where a provider's API keys come from, in the order the router tries them.
#include <durar/catalog.hpp>

#include "catalog/catalog_internal.hpp"

#include <algorithm>
#include <string>
#include <string_view>

namespace durar {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Numbered suffixes first in numeric order (_2 before _10), then any others by name.
bool suffix_before(std::string_view a, std::string_view b) {
  bool na = all_digits(a), nb = all_digits(b);
  if (na != nb) return na;
  if (na) {
    auto strip = [](std::string_view s) {
      auto first = s.find_first_not_of('0');
      return first == std::string_view::npos ? std::string_view{} : s.substr(first);
    };
    auto sa = strip(a), sb = strip(b);
    if (sa.size() != sb.size()) return sa.size() < sb.size();
    if (sa != sb) return sa < sb;
  }
  return a < b;
}

class collector {
 public:
  void add(std::string source, std::string_view value) {
    value = detail::trim(value);
    if (value.empty()) return;
    for (const auto& c : out_)
      if (c.key.reveal() == value) return;
    out_.push_back({std::move(source), secret(std::string(value))});
  }
  std::vector<credential> take() { return std::move(out_); }

 private:
  std::vector<credential> out_;
};

}  // namespace

std::vector<credential> resolve_credentials(const provider_info& provider, const environment& env) {
  std::vector<std::string> stems = provider.auth_env;
  if (stems.empty()) stems.push_back(detail::env_stem(provider.id));

  // A live override is the only key used while it is set, as in the original.
  for (const auto& stem : stems) {
    for (const char* prefix : {"DURAR_LIVE_", "OPENCLAW_LIVE_"}) {
      std::string name = prefix + stem + "_KEY";
      auto value = env.get(name);
      if (value && !detail::trim(*value).empty()) {
        collector one;
        one.add(name, *value);
        return one.take();
      }
    }
  }

  collector keys;
  for (const auto& stem : stems) {
    std::string name = stem + "_API_KEYS";
    auto list = env.get(name);
    if (!list) continue;
    std::string_view rest = *list;
    int index = 0;
    while (!rest.empty()) {
      auto cut = rest.find_first_of(",; \t\r\n");
      std::string_view item = rest.substr(0, cut);
      rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
      if (detail::trim(item).empty()) continue;
      keys.add(name + "[" + std::to_string(++index) + "]", item);
    }
  }
  for (const auto& stem : stems) {
    std::string name = stem + "_API_KEY";
    if (auto value = env.get(name)) keys.add(name, *value);
  }
  for (const auto& stem : stems) {
    std::string prefix = stem + "_API_KEY_";
    std::vector<std::string> names = env.names_with_prefix(prefix);
    std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
      return suffix_before(std::string_view(a).substr(prefix.size()),
                           std::string_view(b).substr(prefix.size()));
    });
    for (const auto& name : names)
      if (auto value = env.get(name)) keys.add(name, *value);
  }
  for (const auto& name : provider.extra_env)
    if (auto value = env.get(name)) keys.add(name, *value);
  if (provider.api_key) keys.add("config", provider.api_key->reveal());
  return keys.take();
}

}  // namespace durar
