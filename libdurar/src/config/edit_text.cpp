#include "config/edit_text.hpp"

namespace durar::detail {
namespace {

std::string prefix_path(const std::vector<std::string>& segments, std::size_t n) {
  return format_key_path(std::vector<std::string>(segments.begin(), segments.begin() + n));
}

// `value` wrapped in objects for the keys segments[from..]; nullopt if an index is among them.
std::optional<json> nest(const std::vector<std::string>& segments, std::size_t from, json value) {
  for (std::size_t i = segments.size(); i > from; --i) {
    if (index_segment(segments[i - 1])) return std::nullopt;
    json wrapped = json::object();
    wrapped.set(segments[i - 1], std::move(value));
    value = std::move(wrapped);
  }
  return value;
}

}  // namespace

result<json> json_with_set(json root, const std::vector<std::string>& segments, json value) {
  json* cur = &root;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    if (auto index = index_segment(seg)) {
      if (!cur->is_array())
        return fail(errc::invalid_argument, "cannot set " + format_key_path(segments) + ": " +
                                                prefix_path(segments, i) + " is not an array");
      auto& items = cur->as_array();
      if (*index > items.size())
        return fail(errc::not_found, "cannot set " + format_key_path(segments) + ": " +
                                         prefix_path(segments, i) + " has " +
                                         std::to_string(items.size()) + " items");
      if (*index == items.size()) items.emplace_back();
      cur = &items[*index];
      continue;
    }
    if (cur->is_null()) *cur = json::object();
    if (!cur->is_object())
      return fail(errc::invalid_argument,
                  "cannot set " + format_key_path(segments) + ": " +
                      (i == 0 ? std::string("the config") : prefix_path(segments, i)) + " is " +
                      std::string(to_string(cur->type())) + ", not an object");
    json* next = cur->find(seg);
    cur = next ? next : &cur->set(seg, json());
  }
  *cur = std::move(value);
  return root;
}

result<json> json_without(json root, const std::vector<std::string>& segments) {
  json* cur = &root;
  auto missing = [&] { return fail(errc::not_found, "no value at " + format_key_path(segments)); };
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    auto index = index_segment(segments[i]);
    json* next = nullptr;
    if (index && cur->is_array() && *index < cur->size()) next = &cur->as_array()[*index];
    if (!index) next = cur->find(segments[i]);
    if (next == nullptr) return missing();
    cur = next;
  }
  const std::string& last = segments.back();
  if (auto index = index_segment(last)) {
    if (!cur->is_array() || *index >= cur->size()) return missing();
    cur->as_array().erase(cur->as_array().begin() + static_cast<std::ptrdiff_t>(*index));
  } else if (!cur->erase(last)) {
    return missing();
  }
  return root;
}

std::optional<std::string> text_with_set(const document& doc,
                                         const std::vector<std::string>& segments,
                                         const json& value) {
  // The deepest part of the path that already exists.
  const json* cur = &doc.root;
  std::size_t k = 0;
  for (; k < segments.size(); ++k) {
    const json* next = nullptr;
    if (auto index = index_segment(segments[k])) {
      if (cur->is_array() && *index < cur->size()) next = &(*cur)[*index];
    } else {
      next = cur->find(segments[k]);
    }
    if (next == nullptr) break;
    cur = next;
  }
  text_tools t{doc, doc.text};
  const bool yaml = doc.format == doc_format::yaml;
  std::string path = prefix_path(segments, k);
  if (k == segments.size())
    return yaml ? yaml_replace(t, path, value) : json5_replace(t, path, value);
  auto rest = nest(segments, k + 1, value);
  if (!rest) return std::nullopt;
  if (cur->is_null()) {
    auto whole = nest(segments, k, value);
    if (!whole) return std::nullopt;
    return yaml ? yaml_replace(t, path, *whole) : json5_replace(t, path, *whole);
  }
  auto index = index_segment(segments[k]);
  if (cur->is_object() && !index)
    return yaml ? yaml_insert(t, path, *cur, &segments[k], *rest)
                : json5_insert(t, path, *cur, &segments[k], *rest);
  if (cur->is_array() && index && *index == cur->size())
    return yaml ? yaml_insert(t, path, *cur, nullptr, *rest)
                : json5_insert(t, path, *cur, nullptr, *rest);
  return std::nullopt;
}

std::optional<std::string> text_without(const document& doc,
                                        const std::vector<std::string>& segments) {
  const json* parent = &doc.root;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    auto index = index_segment(segments[i]);
    parent = index ? &(*parent)[*index] : &(*parent)[segments[i]];
  }
  std::string parent_path = prefix_path(segments, segments.size() - 1);
  std::string child_path = format_key_path(segments);
  std::size_t child_index = 0;
  if (auto index = index_segment(segments.back())) {
    child_index = *index;
  } else if (parent->is_object()) {
    const auto& members = parent->as_object();
    while (child_index < members.size() && members[child_index].first != segments.back())
      ++child_index;
  }
  if (child_index >= parent->size()) return std::nullopt;
  text_tools t{doc, doc.text};
  if (doc.format == doc_format::yaml)
    return yaml_remove(t, parent_path, *parent, child_path, child_index);
  if (!t.remove_flow_entry(parent_path, *parent, child_path, child_index)) return std::nullopt;
  return t.text;
}

// ---- text_tools --------------------------------------------------------------------------

std::size_t text_tools::line_start(std::size_t pos) const {
  auto nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
  return nl == std::string::npos ? 0 : nl + 1;
}

std::size_t text_tools::line_end(std::size_t pos) const {
  auto nl = text.find('\n', pos);
  return nl == std::string::npos ? text.size() : nl;
}

std::string text_tools::indentation(std::size_t pos) const {
  std::size_t b = line_start(pos), e = b;
  while (e < text.size() && (text[e] == ' ' || text[e] == '\t')) ++e;
  return text.substr(b, e - b);
}

bool text_tools::blank(std::size_t from, std::size_t to) const {
  for (std::size_t i = from; i < to && i < text.size(); ++i)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') return false;
  return true;
}

std::size_t text_tools::next_significant(std::size_t pos) const {
  const bool yaml = doc.format == doc_format::yaml;
  while (pos < text.size()) {
    char c = text[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos;
    } else if (yaml && c == '#') {
      pos = line_end(pos);
    } else if (!yaml && text.compare(pos, 2, "//") == 0) {
      pos = line_end(pos);
    } else if (!yaml && text.compare(pos, 2, "/*") == 0) {
      auto end = text.find("*/", pos + 2);
      pos = end == std::string::npos ? text.size() : end + 2;
    } else {
      break;
    }
  }
  return pos;
}

bool text_tools::remove_flow_entry(const std::string& parent_path, const json& parent,
                                   const std::string& child_path, std::size_t child_index) {
  const node_place* child = doc.find(child_path);
  if (child == nullptr || !child->editable) return false;
  std::size_t start = child->key_begin, end = child->end;
  std::size_t after = next_significant(end);
  std::size_t rm_begin = start, rm_end = end;
  if (after < text.size() && text[after] == ',') {
    rm_end = after + 1;
    std::size_t ls = line_start(start), le = line_end(rm_end);
    if (blank(ls, start) && next_significant(rm_end) >= le) {
      rm_begin = ls;  // the entry had its own line: drop the line
      rm_end = std::min(le + 1, text.size());
    } else {
      while (rm_end < text.size() && text[rm_end] == ' ') ++rm_end;
    }
  } else if (child_index > 0) {
    std::string prev_path = parent.is_array()
                                ? path_index(parent_path, child_index - 1)
                                : path_key(parent_path, parent.as_object()[child_index - 1].first);
    const node_place* prev = doc.find(prev_path);
    if (prev == nullptr) return false;
    std::size_t comma = next_significant(prev->end);
    if (comma >= text.size() || text[comma] != ',') return false;
    rm_begin = comma;
  } else {
    // The only entry: the collection becomes an empty {} or [].
    const node_place* p = doc.find(parent_path);
    if (p == nullptr || !p->editable || p->end <= p->begin) return false;
    text.replace(p->begin, p->end - p->begin, parent.is_array() ? "[]" : "{}");
    return true;
  }
  text.erase(rm_begin, rm_end - rm_begin);
  return true;
}

}  // namespace durar::detail
