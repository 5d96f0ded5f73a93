// The parsed entries of recently closed long transcripts.
//
// A process that opens the same long session turn after turn (the gateway, with a session
// per conversation) would parse the whole transcript every time: ~150 ms for 10,000
// entries. Transcripts only grow, so when a session closes its entries are kept with a hash
// of the bytes they were parsed from; the next parse of that file takes them back when the
// file still starts with those bytes and parses only the lines after them. Anything else
// (a shorter or rewritten file) parses from the start. Only clean loads of large files are
// kept, within a memory bound: the entries take a few times their file's size.
#include "session/session_internal.hpp"

#include <algorithm>
#include <functional>
#include <list>
#include <mutex>

namespace durar::detail {

namespace {

// Below this a transcript parses in well under a millisecond: not worth keeping.
constexpr std::uint64_t min_kept_bytes = std::uint64_t{256} << 10;
// Transcript bytes kept in all.
constexpr std::uint64_t max_kept_bytes = std::uint64_t{16} << 20;
constexpr std::size_t max_kept_sessions = 8;

struct kept_transcript {
  std::filesystem::path path;
  parse_mark mark;
  std::vector<session_entry> entries;
};

struct transcript_cache {
  std::mutex mu;
  std::list<kept_transcript> kept;  // most recently closed first
  std::uint64_t kept_bytes = 0;
};

transcript_cache& cache() {
  static auto* c = new transcript_cache;  // never destroyed: sessions may close at exit
  return *c;
}

std::uint64_t hash_of(std::string_view bytes) { return std::hash<std::string_view>{}(bytes); }

}  // namespace

std::optional<parse_mark> mark_of(std::string_view content, int lines, std::size_t count) {
  if (content.size() < min_kept_bytes || content.size() > max_kept_bytes) return std::nullopt;
  parse_mark m;
  m.bytes = content.size();
  m.hash = hash_of(content);
  m.lines = lines;
  m.count = count;
  return m;
}

std::optional<std::pair<parse_mark, std::vector<session_entry>>> take_parsed(
    const std::filesystem::path& p, std::string_view content) {
  if (content.size() < min_kept_bytes) return std::nullopt;
  transcript_cache& c = cache();
  std::lock_guard lock(c.mu);
  auto it = std::find_if(c.kept.begin(), c.kept.end(),
                         [&](const kept_transcript& k) { return k.path == p; });
  if (it == c.kept.end()) return std::nullopt;
  kept_transcript k = std::move(*it);
  c.kept_bytes -= k.mark.bytes;
  c.kept.erase(it);
  if (content.size() < k.mark.bytes || hash_of(content.substr(0, k.mark.bytes)) != k.mark.hash)
    return std::nullopt;
  return std::pair(std::move(k.mark), std::move(k.entries));
}

void keep_parsed(const std::filesystem::path& p, parse_mark mark,
                 std::vector<session_entry> entries) {
  if (entries.size() < mark.count) return;
  // Entries appended since the load are left to the next parse, which reads them back from
  // the file exactly as a fresh load would.
  entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(mark.count), entries.end());
  transcript_cache& c = cache();
  std::lock_guard lock(c.mu);
  std::erase_if(c.kept, [&](const kept_transcript& k) {
    if (k.path != p) return false;
    c.kept_bytes -= k.mark.bytes;
    return true;
  });
  c.kept_bytes += mark.bytes;
  c.kept.push_front(kept_transcript{p, std::move(mark), std::move(entries)});
  while (!c.kept.empty() && (c.kept_bytes > max_kept_bytes || c.kept.size() > max_kept_sessions)) {
    c.kept_bytes -= c.kept.back().mark.bytes;
    c.kept.pop_back();
  }
}

}  // namespace durar::detail
