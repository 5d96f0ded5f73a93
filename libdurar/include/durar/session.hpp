// Sessions: durable conversations. Per agent, an index (`sessions.json`: key -> entry) and
// one append-only JSONL transcript per session, in the original's line format (version 3
// header, entries forming a tree by id/parentId), under <state>/agents/<agentId>/sessions/.
//
// Crash safety: each transcript entry is one write(2) of one line; a torn last line (a
// crash mid-write) is skipped with a warning when loading and never costs an earlier
// entry. A session is written by one process at a time: opening it for writing takes an
// advisory lock, and a second writer gets errc::unavailable naming the lock holder's pid.
//
// The index lives in memory: a store reads sessions.json once (again only when another
// process has replaced it), and writes changes back on a background thread, many changes in
// one atomic replace (temp file + rename), so a turn never waits for the index or an fsync.
// Another process sees a change within milliseconds; flush() and the store's destructor
// wait for the write. Two processes sharing a state dir merge key by key under a lock file.
//
// Threading: a session_store and the sessions it opened are used from one thread at a
// time (the agent's io_context thread). Their only background work is the index write and
// the batched fsync of transcripts (see fsync_policy), on one library-wide thread.
#pragma once

#include <durar/config.hpp>
#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/message.hpp>
#include <durar/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

// ---- keys ----------------------------------------------------------------------------

// "agent:<agentId>:<mainKey>", the default conversation of an agent.
DURAR_API std::string main_session_key(std::string_view agent_id,
                                       std::string_view main_key = "main");
// The agent a key belongs to ("agent:coder:main" -> "coder"); "main" for keys that name
// none (cron:..., hook:...).
DURAR_API std::string agent_of_session_key(std::string_view key);
// Agent ids and key parts are lower-case [a-z0-9_-]; everything else becomes '-'.
DURAR_API std::string normalize_agent_id(std::string_view id);

// ---- transcript entries --------------------------------------------------------------

// One transcript line. `raw` is the whole line as JSON, so fields Durar does not model
// survive a load/save round trip; the typed fields are read from it.
struct session_entry {
  std::string type;       // "message", "compaction", "model_change", "custom", ...
  std::string id;         // short hex, unique in the file
  std::string parent_id;  // "" for the first entry after the header
  std::string timestamp;  // ISO 8601, UTC
  json raw;
  std::optional<durar::message> msg;  // type "message"
};

// A `compaction` entry: the context after it is the summary, then the entries from
// first_kept_entry_id on.
struct compaction_record {
  std::string summary;
  std::string first_kept_entry_id;
  std::int64_t tokens_before = 0;
  json details;
};

// How session_store::open treats the file it opens.
struct session_open_options {
  // Tool calls left without results at the end of the transcript get error results
  // appended. Off for a caller about to give those results itself (the client tool calls a
  // turn stopped on, see agent::answer): an agent's next run closes what stays unanswered.
  bool close_unanswered_calls = true;
};

// What loading found wrong and mended (in memory, and on disk when the session is opened
// for writing: repairs are appended as entries, never by rewriting earlier lines).
struct load_report {
  std::vector<std::string> warnings;  // "line 12: torn last line skipped (41 bytes)"
  int torn_lines_skipped = 0;
  int bad_lines_skipped = 0;             // not JSON or not an entry; the file keeps them
  int orphaned_tool_calls_repaired = 0;  // synthetic error results added
};

struct session_totals {
  std::int64_t input = 0, output = 0, cache_read = 0, cache_write = 0, total_tokens = 0;
  double cost = 0;  // USD
  int assistant_messages = 0;
};

// The index entry of a session key, as `sessions.json` stores it (the original's field
// names: sessionId, updatedAt, sessionStartedAt, lastInteractionAt, modelOverride,
// providerOverride, thinkingLevel, model, modelProvider, inputTokens, outputTokens, totalTokens,
// contextTokens, compactionCount). `raw` keeps fields Durar does not model.
struct session_info {
  std::string key;
  std::string session_id;       // uuid; the transcript is <session_id>.jsonl
  std::int64_t updated_at = 0;  // ms since the epoch
  std::int64_t started_at = 0;
  std::int64_t last_interaction_at = 0;
  std::string model_override;     // model id, "" when none
  std::string provider_override;  // provider id, "" when none
  std::string thinking_level;     // "" when none
  std::string model;              // model id the last turn used (model), "" before one
  std::string model_provider;     // its provider (modelProvider)
  // As the original keeps them: input/output of the last turn, total = the context the
  // last call used, context = the model's context window.
  std::int64_t input_tokens = 0, output_tokens = 0, total_tokens = 0, context_tokens = 0;
  int compaction_count = 0;
  double cost = 0;  // USD of the last turn (estimatedCostUsd)
  json raw = json::object();
};

// Power-loss durability; a crash of the process alone loses nothing written either way.
enum class fsync_policy {
  every_entry,  // transcripts: fsync after each append, before it returns
  batched,      // transcripts: each entry fsynced within `fsync_interval` of its append, on
                // the background thread, in one pass with every file written meanwhile
  never,        // leave it to the OS (tests, benchmarks)
};              // the index is fsynced on the background thread, before its rename, unless `never`

struct session_store_options {
  fsync_policy transcript_fsync = fsync_policy::batched;
  std::chrono::milliseconds fsync_interval{1000};
  fsync_policy index_fsync = fsync_policy::every_entry;
  session_config policy;  // reset mode, hour and idle minutes (config's `session`)
  // Clock for reset decisions and timestamps; default system_clock.
  std::function<std::chrono::system_clock::time_point()> clock;
  std::string cwd;  // written into new transcripts' header; default the current dir
  // Where the store's warnings go; empty: nowhere. In session.maintenance mode "warn", an
  // index write that finds what mode "enforce" would remove (stale entries, entries beyond
  // maxEntries, or a folder over maxDiskBytes) removes nothing and says so here: a message
  // naming the counts and `durar sessions cleanup`, and fields {agentId, wouldPrune,
  // wouldCap, wouldEvict, pruneAfterMs, maxEntries, ...; with a disk budget maxDiskBytes,
  // diskBytes, wouldDeleteFiles, ...}. At most once an hour per store, sooner only when
  // the count to remove has grown by a tenth (at least one) or the folder has just gone
  // over its budget. Called on the background thread that writes the index (or the thread
  // flushing it); it must not use the store.
  std::function<void(std::string_view message, const json& fields)> warn;
};

class session;

// session_store::maintain: session.maintenance run now, as `durar sessions cleanup` does.
struct maintenance_options {
  bool dry_run = false;      // report what would go; change nothing
  bool fix_missing = false;  // also drop entries whose transcript file is gone
};

// The disk budget (session.maintenance.maxDiskBytes) as maintain() found and applied it. The
// sessions folder's bytes are its files', with sessions.json counted as it is written after
// the entry pass. In a dry run, what would be removed.
struct disk_budget_report {
  std::int64_t max_bytes = 0, high_water_bytes = 0;
  std::int64_t bytes_before = 0, bytes_after = 0;
  std::int64_t freed_bytes = 0;      // by the files removed
  std::size_t removed_files = 0;     // archives, unreferenced files, evicted entries' files
  std::size_t removed_entries = 0;   // index entries evicted
  bool over_budget = false;          // bytes_before > max_bytes: anything was to be removed
  std::vector<std::string> removed;  // the files' names, in the order removed
};

struct maintenance_report {
  std::size_t before = 0, after = 0;       // index entries
  std::size_t missing = 0;                 // dropped: transcript gone (fix_missing)
  std::size_t pruned = 0;                  // dropped: not updated within pruneAfter
  std::size_t capped = 0;                  // dropped: beyond maxEntries
  std::size_t evicted = 0;                 // dropped: the disk budget (maxDiskBytes)
  std::size_t archived = 0;                // transcripts renamed <file>.deleted.<time>
  std::size_t swept = 0;                   // old archives removed
  std::optional<disk_budget_report> disk;  // set when the policy has a maxDiskBytes
  // What happens to each entry, most recently updated first: "keep", "prune-missing",
  // "prune-stale", "cap-overflow" or "evict-budget" (the original's names).
  std::vector<std::pair<session_info, std::string>> actions;
};

// The sessions of one agent: <state_dir>/agents/<agent_id>/sessions/.
class DURAR_API session_store {
 public:
  session_store(std::filesystem::path state_dir, std::string agent_id,
                session_store_options options = {});
  ~session_store();
  session_store(const session_store&) = delete;
  session_store& operator=(const session_store&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const noexcept;
  [[nodiscard]] const std::string& agent_id() const noexcept;

  // Index entries, most recently updated first. A malformed sessions.json is an error
  // naming the file and position; the file is left as it is.
  [[nodiscard]] result<std::vector<session_info>> list() const;
  [[nodiscard]] result<std::optional<session_info>> find(std::string_view key) const;
  // Writes the index changes not yet on disk and waits for it; the destructor does too.
  result<void> flush();

  // Opens the key's current session for writing, creating it (index entry + transcript
  // header) when absent, and starting a fresh one when the reset policy says the old one
  // expired (daily hour passed in local time, idle minutes exceeded; the old transcript is
  // archived as by reset()). Locked until the session is destroyed. Opening also mends the
  // file: a torn last line is cut off and tool calls an interrupted turn left unanswered
  // get error results appended (see load_report), unless `options` keeps them open.
  [[nodiscard]] result<std::unique_ptr<session>> open(std::string_view key,
                                                      session_open_options options = {});
  // Read-only view of a key's current transcript (no lock, no repair written).
  [[nodiscard]] result<std::unique_ptr<session>> read(std::string_view key) const;
  // Loads a transcript file directly, read-only (export, tests, the original's files).
  [[nodiscard]] static result<std::unique_ptr<session>> read_file(const std::filesystem::path& p);

  // New session id for the key; the old transcript is renamed
  // <id>.jsonl.reset.<timestamp> (ISO time, ':' as '-'). The user's choices (model and
  // thinking overrides, labels) carry over; counters start at zero. Returns the new entry.
  // unavailable while a session of the key is open for writing (close it first).
  result<session_info> reset(std::string_view key);
  // Drops the index entry; the transcript is archived as <id>.jsonl.deleted.<timestamp>,
  // the original's name. not_found when absent; unavailable while it is open for writing.
  result<void> remove(std::string_view key);

  // Applies the policy's maintenance (session.maintenance) now, whatever its mode: drops
  // stale entries and caps the index at maxEntries, archives their transcripts and removes
  // archives past their retention; then, with maxDiskBytes, brings a folder over it down to
  // highWaterBytes (see disk_budget_report). Sessions open for writing (in any process) are
  // kept. Without it, each index write does the same in mode "enforce" (capping only once
  // the index is a batch past maxEntries, measuring the folder at most once a minute); in
  // mode "warn" it removes nothing and tells session_store_options::warn what it would.
  result<maintenance_report> maintain(const maintenance_options& options = {});

 private:
  struct DURAR_LOCAL impl;
  std::unique_ptr<impl> impl_;
  friend class session;
};

// One conversation: the transcript in memory plus the file it appends to.
class DURAR_API session {
 public:
  ~session();  // releases the lock; a batched fsync of what it wrote is already queued
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  [[nodiscard]] const std::string& key() const noexcept;  // "" for read_file()
  [[nodiscard]] const std::string& id() const noexcept;
  [[nodiscard]] const std::filesystem::path& path() const noexcept;
  [[nodiscard]] bool writable() const noexcept;
  [[nodiscard]] const load_report& report() const noexcept;

  // Every entry in file order (the header excluded).
  [[nodiscard]] const std::vector<session_entry>& entries() const noexcept;
  // The entries of the active branch, root first: from the last entry up by parent_id.
  [[nodiscard]] std::vector<const session_entry*> branch() const;
  // What the model sees: the latest compaction's summary as a user message, then the
  // messages (and custom_message entries) from its first kept entry on; without a
  // compaction, every message of the branch. A tool call left without a result inside the
  // conversation gets an error result ("No result provided") here, so providers accept it.
  [[nodiscard]] std::vector<message> context() const;
  // The latest compaction on the branch, if any.
  [[nodiscard]] std::optional<compaction_record> last_compaction() const;
  [[nodiscard]] session_totals totals() const;  // over every assistant message in the file
  // The model and thinking level last set by model_change / thinking_level_change.
  [[nodiscard]] std::optional<std::string> model() const;  // "provider/model"
  [[nodiscard]] std::optional<std::string> thinking_level() const;

  // Appending: each call writes one line with one write(2) and returns the new entry's id;
  // the parent is the previous entry. Errors (disk full, file gone) leave the file and the
  // in-memory transcript as they were.
  result<std::string> append(const message& m);
  result<std::string> append_compaction(const compaction_record& c);
  result<std::string> append_model_change(std::string_view provider, std::string_view model);
  result<std::string> append_thinking_level(std::string_view level);
  result<std::string> append_custom(std::string_view custom_type, json data);  // not sent
  // Any other entry type: `fields` are merged into {type, id, parentId, timestamp}.
  result<std::string> append_entry(std::string_view type, json fields);

  // Index bookkeeping after a turn, in the original's fields: the last call's usage
  // (inputTokens, outputTokens, cacheRead, cacheWrite, totalTokens, estimatedCostUsd), the
  // model used, compactionCount, lastInteractionAt; `context_tokens` is the model's context
  // window (contextTokens), left as it was when 0. not_found when the key was reset or
  // removed meanwhile; invalid_argument for sessions from read_file().
  result<void> record_turn(const assistant_message& last, std::int64_t context_tokens);
  result<void> flush();  // fsync now

 private:
  session();
  struct DURAR_LOCAL impl;
  std::unique_ptr<impl> impl_;
  friend class session_store;
};

// ---- compaction (pure planning; the agent calls the model) ---------------------------

// Token estimate of a message the way the original estimates (characters / 4, images a
// fixed cost), used when the vendor's usage is not known.
DURAR_API std::int64_t estimate_tokens(const message& m);
DURAR_API std::int64_t estimate_tokens(const std::vector<message>& ms);

struct compaction_settings {
  std::int64_t context_window = 200000;
  std::int64_t reserve_tokens = 20000;      // headroom; at least the floor
  std::int64_t keep_recent_tokens = 20000;  // newest history kept verbatim
};
DURAR_API compaction_settings compaction_settings_for(const config& cfg,
                                                      std::int64_t context_window);

// True when `context_tokens` exceeds the window minus the reserve.
DURAR_API bool should_compact(std::int64_t context_tokens, const compaction_settings& s);

struct compaction_plan {
  std::vector<message> to_summarize;  // older history, oldest first (with any earlier summary)
  std::string first_kept_entry_id;    // where the kept history starts
  std::int64_t tokens_before = 0;
};
// Chooses the cut: keeps at least keep_recent_tokens of the newest entries, never
// separating a tool call from its result; nothing to compact -> nullopt.
DURAR_API std::optional<compaction_plan> plan_compaction(const session& s,
                                                         const compaction_settings& settings);

}  // namespace durar
