// Which config changes a running program can take live: the rule table behind
// durar::reload_effect_of() and durar::diff_config(), open to the tests so they can check
// that every section the schema knows has a rule of its own.
#pragma once

#include <durar/runtime.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

struct reload_rule {
  std::string_view prefix;  // dotted key segments ("gateway.auth"); the longest match wins
  reload_effect effect;
};

const std::vector<reload_rule>& reload_rules();
// The rule a key path (as segments) falls under; nullptr when none does, which means a key
// Durar does not read (it changes nothing either way).
const reload_rule* reload_rule_for(const std::vector<std::string>& segments);
// Segments to a path `durar config get` accepts: keys that are not plain words in ["..."].
std::string render_key_path(const std::vector<std::string>& segments);

}  // namespace durar::detail
