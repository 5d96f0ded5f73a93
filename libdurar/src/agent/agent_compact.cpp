// Compaction: older history is summarised by the model itself, through the router, and the
// summary replaces it in the context (session.hpp plans the cut and stores the record).
// The conversation is sent as text, not as turns, so the model describes it instead of
// continuing it.
#include <fmt/format.h>

#include "agent/agent_internal.hpp"

#include <algorithm>
#include <set>

namespace durar::detail {

const std::string_view summarization_system_prompt =
    "You write checkpoint summaries of conversations between a user and an AI assistant. "
    "Another model will pick the work up from your summary alone, without the conversation.\n\n"
    "Reply with the summary and nothing else: do not answer questions from the conversation "
    "and do not continue it.";

namespace {

constexpr std::string_view summary_instructions =
    "Write a checkpoint of the conversation above that another model can resume from. If it "
    "opens with an earlier summary, carry forward everything in it that still matters and "
    "bring it up to date.\n\n"
    "Use these sections, in this order:\n\n"
    "## Goal\nWhat the user wants done (several goals if the conversation moved on).\n\n"
    "## Constraints and preferences\nRequirements and preferences the user stated.\n\n"
    "## Progress\n### Done\n### In progress\n### Blocked\n\n"
    "## Decisions\nChoices made and, briefly, why.\n\n"
    "## Next steps\nA numbered list of what should happen next.\n\n"
    "## Important details\nData, names and references the work cannot continue without.\n\n"
    "Keep every section short; write \"(none)\" where there is nothing to say. Quote file "
    "paths, function names, commands and error messages exactly.";

// Tool output is the bulk of most histories and the least needed in a summary.
constexpr std::size_t tool_result_cap = 2000;

std::string capped(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::size_t dropped = text.size() - cut;
  text.resize(cut);
  return text + fmt::format("\n[... {} more bytes not shown]", dropped);
}

std::string text_blocks(const std::vector<content_block>& blocks) {
  std::string out;
  for (const auto& b : blocks)
    if (const auto* t = std::get_if<text_block>(&b)) out += t->text;
  return out;
}

std::string serialize(const std::vector<message>& messages) {
  std::vector<std::string> parts;
  for (const auto& m : messages) {
    if (const auto* u = std::get_if<user_message>(&m)) {
      std::string text = text_blocks(u->content);
      if (!text.empty()) parts.push_back("[User]: " + text);
    } else if (const auto* a = std::get_if<assistant_message>(&m)) {
      std::string thinking, text, calls;
      for (const auto& b : a->content) {
        if (const auto* th = std::get_if<thinking_block>(&b)) {
          if (!th->redacted && !th->thinking.empty())
            thinking += (thinking.empty() ? "" : "\n") + th->thinking;
        } else if (const auto* t = std::get_if<text_block>(&b)) {
          if (!t->text.empty()) text += (text.empty() ? "" : "\n") + t->text;
        } else if (const auto* c = std::get_if<tool_call_block>(&b)) {
          calls += (calls.empty() ? "" : "; ") + c->name + " " + c->arguments.dump();
        }
      }
      if (!thinking.empty()) parts.push_back("[Assistant thinking]: " + thinking);
      if (!text.empty()) parts.push_back("[Assistant]: " + text);
      if (!calls.empty()) parts.push_back("[Assistant tool calls]: " + calls);
    } else if (const auto* r = std::get_if<tool_result_message>(&m)) {
      std::string text = text_blocks(r->content);
      if (!text.empty())
        parts.push_back(std::string(r->is_error ? "[Tool error]: " : "[Tool result]: ") +
                        capped(std::move(text), tool_result_cap));
    }
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "\n\n") + p;
  return out;
}

// Files the summarised turns read or changed, so the next model knows where to look; the
// previous compaction's lists carry over.
struct file_ops {
  std::set<std::string> read, modified;
};

void collect_file_ops(const std::vector<message>& messages, file_ops& ops) {
  for (const auto& m : messages) {
    const auto* a = std::get_if<assistant_message>(&m);
    if (a == nullptr) continue;
    for (const auto* c : tool_calls_of(*a)) {
      const json* path = c->arguments.find("path");
      if (path == nullptr || !path->is_string()) continue;
      if (c->name == "read")
        ops.read.insert(path->as_string());
      else if (c->name == "write" || c->name == "edit")
        ops.modified.insert(path->as_string());
    }
  }
}

void merge_details(const json& details, file_ops& ops) {
  for (const auto& [key, into] :
       {std::pair{"readFiles", &ops.read}, std::pair{"modifiedFiles", &ops.modified}}) {
    const json* list = details.find(key);
    if (list == nullptr || !list->is_array()) continue;
    for (const auto& f : list->as_array())
      if (f.is_string()) into->insert(f.as_string());
  }
}

}  // namespace

std::string summarization_prompt(const std::vector<message>& to_summarize,
                                 std::string_view instructions) {
  std::string out = "<conversation>\n" + serialize(to_summarize) + "\n</conversation>\n\n";
  out += summary_instructions;
  if (!instructions.empty()) out += "\n\nAlso pay attention to: " + std::string(instructions);
  return out;
}

void run_compaction(const std::shared_ptr<agent_state>& owner, std::string_view why,
                    std::string instructions, const assistant_message* last,
                    asio::cancellation_slot cancel,
                    std::function<void(result<compaction_record>)> done) {
  std::string reason(why);
  agent_event start;
  start.kind = agent_event_kind::compaction_start;
  start.compaction_reason = reason;
  owner->emit(start);

  auto end = [owner, reason](const compaction_record* record, const durar::error* failure) {
    agent_event e;
    e.kind = agent_event_kind::compaction_end;
    e.compaction_reason = reason;
    e.compaction = record;
    e.failure = failure;
    owner->emit(e);
  };

  const compaction_settings settings = owner->compaction_for(last);
  auto plan = owner->log.plan(settings);
  if (!plan) {
    end(nullptr, nullptr);
    return done(compaction_record{});  // nothing old enough to summarise
  }

  file_ops ops;
  if (auto previous = owner->log.last_compaction()) merge_details(previous->details, ops);
  collect_file_ops(plan->to_summarize, ops);

  completion_request req;
  req.model = owner->opts.model;
  req.fallbacks = owner->opts.fallbacks;
  req.conv.system_prompt = std::string(summarization_system_prompt);
  req.conv.messages.push_back(user_text(summarization_prompt(plan->to_summarize, instructions)));
  req.options = owner->opts.request;
  req.options.thinking = owner->opts.thinking;
  // The summary must fit the room compaction keeps free.
  std::int64_t budget = std::max<std::int64_t>(1024, settings.reserve_tokens * 8 / 10);
  if (last != nullptr)
    if (const model_info* m = owner->router.models().model({last->provider, last->model}))
      budget = std::min(budget, m->max_tokens);
  req.options.max_tokens = budget;

  auto shared_plan = std::make_shared<compaction_plan>(std::move(*plan));
  auto shared_ops = std::make_shared<file_ops>(std::move(ops));
  owner->router.async_complete(
      std::move(req), {},
      [owner, end, shared_plan, shared_ops, done = std::move(done)](result<assistant_message> r) {
        if (owner->destroyed) return done(fail(errc::cancelled, "the agent was destroyed"));
        if (!r) {
          durar::error e = r.error();
          if (e.code != errc::cancelled) e.message = "compaction failed: " + e.message;
          end(nullptr, &e);
          return done(fail(std::move(e)));
        }
        compaction_record record;
        record.summary = text_of(*r);
        if (record.summary.empty()) {
          durar::error e(errc::protocol_error, "compaction failed: the model returned no summary");
          end(nullptr, &e);
          return done(fail(std::move(e)));
        }
        json_array read, modified;
        for (const auto& f : shared_ops->read)
          if (shared_ops->modified.count(f) == 0) read.emplace_back(f);
        for (const auto& f : shared_ops->modified) modified.emplace_back(f);
        auto list = [](const json_array& files) {
          std::string s;
          for (const auto& f : files) s += "\n" + f.as_string();
          return s;
        };
        if (!read.empty()) record.summary += "\n\n<read-files>" + list(read) + "\n</read-files>";
        if (!modified.empty())
          record.summary += "\n\n<modified-files>" + list(modified) + "\n</modified-files>";
        record.first_kept_entry_id = shared_plan->first_kept_entry_id;
        record.tokens_before = shared_plan->tokens_before;
        record.details = json::object(
            {{"readFiles", json(std::move(read))}, {"modifiedFiles", json(std::move(modified))}});
        if (auto saved = owner->log.append_compaction(record); !saved) {
          durar::error e = saved.error();
          e.message = "compaction failed: " + e.message;
          end(nullptr, &e);
          return done(fail(std::move(e)));
        }
        end(&record, nullptr);
        done(std::move(record));
      },
      cancel);
}

}  // namespace durar::detail
