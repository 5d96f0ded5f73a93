// In-place edits of JSON5 / JSON text: replace a value's span, or add a member before the
// closing brace with the indentation its siblings use.
#include "config/edit_text.hpp"

#include <cmath>

namespace durar::detail {
namespace {

bool plain_json(const document& doc) {
  auto ext = doc.file.size() >= 5 ? doc.file.substr(doc.file.size() - 5) : std::string();
  return ext == ".json" || ext == ".JSON";
}

bool identifier(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// The indentation step the file uses: its first member's column, else two spaces.
std::string indent_step(const text_tools& t) {
  if (t.doc.root.is_object() && !t.doc.root.empty()) {
    if (const node_place* p = t.doc.find(path_key("", t.doc.root.as_object().front().first))) {
      std::string ind = t.indentation(p->key_begin);
      if (!ind.empty() && t.line_of(p->key_begin) != t.line_of(t.doc.find("")->begin)) return ind;
    }
  }
  return "  ";
}

// `v` as JSON5 text whose continuation lines start with `base`.
std::string render(const text_tools& t, const json& v, const std::string& base) {
  if (v.type() == json_type::real && !std::isfinite(v.as_double()) && !plain_json(t.doc)) {
    double d = v.as_double();
    return std::isnan(d) ? "NaN" : d < 0 ? "-Infinity" : "Infinity";
  }
  if (!(v.is_object() || v.is_array()) || v.empty()) return v.dump();
  std::string step = indent_step(t);
  std::string pretty = v.dump(static_cast<int>(step.size()));
  std::string out;
  for (char c : pretty) {
    out += c;
    if (c == '\n') out += base;
  }
  return out;
}

// A key written the way the sibling keys are: quoted in .json files or when they are quoted.
std::string key_text(const text_tools& t, const std::string& parent_path, const json& parent,
                     const std::string& key) {
  bool quote = plain_json(t.doc) || !identifier(key);
  if (!quote && parent.is_object() && !parent.empty()) {
    if (const node_place* p = t.doc.find(path_key(parent_path, parent.as_object().front().first)))
      quote = t.text[p->key_begin] == '"' || t.text[p->key_begin] == '\'';
  }
  if (!quote) return key;
  std::string out;
  json_quote(out, key);
  return out;
}

}  // namespace

std::optional<std::string> json5_replace(text_tools& t, const std::string& path,
                                         const json& value) {
  const node_place* p = t.doc.find(path);
  if (p == nullptr || !p->editable) return std::nullopt;
  std::string base = t.indentation(p->key_begin);
  t.text.replace(p->begin, p->end - p->begin, render(t, value, base));
  return t.text;
}

std::optional<std::string> json5_insert(text_tools& t, const std::string& parent_path,
                                        const json& parent, const std::string* key,
                                        const json& value) {
  const node_place* p = t.doc.find(parent_path);
  if (p == nullptr || !p->editable || p->end == 0) return std::nullopt;
  std::size_t open = p->begin, close = p->end - 1;
  if (t.text[open] != (key ? '{' : '[') || t.text[close] != (key ? '}' : ']')) return std::nullopt;
  auto entry = [&](const std::string& base) {
    std::string prefix = key ? key_text(t, parent_path, parent, *key) + ": " : "";
    return prefix + render(t, value, base);
  };
  const bool one_line = t.line_of(open) == t.line_of(close);
  if (parent.empty()) {
    std::string base = t.indentation(open);
    if (!key) {
      t.text.replace(open, close - open + 1, std::string("[").append(entry(base)).append("]"));
      return t.text;
    }
    std::string inner = base + indent_step(t);
    t.text.replace(open, close - open + 1, "{\n" + inner + entry(inner) + "\n" + base + "}");
    return t.text;
  }
  std::string last_path = key ? path_key(parent_path, parent.as_object().back().first)
                              : path_index(parent_path, parent.size() - 1);
  const node_place* last = t.doc.find(last_path);
  if (last == nullptr) return std::nullopt;
  std::size_t after = t.next_significant(last->end);
  const bool comma = after < t.text.size() && t.text[after] == ',';
  if (one_line) {
    if (comma)
      t.text.insert(after + 1, std::string(" ").append(entry("")).append(","));
    else
      t.text.insert(last->end, ", " + entry(""));
    return t.text;
  }
  std::string base = t.indentation(last->key_begin);
  if (comma) {
    // Keep the trailing-comma style; a comment after the comma stays on its line.
    std::size_t at = t.line_of(after) == t.line_of(close) ? after + 1 : t.line_end(after);
    t.text.insert(at, "\n" + base + entry(base) + ",");
  } else if (t.line_of(last->end) == t.line_of(close)) {
    t.text.insert(last->end, ",\n" + base + entry(base));
  } else {
    t.text.insert(t.line_end(last->end), "\n" + base + entry(base));
    t.text.insert(last->end, ",");
  }
  return t.text;
}

}  // namespace durar::detail
