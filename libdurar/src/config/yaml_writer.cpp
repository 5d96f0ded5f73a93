#include "config/yaml_writer.hpp"

#include <cmath>

namespace durar::detail {
namespace {

// Plain only when the reader would read the same string back in block and flow context.
bool plain_safe(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`~").find(s.front()) != std::string_view::npos)
    return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == ',' || c == '[' || c == ']' || c == '{' || c == '}') return false;
    if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ') return false;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return false;
  }
  return resolve_yaml_plain(std::string(s)).is_string();
}

std::string quoted_string(std::string_view s) {
  std::string out;
  json_quote(out, s);  // a JSON string literal is a YAML double-quoted scalar
  return out;
}

bool non_empty_container(const json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void block(std::string& out, const json& v, int indent);

void mapping(std::string& out, const json& v, int indent) {
  for (const auto& [key, child] : v.as_object()) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += yaml_key(key);
    out += ':';
    out += yaml_after_colon(child, indent);
    out += '\n';
  }
}

void sequence(std::string& out, const json& v, int indent) {
  for (const auto& item : v.as_array()) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += yaml_item(item, indent);
    out += '\n';
  }
}

void block(std::string& out, const json& v, int indent) {
  if (v.is_object())
    mapping(out, v, indent);
  else
    sequence(out, v, indent);
}

}  // namespace

std::string yaml_scalar(const json& v) {
  switch (v.type()) {
    case json_type::null:
      return "null";
    case json_type::boolean:
      return v.as_bool() ? "true" : "false";
    case json_type::integer:
      return std::to_string(v.as_int());
    case json_type::uinteger:
      return std::to_string(v.as_uint());
    case json_type::real: {
      double d = v.as_double();
      if (std::isnan(d)) return ".nan";
      if (std::isinf(d)) return d < 0 ? "-.inf" : ".inf";
      return v.dump();
    }
    case json_type::string:
      return plain_safe(v.as_string()) ? v.as_string() : quoted_string(v.as_string());
    case json_type::array:
      return v.empty() ? "[]" : v.dump();
    case json_type::object:
      return v.empty() ? "{}" : v.dump();
  }
  return "null";
}

std::string yaml_key(std::string_view key) {
  return plain_safe(key) ? std::string(key) : quoted_string(key);
}

std::string yaml_flow(const json& v) {
  if (!non_empty_container(v)) return yaml_scalar(v);
  return v.dump();  // JSON is valid YAML flow style
}

// Built by appending: GCC 12 -O3 misreports -Wrestrict on "literal" + std::string.
std::string yaml_after_colon(const json& v, int indent) {
  std::string out(non_empty_container(v) ? "\n" : " ");
  if (!non_empty_container(v)) return out.append(yaml_scalar(v));
  block(out, v, indent + 2);
  out.pop_back();
  return out;
}

std::string yaml_item(const json& v, int indent) {
  std::string out("- ");
  if (!non_empty_container(v)) return out.append(yaml_scalar(v));
  // The first line of the nested block goes on the dash's line: "- key: value".
  std::string nested;
  block(nested, v, indent + 2);
  nested.pop_back();
  return out.append(nested, static_cast<std::size_t>(indent) + 2);
}

std::string to_yaml(const json& root) {
  if (!non_empty_container(root)) return yaml_scalar(root) + "\n";
  std::string out;
  block(out, root, 0);
  return out;
}

}  // namespace durar::detail
