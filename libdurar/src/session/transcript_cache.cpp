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
#include <cstring>
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

// A hash that can stop at one length and go on to a longer one: the state after whole
// 32-byte blocks is all that carries over, so checking a kept prefix and hashing the whole
// file take one pass. Four independent lanes keep the multiplier busy (several GB/s).
// Not a defence against a crafted file; it tells a grown transcript from a rewritten one.
class content_hash {
 public:
  static constexpr std::size_t block = 32;

  // Takes in the whole blocks of content[0, end), from where the last call stopped.
  void blocks_to(std::string_view content, std::size_t end) {
    end -= end % block;
    for (; done_ < end; done_ += block) {
      for (int i = 0; i < 4; ++i)
        lanes_[i] = round(lanes_[i], word(content.data() + done_ + 8 * i));
    }
  }
  // The hash of content[0, length), length >= what blocks_to took in.
  [[nodiscard]] std::uint64_t finish(std::string_view content, std::size_t length) const {
    std::uint64_t h = length * k1;
    for (auto lane : lanes_) h = (h ^ round(0, lane)) * k1 + k4;
    std::size_t i = done_;
    for (; i + 8 <= length; i += 8)
      h = rotl((h ^ round(0, word(content.data() + i))), 27) * k1 + k4;
    std::uint64_t rest = 0;
    if (i < length) std::memcpy(&rest, content.data() + i, length - i);
    h = (h ^ round(0, rest)) * k1 + k4;
    h ^= h >> 33;  // murmur3's fmix64
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  }

 private:
  static constexpr std::uint64_t k1 = 0x9E3779B185EBCA87ULL;
  static constexpr std::uint64_t k2 = 0xC2B2AE3D27D4EB4FULL;
  static constexpr std::uint64_t k4 = 0x85EBCA77C2B2AE63ULL;

  static std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static std::uint64_t word(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  }
  static std::uint64_t round(std::uint64_t acc, std::uint64_t w) {
    return rotl(acc + w * k2, 31) * k1;
  }

  std::uint64_t lanes_[4] = {k1 + k2, k2, 0, 0 - k1};
  std::size_t done_ = 0;
};

}  // namespace

std::uint64_t transcript_hash(std::string_view bytes) {
  content_hash h;
  h.blocks_to(bytes, bytes.size());
  return h.finish(bytes, bytes.size());
}

std::optional<parse_mark> mark_of(std::string_view content, int lines, std::size_t count,
                                  std::optional<std::uint64_t> whole_hash) {
  if (content.size() < min_kept_bytes || content.size() > max_kept_bytes) return std::nullopt;
  parse_mark m;
  m.bytes = content.size();
  m.hash = whole_hash ? *whole_hash : transcript_hash(content);
  m.lines = lines;
  m.count = count;
  return m;
}

std::optional<std::pair<parse_mark, std::vector<session_entry>>> take_parsed(
    const std::filesystem::path& p, std::string_view content,
    std::optional<std::uint64_t>& whole_hash) {
  whole_hash.reset();
  if (content.size() < min_kept_bytes) return std::nullopt;
  std::optional<kept_transcript> k;
  {
    transcript_cache& c = cache();
    std::lock_guard lock(c.mu);
    auto it = std::find_if(c.kept.begin(), c.kept.end(),
                           [&](const kept_transcript& e) { return e.path == p; });
    if (it == c.kept.end()) return std::nullopt;
    k = std::move(*it);
    c.kept_bytes -= k->mark.bytes;
    c.kept.erase(it);
  }
  // Hashed outside the lock: other sessions' opens need not wait for this file's bytes.
  if (content.size() < k->mark.bytes) return std::nullopt;
  content_hash h;
  h.blocks_to(content, k->mark.bytes);
  if (h.finish(content, k->mark.bytes) != k->mark.hash) return std::nullopt;
  if (content.size() <= max_kept_bytes) {
    h.blocks_to(content, content.size());
    whole_hash = h.finish(content, content.size());
  }
  return std::pair(std::move(k->mark), std::move(k->entries));
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
