#include "config/document.hpp"

#include <algorithm>
#include <charconv>

namespace durar {
namespace detail {
namespace {

bool plain_segment(std::string_view key) {
  if (key.empty()) return false;
  return std::none_of(key.begin(), key.end(), [](char c) {
    return c == '.' || c == '[' || c == ']' || c == '"' || c == '\'' || c == ' ' || c == '\t' ||
           c == '\n' || c == '\r';
  });
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

const node_place* document::find(std::string_view path) const {
  auto it = places.find(path);
  return it == places.end() ? nullptr : &it->second;
}

std::pair<int, int> document::position(std::string_view path, bool at_key) const {
  std::string p(path);
  for (;;) {
    if (const node_place* place = find(p)) {
      if (at_key && place->key_line > 0) return {place->key_line, place->key_column};
      return {place->line, place->column};
    }
    if (p.empty()) return {0, 0};
    // Walk up one segment: a trailing [..] or .key.
    if (p.back() == ']') {
      auto open = p.rfind('[');
      // A quoted segment may hold '[': find the '[' that starts it.
      if (p.size() >= 2 && p[p.size() - 2] == '"') {
        auto q = p.rfind("[\"", p.size() - 2);
        open = q == std::string::npos ? open : q;
      }
      p.resize(open == std::string::npos ? 0 : open);
    } else {
      auto dot = p.rfind('.');
      p.resize(dot == std::string::npos ? 0 : dot);
    }
    at_key = false;
  }
}

std::pair<int, int> document::line_column(std::size_t offset) const {
  if (line_starts.empty()) return {1, static_cast<int>(offset) + 1};
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
  std::size_t line = static_cast<std::size_t>(it - line_starts.begin());  // 1-based
  return {static_cast<int>(line), static_cast<int>(offset - line_starts[line - 1]) + 1};
}

void document::index_lines() {
  line_starts.clear();
  line_starts.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts.push_back(i + 1);
}

doc_format format_for(std::string_view file) {
  auto dot = file.rfind('.');
  auto slash = file.find_last_of("/\\");
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return doc_format::yaml;
  std::string ext = ascii_lower(file.substr(dot));
  return ext == ".json" || ext == ".json5" ? doc_format::json5 : doc_format::yaml;
}

parse_outcome parse_document(std::string text, const std::string& file) {
  return format_for(file) == doc_format::json5 ? read_json5(std::move(text), file)
                                               : read_yaml(std::move(text), file);
}

std::string path_key(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (plain_segment(key)) {
    if (!out.empty()) out += '.';
    out += key;
  } else {
    out += '[';
    json_quote(out, key);
    out += ']';
  }
  return out;
}

std::string path_index(std::string_view parent, std::size_t index) {
  std::string out(parent);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

std::optional<std::size_t> index_segment(std::string_view segment) {
  if (segment.size() < 3 || segment.front() != '[' || segment.back() != ']') return std::nullopt;
  std::size_t n = 0;
  auto digits = segment.substr(1, segment.size() - 2);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return n;
}

std::string format_key_path(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) {
    if (auto i = index_segment(s))
      out = path_index(out, *i);
    else
      out = path_key(out, s);
  }
  return out;
}

config_issue make_issue(const document& doc, config_issue::severity level, std::string path,
                        std::string message, bool at_key) {
  config_issue issue;
  issue.level = level;
  auto [line, column] = doc.position(path, at_key);
  issue.path = std::move(path);
  issue.file = doc.file;
  issue.line = line;
  issue.column = column;
  issue.message = std::move(message);
  return issue;
}

config_issue parse_issue(const std::string& file, const parse_error& e) {
  config_issue issue;
  issue.file = file;
  issue.line = e.line;
  issue.column = e.column;
  issue.message = e.message;
  issue.path = e.path;
  return issue;
}

std::string duplicate_key_message(int first_line) {
  return "duplicate key (first defined on line " + std::to_string(first_line) + ")";
}

}  // namespace detail

std::string config_issue::describe() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ':' + std::to_string(line) + ':' + std::to_string(column);
    out += ": ";
  }
  out += level == severity::error ? "error: " : "warning: ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

result<std::vector<std::string>> parse_key_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto bad = [&](std::string_view what) {
    return fail(errc::invalid_argument,
                "bad key path '" + std::string(path) + "': " + std::string(what));
  };
  if (path.empty()) return bad("empty");
  bool need_segment = true;  // at the start or after a dot
  while (i < path.size()) {
    char c = path[i];
    if (c == '[') {
      auto close = std::string_view::npos;
      if (i + 1 < path.size() && (path[i + 1] == '"' || path[i + 1] == '\'')) {
        char q = path[i + 1];
        std::string key;
        std::size_t j = i + 2;
        for (; j < path.size() && path[j] != q; ++j) {
          if (path[j] == '\\' && j + 1 < path.size()) ++j;
          key += path[j];
        }
        if (j + 1 >= path.size() || path[j + 1] != ']') return bad("unclosed [\"...\"]");
        out.push_back(std::move(key));
        close = j + 1;
      } else {
        close = path.find(']', i);
        if (close == std::string_view::npos) return bad("unclosed [");
        auto seg = std::string(path.substr(i, close - i + 1));
        if (!detail::index_segment(seg)) return bad(seg + " is not an array index");
        out.push_back(std::move(seg));
      }
      i = close + 1;
      need_segment = false;
      if (i < path.size() && path[i] != '.' && path[i] != '[') return bad("expected '.' after ]");
      if (i < path.size() && path[i] == '.') {
        ++i;
        need_segment = true;
        if (i == path.size()) return bad("ends with '.'");
      }
      continue;
    }
    if (!need_segment) return bad("expected '.'");
    auto end = path.find_first_of(".[", i);
    if (end == std::string_view::npos) end = path.size();
    if (end == i) return bad("empty key");
    out.emplace_back(path.substr(i, end - i));
    i = end;
    need_segment = false;
    if (i < path.size() && path[i] == '.') {
      ++i;
      need_segment = true;
      if (i == path.size()) return bad("ends with '.'");
    }
  }
  return out;
}

}  // namespace durar
