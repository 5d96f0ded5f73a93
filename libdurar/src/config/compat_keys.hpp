// The keys the original (openclaw) accepts, as a tree, so that Durar can tell a key it does
// not implement yet (a warning) from a key nobody accepts (an error).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

// compat_keys.txt, compiled in: one key per line, indented one space per level,
// '#' lines are comments.
extern const char compat_keys_text[];

class compat_node {
 public:
  // The node for `key`: an exact name, else the "*" wildcard; nullptr when unknown.
  [[nodiscard]] const compat_node* child(std::string_view key) const;
  // The node for array items, or nullptr.
  [[nodiscard]] const compat_node* items() const;
  // Anything at all is accepted below this node.
  [[nodiscard]] bool open() const;
  // The node named exactly `key` (no wildcard), or nullptr.
  [[nodiscard]] const compat_node* exact(std::string_view key) const;
  // Named children, for "did you mean".
  [[nodiscard]] std::vector<std::string> names() const;

  std::string_view name;
  std::vector<std::unique_ptr<compat_node>> children;
};

const compat_node& compat_root();

}  // namespace durar::detail
