// The workspace file cache. A folder's mtime changes when an entry is created, removed or
// renamed into it (editors save by rename), so while the workspace folder is unchanged the
// files that were missing are still missing and only the present ones need a stat. Like
// git's index, a stamp taken within a second of the file's mtime is not trusted: a second
// write in the same timestamp tick would leave it unchanged.
#include "agent/workspace_cache.hpp"

#include "core/file_io.hpp"

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <sys/stat.h>

namespace durar::detail {

namespace {

constexpr std::array<std::string_view, 8> bootstrap_names = {
    "AGENTS.md", "SOUL.md",      "TOOLS.md",     "IDENTITY.md",
    "USER.md",   "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"};

constexpr std::size_t max_workspaces = 64;  // a bound, not a tuning knob: hosts have a few

struct stamp {
  std::int64_t mtime_ns = 0;
  std::uint64_t size = 0;
  std::uint64_t inode = 0;
  bool settled = false;  // taken long enough after mtime that a later write must change it
  bool operator==(const stamp& o) const {
    return mtime_ns == o.mtime_ns && size == o.size && inode == o.inode;
  }
};

std::optional<stamp> stamp_of(const std::filesystem::path& p, bool want_dir) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) return std::nullopt;
  stamp s;
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  s.settled = now - s.mtime_ns > 1'000'000'000;
  return s;
}

struct cached_file {
  bootstrap_text file;
  stamp st;
};

struct workspace_entry {
  stamp dir;
  std::vector<cached_file> present;  // in the prompt's order
  bool skills_absent = false;
  std::uint64_t used = 0;  // for evicting the least recently used
};

std::mutex cache_mutex;
std::map<std::filesystem::path, workspace_entry> cache;
std::uint64_t use_clock = 0;

std::optional<cached_file> read_one(const std::filesystem::path& workspace, std::string_view name) {
  std::filesystem::path p = workspace / std::string(name);
  auto st = stamp_of(p, false);
  if (!st && name == "MEMORY.md") {  // the original accepts either spelling
    p = workspace / "memory.md";
    st = stamp_of(p, false);
  }
  if (!st) return std::nullopt;
  bool exists = false;
  auto text = read_file(p, exists);
  if (!text || !exists) return std::nullopt;
  return cached_file{{std::string(name), p, std::move(*text)}, *st};
}

workspace_entry scan(const std::filesystem::path& workspace, const stamp& dir) {
  workspace_entry e;
  e.dir = dir;
  for (std::string_view name : bootstrap_names)
    if (auto f = read_one(workspace, name)) e.present.push_back(std::move(*f));
  std::error_code ec;
  e.skills_absent = !std::filesystem::exists(workspace / "skills", ec) && !ec;
  return e;
}

// Brings the entry for `workspace` up to date; nullptr when the folder does not exist.
workspace_entry* refresh(const std::filesystem::path& workspace) {
  auto dir = stamp_of(workspace, true);
  if (!dir) {
    cache.erase(workspace);
    return nullptr;
  }
  auto it = cache.find(workspace);
  if (it == cache.end() || !(it->second.dir == *dir) || !it->second.dir.settled) {
    if (it == cache.end() && cache.size() >= max_workspaces) {
      auto oldest = cache.begin();
      for (auto i = cache.begin(); i != cache.end(); ++i)
        if (i->second.used < oldest->second.used) oldest = i;
      cache.erase(oldest);
    }
    it = cache.insert_or_assign(workspace, scan(workspace, *dir)).first;
  } else {
    // Same entries as before: only the present files can have changed.
    auto& present = it->second.present;
    for (std::size_t i = 0; i < present.size();) {
      auto now = stamp_of(present[i].file.path, false);
      if (now && *now == present[i].st && present[i].st.settled) {
        ++i;
      } else if (auto again = read_one(workspace, present[i].file.name)) {
        present[i++] = std::move(*again);
      } else {
        present.erase(present.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  it->second.used = ++use_clock;
  return &it->second;
}

}  // namespace

std::vector<bootstrap_text> bootstrap_texts(const std::filesystem::path& workspace) {
  std::lock_guard lock(cache_mutex);
  std::vector<bootstrap_text> out;
  if (auto* e = refresh(workspace))
    for (const auto& f : e->present) out.push_back(f.file);
  return out;
}

bool skills_known_absent(const std::filesystem::path& workspace) {
  auto dir = stamp_of(workspace, true);
  if (!dir) return true;  // no workspace folder, so no skills in it
  std::lock_guard lock(cache_mutex);
  auto it = cache.find(workspace);
  return it != cache.end() && it->second.dir.settled && *dir == it->second.dir &&
         it->second.skills_absent;
}

}  // namespace durar::detail
