// Appending to a session: each entry one line, one write(2), under the fsync policy; the
// repair of an interrupted turn; the index bookkeeping after a turn.
#include <fmt/format.h>

#include "core/background_io.hpp"
#include "session/session_internal.hpp"

#include <algorithm>
#include <unistd.h>

namespace durar {

session::session() : impl_(std::make_unique<impl>()) {}

namespace {

// The batched policy's fsync, on the background thread, which opens the file for it (fsync
// flushes the file whichever descriptor asks): the writer's lock goes with its own
// descriptor when the session closes, and a backlog of syncs holds no descriptors. Syncs
// asked for within one interval share a flush, however many files and entries they cover.
void sync_later(const std::filesystem::path& p, std::chrono::milliseconds interval) {
  detail::sync_in_background(p, std::chrono::steady_clock::now() + interval);
}

}  // namespace

session::~session() {
  if (!impl_) return;
  if (impl_->holds_key) impl_->store->open->release(impl_->key);
  if (impl_->mark)
    detail::keep_parsed(impl_->path, std::move(*impl_->mark), std::move(impl_->entries));
}

detail::sys_time session::impl::now() const {
  return store ? store->now() : std::chrono::system_clock::now();
}

result<std::string> session::impl::write(session_entry e) {
  if (!file.is_open()) {
    return fail(errc::permission_denied,
                fmt::format("session {} was opened read-only", key.empty() ? path.string() : key));
  }
  std::uint64_t before = file.size();
  std::string line = e.raw.dump();
  line += '\n';
  if (auto w = file.append(line); !w) return fail(w.error());
  if (policy == fsync_policy::every_entry) {
    if (auto y = file.sync(); !y) {
      (void)file.truncate(before);  // not durable: take it back rather than report it written
      return fail(y.error());
    }
  } else if (policy == fsync_policy::batched) {
    sync_later(path, fsync_interval);
  }
  std::string new_id = e.id;
  add(std::move(e));
  return new_id;
}

result<void> session::impl::repair_tail() {
  std::vector<const message*> view;
  for (const auto* e : detail::branch_of(entries, by_id)) {
    if (e->msg) {
      view.push_back(&*e->msg);
    } else if (e->type == "custom_message" || e->type == "branch_summary") {
      return {};  // a later user-side message: the turn is not the tail
    }
  }
  std::vector<detail::orphan> tail;
  for (auto& o : detail::find_orphans(view))
    if (o.tail) tail.push_back(std::move(o));
  for (const auto& o : tail) {
    tool_result_message r = detail::missing_result(o);
    r.timestamp = detail::to_ms(now());
    session_entry e = make_entry("message", json::object({{"message", to_json(message(r))}}));
    e.msg = message(std::move(r));
    auto w = write(std::move(e));
    if (!w) return fail(w.error());
  }
  if (!tail.empty()) {
    report.orphaned_tool_calls_repaired += static_cast<int>(tail.size());
    report.warnings.push_back(fmt::format(
        "{}: {} tool call(s) of an interrupted turn had no result: error results appended",
        path.filename().string(), tail.size()));
  }
  return {};
}

session_entry session::impl::make_entry(std::string_view type, json fields) const {
  session_entry e;
  e.type = std::string(type);
  e.id = detail::new_entry_id(by_id);
  e.parent_id = entries.empty() ? "" : entries.back().id;
  e.timestamp = detail::iso_timestamp(now());
  e.raw = detail::entry_json(type, e.id, e.parent_id, e.timestamp, std::move(fields));
  return e;
}

result<std::string> session::append(const message& m) {
  session_entry e = impl_->make_entry("message", json::object({{"message", to_json(m)}}));
  e.msg = m;
  return impl_->write(std::move(e));
}

result<std::string> session::append_compaction(const compaction_record& c) {
  if (impl_->by_id.find(c.first_kept_entry_id) == impl_->by_id.end()) {
    return fail(errc::invalid_argument,
                fmt::format("compaction keeps from entry \"{}\", which is not in session {}",
                            c.first_kept_entry_id, impl_->id));
  }
  json fields = json::object({{"summary", c.summary},
                              {"firstKeptEntryId", c.first_kept_entry_id},
                              {"tokensBefore", c.tokens_before}});
  if (!c.details.is_null()) fields.set("details", c.details);
  return impl_->write(impl_->make_entry("compaction", std::move(fields)));
}

result<std::string> session::append_model_change(std::string_view provider,
                                                 std::string_view model) {
  return impl_->write(impl_->make_entry(
      "model_change", json::object({{"provider", provider}, {"modelId", model}})));
}

result<std::string> session::append_thinking_level(std::string_view level) {
  return impl_->write(
      impl_->make_entry("thinking_level_change", json::object({{"thinkingLevel", level}})));
}

result<std::string> session::append_custom(std::string_view custom_type, json data) {
  return impl_->write(impl_->make_entry(
      "custom", json::object({{"customType", custom_type}, {"data", std::move(data)}})));
}

result<std::string> session::append_entry(std::string_view type, json fields) {
  if (type.empty() || type == "session")
    return fail(errc::invalid_argument, fmt::format("\"{}\" is not an entry type", type));
  if (!fields.is_object() && !fields.is_null())
    return fail(errc::invalid_argument, "entry fields must be a JSON object");
  session_entry e = impl_->make_entry(type, std::move(fields));
  std::string note;
  auto typed = detail::entry_from_json(std::move(e.raw), note);
  if (!typed) return fail(typed.error());
  if (typed->type == "message" && !typed->msg) {
    return fail(errc::invalid_argument,
                "message entry: " + (note.empty() ? std::string("no message") : note));
  }
  return impl_->write(std::move(*typed));
}

result<void> session::record_turn(const assistant_message& last, std::int64_t context_tokens) {
  const impl& s = *impl_;
  if (!s.store || s.key.empty()) {
    return fail(errc::invalid_argument,
                fmt::format("{} has no index entry (it was read from a file)", s.path.string()));
  }
  if (!s.file.is_open()) {
    return fail(errc::permission_denied, fmt::format("session {} was opened read-only", s.key));
  }
  const detail::store_state& st = *s.store;
  std::int64_t now = detail::to_ms(s.now());
  int compactions = static_cast<int>(
      std::count_if(s.entries.begin(), s.entries.end(),
                    [](const session_entry& e) { return e.type == "compaction"; }));
  return st.index->update(s.key, [&](std::optional<session_info>& entry) -> result<bool> {
    if (!entry || entry->session_id != s.id) {
      return fail(errc::not_found, fmt::format("session {} ({}) is no longer in {}", s.key, s.id,
                                               st.index_file().string()));
    }
    const usage& u = last.usage;
    entry->updated_at = now;
    entry->last_interaction_at = now;
    entry->input_tokens = u.input;
    entry->output_tokens = u.output;
    entry->total_tokens =
        u.total_tokens > 0 ? u.total_tokens : u.input + u.output + u.cache_read + u.cache_write;
    if (context_tokens > 0) entry->context_tokens = context_tokens;
    entry->compaction_count = compactions;
    entry->cost = u.cost.total;
    if (!entry->raw.is_object()) entry->raw = json::object();
    entry->raw.set("cacheRead", u.cache_read);
    entry->raw.set("cacheWrite", u.cache_write);
    if (!last.model.empty()) entry->model = last.model;
    if (!last.provider.empty()) entry->model_provider = last.provider;
    return true;
  });
}

result<void> session::flush() {
  if (!impl_->file.is_open()) return {};
  return impl_->file.sync();
}

}  // namespace durar
