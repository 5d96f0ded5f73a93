// The index held in memory: read once, re-read only when another process replaced the file,
// changed in memory, and written back on the background thread, many changes per write.
//
// Every write is a whole new file renamed over the old one, so a changed inode, size or
// mtime says someone else wrote it (the journal of new sessions, index_journal.cpp, is
// watched the same way and read on top of it). Re-reading then keeps this process's unwritten
// changes on top of what the file says, key by key; the writer does the same under the index lock
// before it writes, so two processes changing different keys never lose each other's work.
#include <fmt/format.h>

#include "core/background_io.hpp"
#include "core/file_io.hpp"
#include "session/session_internal.hpp"

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace durar::detail {

namespace {

// `"key": {...}` at the first level of the file's pretty-printed object.
std::string render_member(const session_info& info) {
  std::string out;
  out.reserve(512);
  render_index_member(out, info);
  return out;
}

// The file: the members in order, in one pretty-printed object.
std::string join_members(const std::vector<std::shared_ptr<const std::string>>& members) {
  if (members.empty()) return "{}\n";
  std::size_t size = 4;
  for (const auto& m : members) size += m->size() + 2;
  std::string text;
  text.reserve(size);
  text = "{\n";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) text += ",\n";
    text += *members[i];
  }
  text += "\n}\n";
  return text;
}

}  // namespace

namespace {

file_identity identity_from(const struct stat& st) {
  return {true, static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::uint64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

}  // namespace

file_identity identity_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? identity_from(st) : file_identity{};
}

file_identity identity_of(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? identity_from(st) : file_identity{};
}

std::size_t index_member_bytes(const session_info& info) { return render_member(info).size(); }

index_cache::index_cache(std::filesystem::path file, bool sync)
    : file_(std::move(file)), journal_(journal_file_of(file_)), sync_(sync) {}

index_cache::~index_cache() { (void)flush(); }

result<void> index_cache::refresh_locked() {
  // While this process writes it holds the index lock, so the only change is its own.
  if (loaded_ && writing_) return {};
  file_identity now = identity_of(file_);
  file_identity now_journal = identity_of(journal_);
  if (loaded_ && now == seen_ && now_journal == seen_journal_) return {};
  for (int attempt = 0;; ++attempt) {
    auto read = read_index(file_);
    if (!read) return fail(read.error());
    auto journal = read_journal(journal_);
    if (!journal) return fail(journal.error());
    file_identity after = identity_of(file_);
    file_identity after_journal = identity_of(journal_);
    if ((after != now || after_journal != now_journal) && attempt < 3) {
      now = after;  // changed while we read it: read the new one
      now_journal = after_journal;
      continue;
    }
    apply_journal(*read, *journal);
    // The file's entries in the file's order; a key changed here and not yet written keeps
    // this process's value (or stays removed); keys new here follow, in the order made.
    std::unordered_map<std::string_view, entry*> ours;
    for (auto& e : entries_)
      if (dirty_.count(e.info.key) != 0) ours.emplace(e.info.key, &e);
    std::vector<entry> merged;
    merged.reserve(read->size() + ours.size());
    for (auto& info : *read) {
      if (dirty_.count(info.key) == 0) {
        merged.push_back({std::move(info), nullptr});
      } else if (auto it = ours.find(info.key); it != ours.end()) {
        merged.push_back(std::move(*it->second));
        ours.erase(it);
      }
    }
    for (auto& e : entries_)
      if (!e.info.key.empty() && ours.count(e.info.key) != 0) merged.push_back(std::move(e));
    entries_ = std::move(merged);
    reindex_locked();
    seen_ = now;
    seen_journal_ = now_journal;
    loaded_ = true;
    return {};
  }
}

void index_cache::reindex_locked() {
  position_.clear();
  position_.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) position_.emplace(entries_[i].info.key, i);
}

index_cache::entry* index_cache::find_locked(std::string_view key) {
  auto it = position_.find(std::string(key));
  return it == position_.end() ? nullptr : &entries_[it->second];
}

result<std::vector<session_info>> index_cache::all() {
  std::lock_guard l(mu_);
  if (auto r = refresh_locked(); !r) return fail(r.error());
  std::vector<session_info> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.info);
  return out;
}

result<std::optional<session_info>> index_cache::get(std::string_view key) {
  std::lock_guard l(mu_);
  if (auto r = refresh_locked(); !r) return fail(r.error());
  const entry* e = find_locked(key);
  return e ? std::optional<session_info>(e->info) : std::nullopt;
}

result<void> index_cache::update(std::string_view key, const edit& change, durability when) {
  std::optional<index_lock> held;  // taken before mu_, as write_pending does
  if (when == durability::now) {
    auto lock = index_lock::acquire(file_);
    if (!lock) return fail(lock.error());
    held.emplace(std::move(*lock));
  }
  std::lock_guard l(mu_);
  if (auto r = refresh_locked(); !r) return fail(r.error());
  entry* e = find_locked(key);
  std::optional<session_info> value;
  if (e) value = e->info;
  auto changed = change(value);
  if (!changed) return fail(changed.error());
  if (!*changed) return {};
  if (value) value->key = std::string(key);
  if (held) {
    journal_record record{std::string(key), value, value || !e ? "" : e->info.session_id};
    auto appended = append_journal(journal_, record);
    if (!appended) return fail(appended.error());
    seen_journal_ = *appended;  // what it says is what entries_ now holds
  }
  if (value) {
    if (e) {
      e->info = std::move(*value);
      e->text = nullptr;
    } else {
      entries_.push_back({std::move(*value), nullptr});
      position_.emplace(entries_.back().info.key, entries_.size() - 1);
    }
  } else if (e) {
    entries_.erase(entries_.begin() + (e - entries_.data()));
    reindex_locked();  // removal is rare; positions after it moved
  }
  dirty_[std::string(key)] = ++version_;
  if (!write_queued_) {
    write_queued_ = true;
    std::weak_ptr<index_cache> self = weak_from_this();
    // Writes are spaced so that they take at most a tenth of the time (and never come less
    // than write_interval apart): under load one write carries many turns, however large
    // the index grows.
    auto gap = std::max<std::chrono::steady_clock::duration>(write_interval, last_write_cost_ * 10);
    bool posted = post_background(
        [self] {
          if (auto me = self.lock()) (void)me->write_pending();
        },
        last_write_ + gap);
    if (!posted) write_queued_ = false;  // shutting down: the destructor's flush writes it
  }
  return {};
}

// The batched write, on the background thread. The new file is staged (written and fsynced)
// without the index lock, so that a request making a new session never waits for the disk:
// the lock is held to take the snapshot, then again to rename it into place, if the index is
// still the one the snapshot was taken from. Journal records appended meanwhile are not in
// the snapshot; they stay in the journal, which keeps only them. When another process wrote
// the index meanwhile, the snapshot is taken again; the last attempt stages under the lock.
result<void> index_cache::write_pending() {
  std::lock_guard w(write_mu_);
  std::unique_lock l(mu_);
  write_queued_ = false;
  if (dirty_.empty()) return {};
  l.unlock();
  std::optional<index_lock> held;
  auto lock_index = [&]() -> result<void> {
    auto lock = index_lock::acquire(file_);
    if (!lock) return fail(lock.error());
    held.emplace(std::move(*lock));
    return {};
  };
  constexpr int attempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto locked = lock_index();  // no other process writes between read and write
    l.lock();
    if (!locked) return record_failure(locked.error());
    if (auto r = refresh_locked(); !r) return record_failure(r.error());
    removed_entries removed;
    if (trimmer_) removed = trim_locked(trimmer_, false);
    if (attempt == attempts) {
      if (auto written = write_locked(l); !written) return written;
      l.unlock();
      if (trimmed_) trimmed_(std::move(removed));  // still under the index lock
      return {};
    }
    const file_identity base = seen_;
    const file_identity journal = seen_journal_;
    auto taken = dirty_;
    auto members = members_locked();
    l.unlock();
    held.reset();

    auto started = std::chrono::steady_clock::now();
    auto staged = staged_file::stage(file_, join_members(members), sync_);
    if (staged_hook_) staged_hook_();
    locked = lock_index();
    l.lock();
    if (!staged || !locked) {
      timed_locked(started);
      return record_failure(!staged ? staged.error() : locked.error());
    }
    if (identity_of(file_) != base) {  // another process wrote it: take the snapshot again
      l.unlock();
      held.reset();
      continue;
    }
    auto committed = commit_locked(*staged, journal);
    timed_locked(started);
    if (!committed) return record_failure(committed.error());
    written_locked(taken);
    l.unlock();
    // Still under the index lock; called when nothing was removed too (the disk budget may
    // have files to delete).
    if (trimmed_) trimmed_(std::move(removed));
    return {};
  }
}

result<void> index_cache::commit_locked(staged_file& staged, const file_identity& journal) {
  // The journal's records past the snapshot's end were appended while the file was staged
  // (under the index lock, as whole lines): they are what the new file lacks.
  file_identity now = identity_of(journal_);
  std::string tail;
  if (now.exists) {
    bool same = journal.exists && now.dev == journal.dev && now.ino == journal.ino &&
                now.size >= journal.size;
    if (journal.exists && !same)
      return fail(errc::unavailable, journal_.string() + " was replaced during an index write");
    bool exists = false;
    auto text = read_file(journal_, exists);
    if (!text) return fail(text.error());
    std::size_t from = journal.exists ? static_cast<std::size_t>(journal.size) : 0;
    if (from < text->size()) tail = text->substr(from);
    if (auto end = tail.rfind('\n'); end != std::string::npos)
      tail.resize(end + 1);
    else
      tail.clear();  // only a torn line, never acknowledged
  }
  if (auto c = staged.commit(); !c) return c;
  staged.sync_folder();  // the rename is durable before the journal is cut
  // From here the new file holds what the journal's first part said. A crash before the
  // journal is cut replays that part on top of it: nothing changes but that an entry this
  // write trimmed comes back, transcript and all (they are archived after this), for the
  // next write to trim again.
  if (tail.empty()) {
    ::unlink(journal_.c_str());
  } else if (auto w = write_file_atomic(journal_, tail, false); !w) {
    return w;
  }
  seen_ = identity_of(file_);
  seen_journal_ = identity_of(journal_);
  return {};
}

void index_cache::set_trimmer(trimmer choose, std::function<void(removed_entries)> done) {
  std::lock_guard w(write_mu_);
  std::lock_guard l(mu_);
  trimmer_ = std::move(choose);
  trimmed_ = std::move(done);
}

index_cache::removed_entries index_cache::trim_locked(const trimmer& choose, bool dry_run) {
  std::vector<const session_info*> view;
  view.reserve(entries_.size());
  for (const auto& e : entries_) view.push_back(&e.info);
  auto changed = [this](std::string_view key) { return dirty_.count(std::string(key)) != 0; };
  auto picks = choose(view, changed);
  removed_entries out;
  out.reserve(picks.size());
  std::vector<bool> drop(entries_.size(), false);
  for (const auto& p : picks) {
    if (p.index >= entries_.size() || drop[p.index]) continue;
    drop[p.index] = true;
    out.push_back({entries_[p.index].info, p.why, false});
  }
  if (out.empty()) return out;
  std::unordered_set<std::string_view> named;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (!drop[i]) named.insert(entries_[i].info.session_id);
  for (auto& r : out) r.still_named = named.count(r.info.session_id) != 0;
  if (dry_run) return out;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) entries_[kept] = std::move(entries_[i]);  // a self-move would empty it
    ++kept;
  }
  entries_.resize(kept);
  reindex_locked();
  return out;
}

result<index_cache::removed_entries> index_cache::trim_now(
    const trimmer& choose, bool dry_run, std::size_t& before,
    const std::function<void(const removed_entries&)>& after) {
  std::lock_guard w(write_mu_);
  auto lock = index_lock::acquire(file_);
  std::unique_lock l(mu_);
  if (!lock) return fail(lock.error());
  if (auto r = refresh_locked(); !r) return fail(r.error());
  before = entries_.size();
  auto removed = trim_locked(choose, dry_run);
  if (dry_run) return removed;
  if (!removed.empty())
    if (auto written = write_locked(l); !written) return fail(written.error());
  l.unlock();
  if (after) after(removed);
  return removed;
}

std::vector<std::shared_ptr<const std::string>> index_cache::members_locked() {
  std::vector<std::shared_ptr<const std::string>> members;
  members.reserve(entries_.size());
  for (auto& e : entries_) {
    if (!e.text) e.text = std::make_shared<const std::string>(render_member(e.info));
    members.push_back(e.text);
  }
  return members;
}

result<void> index_cache::write_locked(std::unique_lock<std::mutex>& l) {
  writing_ = true;
  auto members = members_locked();
  auto taken = dirty_;
  l.unlock();

  auto started = std::chrono::steady_clock::now();
  auto written = write_file_atomic(file_, join_members(members), sync_);
  // Still under the index lock: the journal holds nothing the new file lacks.
  if (written) ::unlink(journal_.c_str());
  file_identity now = identity_of(file_);

  l.lock();
  writing_ = false;
  timed_locked(started);
  if (!written) return record_failure(written.error());
  seen_ = now;
  seen_journal_ = identity_of(journal_);
  written_locked(taken);
  return {};
}

void index_cache::timed_locked(std::chrono::steady_clock::time_point started) {
  last_write_ = std::chrono::steady_clock::now();
  last_write_cost_ = std::min<std::chrono::steady_clock::duration>(last_write_ - started,
                                                                   std::chrono::milliseconds(100));
}

void index_cache::written_locked(const std::unordered_map<std::string, std::uint64_t>& taken) {
  failure_.reset();
  for (const auto& [key, version] : taken) {
    auto it = dirty_.find(key);
    if (it != dirty_.end() && it->second == version) dirty_.erase(it);  // else changed again
  }
}

result<void> index_cache::record_failure(const error& e) {
  failure_ = e;
  return fail(e);
}

result<void> index_cache::flush() {
  auto w = write_pending();
  if (!w) return w;
  std::lock_guard l(mu_);
  if (failure_) return fail(*failure_);
  return {};
}

}  // namespace durar::detail
