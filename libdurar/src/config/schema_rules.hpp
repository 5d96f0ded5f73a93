// What Durar implements, as one table: a rule per key pattern ("*" any key, "[]" items).
#pragma once

#include <string_view>
#include <vector>

namespace durar::detail {

enum class value_kind {
  object,  // members checked by their own rules; see schema.cpp for lookup order
  array,   // items checked by the "<pattern>[]" rule
  string,
  nonempty_string,
  boolean,
  positive_int,
  non_negative_number,
  positive_number,
  port,
  enumeration,        // one of `values`; `compat_values` are warnings
  model_choice,       // "provider/model" string or {primary, fallbacks}
  model_ref,          // "provider/model" or an alias
  secret,             // string or {source, provider, id}
  string_or_bool,     // models.providers.*.authHeader
  redact_mode,        // boolean, or the original's "off" | "tools"
  duration_days,      // "30d", "12h", "1h30m" (config/duration.hpp), or a number of days
  duration_or_false,  // the same, or false (for ever)
  byte_size,          // "500mb", "1gb", "10k" (config/duration.hpp), or a number of bytes
  passthrough,        // any value; keys checked against the original's, silently
  passthrough_warn,   // any value; the original's keys are warnings
  deprecated,         // any value; deprecated and ignored by the original too (a warning)
};

struct rule {
  std::string_view pattern;
  value_kind kind;
  std::vector<std::string_view> values = {};
  std::vector<std::string_view> compat_values = {};
  std::vector<std::string_view> required = {};
};

// Every rule; patterns are unique.
const std::vector<rule>& schema_rules();
const rule* find_rule(std::string_view pattern);

}  // namespace durar::detail
