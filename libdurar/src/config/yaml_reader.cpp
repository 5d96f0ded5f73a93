// YAML through yaml-cpp (only the config module uses it), mapped onto the same document as
// JSON5: values typed by the YAML 1.2 core schema, positions from marks, and byte spans found
// by scanning the source so that edits can replace one value in place.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "config/document.hpp"
#include "config/yaml_writer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace durar::detail {
namespace {

// Alias expansion can make a small file huge ("billion laughs"); stop well before that.
constexpr std::size_t max_values = 100'000;

struct failure {
  int line, column;  // 1-based
  std::string message;
  std::string path = {};  // the key path, for a duplicate key
};

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16  ? std::isxdigit(static_cast<unsigned char>(c)) != 0
              : base == 8 ? c >= '0' && c <= '7'
                          : c >= '0' && c <= '9';
    if (!ok) return false;
  }
  return true;
}

std::optional<json> parse_int(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    s.remove_prefix(2);
  }
  if (!all_digits(s, base)) return std::nullopt;
  std::uint64_t u = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), u, base);
  (void)p;
  if (ec != std::errc()) return std::nullopt;
  if (!negative) return json(static_cast<unsigned long long>(u));
  if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1)
    return std::nullopt;
  return json(static_cast<long long>(0 - u));
}

std::optional<json> parse_float(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF")
    return json(negative ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity());
  if (s == ".nan" || s == ".NaN" || s == ".NAN")
    return json(std::numeric_limits<double>::quiet_NaN());
  // [0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)? with at least one digit before the exponent
  std::size_t i = 0, digits = 0;
  while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    std::size_t exp_start = i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i;
    if (i == exp_start) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  std::string norm(negative ? "-" : "");
  if (body[0] == '.') norm += '0';
  norm.append(body);
  double d = 0;
  auto [p, ec] = std::from_chars(norm.data(), norm.data() + norm.size(), d);
  (void)p;
  if (ec == std::errc::result_out_of_range)
    return json(negative ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity());
  if (ec != std::errc()) return std::nullopt;
  return json(d);
}

bool is_null_word(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

}  // namespace

// YAML 1.2 core schema for plain scalars; "yes"/"no"/"on"/"off" stay strings.
json resolve_yaml_plain(const std::string& s) {
  if (is_null_word(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (auto i = parse_int(s)) return *i;
  if (auto f = parse_float(s)) return *f;
  return s;
}

namespace {

class converter {
 public:
  explicit converter(document& doc) : doc_(doc), s_(doc.text) {}

  json root(const YAML::Node& n) {
    if (!n || n.IsNull()) {
      doc_.places[""] = node_place{1, 1, 0, 0, 0, s_.size(), 0, s_.size(), false, false, true};
      return json::object();
    }
    if (!n.IsMap()) {
      auto m = n.Mark();
      throw failure{m.line + 1, m.column + 1, "the config must be a mapping of keys to values"};
    }
    return convert(n, "", 0, -1, false, n.Mark().pos, n.Mark().pos);
  }

 private:
  document& doc_;
  std::string_view s_;
  std::size_t count_ = 0;

  // End of a scalar's text starting at `pos`; `indent` is the owner's column.
  std::size_t scalar_end(std::size_t pos, bool flow, int indent) const {
    std::size_t i = pos;
    // Skip a tag or anchor in front of the scalar.
    while (i < s_.size() && (s_[i] == '!' || s_[i] == '&')) {
      while (i < s_.size() && s_[i] != ' ' && s_[i] != '\n') ++i;
      while (i < s_.size() && s_[i] == ' ') ++i;
    }
    if (i >= s_.size()) return s_.size();
    char c = s_[i];
    if (c == '"') {
      for (++i; i < s_.size(); ++i) {
        if (s_[i] == '\\')
          ++i;
        else if (s_[i] == '"')
          return i + 1;
      }
      return s_.size();
    }
    if (c == '\'') {
      for (++i; i < s_.size(); ++i) {
        if (s_[i] != '\'') continue;
        if (i + 1 < s_.size() && s_[i + 1] == '\'')
          ++i;
        else
          return i + 1;
      }
      return s_.size();
    }
    if (c == '|' || c == '>') {
      std::size_t end = s_.find('\n', i);
      if (end == std::string_view::npos) return s_.size();
      std::size_t line = end + 1;
      while (line < s_.size()) {
        std::size_t eol = s_.find('\n', line);
        if (eol == std::string_view::npos) eol = s_.size();
        std::size_t first = line;
        while (first < eol && s_[first] == ' ') ++first;
        bool blank = first == eol || s_[first] == '\r';
        if (!blank && static_cast<int>(first - line) <= indent) break;
        if (!blank) end = eol;
        line = eol + 1;
      }
      return end;
    }
    std::size_t end = i;
    for (; i < s_.size(); ++i) {
      char d = s_[i];
      if (d == '\n' || d == '\r') break;
      if (d == '#' && i > pos && (s_[i - 1] == ' ' || s_[i - 1] == '\t')) break;
      if (flow && (d == ',' || d == ']' || d == '}')) break;
      if (d == ':' &&
          (i + 1 >= s_.size() || s_[i + 1] == ' ' || s_[i + 1] == '\n' || s_[i + 1] == '\r' ||
           (flow && (s_[i + 1] == ',' || s_[i + 1] == ']' || s_[i + 1] == '}'))))
        break;
      if (d != ' ' && d != '\t') end = i + 1;
    }
    return end;
  }

  // End of a flow collection starting at its bracket.
  std::size_t flow_end(std::size_t pos) const {
    int depth = 0;
    for (std::size_t i = pos; i < s_.size(); ++i) {
      char c = s_[i];
      if (c == '"' || c == '\'') {
        i = scalar_end(i, true, 0) - 1;
      } else if (c == '#' && i > 0 &&
                 (s_[i - 1] == ' ' || s_[i - 1] == '\t' || s_[i - 1] == '\n')) {
        while (i < s_.size() && s_[i] != '\n') ++i;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        if (--depth == 0) return i + 1;
      }
    }
    return s_.size();
  }

  // Just after the ':' that follows a key ending at `pos`.
  std::size_t after_colon(std::size_t pos) const {
    while (pos < s_.size() && (s_[pos] == ' ' || s_[pos] == '\t')) ++pos;
    return pos < s_.size() && s_[pos] == ':' ? pos + 1 : std::string::npos;
  }

  json convert(const YAML::Node& n, const std::string& path, std::size_t depth, int indent,
               bool in_flow, std::size_t key_begin, std::size_t lead) {
    if (++count_ > max_values)
      throw failure{n.Mark().line + 1, n.Mark().column + 1,
                    "too many values (more than " + std::to_string(max_values) + ")"};
    auto mark = n.Mark();
    node_place place;
    place.key_begin = key_begin;
    place.lead = lead;
    auto [kline, kcol] = doc_.line_column(key_begin);
    place.key_line = kline;
    place.key_column = kcol;
    bool flow = in_flow || n.Style() == YAML::EmitterStyle::Flow;
    place.flow = flow;
    place.in_flow = in_flow;
    std::size_t pos = mark.pos < 0 ? lead : static_cast<std::size_t>(mark.pos);
    json out;
    if (n.IsMap() || n.IsSequence()) {
      if (depth >= max_nesting)
        throw failure{mark.line + 1, mark.column + 1,
                      "nesting deeper than " + std::to_string(max_nesting) + " levels"};
      place.begin = pos;
      place.end = pos;
      if (n.IsMap())
        out = mapping(n, path, depth, flow, place);
      else
        out = sequence(n, path, depth, flow, place);
      if (flow) {
        if (pos < s_.size() && (s_[pos] == '[' || s_[pos] == '{'))
          place.end = flow_end(pos);
        else
          place.editable = false;
      }
    } else if (n.IsScalar()) {
      place.begin = pos;
      place.end = scalar_end(pos, flow, indent);
      const std::string& text = n.Scalar();
      const std::string& tag = n.Tag();
      if (tag == "!") {
        out = text;  // quoted or block scalars are strings
      } else if (tag == "?" || tag.empty()) {
        out = resolve_yaml_plain(text);
        // A multi-line plain scalar is not one source line: do not edit it in place.
        if (s_.substr(place.begin, place.end - place.begin) != text) place.editable = false;
      } else if (tag == "tag:yaml.org,2002:str") {
        out = text;
      } else {
        out = resolve_yaml_plain(text);
      }
    } else {  // null: written as ~ / null, or nothing at all after the ':' or '-'
      std::size_t at = pos;
      std::size_t word = at;
      while (word < s_.size() && s_[word] != ' ' && s_[word] != '\n' && s_[word] != ',' &&
             s_[word] != '}' && s_[word] != ']' && s_[word] != '#')
        ++word;
      bool written =
          mark.pos >= 0 && at >= lead && is_null_word(s_.substr(at, word - at)) && word > at;
      place.begin = written ? at : lead;
      place.end = written ? word : lead;
      out = nullptr;
    }
    auto [line, col] = doc_.line_column(place.begin);
    place.line = line;
    place.column = col;
    if (key_begin == place.begin || path.empty()) {
      place.key_line = line;
      place.key_column = col;
    }
    doc_.places[path] = place;
    return out;
  }

  json mapping(const YAML::Node& n, const std::string& path, std::size_t depth, bool flow,
               node_place& place) {
    json_object members;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node k = it->first;  // copies: the iterator hands out temporaries
      const YAML::Node v = it->second;
      auto km = k.Mark();
      if (!k.IsScalar()) throw failure{km.line + 1, km.column + 1, "keys must be plain strings"};
      std::string key = k.Scalar();
      std::size_t kpos = km.pos < 0 ? place.begin : static_cast<std::size_t>(km.pos);
      std::size_t kend = scalar_end(kpos, flow, km.column);
      std::size_t lead = after_colon(kend);
      std::string child = path_key(path, key);
      // A duplicate key is an error, as in the YAML spec (yaml-cpp keeps both silently).
      if (std::any_of(members.begin(), members.end(),
                      [&](const auto& m) { return m.first == key; })) {
        const node_place* first = doc_.find(child);
        auto [line, column] = doc_.line_column(kpos);
        throw failure{line, column, duplicate_key_message(first ? first->key_line : 0), child};
      }
      json value = convert(v, child, depth + 1, km.column, flow, kpos,
                           lead == std::string::npos ? kend : lead);
      if (lead == std::string::npos) doc_.places[child].editable = false;
      place.end = std::max(place.end, doc_.places[child].end);
      members.emplace_back(std::move(key), std::move(value));
    }
    return json(std::move(members));
  }

  json sequence(const YAML::Node& n, const std::string& path, std::size_t depth, bool flow,
                node_place& place) {
    json_array items;
    for (const auto& item : n) {
      auto m = item.Mark();
      std::size_t ipos = m.pos < 0 ? place.end : static_cast<std::size_t>(m.pos);
      std::size_t dash = ipos, lead = ipos;
      int indent = m.column;
      if (!flow) {
        // The item's "-" precedes its value on the same line (or ipos is the dash of a null).
        std::size_t back = ipos;
        while (back > 0 && s_[back - 1] == ' ') --back;
        if (back > 0 && s_[back - 1] == '-') {
          dash = back - 1;
          lead = back;
        } else if (ipos < s_.size() && s_[ipos] == '-') {
          dash = ipos;
          lead = ipos + 1;
        }
        indent = doc_.line_column(dash).second - 1;
      }
      std::string child = path_index(path, items.size());
      items.push_back(convert(item, child, depth + 1, indent, flow, dash, lead));
      place.end = std::max(place.end, doc_.places[child].end);
    }
    return json(std::move(items));
  }
};

}  // namespace

parse_outcome read_yaml(std::string text, const std::string& file) {
  parse_outcome out;
  document doc;
  doc.file = file;
  doc.format = doc_format::yaml;
  doc.text = std::move(text);
  doc.index_lines();
  try {
    YAML::Node root = YAML::Load(doc.text);
    converter c(doc);
    doc.root = c.root(root);
  } catch (const failure& f) {
    out.error = parse_error{f.line, f.column, f.message, f.path};
    return out;
  } catch (const YAML::DeepRecursion& e) {
    out.error = parse_error{e.mark.line + 1, e.mark.column + 1,
                            "nesting too deep (yaml-cpp allows about 500 levels)"};
    return out;
  } catch (const YAML::Exception& e) {
    bool known = e.mark.line >= 0 && e.mark.column >= 0;
    out.error = parse_error{known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0, e.msg};
    return out;
  } catch (const std::exception& e) {
    out.error = parse_error{0, 0, std::string("cannot parse YAML: ") + e.what()};
    return out;
  } catch (...) {
    out.error = parse_error{0, 0, "cannot parse YAML"};
    return out;
  }
  out.doc = std::move(doc);
  return out;
}

}  // namespace durar::detail
