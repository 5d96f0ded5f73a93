// Loading a transcript and reading it: the header check, torn and bad lines, the entry tree,
// the active branch and the context the model sees (compaction, unanswered tool calls).
#include <fmt/format.h>

#include "session/session_internal.hpp"

#include <algorithm>

namespace durar::detail {

namespace {

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// json::parse numbers positions within the text it saw: one line here.
std::string parse_problem(const error& e) {
  std::string_view m = e.message;
  if (m.rfind("line 1, ", 0) == 0) m.remove_prefix(8);
  return std::string(m);
}

bool is_header(const json& j) {
  return j.is_object() && j.string_or("type") == "session" && j["id"].is_string();
}

bool ran(const assistant_message& a) {
  return a.stop != stop_reason::error && a.stop != stop_reason::aborted;
}

}  // namespace

result<parsed_transcript> parse_transcript(std::string_view content,
                                           const std::filesystem::path& p) {
  parsed_transcript out;
  bool header_seen = false;
  std::size_t pos = 0;
  int line_no = 0;
  std::optional<std::uint64_t> whole_hash;  // of all of content, when a kept prefix was checked
  if (auto kept = take_parsed(p, content, whole_hash)) {  // parsed before: resume after them
    auto& [mark, entries] = *kept;
    header_seen = true;
    pos = mark.bytes;
    line_no = mark.lines;
    out.header = std::move(mark.header);
    out.session_id = std::move(mark.session_id);
    out.report = std::move(mark.report);
    out.entries = std::move(entries);
    out.complete_bytes = pos;
  }
  // One entry a line at most, plus room for the turn that follows: growing a vector of
  // 10,000 entries moves them all again each time, and touching that fresh memory is a
  // large part of what loading a long transcript costs.
  const std::string_view rest = content.substr(pos);
  const auto lines = static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '\n'));
  const std::size_t want = out.entries.size() + lines;
  if (out.entries.capacity() < want) out.entries.reserve(want + want / 8 + 16);
  while (pos < content.size()) {
    std::size_t nl = content.find('\n', pos);
    bool unterminated = nl == std::string_view::npos;
    std::size_t end = unterminated ? content.size() : nl;
    std::size_t next = unterminated ? content.size() : nl + 1;
    std::string_view line = content.substr(pos, end - pos);
    ++line_no;
    pos = next;
    if (blank(line)) {
      if (!unterminated) out.complete_bytes = next;
      continue;
    }
    auto parsed = json::parse(line);
    if (unterminated && !parsed) {
      // A crash mid-write leaves the last line cut short; it was never acknowledged.
      out.torn_tail = true;
      ++out.report.torn_lines_skipped;
      out.report.warnings.push_back(fmt::format("{}: line {}: torn last line skipped ({} bytes)",
                                                p.filename().string(), line_no, line.size()));
      break;
    }
    if (!header_seen) {
      if (!parsed || !is_header(*parsed)) {
        return fail(errc::invalid_argument,
                    fmt::format("{} is not a session transcript: line {} is not a session header",
                                p.string(), line_no));
      }
      header_seen = true;
      out.header = std::move(*parsed);
      out.session_id = out.header["id"].as_string();
      std::int64_t version = out.header.int_or("version", 1);
      if (version != transcript_version) {
        out.report.warnings.push_back(fmt::format("{}: transcript version {} read as version {}",
                                                  p.filename().string(), version,
                                                  transcript_version));
      }
      out.complete_bytes = next;
      out.missing_newline = unterminated;
      continue;
    }
    if (!parsed) {
      ++out.report.bad_lines_skipped;
      out.report.warnings.push_back(fmt::format("{}: line {}: not JSON ({}), skipped",
                                                p.filename().string(), line_no,
                                                parse_problem(parsed.error())));
      out.complete_bytes = next;
      continue;
    }
    std::string note;
    auto entry = entry_from_json(std::move(*parsed), note);
    if (!entry) {
      ++out.report.bad_lines_skipped;
      out.report.warnings.push_back(fmt::format("{}: line {}: not an entry ({}), skipped",
                                                p.filename().string(), line_no,
                                                entry.error().message));
    } else {
      if (!note.empty()) {
        out.report.warnings.push_back(
            fmt::format("{}: line {}: message not understood ({}); kept, left out of the context",
                        p.filename().string(), line_no, note));
      }
      out.entries.push_back(std::move(*entry));
    }
    out.complete_bytes = next;
    out.missing_newline = unterminated;
  }
  if (!header_seen && out.torn_tail) out.complete_bytes = 0;
  // Kept only when every byte was read as whole lines, so the next parse resumes on a line.
  if (header_seen && !out.torn_tail && !out.missing_newline &&
      out.complete_bytes == content.size()) {
    out.mark = mark_of(content, line_no, out.entries.size(), whole_hash);
    if (out.mark) {
      out.mark->header = out.header;
      out.mark->session_id = out.session_id;
      out.mark->report = out.report;
    }
  }
  return out;
}

std::vector<orphan> find_orphans(const std::vector<const message*>& ms) {
  std::vector<orphan> out;
  // Run on every open and every context(): the results after a call are looked through in
  // place (a turn has a handful), and a message without calls costs one look at its blocks.
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const auto* a = std::get_if<assistant_message>(ms[i]);
    if (a == nullptr || !ran(*a)) continue;
    if (std::none_of(a->content.begin(), a->content.end(), [](const content_block& b) {
          return std::holds_alternative<tool_call_block>(b);
        }))
      continue;
    std::size_t j = i + 1;
    while (j < ms.size() && std::holds_alternative<tool_result_message>(*ms[j])) ++j;
    for (const auto& b : a->content) {
      const auto* c = std::get_if<tool_call_block>(&b);
      if (c == nullptr) continue;
      bool answered = false;
      for (std::size_t k = i + 1; k < j && !answered; ++k)
        answered = std::get<tool_result_message>(*ms[k]).tool_call_id == c->id;
      if (!answered) out.push_back(orphan{j - 1, c->id, c->name, a->timestamp, j == ms.size()});
    }
  }
  return out;
}

std::vector<const session_entry*> branch_of(
    const std::vector<session_entry>& entries,
    const std::unordered_map<std::string, std::size_t>& by_id) {
  std::vector<const session_entry*> path;
  if (entries.empty()) return path;
  const session_entry* cur = &entries.back();
  // Most entries follow their parent in the file: that is checked before hashing the id.
  // by_id keeps the last entry of an id, so the shortcut holds only while ids are unique.
  const bool unique_ids = by_id.size() == entries.size();
  // Bounded: a parent cycle in a hand-edited file must not loop forever.
  for (std::size_t steps = 0; cur != nullptr && steps <= entries.size(); ++steps) {
    path.push_back(cur);
    if (cur->parent_id.empty() || cur->parent_id == cur->id) break;
    auto at = static_cast<std::size_t>(cur - entries.data());
    if (unique_ids && at > 0 && entries[at - 1].id == cur->parent_id) {
      cur = &entries[at - 1];
      continue;
    }
    auto it = by_id.find(cur->parent_id);
    cur = it == by_id.end() ? nullptr : &entries[it->second];
  }
  std::reverse(path.begin(), path.end());
  return path;
}

tool_result_message missing_result(const orphan& o) {
  tool_result_message r;
  r.tool_call_id = o.id;
  r.tool_name = o.name;
  r.content.emplace_back(text_block{"No result provided", {}});
  r.is_error = true;
  r.timestamp = o.timestamp;
  return r;
}

}  // namespace durar::detail

namespace durar {

namespace {

// The context messages of a branch as pointers, custom and summary entries standing in as
// a user message: what find_orphans needs without copying the conversation.
std::vector<const message*> message_view(const std::vector<const session_entry*>& branch) {
  static const message user_stand_in = user_message{};
  std::vector<const message*> out;
  out.reserve(branch.size());
  for (const auto* e : branch) {
    if (e->msg) {
      out.push_back(&*e->msg);
    } else if (e->type == "custom_message" || e->type == "branch_summary") {
      out.push_back(&user_stand_in);
    }
  }
  return out;
}

}  // namespace

void session::impl::add(session_entry e) {
  by_id[e.id] = entries.size();
  entries.push_back(std::move(e));
}

void session::impl::adopt(detail::parsed_transcript&& t) {
  header = std::move(t.header);
  if (!t.session_id.empty()) id = std::move(t.session_id);
  report = std::move(t.report);
  if (entries.empty()) {
    // The parsed vector comes with room for appends: taken as it is, not moved entry by entry.
    entries = std::move(t.entries);
    if (t.mark && t.mark->count == entries.size()) mark = std::move(t.mark);
    by_id.reserve(entries.size() + entries.size() / 8 + 16);
    for (std::size_t i = 0; i < entries.size(); ++i) by_id[entries[i].id] = i;
  } else {
    entries.reserve(entries.size() + t.entries.size());
    for (auto& e : t.entries) add(std::move(e));
  }
  // Counted here so the report tells about unanswered calls before anyone asks for context.
  auto orphans = detail::find_orphans(message_view(detail::branch_of(entries, by_id)));
  int mended = 0, tail = 0;
  for (const auto& o : orphans) (o.tail ? tail : mended)++;
  if (mended > 0) {
    report.orphaned_tool_calls_repaired += mended;
    report.warnings.push_back(fmt::format(
        "{} tool call(s) without a result inside the conversation: given an error result in the "
        "context",
        mended));
  }
}

const std::string& session::key() const noexcept { return impl_->key; }
const std::string& session::id() const noexcept { return impl_->id; }
const std::filesystem::path& session::path() const noexcept { return impl_->path; }
bool session::writable() const noexcept { return impl_->file.is_open(); }
const load_report& session::report() const noexcept { return impl_->report; }
const std::vector<session_entry>& session::entries() const noexcept { return impl_->entries; }

std::vector<const session_entry*> session::branch() const {
  return detail::branch_of(impl_->entries, impl_->by_id);
}

std::vector<message> session::context() const {
  auto path = branch();
  std::vector<message> out;
  out.reserve(path.size() + 1);
  auto push = [&](const session_entry* e) {
    if (auto m = detail::context_message_of(*e)) out.push_back(std::move(*m));
  };
  std::size_t compaction_at = path.size();
  for (std::size_t i = path.size(); i-- > 0;) {
    if (path[i]->type == "compaction") {
      compaction_at = i;
      break;
    }
  }
  if (compaction_at < path.size()) {
    const session_entry& c = *path[compaction_at];
    out.emplace_back(detail::compaction_summary_message(
        c.raw.string_or("summary"), detail::parse_iso_ms(c.timestamp).value_or(0)));
    std::string first_kept = c.raw.string_or("firstKeptEntryId");
    bool keeping = false;
    for (std::size_t i = 0; i < compaction_at; ++i) {
      if (path[i]->id == first_kept) keeping = true;
      if (keeping) push(path[i]);
    }
    for (std::size_t i = compaction_at + 1; i < path.size(); ++i) push(path[i]);
  } else {
    for (const auto* e : path) push(e);
  }
  // Providers reject a tool call without its result; the tail is an unfinished turn.
  std::vector<const message*> view;
  view.reserve(out.size());
  for (const auto& m : out) view.push_back(&m);
  auto orphans = detail::find_orphans(view);
  for (auto it = orphans.rbegin(); it != orphans.rend(); ++it) {
    if (it->tail) continue;
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(it->after + 1),
               message(detail::missing_result(*it)));
  }
  return out;
}

std::optional<compaction_record> session::last_compaction() const {
  auto path = branch();
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    if ((*it)->type == "compaction") return detail::compaction_of(**it);
  return std::nullopt;
}

session_totals session::totals() const {
  session_totals t;
  for (const auto& e : impl_->entries) {
    if (!e.msg) continue;
    const auto* a = std::get_if<assistant_message>(&*e.msg);
    if (a == nullptr) continue;
    t.input += a->usage.input;
    t.output += a->usage.output;
    t.cache_read += a->usage.cache_read;
    t.cache_write += a->usage.cache_write;
    t.total_tokens += a->usage.total_tokens;
    t.cost += a->usage.cost.total;
    ++t.assistant_messages;
  }
  return t;
}

std::optional<std::string> session::model() const {
  auto path = branch();
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    if ((*it)->type != "model_change") continue;
    const json& r = (*it)->raw;
    std::string provider = r.string_or("provider"), model = r.string_or("modelId");
    return provider.empty() ? model : provider + "/" + model;
  }
  return std::nullopt;
}

std::optional<std::string> session::thinking_level() const {
  auto path = branch();
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    if ((*it)->type == "thinking_level_change") return (*it)->raw.string_or("thinkingLevel");
  return std::nullopt;
}

}  // namespace durar
