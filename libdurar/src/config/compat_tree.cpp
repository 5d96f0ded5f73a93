#include "config/compat_keys.hpp"

namespace durar::detail {

const compat_node* compat_node::exact(std::string_view key) const {
  for (const auto& c : children)
    if (c->name == key) return c.get();
  return nullptr;
}

const compat_node* compat_node::child(std::string_view key) const {
  if (key == "*" || key == "**" || key == "[]") return exact("*");
  if (const compat_node* c = exact(key)) return c;
  return exact("*");
}

const compat_node* compat_node::items() const { return exact("[]"); }

bool compat_node::open() const { return exact("**") != nullptr; }

std::vector<std::string> compat_node::names() const {
  std::vector<std::string> out;
  for (const auto& c : children)
    if (c->name != "*" && c->name != "**" && c->name != "[]") out.emplace_back(c->name);
  return out;
}

const compat_node& compat_root() {
  static const compat_node root = [] {
    compat_node r;
    std::vector<compat_node*> stack{&r};  // stack[d] holds the parent of depth-d lines
    std::string_view text(compat_keys_text);
    while (!text.empty()) {
      auto eol = text.find('\n');
      std::string_view line = text.substr(0, eol);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      std::size_t depth = line.find_first_not_of(' ');
      if (depth == std::string_view::npos || depth >= stack.size() || line[0] == '#') continue;
      stack.resize(depth + 1);
      auto node = std::make_unique<compat_node>();
      node->name = line.substr(depth);
      compat_node* raw = node.get();
      stack[depth]->children.push_back(std::move(node));
      stack.push_back(raw);
    }
    return r;
  }();
  return root;
}

}  // namespace durar::detail
