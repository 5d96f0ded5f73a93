// Compaction planning: token estimates, the settings (reserve with its floor), when to
// compact, and where to cut so the newest history stays verbatim and no tool call is
// separated from its result. The summary itself is the agent's job.
#include "session/session_internal.hpp"

#include <algorithm>
#include <unordered_set>

namespace durar {

namespace {

constexpr std::int64_t image_chars = 4800;  // an image counts as 1,200 tokens
constexpr std::int64_t default_reserve_tokens = 16384;
constexpr std::int64_t default_keep_recent_tokens = 20000;
constexpr std::int64_t min_prompt_budget_tokens = 8000;

// Length in UTF-16 code units, what the original's estimate counts.
std::int64_t utf16_length(std::string_view s) {
  std::int64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // a lead or ASCII byte starts a character
    if (c >= 0xF0) ++n;           // outside the BMP: a surrogate pair
  }
  return n;
}

std::int64_t block_chars(const content_block& b) {
  if (const auto* t = std::get_if<text_block>(&b)) return utf16_length(t->text);
  if (const auto* k = std::get_if<thinking_block>(&b)) return utf16_length(k->thinking);
  if (std::holds_alternative<image_block>(b)) return image_chars;
  const auto& c = std::get<tool_call_block>(b);
  return utf16_length(c.name) + utf16_length(c.arguments.dump());
}

bool is_tool_result(const session_entry& e) {
  return e.msg && std::holds_alternative<tool_result_message>(*e.msg);
}

// Where a turn may start being kept: any message but a tool result.
bool is_cut_point(const session_entry& e) {
  if (e.type == "custom_message" || e.type == "branch_summary") return true;
  return e.type == "message" && e.msg && !is_tool_result(e);
}

// The original's context estimate: the last real usage, plus estimates of what followed.
std::int64_t estimate_context_tokens(const std::vector<message>& ms) {
  for (std::size_t i = ms.size(); i-- > 0;) {
    const auto* a = std::get_if<assistant_message>(&ms[i]);
    if (a == nullptr || a->stop == stop_reason::error || a->stop == stop_reason::aborted) continue;
    const usage& u = a->usage;
    std::int64_t used =
        u.total_tokens > 0 ? u.total_tokens : u.input + u.output + u.cache_read + u.cache_write;
    if (used == 0) continue;
    for (std::size_t j = i + 1; j < ms.size(); ++j) used += estimate_tokens(ms[j]);
    return used;
  }
  return estimate_tokens(ms);
}

}  // namespace

std::int64_t estimate_tokens(const message& m) {
  std::int64_t chars = 0;
  std::visit(
      [&](const auto& v) {
        for (const auto& b : v.content) chars += block_chars(b);
      },
      m);
  return (chars + 3) / 4;
}

std::int64_t estimate_tokens(const std::vector<message>& ms) {
  std::int64_t total = 0;
  for (const auto& m : ms) total += estimate_tokens(m);
  return total;
}

compaction_settings compaction_settings_for(const config& cfg, std::int64_t context_window) {
  const compaction_config& c = cfg.agents.compaction;
  compaction_settings s;
  if (context_window > 0) s.context_window = context_window;
  if (cfg.agents.context_tokens && *cfg.agents.context_tokens > 0)
    s.context_window = std::min(s.context_window, *cfg.agents.context_tokens);
  std::int64_t reserve =
      c.reserve_tokens && *c.reserve_tokens >= 0 ? *c.reserve_tokens : default_reserve_tokens;
  std::int64_t floor = std::max<std::int64_t>(c.reserve_tokens_floor, 0);
  // A small window keeps room for the prompt: the floor never takes more than the window
  // minus min(8,000, half the window).
  std::int64_t min_prompt =
      std::min(min_prompt_budget_tokens, std::max<std::int64_t>(1, s.context_window / 2));
  floor = std::min(floor, std::max<std::int64_t>(0, s.context_window - min_prompt));
  s.reserve_tokens = std::max(reserve, floor);
  s.keep_recent_tokens =
      c.keep_recent_tokens > 0 ? c.keep_recent_tokens : default_keep_recent_tokens;
  return s;
}

bool should_compact(std::int64_t context_tokens, const compaction_settings& s) {
  return context_tokens > s.context_window - s.reserve_tokens;
}

std::optional<compaction_plan> plan_compaction(const session& s,
                                               const compaction_settings& settings) {
  auto path = s.branch();
  if (path.empty() || path.back()->type == "compaction") return std::nullopt;

  // History already summarised ends where the previous compaction kept from.
  std::size_t start = 0;
  const session_entry* previous = nullptr;
  for (std::size_t i = path.size(); i-- > 0;) {
    if (path[i]->type != "compaction") continue;
    previous = path[i];
    std::string kept = previous->raw.string_or("firstKeptEntryId");
    start = i + 1;
    for (std::size_t k = 0; k < i; ++k) {
      if (path[k]->id == kept) {
        start = k;
        break;
      }
    }
    break;
  }
  const std::size_t end = path.size();

  std::vector<std::size_t> cut_points;
  for (std::size_t i = start; i < end; ++i)
    if (is_cut_point(*path[i])) cut_points.push_back(i);
  if (cut_points.empty()) return std::nullopt;

  // Walk back from the newest message until keep_recent_tokens are kept.
  std::size_t cut = cut_points.front();
  std::int64_t kept_tokens = 0;
  for (std::size_t i = end; i-- > start;) {
    if (path[i]->type != "message") continue;
    if (path[i]->msg) kept_tokens += estimate_tokens(*path[i]->msg);
    if (kept_tokens >= settings.keep_recent_tokens) {
      auto it = std::lower_bound(cut_points.begin(), cut_points.end(), i);
      if (it != cut_points.end()) cut = *it;
      break;
    }
  }

  // A kept tool result whose call would be summarised pulls the cut back to that call.
  for (bool moved = true; moved;) {
    moved = false;
    std::unordered_set<std::string_view> kept_results;
    for (std::size_t i = cut; i < end; ++i) {
      if (is_tool_result(*path[i]))
        kept_results.insert(std::get<tool_result_message>(*path[i]->msg).tool_call_id);
    }
    for (std::size_t i = start; i < cut && !moved; ++i) {
      const auto* a = path[i]->msg ? std::get_if<assistant_message>(&*path[i]->msg) : nullptr;
      if (a == nullptr) continue;
      for (const auto* call : tool_calls_of(*a)) {
        if (kept_results.count(call->id) != 0) {
          cut = i;
          moved = true;
          break;
        }
      }
    }
  }
  // Settings entries just before the cut (model, thinking level) stay with what follows.
  while (cut > start && path[cut - 1]->type != "message" && path[cut - 1]->type != "compaction")
    --cut;

  compaction_plan plan;
  if (previous != nullptr) {
    plan.to_summarize.emplace_back(detail::compaction_summary_message(
        previous->raw.string_or("summary"), detail::parse_iso_ms(previous->timestamp).value_or(0)));
  }
  bool any = false;
  for (std::size_t i = start; i < cut; ++i) {
    if (path[i]->type == "compaction") continue;
    if (auto m = detail::context_message_of(*path[i])) {
      plan.to_summarize.push_back(std::move(*m));
      any = true;
    }
  }
  if (!any) return std::nullopt;
  plan.first_kept_entry_id = path[cut]->id;
  plan.tokens_before = estimate_context_tokens(s.context());
  return plan;
}

}  // namespace durar
