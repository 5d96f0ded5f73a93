// Argument validation against the JSON-schema subset tool definitions use. Every problem
// is reported with its JSON-pointer path so the model can fix all of them in one retry.
#include <durar/suggest.hpp>
#include <durar/tool.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

namespace {

// Schemas nest through properties/items/anyOf; deeper than this is refused, not recursed.
constexpr std::size_t max_schema_depth = 64;
// A long list helps nobody; the model fixes the first ones and tries again.
constexpr std::size_t max_reported = 20;

struct problem {
  std::string path;
  std::string message;
};

std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 1);
  out += '/';
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string_view type_name(const json& v) noexcept {
  return v.type() == json_type::uinteger ? "integer" : to_string(v.type());
}

// A value as a short quoted fragment for messages.
std::string brief(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

bool is_whole(const json& v) {
  if (v.is_integer()) return true;
  if (v.type() != json_type::real) return false;
  double d = v.as_double();
  return std::isfinite(d) && std::trunc(d) == d;
}

bool matches_type(std::string_view type, const json& v) {
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return is_whole(v);
  if (type == "boolean") return v.is_bool();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return true;  // an unknown type name constrains nothing
}

// Code points, as JSON schema counts string length.
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string join_quoted(const json_array& values, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += sep;
    out += brief(values[i]);
  }
  return out;
}

class validator {
 public:
  std::vector<problem> problems;

  void check(const json& schema, const json& value, const std::string& path, std::size_t depth) {
    if (schema.is_bool()) {
      if (!schema.as_bool()) add(path, "no value is allowed here");
      return;
    }
    if (!schema.is_object()) return;
    if (depth > max_schema_depth) {
      add(path, fmt::format("schema nests deeper than {} levels", max_schema_depth));
      return;
    }

    if (value.is_null() && schema.bool_or("nullable", false)) return;
    if (!check_type(schema, value, path)) return;  // the rest would only repeat it

    if (const json* c = schema.find("const"); c != nullptr && !(*c == value))
      add(path, fmt::format("expected {}, got {}", brief(*c), brief(value)));
    if (const json* e = schema.find("enum"); e != nullptr && e->is_array()) {
      bool found = false;
      for (const json& option : e->as_array()) found = found || option == value;
      if (!found)
        add(path, fmt::format("expected one of {}, got {}", join_quoted(e->as_array(), ", "),
                              brief(value)));
    }

    if (value.is_string()) check_string(schema, value.as_string(), path);
    if (value.is_number()) check_number(schema, value, path);
    if (value.is_object()) check_object(schema, value, path, depth);
    if (value.is_array()) check_array(schema, value, path, depth);

    if (const json* all = schema.find("allOf"); all != nullptr && all->is_array())
      for (const json& sub : all->as_array()) check(sub, value, path, depth + 1);
    if (const json* any = schema.find("anyOf"); any != nullptr && any->is_array())
      check_alternatives(any->as_array(), value, path, depth, false);
    if (const json* one = schema.find("oneOf"); one != nullptr && one->is_array())
      check_alternatives(one->as_array(), value, path, depth, true);
  }

 private:
  void add(const std::string& path, std::string text) {
    problems.push_back({path, std::move(text)});
  }

  bool check_type(const json& schema, const json& value, const std::string& path) {
    const json* t = schema.find("type");
    if (t == nullptr) return true;
    std::vector<std::string_view> names;
    if (t->is_string()) {
      names.push_back(t->as_string());
    } else if (t->is_array()) {
      for (const json& n : t->as_array())
        if (n.is_string()) names.push_back(n.as_string());
    } else {
      return true;
    }
    if (names.empty()) return true;
    for (std::string_view n : names)
      if (matches_type(n, value)) return true;
    std::string expected;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) expected += i + 1 == names.size() ? " or " : ", ";
      expected += names[i];
    }
    add(path, fmt::format("expected {}, got {}", expected, type_name(value)));
    return false;
  }

  void check_string(const json& schema, const std::string& s, const std::string& path) {
    std::size_t len = utf8_length(s);
    if (const json* m = schema.find("minLength");
        m != nullptr && m->is_number() && static_cast<double>(len) < m->as_double())
      add(path, fmt::format("must be at least {} characters long, got {}", brief(*m), len));
    if (const json* m = schema.find("maxLength");
        m != nullptr && m->is_number() && static_cast<double>(len) > m->as_double())
      add(path, fmt::format("must be at most {} characters long, got {}", brief(*m), len));
  }

  void check_number(const json& schema, const json& value, const std::string& path) {
    double d = value.as_double();
    auto bound = [&](std::string_view key) -> const json* {
      const json* b = schema.find(key);
      return b != nullptr && b->is_number() ? b : nullptr;
    };
    if (const json* b = bound("minimum"); b != nullptr && d < b->as_double())
      add(path, fmt::format("must be >= {}, got {}", brief(*b), brief(value)));
    if (const json* b = bound("maximum"); b != nullptr && d > b->as_double())
      add(path, fmt::format("must be <= {}, got {}", brief(*b), brief(value)));
    if (const json* b = bound("exclusiveMinimum"); b != nullptr && d <= b->as_double())
      add(path, fmt::format("must be > {}, got {}", brief(*b), brief(value)));
    if (const json* b = bound("exclusiveMaximum"); b != nullptr && d >= b->as_double())
      add(path, fmt::format("must be < {}, got {}", brief(*b), brief(value)));
  }

  void check_object(const json& schema, const json& value, const std::string& path,
                    std::size_t depth) {
    const json* props = schema.find("properties");
    if (props != nullptr && !props->is_object()) props = nullptr;

    if (const json* req = schema.find("required"); req != nullptr && req->is_array())
      for (const json& name : req->as_array())
        if (name.is_string() && !value.contains(name.as_string()))
          add(path + pointer_token(name.as_string()), "missing required property");

    const json* extra = schema.find("additionalProperties");
    for (const auto& [key, member] : value.as_object()) {
      std::string member_path = path + pointer_token(key);
      if (props != nullptr) {
        if (const json* sub = props->find(key); sub != nullptr) {
          check(*sub, member, member_path, depth + 1);
          continue;
        }
      }
      if (extra == nullptr) continue;
      if (extra->is_bool() && !extra->as_bool()) {
        add(member_path, unknown_property_message(key, props));
      } else if (extra->is_object()) {
        check(*extra, member, member_path, depth + 1);
      }
    }
  }

  static std::string unknown_property_message(std::string_view key, const json* props) {
    std::vector<std::string> names;
    if (props != nullptr)
      for (const auto& [name, sub] : props->as_object()) names.push_back(name);
    std::string msg = "unknown property";
    if (std::string near = suggest(key, names); !near.empty())
      msg += fmt::format(" (did you mean \"{}\"?)", near);
    else if (!names.empty())
      msg += fmt::format(" (allowed: {})", fmt::join(names, ", "));
    return msg;
  }

  void check_array(const json& schema, const json& value, const std::string& path,
                   std::size_t depth) {
    const json_array& items = value.as_array();
    if (const json* m = schema.find("minItems");
        m != nullptr && m->is_number() && static_cast<double>(items.size()) < m->as_double())
      add(path, fmt::format("must have at least {} items, got {}", brief(*m), items.size()));
    if (const json* m = schema.find("maxItems");
        m != nullptr && m->is_number() && static_cast<double>(items.size()) > m->as_double())
      add(path, fmt::format("must have at most {} items, got {}", brief(*m), items.size()));

    const json* item_schema = schema.find("items");
    if (item_schema == nullptr) return;
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::string item_path = fmt::format("{}/{}", path, i);
      if (item_schema->is_array()) {  // tuple form: one schema per position
        if (i < item_schema->size()) check((*item_schema)[i], items[i], item_path, depth + 1);
      } else {
        check(*item_schema, items[i], item_path, depth + 1);
      }
      if (problems.size() > max_reported * 4) return;  // a huge wrong array: enough said
    }
  }

  void check_alternatives(const json_array& options, const json& value, const std::string& path,
                          std::size_t depth, bool exactly_one) {
    if (options.empty()) return;
    std::size_t matched = 0;
    std::vector<std::string> first_problems;
    bool all_literals = true;
    json_array literals;
    for (const json& option : options) {
      validator sub;
      sub.check(option, value, path, depth + 1);
      if (sub.problems.empty()) {
        ++matched;
      } else {
        const problem& p = sub.problems.front();
        first_problems.push_back(p.path == path ? p.message : display(p.path) + ": " + p.message);
      }
      if (const json* c = option.find("const"); c != nullptr) {
        literals.push_back(*c);
      } else {
        all_literals = false;
      }
    }
    if (matched == 1 || (matched > 1 && !exactly_one)) return;
    if (matched > 1) {
      add(path, fmt::format("matches {} of the oneOf alternatives, expected exactly one", matched));
      return;
    }
    if (all_literals) {
      add(path,
          fmt::format("expected one of {}, got {}", join_quoted(literals, ", "), brief(value)));
      return;
    }
    std::string detail;
    for (std::size_t i = 0; i < first_problems.size(); ++i)
      detail += fmt::format("{}option {}: {}", i > 0 ? "; " : "", i + 1, first_problems[i]);
    add(path, fmt::format("does not match any allowed alternative ({})", detail));
  }

 public:
  static std::string display(const std::string& path) { return path.empty() ? "(root)" : path; }
};

}  // namespace

result<void> validate_arguments(const json& schema, const json& arguments) {
  validator v;
  v.check(schema, arguments, "", 0);
  if (v.problems.empty()) return {};
  std::string text;
  std::size_t shown = std::min(v.problems.size(), max_reported);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) text += '\n';
    text += validator::display(v.problems[i].path) + ": " + v.problems[i].message;
  }
  if (v.problems.size() > shown)
    text += fmt::format("\n... and {} more problems", v.problems.size() - shown);
  return fail(errc::invalid_argument, std::move(text));
}

}  // namespace durar
