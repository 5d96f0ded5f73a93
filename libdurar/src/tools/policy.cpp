// Tool allow/deny lists as the original reads them: case-insensitive names, a few aliases
// (bash = exec), "group:*" names, and "*" wildcards anywhere in a pattern.
#include <durar/config.hpp>
#include <durar/tools.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

namespace {

struct tool_group {
  std::string_view name;
  std::vector<std::string> members;
};

const std::vector<tool_group>& groups() {
  static const std::vector<tool_group> all = {
      {"group:fs", {"read", "write", "edit", "apply_patch"}},
      {"group:runtime", {"exec", "process"}},
      {"group:web", {"web_fetch"}},
      {"group:sessions", {"sessions_list", "sessions_history", "sessions_send"}},
  };
  return all;
}

std::string normalize(std::string_view name) {
  std::size_t b = name.find_first_not_of(" \t");
  std::size_t e = name.find_last_not_of(" \t");
  std::string out =
      b == std::string_view::npos ? std::string() : std::string(name.substr(b, e - b + 1));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out == "bash") return "exec";
  if (out == "apply-patch") return "apply_patch";
  return out;
}

// '*' matches any run of characters; everything else literally.
bool glob_match(std::string_view pattern, std::string_view s) {
  std::size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pattern.size() && pattern[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> expand_all(const std::vector<std::string>& list) {
  std::vector<std::string> out;
  for (const auto& entry : list)
    for (auto& name : expand_tool_group(entry))
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  return out;
}

bool matches_any(std::string_view name, const std::vector<std::string>& patterns) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return glob_match(p, name); });
}

bool allowed_by(const std::string& name, const tool_policy& policy) {
  auto deny = expand_all(policy.deny);
  auto allow = expand_all(policy.allow);
  // apply_patch writes files: "write" in a list speaks for it too.
  bool patch = name == "apply_patch";
  if (matches_any(name, deny) || (patch && matches_any("write", deny))) return false;
  if (allow.empty()) return true;
  return matches_any(name, allow) || (patch && matches_any("write", allow));
}

}  // namespace

std::vector<std::string> expand_tool_group(std::string_view name) {
  std::string n = normalize(name);
  if (n.empty()) return {};
  for (const auto& g : groups())
    if (g.name == n) return g.members;
  return {n};
}

bool tool_allowed(std::string_view tool_name, const tool_policy& global, const tool_policy& agent) {
  std::string name = normalize(tool_name);
  return allowed_by(name, global) && allowed_by(name, agent);
}

}  // namespace durar
