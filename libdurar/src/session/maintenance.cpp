// session.maintenance: the index kept to a bounded size, as the original keeps it. Entries not
// updated for prune_after go, then the least recently updated beyond max_entries; their
// transcripts are archived (session_store.cpp) and old archives swept from the folder.
#include "session/session_internal.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace durar::detail {

std::string_view removal_name(removal why) {
  switch (why) {
    case removal::stale:
      return "prune-stale";
    case removal::overflow:
      return "cap-overflow";
    case removal::missing:
      return "prune-missing";
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

std::size_t sweep_archives(const std::filesystem::path& dir, const session_maintenance& m,
                           sys_time now) {
  std::size_t removed = 0;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  const std::int64_t now_ms = to_ms(now);
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // <id>.jsonl.<reason>.<ISO time with '-' for ':'>, named by archive_timestamp().
    std::optional<std::chrono::milliseconds> keep;
    std::size_t at = std::string::npos;
    if (auto d = name.find(".jsonl.deleted."); d != std::string::npos) {
      keep = m.prune_after;
      at = d + 15;
    } else if (auto r = name.find(".jsonl.reset."); r != std::string::npos) {
      if (!m.reset_archive_retention) continue;
      keep = *m.reset_archive_retention;
      at = r + 13;
    } else {
      continue;
    }
    std::string stamp = name.substr(at);
    // "2026-04-21T09-14-03.512Z": the time's '-' back to ':' (the date's stay).
    if (stamp.size() > 16 && stamp[10] == 'T') {
      stamp[13] = ':';
      stamp[16] = ':';
    }
    auto ms = parse_iso_ms(stamp);
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

}  // namespace durar::detail
