// session.maintenance: the index kept to a bounded size, as the original keeps it. Entries not
// updated for prune_after go, then the least recently updated beyond max_entries; their
// transcripts are archived (session_store.cpp) and old archives swept from the folder. With
// maxDiskBytes, the folder is kept under a disk budget too.
#include "session/session_internal.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace durar::detail {

std::string_view removal_name(removal why) {
  switch (why) {
    case removal::stale:
      return "prune-stale";
    case removal::overflow:
      return "cap-overflow";
    case removal::missing:
      return "prune-missing";
    case removal::budget:
      return "evict-budget";
  }
  return "prune-stale";
}

std::int64_t maintenance_high_water(std::int64_t max_entries) {
  if (max_entries <= 0) return 1;
  if (max_entries < 50) return max_entries + 1;  // small caps are kept exactly
  return max_entries + std::max<std::int64_t>(25, (max_entries + 9) / 10);
}

std::vector<planned_removal> plan_maintenance(
    const std::vector<const session_info*>& entries, const session_maintenance& m,
    std::int64_t now_ms, bool force, const std::function<bool(const session_info&)>& pinned) {
  std::vector<planned_removal> out;
  const std::int64_t cutoff = now_ms - static_cast<std::int64_t>(m.prune_after.count());
  std::vector<std::size_t> kept;  // not stale, in file order
  kept.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const session_info& e = *entries[i];
    if (e.updated_at > 0 && e.updated_at < cutoff && !pinned(e))
      out.push_back({i, removal::stale});
    else
      kept.push_back(i);
  }
  const auto max = static_cast<std::size_t>(std::max<std::int64_t>(m.max_entries, 0));
  const bool cap =
      force ? kept.size() > max
            : static_cast<std::int64_t>(kept.size()) >= maintenance_high_water(m.max_entries);
  if (!cap) return out;
  // Most recently updated first (no updatedAt counts as oldest); ties keep file order.
  std::stable_sort(kept.begin(), kept.end(), [&](std::size_t a, std::size_t b) {
    return entries[a]->updated_at > entries[b]->updated_at;
  });
  for (std::size_t n = max; n < kept.size(); ++n)  // beyond the newest `max`
    if (!pinned(*entries[kept[n]])) out.push_back({kept[n], removal::overflow});
  std::sort(out.begin(), out.end(),
            [](const planned_removal& a, const planned_removal& b) { return a.index < b.index; });
  return out;
}

namespace {

// The time an archive's name carries, <file>.<reason>.<time> as archive_timestamp() writes
// it ("2026-04-21T09-14-03.512Z": the time's ':' as '-'); nullopt when `name` is not one.
std::optional<std::int64_t> archive_time_ms(std::string_view name, std::string_view reason) {
  const std::string marker = "." + std::string(reason) + ".";
  const auto at = name.rfind(marker);
  if (at == std::string_view::npos) return std::nullopt;
  std::string stamp(name.substr(at + marker.size()));
  if (stamp.size() < 19 || stamp[10] != 'T' || stamp[13] != '-' || stamp[16] != '-')
    return std::nullopt;
  stamp[13] = ':';  // the date's '-' stay
  stamp[16] = ':';
  return parse_iso_ms(stamp);
}

}  // namespace

std::size_t sweep_archives(const std::filesystem::path& dir, const session_maintenance& m,
                           sys_time now) {
  std::size_t removed = 0;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  const std::int64_t now_ms = to_ms(now);
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // <id>.jsonl.<reason>.<time>, named by archive_timestamp().
    std::optional<std::chrono::milliseconds> keep;
    std::optional<std::int64_t> ms;
    if (name.find(".jsonl.deleted.") != std::string::npos) {
      keep = m.prune_after;
      ms = archive_time_ms(name, "deleted");
    } else if (name.find(".jsonl.reset.") != std::string::npos) {
      if (!m.reset_archive_retention) continue;
      keep = *m.reset_archive_retention;
      ms = archive_time_ms(name, "reset");
    } else {
      continue;
    }
    if (!ms || *ms + static_cast<std::int64_t>(keep->count()) >= now_ms) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}

bool transcript_in_use(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops the lock if it was ours
  return held;
}

namespace {

// <file>.deleted.<time>, <file>.reset.<time>, <file>.bak.<time>, sessions.json.bak.<digits>.
bool archive_name(std::string_view name) {
  constexpr std::string_view bak = "sessions.json.bak.";
  if (name.starts_with(bak) && name.size() > bak.size() &&
      std::all_of(name.begin() + bak.size(), name.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
    return true;
  return archive_time_ms(name, "deleted") || archive_time_ms(name, "reset") ||
         archive_time_ms(name, "bak");
}

// The original's <sessionId>.checkpoint.<uuid>.jsonl, a transcript kept before a compaction.
bool checkpoint_name(std::string_view name) {
  if (!name.ends_with(".jsonl")) return false;
  name.remove_suffix(6);
  constexpr std::string_view marker = ".checkpoint.";
  auto at = name.rfind(marker);
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view id = name.substr(at + marker.size());
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  char version = id[14], variant = static_cast<char>(std::tolower(id[19]));
  return version >= '1' && version <= '5' &&
         (variant == '8' || variant == '9' || variant == 'a' || variant == 'b');
}

bool trajectory_name(std::string_view name) {
  return name.ends_with(".trajectory.jsonl") || name.ends_with(".trajectory-path.json");
}

bool transcript_name(std::string_view name) {
  return name.ends_with(".jsonl") && !trajectory_name(name) && !checkpoint_name(name) &&
         !archive_name(name);
}

// A transcript's files: itself and the original's trajectory files beside it.
std::vector<std::string> artifact_names(const std::string& transcript) {
  std::string stem =
      transcript.ends_with(".jsonl") ? transcript.substr(0, transcript.size() - 6) : transcript;
  return {transcript, stem + ".trajectory-path.json", stem + ".trajectory.jsonl"};
}

// The sessions.json text's size for `count` members of `member_bytes` in all.
std::int64_t index_bytes(std::size_t count, std::int64_t member_bytes) {
  if (count == 0) return 3;                                        // "{}\n"
  return member_bytes + 2 * static_cast<std::int64_t>(count) + 3;  // "{\n", ",\n", "\n}\n"
}

struct dir_file {
  std::string name;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
};

}  // namespace

disk_budget_plan plan_disk_budget(
    const std::filesystem::path& dir, const std::vector<const session_info*>& entries,
    const std::vector<bool>& kept, std::int64_t max_bytes, std::int64_t high_water_bytes,
    const std::function<std::optional<std::filesystem::path>(const session_info&)>& path_of,
    const std::function<bool(const session_info&)>& pinned) {
  disk_budget_plan plan;
  plan.max_bytes = max_bytes;
  plan.high_water_bytes = std::min(high_water_bytes, max_bytes);
  std::vector<dir_file> files;
  std::unordered_map<std::string, std::int64_t> size_of;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::string name = it->path().filename().string();
    if (name == "sessions.json") continue;  // counted at the size it will be written at
    auto ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    size_of[name] = static_cast<std::int64_t>(st.st_size);
    files.push_back({std::move(name), static_cast<std::int64_t>(st.st_size), ns});
  }
  std::int64_t total = 0;
  for (const auto& f : files) total += f.size;
  std::vector<std::size_t> live;  // what the index keeps
  std::vector<std::int64_t> member(entries.size(), 0);
  std::int64_t members = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!kept[i]) continue;
    live.push_back(i);
    member[i] = static_cast<std::int64_t>(index_member_bytes(*entries[i]));
    members += member[i];
  }
  std::int64_t index = index_bytes(live.size(), members);
  total += index;
  plan.bytes_before = plan.bytes_after = total;
  if (total <= max_bytes) return plan;
  plan.over = true;

  // The names in the folder that a kept entry still names.
  auto in_dir = [&](const std::filesystem::path& p) -> std::optional<std::string> {
    if (p.parent_path().lexically_normal() != dir.lexically_normal()) return std::nullopt;
    return p.filename().string();
  };
  auto artifacts_of = [&](const session_info& e) {
    std::vector<std::string> out;
    if (e.session_id.empty()) return out;
    if (auto p = path_of(e))
      if (auto name = in_dir(*p)) out = artifact_names(*name);
    return out;
  };
  std::unordered_set<std::string> named;
  for (std::size_t i : live) {
    for (auto& n : artifacts_of(*entries[i])) named.insert(std::move(n));
    const json& checkpoints = entries[i]->raw["compactionCheckpoints"];
    if (!checkpoints.is_array()) continue;
    for (const auto& c : checkpoints.as_array()) {
      const json& file = c["preCompaction"]["sessionFile"];
      if (!file.is_string() || file.as_string().empty()) continue;
      std::filesystem::path p(file.as_string());
      if (auto name = in_dir(p.is_absolute() ? p : dir / p)) named.insert(*name);
    }
  }

  std::unordered_set<std::string> planned;
  auto take = [&](const std::string& name, std::int64_t size) {
    planned.insert(name);
    plan.files.push_back({dir / name, size});
    total -= size;
  };
  // Archives and what no entry names, oldest first.
  std::vector<const dir_file*> spare;
  for (const auto& f : files) {
    if (archive_name(f.name) ||
        ((checkpoint_name(f.name) || trajectory_name(f.name) || transcript_name(f.name)) &&
         named.count(f.name) == 0))
      spare.push_back(&f);
  }
  std::stable_sort(spare.begin(), spare.end(), [](const dir_file* a, const dir_file* b) {
    return a->mtime_ns != b->mtime_ns ? a->mtime_ns < b->mtime_ns : a->name < b->name;
  });
  for (const dir_file* f : spare) {
    if (total <= plan.high_water_bytes) break;
    if (f->size <= 0) continue;
    if (f->name.ends_with(".jsonl") && transcript_in_use(dir / f->name)) continue;
    take(f->name, f->size);
  }
  if (total <= plan.high_water_bytes) {
    plan.bytes_after = total;
    return plan;
  }

  // Then entries, least recently updated first; an entry in use stays.
  std::unordered_map<std::string, int> refs;
  for (std::size_t i : live)
    if (!entries[i]->session_id.empty()) ++refs[entries[i]->session_id];
  std::vector<std::size_t> order = live;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return entries[a]->updated_at < entries[b]->updated_at;
  });
  std::size_t count = live.size();
  for (std::size_t i : order) {
    if (total <= plan.high_water_bytes) break;
    const session_info& e = *entries[i];
    if (pinned(e)) continue;
    plan.evict.push_back(i);
    std::int64_t was = index;
    members -= member[i];
    index = index_bytes(--count, members);
    total += index - was;
    plan.index_saved += was - index;
    if (e.session_id.empty() || --refs[e.session_id] > 0) continue;
    for (const auto& name : artifacts_of(e)) {
      auto found = size_of.find(name);
      if (found == size_of.end() || found->second <= 0 || planned.count(name) != 0) continue;
      take(name, found->second);
    }
  }
  std::sort(plan.evict.begin(), plan.evict.end());
  plan.bytes_after = total;
  return plan;
}

disk_budget_applied apply_disk_budget(const disk_budget_plan& plan) {
  disk_budget_applied out;
  for (const auto& f : plan.files) {
    int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;  // gone already (swept, or removed by another process)
    // Held while unlinking: a writer that took the lock since the plan keeps its file.
    bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    struct stat st {};
    if (!held && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::unlink(f.path.c_str()) == 0) {
      out.freed += static_cast<std::int64_t>(st.st_size);
      out.removed.push_back(f.path.filename().string());
    }
    ::close(fd);
  }
  return out;
}

}  // namespace durar::detail
