// The agent's conversation store: the session when the agent has one, else memory with the
// same compaction semantics (summary first, then the kept messages; a tool call and its
// result are never separated).
#include "agent/agent_internal.hpp"
#include "session/session_internal.hpp"

#include <algorithm>

namespace durar::detail {

result<void> transcript::append(const message& m) {
  if (s_ != nullptr) {
    auto id = s_->append(m);
    if (!id) return fail(id.error());
    return {};
  }
  mem_.push_back({"m" + std::to_string(next_id_++), m});
  return {};
}

std::vector<message> transcript::context() const {
  if (s_ != nullptr) return s_->context();
  std::vector<message> out;
  std::size_t from = 0;
  if (mem_compaction_) {
    out.emplace_back(compaction_summary_message(mem_compaction_->summary, now_ms()));
    for (from = 0; from < mem_.size(); ++from)
      if (mem_[from].id == mem_compaction_->first_kept_entry_id) break;
  }
  out.reserve(out.size() + mem_.size() - from);
  for (std::size_t i = from; i < mem_.size(); ++i) out.push_back(mem_[i].msg);
  return out;
}

namespace {

// The calls of `last` (the newest message that is not a tool result) that none of
// `results` (the tool results after it) answers. A failed or aborted reply's calls never
// ran and are never sent again: none of them is open.
std::vector<tool_call_block> unanswered(const message* last,
                                        const std::vector<const tool_result_message*>& results) {
  std::vector<tool_call_block> out;
  const auto* a = last != nullptr ? std::get_if<assistant_message>(last) : nullptr;
  if (a == nullptr || a->stop == stop_reason::error || a->stop == stop_reason::aborted) return out;
  for (const auto* c : tool_calls_of(*a)) {
    if (std::none_of(results.begin(), results.end(),
                     [&](const tool_result_message* r) { return r->tool_call_id == c->id; }))
      out.push_back(*c);
  }
  return out;
}

}  // namespace

std::vector<tool_call_block> transcript::open_calls() const {
  std::vector<const tool_result_message*> results;
  const message* last = nullptr;
  // Newest first: tool results until the message they follow. False once that is found.
  auto take = [&](const message& m) {
    if (const auto* r = std::get_if<tool_result_message>(&m)) {
      results.push_back(r);
      return true;
    }
    last = &m;
    return false;
  };
  if (s_ != nullptr) {
    // Only the tail of the active branch matters (every run asks): entries follow their
    // parent in the file unless the session was branched, and only then is the whole branch
    // looked up.
    const auto& entries = s_->entries();
    auto step = [&](const session_entry& e) {
      if (e.msg) return take(*e.msg);
      return e.type != "compaction";  // the calls before a summary are history
    };
    bool linear = true;
    const session_entry* child = nullptr;
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      if (child != nullptr && child->parent_id != it->id) {
        linear = false;
        break;
      }
      if (!step(*it)) break;
      child = &*it;
    }
    if (!linear) {
      results.clear();
      last = nullptr;
      const auto path = s_->branch();
      for (auto it = path.rbegin(); it != path.rend() && step(**it); ++it) {
      }
    }
  } else {
    for (auto it = mem_.rbegin(); it != mem_.rend() && take(it->msg); ++it) {
    }
  }
  return unanswered(last, results);
}

std::optional<compaction_plan> transcript::plan(const compaction_settings& settings) const {
  if (s_ != nullptr) return plan_compaction(*s_, settings);
  std::size_t from = 0;
  if (mem_compaction_)
    while (from < mem_.size() && mem_[from].id != mem_compaction_->first_kept_entry_id) ++from;
  // Walk back from the newest until keep_recent_tokens are kept; cut at the first message
  // at or after that point that may start the kept history (never a tool result).
  std::int64_t kept = 0;
  std::optional<std::size_t> cut;
  for (std::size_t i = mem_.size(); i > from; --i) {
    kept += estimate_tokens(mem_[i - 1].msg);
    if (kept >= settings.keep_recent_tokens) {
      for (std::size_t j = i - 1; j < mem_.size(); ++j) {
        if (!std::holds_alternative<tool_result_message>(mem_[j].msg)) {
          cut = j;
          break;
        }
      }
      break;
    }
  }
  if (!cut || *cut <= from) return std::nullopt;
  compaction_plan p;
  if (mem_compaction_)
    p.to_summarize.emplace_back(compaction_summary_message(mem_compaction_->summary, now_ms()));
  for (std::size_t i = from; i < *cut; ++i) p.to_summarize.push_back(mem_[i].msg);
  p.first_kept_entry_id = mem_[*cut].id;
  p.tokens_before = estimate_tokens(context());
  return p;
}

result<void> transcript::append_compaction(const compaction_record& c) {
  if (s_ != nullptr) {
    auto id = s_->append_compaction(c);
    if (!id) return fail(id.error());
    return {};
  }
  mem_compaction_ = c;
  return {};
}

std::optional<compaction_record> transcript::last_compaction() const {
  if (s_ != nullptr) return s_->last_compaction();
  return mem_compaction_;
}

result<void> transcript::model_change(std::string_view provider, std::string_view model) {
  if (s_ == nullptr) return {};
  auto id = s_->append_model_change(provider, model);
  if (!id) return fail(id.error());
  return {};
}

result<void> transcript::thinking_change(std::string_view level) {
  if (s_ == nullptr) return {};
  auto id = s_->append_thinking_level(level);
  if (!id) return fail(id.error());
  return {};
}

std::string transcript::session_key() const { return s_ != nullptr ? s_->key() : std::string(); }
std::string transcript::session_id() const { return s_ != nullptr ? s_->id() : std::string(); }

}  // namespace durar::detail
