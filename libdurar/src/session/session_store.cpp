// The sessions of one agent: which transcript a key continues, when it starts afresh
// (daily hour, idle minutes), reset and removal with the original's archive names.
#include <fmt/format.h>

#include "config/duration.hpp"
#include "core/file_io.hpp"
#include "session/session_internal.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sys/stat.h>

namespace durar {

namespace detail {

namespace {

std::int64_t valid_ms(std::int64_t v, std::int64_t now) { return v > 0 && v <= now ? v : 0; }

// The latest local `hour`:00 at or before `now`, the original's daily reset boundary.
std::int64_t daily_boundary_ms(std::int64_t now_ms, int hour) {
  hour = std::clamp(hour, 0, 23);
  std::time_t now_s = static_cast<std::time_t>(now_ms / 1000);
  std::tm local{};
  ::localtime_r(&now_s, &local);
  local.tm_hour = hour;
  local.tm_min = 0;
  local.tm_sec = 0;
  local.tm_isdst = -1;
  std::int64_t boundary = static_cast<std::int64_t>(std::mktime(&local)) * 1000;
  if (now_ms < boundary) {
    ::localtime_r(&now_s, &local);
    local.tm_mday -= 1;  // mktime normalises the day, month and year
    local.tm_hour = hour;
    local.tm_min = 0;
    local.tm_sec = 0;
    local.tm_isdst = -1;
    boundary = static_cast<std::int64_t>(std::mktime(&local)) * 1000;
  }
  return boundary;
}

}  // namespace

bool session_expired(const session_info& info, const session_config& policy, sys_time now) {
  std::int64_t now_ms = to_ms(now);
  std::int64_t updated = valid_ms(info.updated_at, now_ms);
  std::int64_t started = valid_ms(info.started_at, now_ms);
  if (started == 0) started = updated;
  std::int64_t last = valid_ms(info.last_interaction_at, now_ms);
  if (last == 0) last = started;
  bool daily = policy.reset_mode != "idle";
  std::int64_t idle = policy.idle_minutes ? std::max<std::int64_t>(*policy.idle_minutes, 0) : 0;
  if (daily && started < daily_boundary_ms(now_ms, policy.reset_at_hour)) return true;
  return idle > 0 && now_ms > last + idle * 60000;
}

}  // namespace detail

namespace {

using detail::store_state;

std::string who(std::string_view key, const std::filesystem::path& p) {
  return key.empty() ? p.string() : std::string(key);
}

result<std::filesystem::path> transcript_path(const std::filesystem::path& dir,
                                              const session_info& info) {
  std::string file = info.raw.string_or("sessionFile");
  if (!file.empty()) {
    std::filesystem::path p(file);
    return p.is_absolute() ? p : dir / p;
  }
  const std::string& id = info.session_id;
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos ||
      id.find('\0') != std::string::npos) {
    return fail(errc::invalid_argument,
                fmt::format("{}: session {} has an unusable sessionId \"{}\"",
                            (dir / "sessions.json").string(), info.key, id));
  }
  return dir / (id + ".jsonl");
}

result<std::filesystem::path> transcript_path(const store_state& st, const session_info& info) {
  return transcript_path(st.dir, info);
}

// The original derives a missing sessionStartedAt from the transcript header.
std::int64_t header_started_ms(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string first;
  if (!in || !std::getline(in, first)) return 0;
  auto j = json::parse(first);
  if (!j) return 0;
  return detail::parse_iso_ms(j->string_or("timestamp")).value_or(0);
}

// A fresh session for `key`, keeping what the user chose (model, thinking level, labels)
// and dropping what belonged to the old conversation.
session_info fresh_info(std::string_view key, std::int64_t now, const session_info* prev) {
  session_info info;
  if (prev != nullptr && prev->raw.is_object()) {
    info.raw = prev->raw;
    for (const char* stale :
         {"sessionFile", "cacheRead", "cacheWrite", "totalTokensFresh", "model", "modelProvider",
          "abortedLastRun", "systemSent", "memoryFlushAt", "memoryFlushCompactionCount"})
      info.raw.erase(stale);
    info.model_override = prev->model_override;
    info.provider_override = prev->provider_override;
    info.thinking_level = prev->thinking_level;
  }
  info.key = std::string(key);
  info.session_id = detail::new_session_id();
  info.updated_at = now;
  info.started_at = now;
  return info;
}

// The sessions directory, made private: transcripts hold whole conversations.
result<void> ensure_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  return detail::create_private_dirs(dir);
}

// Renames a transcript to <file>.<reason>.<timestamp>, refusing while another writer has it;
// false when there is no such file.
result<bool> archive(const std::filesystem::path& p, std::string_view reason, std::string_view key,
                     detail::sys_time now) {
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return false;
  auto f = detail::transcript_file::open(p, false, who(key, p));
  if (!f) return fail(f.error());
  std::filesystem::path to = p;
  to += fmt::format(".{}.{}", reason, detail::archive_timestamp(now));
  if (std::rename(p.c_str(), to.c_str()) != 0) {
    return fail(errc::unavailable,
                fmt::format("cannot archive {}: {}", p.string(), std::strerror(errno)));
  }
  return true;
}

// What session.maintenance needs, copied: the index's background writes may outlive the store.
struct maintainer {
  std::filesystem::path dir;
  session_maintenance policy;
  std::function<detail::sys_time()> clock;
  std::shared_ptr<const detail::open_keys> open;
  // When index writes last swept old archives: a folder of many archives is read at most
  // once per sweep_interval by them (durar sessions cleanup always sweeps).
  std::shared_ptr<std::atomic<std::int64_t>> last_sweep_ms =
      std::make_shared<std::atomic<std::int64_t>>(0);
  static constexpr std::int64_t sweep_interval_ms = 3600 * 1000;
  // The disk budget's plan, from the trimmer to what runs after the write (both under the
  // index lock, one write at a time). Index writes measure the folder at most once per
  // budget_interval (durar sessions cleanup always does).
  std::shared_ptr<std::optional<detail::disk_budget_plan>> budget =
      std::make_shared<std::optional<detail::disk_budget_plan>>();
  std::shared_ptr<std::atomic<std::int64_t>> last_budget_ms =
      std::make_shared<std::atomic<std::int64_t>>(0);
  static constexpr std::int64_t budget_interval_ms = 60 * 1000;

  [[nodiscard]] detail::sys_time now() const {
    return clock ? clock() : std::chrono::system_clock::now();
  }

  // An entry in use stays: changed here since the last write, or its transcript open for
  // writing, here or in another process (asked only of entries that would otherwise go).
  [[nodiscard]] bool pinned(const session_info& e,
                            const std::function<bool(std::string_view)>& changed) const {
    if (changed(e.key) || open->contains(e.key)) return true;
    auto p = transcript_path(dir, e);
    return p && detail::transcript_in_use(*p);
  }

  // `exact_pins` false: the entry pass pins only what this process knows is in use (changed
  // here, open in this store), asking no file; for mode warn, which plans on every write
  // without removing what it plans, so would otherwise ask the same files each time.
  [[nodiscard]] detail::index_cache::trimmer choose(bool force, bool fix_missing,
                                                    bool exact_pins = true) const {
    return [self = *this, force, fix_missing, exact_pins](
               const std::vector<const session_info*>& entries,
               const std::function<bool(std::string_view)>& changed) {
      std::vector<detail::planned_removal> missing;
      std::vector<const session_info*> rest;
      std::vector<std::size_t> rest_index;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (fix_missing) {
          auto p = transcript_path(self.dir, *entries[i]);
          std::error_code ec;
          if (p && !std::filesystem::exists(*p, ec) && !changed(entries[i]->key)) {
            missing.push_back({i, detail::removal::missing});
            continue;
          }
        }
        rest.push_back(entries[i]);
        rest_index.push_back(i);
      }
      auto planned = detail::plan_maintenance(
          rest, self.policy, detail::to_ms(self.now()), force, [&](const session_info& e) {
            return exact_pins ? self.pinned(e, changed)
                              : changed(e.key) || self.open->contains(e.key);
          });
      for (auto& p : planned) p.index = rest_index[p.index];
      missing.insert(missing.end(), planned.begin(), planned.end());
      self.budget->reset();
      if (self.policy.max_disk_bytes && self.budget_due(force)) {
        std::vector<bool> kept(entries.size(), true);
        for (const auto& p : missing) kept[p.index] = false;
        auto plan = detail::plan_disk_budget(
            self.dir, entries, kept, *self.policy.max_disk_bytes,
            detail::disk_budget_high_water(*self.policy.max_disk_bytes,
                                           self.policy.high_water_bytes),
            [&](const session_info& e) -> std::optional<std::filesystem::path> {
              auto p = transcript_path(self.dir, e);
              return p ? std::optional<std::filesystem::path>(*p) : std::nullopt;
            },
            [&](const session_info& e) { return self.pinned(e, changed); });
        for (std::size_t i : plan.evict) missing.push_back({i, detail::removal::budget});
        *self.budget = std::move(plan);
      }
      return missing;
    };
  }

  // Index writes measure the folder at most once per budget_interval.
  [[nodiscard]] bool budget_due(bool force) const {
    const std::int64_t now_ms = detail::to_ms(now());
    std::int64_t last = last_budget_ms->load();
    if (!force && last != 0 && now_ms - last < budget_interval_ms) return false;
    last_budget_ms->store(now_ms);
    return true;
  }

  // Deletes the files the last plan chose (none when the folder was within its budget).
  [[nodiscard]] detail::disk_budget_applied apply_budget() const {
    if (!*budget || (*budget)->files.empty()) return {};
    return detail::apply_disk_budget(**budget);
  }

  // Archives the transcripts of removed entries no entry names any more, then sweeps old
  // archives; returns how many it archived and removed.
  std::pair<std::size_t, std::size_t> archive(const detail::index_cache::removed_entries& removed,
                                              bool always_sweep) const {
    std::size_t archived = 0;
    auto t = now();
    for (const auto& r : removed) {
      // The budget deleted its evicted entries' files (apply_budget) rather than archive them.
      if (r.still_named || r.why == detail::removal::missing || r.why == detail::removal::budget)
        continue;
      auto p = transcript_path(dir, r.info);
      if (!p) continue;
      // A transcript opened since the plan stays where it is: its writer keeps it.
      if (auto a = durar::archive(*p, "deleted", r.info.key, t); a && *a) ++archived;
    }
    const std::int64_t now_ms = detail::to_ms(t);
    std::int64_t last = last_sweep_ms->load();
    if (!always_sweep && last != 0 && now_ms - last < sweep_interval_ms) return {archived, 0};
    last_sweep_ms->store(now_ms);
    return {archived, detail::sweep_archives(dir, policy, t)};
  }
};

// "30d", "12h", "90m": the duration in the largest unit that divides it.
std::string duration_text(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  for (const auto& [unit, name] : {std::pair<std::int64_t, const char*>{86400000, "d"},
                                   {3600000, "h"},
                                   {60000, "m"},
                                   {1000, "s"}})
    if (ms != 0 && ms % unit == 0) return fmt::format("{}{}", ms / unit, name);
  return fmt::format("{}ms", ms);
}

// What maintenance_warner last measured of a folder over its budget (index writes measure it
// once a minute). At namespace scope: clang cannot default-construct a nested struct with
// member initializers inside its enclosing class (std::optional::emplace() there).
struct over_budget {
  std::int64_t bytes = 0, bytes_after = 0, high_water = 0, file_bytes = 0;
  std::size_t files = 0, entries = 0;
};

// Mode warn: what an index write in mode enforce would remove, told through
// session_store_options::warn and not done. The trimmer plans it (and has nothing removed);
// the write's `done` says it, outside the index's mutex. Both run under the index lock, one
// write at a time, so the state needs no lock of its own.
struct maintenance_warner {
  std::function<void(std::string_view, const json&)> warn;
  std::string agent_id;
  session_maintenance policy;
  // At most one warning per repeat_interval, sooner only once the entries to remove have
  // grown by a tenth (at least one) or the folder has gone over its budget.
  static constexpr std::int64_t repeat_interval_ms = 3600 * 1000;

  std::int64_t last_ms = 0;  // when it last warned; 0: never
  std::size_t last_entries = 0;
  bool last_over = false;
  std::optional<over_budget> disk;
  std::optional<std::pair<std::string, json>> pending;

  void consider(const std::vector<detail::planned_removal>& picks,
                const std::optional<detail::disk_budget_plan>& measured, std::int64_t now_ms) {
    std::size_t stale = 0, overflow = 0;
    for (const auto& p : picks) {
      stale += p.why == detail::removal::stale ? 1 : 0;
      overflow += p.why == detail::removal::overflow ? 1 : 0;
    }
    if (measured) {
      disk.reset();
      if (measured->over) {
        over_budget& o = disk.emplace();
        o.bytes = measured->bytes_before;
        o.bytes_after = measured->bytes_after;
        o.high_water = measured->high_water_bytes;
        o.files = measured->files.size();
        for (const auto& f : measured->files) o.file_bytes += f.size;
        o.entries = measured->evict.size();
      }
    }
    const std::size_t evict = disk ? disk->entries : 0;
    const std::size_t entries = stale + overflow + evict;
    if (entries == 0 && !disk) return;  // the common case: nothing would go
    const bool grew = entries >= last_entries + std::max<std::size_t>(1, last_entries / 10) ||
                      (disk && !last_over);
    if (last_ms != 0 && now_ms - last_ms < repeat_interval_ms && !grew) return;
    last_ms = now_ms;
    last_entries = entries;
    last_over = disk.has_value();

    std::string why;
    auto reason = [&](std::size_t n, const std::string& what) {
      if (n > 0) why += fmt::format("{}{} {}", why.empty() ? "" : ", ", n, what);
    };
    reason(stale, "older than pruneAfter " + duration_text(policy.prune_after));
    reason(overflow, fmt::format("beyond maxEntries {}", policy.max_entries));
    reason(evict, "to fit maxDiskBytes");
    std::string text = "session maintenance would ";
    if (entries > 0)
      text += fmt::format("remove {} {} of agent {} ({})", entries,
                          entries == 1 ? "entry" : "entries", agent_id, why);
    if (disk) {
      text += fmt::format("{} {} {} ({} bytes)", entries > 0 ? " and delete" : "delete",
                          disk->files, disk->files == 1 ? "file" : "files", disk->file_bytes);
      if (entries == 0) text += " of agent " + agent_id;
      text += fmt::format(": the sessions folder is {} bytes, over maxDiskBytes {}", disk->bytes,
                          policy.max_disk_bytes.value_or(0));
    }
    text += fmt::format(
        "; mode is warn, nothing removed: run `durar sessions cleanup --agent {} --enforce`",
        agent_id);

    json fields =
        json::object({{"agentId", agent_id},
                      {"mode", "warn"},
                      {"wouldRemove", entries},
                      {"wouldPrune", stale},
                      {"wouldCap", overflow},
                      {"wouldEvict", evict},
                      {"pruneAfterMs", static_cast<std::int64_t>(policy.prune_after.count())},
                      {"maxEntries", policy.max_entries}});
    if (disk) {
      fields.set("maxDiskBytes", policy.max_disk_bytes.value_or(0));
      fields.set("highWaterBytes", disk->high_water);
      fields.set("diskBytes", disk->bytes);
      fields.set("diskBytesAfter", disk->bytes_after);
      fields.set("wouldDeleteFiles", disk->files);
      fields.set("wouldFreeBytes", disk->file_bytes);
    }
    pending.emplace(std::move(text), std::move(fields));
  }

  void deliver() {
    if (!pending) return;
    auto [text, fields] = std::move(*pending);
    pending.reset();
    warn(text, fields);
  }
};

}  // namespace

session_store::session_store(std::filesystem::path state_dir, std::string agent_id,
                             session_store_options options)
    : impl_(std::make_unique<impl>()) {
  auto st = std::make_shared<store_state>();
  st->agent_id = normalize_agent_id(agent_id);
  st->dir = std::move(state_dir) / "agents" / st->agent_id / "sessions";
  if (options.cwd.empty()) {
    std::error_code ec;
    options.cwd = std::filesystem::current_path(ec).string();
  }
  st->options = std::move(options);
  st->index = std::make_shared<detail::index_cache>(st->index_file(),
                                                    st->options.index_fsync != fsync_policy::never);
  maintainer m{st->dir, st->options.policy.maintenance, st->options.clock, st->open};
  if (st->options.policy.maintenance.mode != "warn") {
    st->index->set_trimmer(m.choose(false, false),
                           [m](detail::index_cache::removed_entries removed) {
                             (void)m.apply_budget();  // before archiving: it may take those files
                             if (!removed.empty()) (void)m.archive(removed, false);
                           });
  } else if (st->options.warn) {
    // The plan mode enforce would make on this write (the same cheap checks first: the cap
    // only once the index is a batch over it, the folder measured at most once a minute),
    // said and not done.
    auto w = std::make_shared<maintenance_warner>();
    w->warn = st->options.warn;
    w->agent_id = st->agent_id;
    w->policy = st->options.policy.maintenance;
    st->index->set_trimmer(
        [m, w, plan = m.choose(false, false, false)](
            const std::vector<const session_info*>& entries,
            const std::function<bool(std::string_view)>& changed) {
          w->consider(plan(entries, changed), *m.budget, detail::to_ms(m.now()));
          return std::vector<detail::planned_removal>{};
        },
        [w](const detail::index_cache::removed_entries&) { w->deliver(); });
  }
  impl_->state = std::move(st);
}

session_store::~session_store() {
  if (impl_) (void)impl_->state->index->flush();
}

result<void> session_store::flush() { return impl_->state->index->flush(); }

const std::filesystem::path& session_store::dir() const noexcept { return impl_->state->dir; }
const std::string& session_store::agent_id() const noexcept { return impl_->state->agent_id; }

result<std::vector<session_info>> session_store::list() const {
  auto all = impl_->state->index->all();
  if (!all) return fail(all.error());
  std::vector<session_info> out;
  out.reserve(all->size());
  for (auto& info : *all)
    if (info.raw.is_object()) out.push_back(std::move(info));
  std::stable_sort(out.begin(), out.end(), [](const session_info& a, const session_info& b) {
    return a.updated_at > b.updated_at;
  });
  return out;
}

result<std::optional<session_info>> session_store::find(std::string_view key) const {
  auto info = impl_->state->index->get(key);
  if (!info) return fail(info.error());
  if (*info && !(*info)->raw.is_object()) return std::optional<session_info>();
  return info;
}

result<std::unique_ptr<session>> session_store::open(std::string_view key,
                                                     session_open_options options) {
  const store_state& st = *impl_->state;
  session_info current;
  // Continuing the key's session is the common case and is batched; a new session for the
  // key is decided and recorded durably (index_cache::durability::now), so that neither a
  // crash nor a second process can leave the key with two transcripts.
  auto known = st.index->get(key);
  if (!known) return fail(known.error());
  const bool decide = !*known || !(*known)->raw.is_object() || (*known)->started_at == 0 ||
                      detail::session_expired(**known, st.options.policy, st.now());
  if (!decide) current = std::move(**known);
  auto decide_now = [&](std::optional<session_info>& entry) -> result<bool> {
    std::int64_t now = detail::to_ms(st.now());
    bool changed = false;
    if (!entry || !entry->raw.is_object()) {
      entry = fresh_info(key, now, nullptr);
      changed = true;
    } else {
      auto old_path = transcript_path(st, *entry);
      if (!old_path) return fail(old_path.error());
      if (entry->started_at == 0) {
        std::int64_t from_header = header_started_ms(*old_path);
        if (from_header > 0) {
          entry->started_at = from_header;
          changed = true;
        }
      }
      if (detail::session_expired(*entry, st.options.policy, st.now())) {
        if (auto a = archive(*old_path, "reset", key, st.now()); !a) return fail(a.error());
        entry = fresh_info(key, now, &*entry);
        changed = true;
      }
    }
    current = *entry;
    return changed;
  };
  if (decide) {
    auto updated = st.index->update(key, decide_now, detail::index_cache::durability::now);
    if (!updated) return fail(updated.error());
  }
  auto p = transcript_path(st, current);
  if (!p) return fail(p.error());
  // A decided session's folder was made with the index lock; a continued one is made again
  // only if something removed it, so its transcript starts afresh where the index says.
  if (!decide)
    if (auto d = ensure_dir(st.dir); !d) return fail(d.error());
  auto f = detail::transcript_file::open(*p, true, key);
  if (!f) return fail(f.error());
  // A file that was empty under our lock has nothing to read (a new session's, usually).
  auto content = f->size() > 0 ? f->read_all() : result<std::string>(std::string());
  if (!content) return fail(content.error());
  auto parsed = detail::parse_transcript(*content, *p);
  if (!parsed) return fail(parsed.error());

  auto s = std::unique_ptr<session>(new session());
  session::impl& si = *s->impl_;
  si.store = impl_->state;
  si.key = std::string(key);
  si.id = current.session_id;
  si.path = *p;
  si.policy = st.options.transcript_fsync;
  si.fsync_interval = st.options.fsync_interval;
  if (parsed->header.is_null()) {
    // New, empty, or only a torn header: start the file with a header of our own.
    if (f->size() > 0) {
      if (auto t = f->truncate(0); !t) return fail(t.error());
    }
    json header = detail::header_json(si.id, detail::iso_timestamp(st.now()), st.options.cwd);
    if (auto w = f->append(header.dump() + "\n"); !w) return fail(w.error());
    parsed->header = std::move(header);
  } else {
    if (parsed->torn_tail) {
      if (auto t = f->truncate(parsed->complete_bytes); !t) return fail(t.error());
    } else if (parsed->missing_newline) {
      if (auto w = f->append("\n"); !w) return fail(w.error());
    }
    if (parsed->session_id != si.id) {
      parsed->report.warnings.push_back(fmt::format("{}: header names session {}, the index {}",
                                                    p->filename().string(), parsed->session_id,
                                                    si.id));
    }
  }
  si.file = std::move(*f);
  st.open->hold(si.key);
  si.holds_key = true;
  si.adopt(std::move(*parsed));
  si.id = current.session_id;  // the index names the session, whatever the header says
  if (options.close_unanswered_calls) {
    if (auto r = si.repair_tail(); !r) return fail(r.error());
  }
  if (si.policy == fsync_policy::every_entry) {
    if (auto y = si.file.sync(); !y) return fail(y.error());
  }
  return s;
}

result<std::unique_ptr<session>> session_store::read(std::string_view key) const {
  auto info = find(key);
  if (!info) return fail(info.error());
  if (!*info) return fail(errc::not_found, fmt::format("no session {}", key));
  auto p = transcript_path(*impl_->state, **info);
  if (!p) return fail(p.error());
  auto s = read_file(*p);
  if (!s) return fail(s.error());
  (*s)->impl_->key = std::string(key);
  (*s)->impl_->store = impl_->state;
  return s;
}

result<std::unique_ptr<session>> session_store::read_file(const std::filesystem::path& p) {
  bool exists = false;
  auto content = detail::read_file(p, exists);
  if (!content) return fail(content.error());
  if (!exists) return fail(errc::not_found, fmt::format("no transcript {}", p.string()));
  auto parsed = detail::parse_transcript(*content, p);
  if (!parsed) return fail(parsed.error());
  auto s = std::unique_ptr<session>(new session());
  session::impl& si = *s->impl_;
  si.path = p;
  si.id = p.stem().string();
  si.adopt(std::move(*parsed));
  int tail = 0;
  std::vector<const message*> view;
  for (const auto* e : s->branch())
    if (e->msg) view.push_back(&*e->msg);
  for (const auto& o : detail::find_orphans(view)) tail += o.tail ? 1 : 0;
  if (tail > 0) {
    si.report.warnings.push_back(fmt::format(
        "{}: {} tool call(s) of the last turn have no result (left as they are: read-only)",
        p.filename().string(), tail));
  }
  return s;
}

result<session_info> session_store::reset(std::string_view key) {
  const store_state& st = *impl_->state;
  session_info out;
  auto updated = st.index->update(
      key,
      [&](std::optional<session_info>& entry) -> result<bool> {
        std::int64_t now = detail::to_ms(st.now());
        if (entry && entry->raw.is_object()) {
          auto old_path = transcript_path(st, *entry);
          if (!old_path) return fail(old_path.error());
          if (auto a = archive(*old_path, "reset", key, st.now()); !a) return fail(a.error());
          entry = fresh_info(key, now, &*entry);
        } else {
          entry = fresh_info(key, now, nullptr);
        }
        out = *entry;
        return true;
      },
      detail::index_cache::durability::now);
  if (!updated) return fail(updated.error());
  out.raw = detail::info_to_json(out);
  return out;
}

result<void> session_store::remove(std::string_view key) {
  const store_state& st = *impl_->state;
  return st.index->update(
      key,
      [&](std::optional<session_info>& entry) -> result<bool> {
        if (!entry) return fail(errc::not_found, fmt::format("no session {}", key));
        if (entry->raw.is_object()) {
          auto old_path = transcript_path(st, *entry);
          if (!old_path) return fail(old_path.error());
          if (auto a = archive(*old_path, "deleted", key, st.now()); !a) return fail(a.error());
        }
        entry.reset();
        return true;
      },
      detail::index_cache::durability::now);
}

result<maintenance_report> session_store::maintain(const maintenance_options& options) {
  const store_state& st = *impl_->state;
  maintenance_report report;
  std::error_code ec;
  if (!std::filesystem::is_directory(st.dir, ec)) return report;  // no sessions yet
  maintainer m{st.dir, st.options.policy.maintenance, st.options.clock, st.open};
  std::size_t before = 0;
  detail::disk_budget_applied applied;
  auto removed = st.index->trim_now(m.choose(true, options.fix_missing), options.dry_run, before,
                                    [&](const detail::index_cache::removed_entries& r) {
                                      applied = m.apply_budget();
                                      auto counts = m.archive(r, true);
                                      report.archived = counts.first;
                                      report.swept = counts.second;
                                    });
  if (!removed) return fail(removed.error());
  auto all = st.index->all();
  if (!all) return fail(all.error());
  report.before = before;
  report.after = before - removed->size();
  std::unordered_map<std::string, std::string_view> fate;
  for (const auto& r : *removed) {
    fate[r.info.key] = detail::removal_name(r.why);
    (r.why == detail::removal::missing  ? report.missing
     : r.why == detail::removal::stale  ? report.pruned
     : r.why == detail::removal::budget ? report.evicted
                                        : report.capped) += 1;
  }
  if (*m.budget) {
    const detail::disk_budget_plan& plan = **m.budget;
    disk_budget_report& d = report.disk.emplace();
    d.max_bytes = plan.max_bytes;
    d.high_water_bytes = plan.high_water_bytes;
    d.bytes_before = plan.bytes_before;
    d.over_budget = plan.over;
    d.removed_entries = plan.evict.size();
    if (options.dry_run) {
      for (const auto& f : plan.files) {
        d.freed_bytes += f.size;
        d.removed.push_back(f.path.filename().string());
      }
    } else {
      d.freed_bytes = applied.freed;
      d.removed = std::move(applied.removed);
    }
    d.removed_files = d.removed.size();
    d.bytes_after = plan.bytes_before - plan.index_saved - d.freed_bytes;
  }
  std::vector<session_info> rows = std::move(*all);  // a dry run removed nothing from it
  if (!options.dry_run)
    for (const auto& r : *removed) rows.push_back(r.info);
  std::stable_sort(rows.begin(), rows.end(), [](const session_info& a, const session_info& b) {
    return a.updated_at > b.updated_at;
  });
  for (auto& info : rows) {
    auto it = fate.find(info.key);
    std::string action(it == fate.end() ? std::string_view("keep") : it->second);
    report.actions.emplace_back(std::move(info), std::move(action));
  }
  return report;
}

}  // namespace durar
