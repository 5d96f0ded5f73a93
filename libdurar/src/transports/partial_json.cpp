#include "transports/partial_json.hpp"

#include <string>
#include <vector>

namespace durar::detail {

namespace {

// A place where the prefix can be cut and closed: its length, the containers open there.
struct cut_point {
  std::size_t length;
  std::string open;  // '{' and '[' in nesting order
};

std::string closed(std::string_view prefix, const std::string& open, bool in_string) {
  std::string s(prefix);
  if (in_string) s += '"';
  while (!s.empty() && (s.back() == ',' || s.back() == ' ' || s.back() == '\n' ||
                        s.back() == '\t' || s.back() == '\r'))
    s.pop_back();
  for (auto it = open.rbegin(); it != open.rend(); ++it) s += *it == '{' ? '}' : ']';
  return s;
}

}  // namespace

json parse_partial_json(std::string_view text) {
  if (auto whole = json::parse(text); whole) return std::move(*whole);

  // Scan once, remembering the last few cut points; a \u escape or an escape in progress at
  // the very end is dropped.
  std::string open;
  bool in_string = false;
  bool escaped = false;
  std::size_t string_start = 0;
  std::vector<cut_point> cuts;
  auto remember = [&](std::size_t length) {
    if (cuts.size() == 16) cuts.erase(cuts.begin());
    cuts.push_back({length, open});
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"') {
        in_string = false;
        remember(i + 1);
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        string_start = i;
        break;
      case '{':
      case '[':
        open += c;
        remember(i + 1);
        break;
      case '}':
      case ']':
        if (!open.empty()) open.pop_back();
        remember(i + 1);
        break;
      case ',':
        remember(i);
        break;
      default:
        break;
    }
  }

  if (in_string) {
    // Close the string where it stands, minus an unfinished escape.
    std::string_view prefix = text;
    if (escaped) prefix.remove_suffix(1);
    auto u = prefix.rfind("\\u");
    if (u != std::string_view::npos && u > string_start && prefix.size() - u < 6)
      prefix = prefix.substr(0, u);
    if (auto v = json::parse(closed(prefix, open, true)); v) return std::move(*v);
  } else if (auto v = json::parse(closed(text, open, false)); v) {
    return std::move(*v);
  }
  for (auto it = cuts.rbegin(); it != cuts.rend(); ++it) {
    if (auto v = json::parse(closed(text.substr(0, it->length), it->open, false)); v)
      return std::move(*v);
  }
  return json::object();
}

}  // namespace durar::detail
