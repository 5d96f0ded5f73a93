#include <durar/environment.hpp>

extern char** environ;  // NOLINT: POSIX

namespace durar {

environment environment::from_process() {
  environment env;
  for (char** p = environ; p != nullptr && *p != nullptr; ++p) {
    std::string_view entry(*p);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.vars_.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::optional<std::string> environment::get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

bool environment::set_default(std::string_view name, std::string_view value) {
  return vars_.emplace(std::string(name), std::string(value)).second;
}

void environment::set(std::string_view name, std::string_view value) {
  vars_.insert_or_assign(std::string(name), std::string(value));
}

std::vector<std::string> environment::names_with_prefix(std::string_view prefix) const {
  std::vector<std::string> out;
  for (auto it = vars_.lower_bound(prefix); it != vars_.end() && it->first.starts_with(prefix);
       ++it)
    out.push_back(it->first);
  return out;
}

}  // namespace durar
