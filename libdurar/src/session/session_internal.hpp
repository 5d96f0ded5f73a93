// Private pieces of the sessions module shared by its files: transcript lines, the locked
// append-only file, loading, the index and the reset policy.
#pragma once

#include <durar/session.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace durar::detail {

class staged_file;  // core/file_io.hpp

using sys_time = std::chrono::system_clock::time_point;

// ---- transcript_line.cpp -------------------------------------------------------------

inline constexpr int transcript_version = 3;

// "2026-04-21T09:14:03.512Z", JavaScript's Date.toISOString().
std::string iso_timestamp(sys_time t);
std::string iso_timestamp_ms(std::int64_t ms);
// Milliseconds since the epoch of an ISO 8601 UTC timestamp ("Z" or "+hh:mm" offsets).
std::optional<std::int64_t> parse_iso_ms(std::string_view s);
// The original's archive suffix: the ISO timestamp with ':' replaced by '-'.
std::string archive_timestamp(sys_time t);
std::int64_t to_ms(sys_time t);

// 8 lower-case hex digits not yet in `taken` (the original's entry ids).
std::string new_entry_id(const std::unordered_map<std::string, std::size_t>& taken);
// A random (version 4) UUID for a new session.
std::string new_session_id();

// {"type":"session","version":3,"id","timestamp","cwd"}
json header_json(std::string_view session_id, std::string_view timestamp, std::string_view cwd);
// {type, id, parentId (null for the first entry), timestamp} followed by `fields`' members.
json entry_json(std::string_view type, std::string_view id, std::string_view parent_id,
                std::string_view timestamp, json fields);
// The typed fields of a parsed line; invalid_argument when it is not an entry (no type or
// id). A message the module does not model leaves `msg` empty and sets `note`.
result<session_entry> entry_from_json(json raw, std::string& note);

// What an entry contributes to the model's context, in the original's conversions:
// messages as they are, custom_message and branch_summary as user messages.
std::optional<message> context_message_of(const session_entry& e);
// The compaction summary as the user message the model sees.
user_message compaction_summary_message(std::string_view summary, std::int64_t timestamp_ms);
compaction_record compaction_of(const session_entry& e);

// ---- transcript_file.cpp -------------------------------------------------------------

// The transcript file opened for appending, holding the writer's lock.
class transcript_file {
 public:
  transcript_file() = default;
  ~transcript_file();
  transcript_file(transcript_file&& o) noexcept;
  transcript_file& operator=(transcript_file&& o) noexcept;
  transcript_file(const transcript_file&) = delete;
  transcript_file& operator=(const transcript_file&) = delete;

  // Opens (creating when `create`, mode 0600) and takes the advisory writer lock; a lock
  // held elsewhere is errc::unavailable naming `who` and the holder's pid.
  static result<transcript_file> open(const std::filesystem::path& p, bool create,
                                      std::string_view who);
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  // The whole file as it is now (read under the lock).
  result<std::string> read_all();
  // One write(2) of `bytes`; on failure the file is truncated back to where it was.
  result<void> append(std::string_view bytes);
  // Cuts a torn tail off: the file ends at `size` afterwards.
  result<void> truncate(std::uint64_t size);
  result<void> sync();
  void close() noexcept;

 private:
  int fd_ = -1;
  std::filesystem::path path_;
  std::uint64_t size_ = 0;
};

// ---- transcript_load.cpp -------------------------------------------------------------

// Where a clean parse of a whole transcript ended, so the next parse of the same file can
// resume there (transcript_cache.cpp).
struct parse_mark {
  std::uint64_t bytes = 0;  // of the file, all parsed as whole lines
  std::uint64_t hash = 0;   // of those bytes
  int lines = 0;
  std::size_t count = 0;  // entries parsed from them
  json header;
  std::string session_id;
  load_report report;
};

struct parsed_transcript {
  json header;
  std::string session_id;
  std::vector<session_entry> entries;
  load_report report;
  std::uint64_t complete_bytes = 0;  // up to and including the last '\n'
  bool torn_tail = false;            // bytes after complete_bytes that are not an entry
  bool missing_newline = false;      // the last entry is whole but lacks its '\n'
  std::optional<parse_mark> mark;    // set when the file is worth keeping parsed
};

// Splits and reads a transcript; not a transcript (no header) is invalid_argument naming
// `p`. An empty file reads as a transcript without a header or entries.
result<parsed_transcript> parse_transcript(std::string_view content,
                                           const std::filesystem::path& p);

// ---- transcript_cache.cpp ------------------------------------------------------------

// The mark of a clean parse of all of `content`, when the file is large enough to keep
// (and small enough for the cache's bound); its header, id and report are filled by the caller.
// `whole_hash` is transcript_hash(content) where take_parsed has computed it already.
std::optional<parse_mark> mark_of(std::string_view content, int lines, std::size_t count,
                                  std::optional<std::uint64_t> whole_hash = std::nullopt);
// The entries kept for `p` when `content` starts with the bytes they were parsed from; taken
// out of the cache either way. When they are, and `content` is small enough to keep,
// `whole_hash` is set to its hash, computed in the same pass as the check of the kept prefix.
std::optional<std::pair<parse_mark, std::vector<session_entry>>> take_parsed(
    const std::filesystem::path& p, std::string_view content,
    std::optional<std::uint64_t>& whole_hash);
// The hash a mark keeps of a transcript's bytes.
std::uint64_t transcript_hash(std::string_view bytes);
// Keeps a closing session's entries (its first mark.count: the ones parsed) for the next
// parse of `p`, evicting the least recently closed beyond the cache's bound.
void keep_parsed(const std::filesystem::path& p, parse_mark mark,
                 std::vector<session_entry> entries);

// ---- session_index.cpp ---------------------------------------------------------------

session_info info_from_json(std::string key, const json& j);
json info_to_json(const session_info& info);
// Appends `  "key": {...}`, the entry as a member of sessions.json's pretty-printed object:
// the same bytes as info_to_json(info).dump(2) indented one level, without building it.
void render_index_member(std::string& out, const session_info& info);
// sessions.json as a key -> entry map in file order; a missing file is an empty index.
result<std::vector<session_info>> read_index(const std::filesystem::path& file);
result<void> write_index(const std::filesystem::path& file, const std::vector<session_info>& all,
                         bool sync);

// Held while the index is read, changed and written back, so two processes never lose
// each other's updates. Blocks until the lock is free.
class index_lock {
 public:
  static result<index_lock> acquire(const std::filesystem::path& index_file);
  index_lock(index_lock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  index_lock& operator=(index_lock&&) = delete;
  ~index_lock();

 private:
  explicit index_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// What stat(2) says about a file: every index write renames a new file into place, so a
// different identity means someone replaced it.
struct file_identity {
  bool exists = false;
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_identity&) const = default;
};
// All false when the file cannot be stat'ed.
file_identity identity_of(const std::filesystem::path& p);
file_identity identity_of(int fd);

// ---- index_journal.cpp ---------------------------------------------------------------

// One line of sessions.json.wal: the key's new entry, or the removal of its session.
struct journal_record {
  std::string key;
  std::optional<session_info> entry;
  std::string removed_id;  // when `entry` is empty: the session the key no longer names
};
std::filesystem::path journal_file_of(const std::filesystem::path& index_file);
// The records in order; a missing file has none and a torn last line (a crash mid-append)
// is skipped. A whole line that is not a record is invalid_argument naming file and line.
result<std::vector<journal_record>> read_journal(const std::filesystem::path& file);
// One write(2) of one line, under the index lock, not fsynced; nothing stays of a failed
// append. Returns the file's identity after the write (all false if fstat failed).
result<file_identity> append_journal(const std::filesystem::path& file, const journal_record& r);
// The index as its file says, updated by the journal: a key's last record wins, unless the
// index already names that record's session (it was written since).
void apply_journal(std::vector<session_info>& index, const std::vector<journal_record>& records);

// Why session.maintenance removes an entry (budget: session.maintenance.maxDiskBytes).
enum class removal { stale, overflow, missing, budget };
struct planned_removal {
  std::size_t index = 0;  // into the entries planned over
  removal why = removal::stale;
};

// ---- index_cache.cpp -----------------------------------------------------------------

// sessions.json in memory, shared by a store and its sessions, safe to use from any thread.
// Reads see this process's changes at once and another process's once it has written them.
// Changes are written on the background thread, coalesced; flush() writes them now.
class index_cache : public std::enable_shared_from_this<index_cache> {
 public:
  index_cache(std::filesystem::path file, bool sync);
  ~index_cache();  // writes what is pending
  index_cache(const index_cache&) = delete;
  index_cache& operator=(const index_cache&) = delete;

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }
  // Every entry, in file order. A malformed file is an error naming it, and stays as it is.
  result<std::vector<session_info>> all();
  result<std::optional<session_info>> get(std::string_view key);
  // `change` gets the key's entry (nullopt when absent) and says whether it changed it; an
  // entry it sets to nullopt is removed. Its error is returned and nothing changes.
  using edit = std::function<result<bool>(std::optional<session_info>& entry)>;
  // batched: written with other changes within write_interval. now: decided under the
  // index lock on what every process has written, and journalled before it returns (new
  // sessions, resets, removals: what must not be lost or made twice).
  enum class durability { batched, now };
  result<void> update(std::string_view key, const edit& change,
                      durability when = durability::batched);
  // Writes pending changes now; the error of the last failed write when it still fails.
  result<void> flush();

  // Picks entries to remove from the whole index (under the index lock, on what every
  // process has written); `changed(key)` says the key has changes of this process not yet
  // written. Set by the store: session.maintenance on every write.
  using trimmer = std::function<std::vector<planned_removal>(
      const std::vector<const session_info*>& entries,
      const std::function<bool(std::string_view key)>& changed)>;
  struct removed_entry {
    session_info info;
    removal why = removal::stale;
    bool still_named = false;  // another entry left names the same session
  };
  using removed_entries = std::vector<removed_entry>;
  // `choose` runs on each index write; `done` gets what it removed, after the write.
  void set_trimmer(trimmer choose, std::function<void(removed_entries)> done);
  // Runs `choose` now and writes the index at once without what it picks (unless
  // `dry_run`); returns the picks. `before` gets the entry count it planned over. Unless
  // `dry_run`, `after` runs once the index is written, still under the index lock.
  result<removed_entries> trim_now(const trimmer& choose, bool dry_run, std::size_t& before,
                                   const std::function<void(const removed_entries&)>& after = {});

  static constexpr std::chrono::milliseconds write_interval{50};

  // Tests: runs on the writing thread between staging a batched write and taking the index
  // lock to commit it (where another thread or process may change the index or journal).
  void set_staged_hook(std::function<void()> hook) { staged_hook_ = std::move(hook); }

 private:
  struct entry {
    session_info info;
    std::shared_ptr<const std::string> text;  // its rendering in the file, made on write
  };
  result<void> refresh_locked();
  entry* find_locked(std::string_view key);
  void reindex_locked();
  result<void> write_pending();
  // Under write_mu_, mu_ (held by `l`) and the index lock: writes entries_ as they are.
  result<void> write_locked(std::unique_lock<std::mutex>& l);
  // Under mu_: each entry's rendering, made where missing.
  std::vector<std::shared_ptr<const std::string>> members_locked();
  // Under mu_ and the index lock: renames the staged index into place and cuts the journal
  // to what was appended after `journal` (its identity when the snapshot was taken).
  result<void> commit_locked(staged_file& staged, const file_identity& journal);
  // Under mu_, after a write that began at `started`: when it ended and what it cost.
  void timed_locked(std::chrono::steady_clock::time_point started);
  // Under mu_, after a write of `taken` (dirty_ as it was): those changes are on disk.
  void written_locked(const std::unordered_map<std::string, std::uint64_t>& taken);
  removed_entries trim_locked(const trimmer& choose, bool dry_run);
  result<void> record_failure(const error& e);

  const std::filesystem::path file_;
  const std::filesystem::path journal_;
  const bool sync_;
  std::mutex write_mu_;  // one write at a time; taken before mu_
  std::mutex mu_;
  bool loaded_ = false;
  file_identity seen_;          // the file the entries reflect
  file_identity seen_journal_;  // and its journal
  std::vector<entry> entries_;
  std::unordered_map<std::string, std::size_t> position_;  // key -> index in entries_
  std::unordered_map<std::string, std::uint64_t> dirty_;   // key -> version not yet written
  std::uint64_t version_ = 0;
  bool write_queued_ = false;
  bool writing_ = false;  // a write of ours is between taking the index lock and its rename
  std::chrono::steady_clock::time_point last_write_{};
  std::chrono::steady_clock::duration last_write_cost_{};  // capped: spacing stays <= 1 s
  std::optional<error> failure_;
  trimmer trimmer_;
  std::function<void(removed_entries)> trimmed_;
  std::function<void()> staged_hook_;
};

// ---- maintenance.cpp -----------------------------------------------------------------

// The original's "cap-overflow", "prune-stale", "prune-missing".
std::string_view removal_name(removal why);
// The entry count at which an index write caps the index (the original's high-water mark:
// a little above max_entries, so that each cap removes a batch rather than one entry).
std::int64_t maintenance_high_water(std::int64_t max_entries);
// The entries session.maintenance removes: not updated within prune_after, then beyond the
// max_entries most recently updated (when the count reaches the high-water mark, or always
// when `force`). An entry without updatedAt is never stale and goes first when capping.
// `pinned` entries (in use, or changed since the last write) stay; it is asked only about
// entries that would otherwise go.
std::vector<planned_removal> plan_maintenance(
    const std::vector<const session_info*>& entries, const session_maintenance& m,
    std::int64_t now_ms, bool force, const std::function<bool(const session_info&)>& pinned);
// Removes the archives in `dir` older than the policy keeps them (<file>.deleted.<time> after
// prune_after, <file>.reset.<time> after reset_archive_retention); returns how many.
std::size_t sweep_archives(const std::filesystem::path& dir, const session_maintenance& m,
                           sys_time now);
// Whether a writer (of any process) holds the transcript's lock now.
bool transcript_in_use(const std::filesystem::path& p);

// The disk budget (maxDiskBytes / highWaterBytes), planned over the index as it will be
// written. The folder's bytes are its regular files' (not its subfolders'), the index counted
// at the size it will have. Over max_bytes, files go until it is at most high_water_bytes:
// first archives and files no entry names (transcripts, the original's checkpoint and
// trajectory files), oldest modified first; then entries, least recently updated first,
// with the files of their session once no entry names it. Transcripts in use stay.
struct disk_budget_plan {
  std::int64_t max_bytes = 0, high_water_bytes = 0;
  std::int64_t bytes_before = 0;  // the folder, the index as the entry pass leaves it
  std::int64_t bytes_after = 0;   // planned: once `files` are gone and `evict` dropped
  std::int64_t index_saved = 0;   // what dropping `evict` takes off the index
  bool over = false;              // bytes_before > max_bytes
  struct file {
    std::filesystem::path path;
    std::int64_t size = 0;
  };
  std::vector<file> files;         // to delete, in order
  std::vector<std::size_t> evict;  // indices into the entries planned over
};
// `entries` are the index's, `kept[i]` false for those the entry pass removes; `path_of` is
// an entry's transcript; `pinned` as for plan_maintenance.
disk_budget_plan plan_disk_budget(
    const std::filesystem::path& dir, const std::vector<const session_info*>& entries,
    const std::vector<bool>& kept, std::int64_t max_bytes, std::int64_t high_water_bytes,
    const std::function<std::optional<std::filesystem::path>(const session_info&)>& path_of,
    const std::function<bool(const session_info&)>& pinned);
struct disk_budget_applied {
  std::int64_t freed = 0;
  std::vector<std::string> removed;  // file names
};
// Deletes the plan's files, each unless a writer has locked it since (or it is gone).
disk_budget_applied apply_disk_budget(const disk_budget_plan& plan);
// The bytes an entry takes in sessions.json (index_cache.cpp), without the ",\n" between.
std::size_t index_member_bytes(const session_info& info);

// ---- session_store.cpp ---------------------------------------------------------------

// Whether the key's current session has expired under the reset policy at `now` (local
// time for the daily hour), the original's evaluateSessionFreshness.
bool session_expired(const session_info& info, const session_config& policy, sys_time now);

// The keys of this store's sessions open for writing, so that maintenance keeps them
// without asking the file system.
class open_keys {
 public:
  void hold(const std::string& key) {
    std::lock_guard l(mu_);
    ++count_[key];
  }
  void release(const std::string& key) {
    std::lock_guard l(mu_);
    if (auto it = count_.find(key); it != count_.end() && --it->second <= 0) count_.erase(it);
  }
  [[nodiscard]] bool contains(const std::string& key) const {
    std::lock_guard l(mu_);
    return count_.count(key) != 0;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> count_;
};

// What the store and its sessions share; outlives the store while sessions are open.
struct store_state {
  std::filesystem::path dir;
  std::string agent_id;
  session_store_options options;
  [[nodiscard]] sys_time now() const {
    return options.clock ? options.clock() : std::chrono::system_clock::now();
  }
  [[nodiscard]] std::filesystem::path index_file() const { return dir / "sessions.json"; }
  std::shared_ptr<index_cache> index;  // of index_file()
  std::shared_ptr<open_keys> open = std::make_shared<open_keys>();
};

}  // namespace durar::detail

namespace durar::detail {

// Tool calls without a result: an assistant turn (not error/aborted) whose calls are not
// all answered by the toolResult messages right after it. `after` is the index of the last
// message of that turn's result block; `tail` when nothing follows the block.
struct orphan {
  std::size_t after = 0;
  std::string id, name;
  std::int64_t timestamp = 0;
  bool tail = false;
};
std::vector<orphan> find_orphans(const std::vector<const message*>& ms);
// The active branch, root first: from the last entry up by parentId.
std::vector<const session_entry*> branch_of(
    const std::vector<session_entry>& entries,
    const std::unordered_map<std::string, std::size_t>& by_id);
tool_result_message missing_result(const orphan& o);

}  // namespace durar::detail

namespace durar {

struct session_store::impl {
  std::shared_ptr<detail::store_state> state;
};

struct session::impl {
  std::shared_ptr<detail::store_state> store;  // null for read_file()
  std::string key, id;
  std::filesystem::path path;
  json header;
  load_report report;
  std::vector<session_entry> entries;
  std::unordered_map<std::string, std::size_t> by_id;  // the last entry with that id wins
  detail::transcript_file file;                        // open (and locked) when writable
  std::optional<detail::parse_mark> mark;              // entries came whole from a keepable parse
  fsync_policy policy = fsync_policy::never;
  std::chrono::milliseconds fsync_interval{1000};
  bool holds_key = false;  // counted in store->open

  void adopt(detail::parsed_transcript&& t);
  void add(session_entry e);
  [[nodiscard]] detail::sys_time now() const;
  // A new entry after the last one: fresh id, parentId, timestamp, then `fields`.
  [[nodiscard]] session_entry make_entry(std::string_view type, json fields) const;
  // Writes one entry line and adds it; the in-memory transcript is unchanged on failure.
  result<std::string> write(session_entry e);
  // Appends results for the tail's unanswered tool calls (writable sessions only).
  result<void> repair_tail();
};

}  // namespace durar
