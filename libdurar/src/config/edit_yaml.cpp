// In-place edits of YAML text: replace what follows a key's ':' (or an item's '-'), add a
// "key: value" line at the indentation of the block's other keys, or drop a member's lines.
#include "config/edit_text.hpp"
#include "config/yaml_writer.hpp"

namespace durar::detail {
namespace {

std::string spaces(int n) { return std::string(static_cast<std::size_t>(n > 0 ? n : 0), ' '); }

std::string child_path_of(const std::string& parent_path, const json& parent, std::size_t i) {
  return parent.is_array() ? path_index(parent_path, i)
                           : path_key(parent_path, parent.as_object()[i].first);
}

}  // namespace

std::optional<std::string> yaml_replace(text_tools& t, const std::string& path, const json& value) {
  const node_place* p = t.doc.find(path);
  if (p == nullptr || !p->editable || path.empty()) return std::nullopt;
  if (p->in_flow) {
    t.text.replace(p->begin, p->end - p->begin, yaml_flow(value));
    return t.text;
  }
  // Columns are 1-based; the owner is the key (or the item's dash).
  int indent = p->key_column - 1;
  t.text.replace(p->lead, p->end - p->lead, yaml_after_colon(value, indent));
  return t.text;
}

std::optional<std::string> yaml_insert(text_tools& t, const std::string& parent_path,
                                       const json& parent, const std::string* key,
                                       const json& value) {
  const node_place* p = t.doc.find(parent_path);
  if (p == nullptr || !p->editable) return std::nullopt;
  if (p->flow) {
    char open = key ? '{' : '[';
    if (p->begin >= t.text.size() || t.text[p->begin] != open) return std::nullopt;
    std::string entry = (key ? yaml_key(*key) + ": " : std::string()) + yaml_flow(value);
    if (parent.empty()) {
      t.text.replace(p->begin, p->end - p->begin, std::string(1, open) + entry + (key ? "}" : "]"));
      return t.text;
    }
    const node_place* last = t.doc.find(child_path_of(parent_path, parent, parent.size() - 1));
    if (last == nullptr) return std::nullopt;
    t.text.insert(last->end, ", " + entry);
    return t.text;
  }
  if (parent.empty()) {
    // Only the root of an empty (or comment-only) file is an empty block mapping.
    if (!parent_path.empty() || !key) return std::nullopt;
    std::string sep = t.text.empty() || t.text.back() == '\n' ? "" : "\n";
    t.text += sep + yaml_key(*key) + ":" + yaml_after_colon(value, 0) + "\n";
    return t.text;
  }
  const node_place* first = t.doc.find(child_path_of(parent_path, parent, 0));
  if (first == nullptr) return std::nullopt;
  int indent = first->key_column - 1;
  std::string line =
      key ? yaml_key(*key) + ":" + yaml_after_colon(value, indent) : yaml_item(value, indent);
  t.text.insert(t.line_end(p->end), std::string("\n").append(spaces(indent)).append(line));
  return t.text;
}

std::optional<std::string> yaml_remove(text_tools& t, const std::string& parent_path,
                                       const json& parent, const std::string& child_path,
                                       std::size_t child_index) {
  const node_place* p = t.doc.find(parent_path);
  const node_place* c = t.doc.find(child_path);
  if (p == nullptr || c == nullptr || !p->editable || !c->editable) return std::nullopt;
  if (p->flow) {
    if (!t.remove_flow_entry(parent_path, parent, child_path, child_index)) return std::nullopt;
    return t.text;
  }
  if (parent.size() == 1 && !parent_path.empty()) {
    // The block would be left empty: write it as {} / [] after its key.
    t.text.replace(p->lead, p->end - p->lead, parent.is_array() ? " []" : " {}");
    return t.text;
  }
  std::size_t ls = t.line_start(c->key_begin);
  if (!t.blank(ls, c->key_begin)) return std::nullopt;
  std::size_t le = t.line_end(c->end);
  t.text.erase(ls, std::min(le + 1, t.text.size()) - ls);
  return t.text;
}

}  // namespace durar::detail
