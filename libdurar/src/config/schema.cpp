#include "config/schema.hpp"

#include <durar/suggest.hpp>

#include "config/compat_keys.hpp"
#include "config/duration.hpp"
#include "config/schema_rules.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace durar::detail {
namespace {

using severity = config_issue::severity;

std::string a_type(const json& v) {
  switch (v.type()) {
    case json_type::null:
      return "null";
    case json_type::boolean:
      return "a boolean";
    case json_type::integer:
    case json_type::uinteger:
      return "an integer";
    case json_type::real:
      return "a number";
    case json_type::string:
      return "a string";
    case json_type::array:
      return "an array";
    case json_type::object:
      return "an object";
  }
  return "a value";
}

// Values quoted in messages are short and never secrets (enums, model refs, key names).
std::string in_quotes(std::string_view s) {
  if (s.size() > 60) return "'" + std::string(s.substr(0, 57)) + "...'";
  return std::string("'").append(s).append("'");
}

std::string joined(const std::vector<std::string_view>& values) {
  std::string out;
  for (auto v : values) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

std::string number_text(const json& v) {
  if (v.type() == json_type::real) return v.dump();
  return v.type() == json_type::uinteger ? std::to_string(v.as_uint()) : std::to_string(v.as_int());
}

bool is_integral(const json& v) {
  if (v.is_integer()) return true;
  if (v.type() != json_type::real) return false;
  double d = v.as_double();
  return std::isfinite(d) && std::trunc(d) == d;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = suggest(word, candidates);
  return best.empty() ? "" : " (did you mean " + in_quotes(best) + "?)";
}

bool has_model_shape(std::string_view s) {
  auto slash = s.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < s.size() &&
         s.find_first_of(" \t\n") == std::string_view::npos;
}

class validator {
 public:
  validator(const document& doc, const json& root) : doc_(doc), root_(root) {
    const json& models = root["agents"]["defaults"]["models"];
    if (models.is_object()) {
      for (const auto& [key, options] : models.as_object()) {
        model_keys_.push_back(key);
        if (options["alias"].is_string()) aliases_.push_back(options["alias"].as_string());
      }
    }
  }

  std::vector<config_issue> run() {
    check(root_, "", "", &compat_root(), *find_rule(""));
    check_agent_ids();
    return std::move(issues_);
  }

 private:
  const document& doc_;
  const json& root_;
  std::vector<std::string> aliases_, model_keys_;
  std::vector<config_issue> issues_;

  void error(const std::string& path, std::string message, bool at_key = false) {
    issues_.push_back(make_issue(doc_, severity::error, path, std::move(message), at_key));
  }
  void warning(const std::string& path, std::string message, bool at_key = false) {
    issues_.push_back(make_issue(doc_, severity::warning, path, std::move(message), at_key));
  }
  void wrong_type(const std::string& path, std::string_view expected, const json& v) {
    error(path, "expected " + std::string(expected) + ", got " + a_type(v));
  }

  void check(const json& v, const std::string& path, const std::string& pattern,
             const compat_node* compat, const rule& r) {
    switch (r.kind) {
      case value_kind::object:
        if (!v.is_object()) return wrong_type(path, "an object", v);
        members(v, path, pattern, compat);
        for (auto key : r.required)
          if (!v.contains(key)) error(path, "missing required key '" + std::string(key) + "'");
        return;
      case value_kind::array:
        if (!v.is_array()) return wrong_type(path, "an array", v);
        for (std::size_t i = 0; i < v.size(); ++i) {
          const rule* item = find_rule(pattern + "[]");
          if (item)
            check(v[i], path_index(path, i), pattern + "[]", compat ? compat->items() : nullptr,
                  *item);
        }
        return;
      case value_kind::string:
        if (!v.is_string()) wrong_type(path, "a string", v);
        return;
      case value_kind::nonempty_string:
        if (!v.is_string()) return wrong_type(path, "a string", v);
        if (v.as_string().find_first_not_of(" \t\r\n") == std::string::npos)
          error(path, "must not be empty");
        return;
      case value_kind::boolean:
        if (!v.is_bool()) wrong_type(path, "true or false", v);
        return;
      case value_kind::positive_int:
        if (!v.is_number()) return wrong_type(path, "a positive integer", v);
        if (!is_integral(v) || v.as_double() <= 0)
          error(path, "expected a positive integer, got " + number_text(v));
        return;
      case value_kind::positive_number:
      case value_kind::non_negative_number: {
        bool positive = r.kind == value_kind::positive_number;
        std::string_view what = positive ? "a positive number" : "a number (0 or more)";
        if (!v.is_number()) return wrong_type(path, what, v);
        double d = v.as_double();
        if (!std::isfinite(d) || d < 0 || (positive && d == 0))
          error(path, "expected " + std::string(what) + ", got " + number_text(v));
        return;
      }
      case value_kind::port:
        if (!v.is_number()) return wrong_type(path, "a port number (1-65535)", v);
        if (!is_integral(v) || v.as_double() < 1 || v.as_double() > 65535)
          error(path, "port must be an integer from 1 to 65535, got " + number_text(v));
        return;
      case value_kind::enumeration:
        return enumeration(v, path, r);
      case value_kind::model_choice:
        if (v.is_string()) return model_ref(v, path);
        if (!v.is_object())
          return wrong_type(path, "a \"provider/model\" string or {primary, fallbacks}", v);
        return members(v, path, pattern, compat);
      case value_kind::model_ref:
        return model_ref(v, path);
      case value_kind::secret:
        return secret(v, path, compat);
      case value_kind::string_or_bool:
        if (!v.is_string() && !v.is_bool()) wrong_type(path, "true, false or a header name", v);
        return;
      case value_kind::redact_mode:
        if (v.is_bool()) return;
        if (v.is_string() && (v.as_string() == "off" || v.as_string() == "tools")) return;
        if (v.is_string())
          return error(path, in_quotes(v.as_string()) + " is not one of: true, false, off, tools");
        return wrong_type(path, "true, false, \"off\" or \"tools\"", v);
      case value_kind::duration_or_false:
        if (v.is_bool() && !v.as_bool()) return;
        [[fallthrough]];
      case value_kind::duration_days:
        return duration(v, path, r.kind == value_kind::duration_or_false);
      case value_kind::byte_size:
        return byte_size(v, path);
      case value_kind::passthrough:
        return compat_only(v, path, compat, false);
      case value_kind::passthrough_warn:
        return compat_only(v, path, compat, true);
      case value_kind::deprecated:
        return warning(path, "deprecated (openclaw ignores it too); ignored, remove it", true);
    }
  }

  void duration(const json& v, const std::string& path, bool or_false) {
    std::string_view what = or_false ? "a duration (\"30d\", \"12h\", \"1h30m\"), days or false"
                                     : "a duration (\"30d\", \"12h\", \"1h30m\") or days";
    if (v.is_number()) {
      if (!duration_of(v.as_double(), "d"))
        error(path, "expected " + std::string(what) + ", got " + number_text(v));
      return;
    }
    if (!v.is_string()) return wrong_type(path, what, v);
    if (!parse_duration(v.as_string(), "d"))
      error(path, in_quotes(v.as_string()) +
                      " is not a duration: use e.g. \"30d\", \"12h\" or \"1h30m\"");
  }

  void byte_size(const json& v, const std::string& path) {
    constexpr std::string_view what = "a size (\"500mb\", \"1gb\", \"10k\") or a number of bytes";
    if (v.is_number()) {
      if (!byte_size_of(v.as_double()))
        error(path, "expected " + std::string(what) + ", got " + number_text(v));
      return;
    }
    if (!v.is_string()) return wrong_type(path, what, v);
    if (!parse_byte_size(v.as_string()))
      error(path, in_quotes(v.as_string()) +
                      " is not a size: use e.g. \"500mb\", \"1gb\", \"10k\" or a number of "
                      "bytes (units b, kb, mb, gb, tb)");
  }

  // Lookup order for a member: Durar's rule for the name, the original's key of that name
  // (a warning), Durar's rule for any name ("*"), the original's wildcard, else unknown.
  void members(const json& v, const std::string& path, const std::string& pattern,
               const compat_node* compat) {
    const bool models_map = pattern == "agents.defaults.models";
    for (const auto& [key, child] : v.as_object()) {
      std::string child_path = path_key(path, key);
      std::string named = pattern.empty() ? key : pattern + "." + key;
      std::string any = pattern.empty() ? "*" : pattern + ".*";
      if (models_map && !has_model_shape(key))
        error(child_path, in_quotes(key) + " is not a model ref: use provider/model", true);
      if (key == "$include") {
        warning(child_path, not_implemented_note, true);
      } else if (const rule* r = find_rule(named)) {
        check(child, child_path, named, compat ? compat->child(key) : nullptr, *r);
      } else if (const compat_node* c = compat ? compat->exact(key) : nullptr) {
        warning(child_path, not_implemented_note, true);
        compat_only(child, child_path, c, false);
      } else if (const rule* r_any = find_rule(any)) {
        check(child, child_path, any, compat ? compat->child(key) : nullptr, *r_any);
      } else if (const compat_node* w = compat ? compat->child(key) : nullptr) {
        warning(child_path, not_implemented_note, true);
        compat_only(child, child_path, w, false);
      } else if (compat && compat->open()) {
        warning(child_path, not_implemented_note, true);
      } else {
        unknown_key(child_path, key, known_names(pattern, compat));
      }
    }
  }

  std::vector<std::string> known_names(const std::string& pattern, const compat_node* compat) {
    std::vector<std::string> names = compat ? compat->names() : std::vector<std::string>{};
    std::string prefix = pattern.empty() ? "" : pattern + ".";
    for (const auto& r : schema_rules()) {
      if (r.pattern.size() <= prefix.size() || !r.pattern.starts_with(prefix)) continue;
      auto rest = r.pattern.substr(prefix.size());
      if (rest.find_first_of(".[") != std::string_view::npos || rest == "*") continue;
      if (std::find(names.begin(), names.end(), rest) == names.end()) names.emplace_back(rest);
    }
    return names;
  }

  void unknown_key(const std::string& path, const std::string& key,
                   const std::vector<std::string>& candidates) {
    error(path, "unknown key " + in_quotes(key) + did_you_mean(key, candidates), true);
  }

  // Below a key Durar does not implement, only the original's key names are checked.
  void compat_only(const json& v, const std::string& path, const compat_node* node, bool warn) {
    if (node == nullptr || node->open()) return;
    if (v.is_object()) {
      if (node->children.empty() || (node->children.size() == 1 && node->items())) return;
      for (const auto& [key, child] : v.as_object()) {
        std::string child_path = path_key(path, key);
        const compat_node* c = node->child(key);
        if (c == nullptr) {
          unknown_key(child_path, key, node->names());
          continue;
        }
        if (warn) warning(child_path, not_implemented_note, true);
        compat_only(child, child_path, c, false);
      }
    } else if (v.is_array()) {
      const compat_node* items = node->items();
      for (std::size_t i = 0; i < v.size() && items; ++i)
        compat_only(v[i], path_index(path, i), items, warn);
    }
  }

  void enumeration(const json& v, const std::string& path, const rule& r) {
    if (!v.is_string()) return wrong_type(path, "one of: " + joined(r.values), v);
    const std::string& s = v.as_string();
    if (std::find(r.values.begin(), r.values.end(), s) != r.values.end()) return;
    if (std::find(r.compat_values.begin(), r.compat_values.end(), s) != r.compat_values.end())
      return warning(path, in_quotes(s) + " is " + not_implemented_note);
    std::vector<std::string> candidates(r.values.begin(), r.values.end());
    error(path, in_quotes(s) + " is not one of: " + joined(r.values) + did_you_mean(s, candidates));
  }

  void model_ref(const json& v, const std::string& path) {
    if (!v.is_string()) return wrong_type(path, "a \"provider/model\" string", v);
    const std::string& s = v.as_string();
    if (has_model_shape(s)) return;
    for (const auto& a : aliases_)
      if (edit_distance(a, s, true) == 0) return;
    std::vector<std::string> candidates = aliases_;
    candidates.insert(candidates.end(), model_keys_.begin(), model_keys_.end());
    error(path, in_quotes(s) +
                    " is not a model ref: use provider/model (e.g. openai/gpt-5.4) or an alias "
                    "defined in agents.defaults.models" +
                    did_you_mean(s, candidates));
  }

  // A credential: a string, or the original's {source, provider, id} reference.
  // Messages name the key path only, never the value.
  void secret(const json& v, const std::string& path, const compat_node* compat) {
    if (v.is_string()) return;
    if (!v.is_object())
      return wrong_type(path, "a string or a secret reference {source, provider, id}", v);
    compat_only(v, path, compat, false);
    const json& source = v["source"];
    if (!source.is_string() || !v["id"].is_string()) {
      return error(path, "a secret reference needs string 'source' (env, file or exec) and 'id'");
    }
    const std::string& s = source.as_string();
    if (s == "env") return;
    if (s == "file" || s == "exec")
      return warning(
          path, "secret references with source " + in_quotes(s) + " are " + not_implemented_note);
    error(path_key(path, "source"), in_quotes(s) + " is not one of: env, file, exec");
  }

  void check_agent_ids() {
    const json& list = root_["agents"]["list"];
    if (!list.is_array()) return;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& id = list[i]["id"];
      if (!id.is_string()) continue;
      if (!seen.insert(id.as_string()).second)
        error(path_key(path_index("agents.list", i), "id"),
              "duplicate agent id " + in_quotes(id.as_string()));
    }
  }
};

}  // namespace

std::vector<config_issue> validate(const document& doc, const json& root) {
  return validator(doc, root).run();
}

}  // namespace durar::detail
