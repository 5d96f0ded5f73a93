// durar::environment: the variables Durar reads, as one snapshot. Config loading builds it
// from the process environment, ./.env, <state>/.env and the config's env{} block, in that
// precedence (an earlier source is never overridden). Tests build their own.
#pragma once

#include <durar/export.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

class DURAR_API environment {
 public:
  environment() = default;
  explicit environment(std::map<std::string, std::string, std::less<>> vars)
      : vars_(std::move(vars)) {}

  // A snapshot of this process's environment (environ).
  static environment from_process();

  // The value, or nullopt when unset. An empty value is a set value.
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  // Sets `name` unless it is already set; returns whether it was set now.
  bool set_default(std::string_view name, std::string_view value);
  void set(std::string_view name, std::string_view value);
  // Names starting with `prefix`, sorted.
  [[nodiscard]] std::vector<std::string> names_with_prefix(std::string_view prefix) const;
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& vars() const noexcept {
    return vars_;
  }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace durar
