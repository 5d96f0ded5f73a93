// The bootstrap files of a workspace, read once and kept while the files stay as they were:
// every turn builds a system prompt from them, and re-reading eight files per turn was a
// measurable share of a gateway turn. Safe to call from any thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

struct bootstrap_text {
  std::string name;  // "AGENTS.md"
  std::filesystem::path path;
  std::string text;  // whole, before any cap
};

// The bootstrap files present in `workspace`, in the prompt's order. A file is re-read when
// its size, inode or mtime changed, or when it changed too recently for its mtime to tell.
std::vector<bootstrap_text> bootstrap_texts(const std::filesystem::path& workspace);

// Whether `workspace`/skills is known not to exist (so a caller may skip looking): the
// workspace folder is missing, or unchanged since a look that found no skills folder.
bool skills_known_absent(const std::filesystem::path& workspace);

}  // namespace durar::detail
