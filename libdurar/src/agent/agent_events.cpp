// Agent events as names and JSON, with the original's field names (pi-agent-core's
// AgentEvent: toolCallId, toolName, args, partialResult, result, isError, toolResults,
// assistantMessageEvent) so its clients read Durar's stream unchanged.
#include <durar/agent.hpp>

namespace durar {

std::string_view to_string(agent_event_kind k) noexcept {
  switch (k) {
    case agent_event_kind::agent_start:
      return "agent_start";
    case agent_event_kind::turn_start:
      return "turn_start";
    case agent_event_kind::message_start:
      return "message_start";
    case agent_event_kind::message_update:
      return "message_update";
    case agent_event_kind::message_end:
      return "message_end";
    case agent_event_kind::tool_execution_start:
      return "tool_execution_start";
    case agent_event_kind::tool_execution_update:
      return "tool_execution_update";
    case agent_event_kind::tool_execution_end:
      return "tool_execution_end";
    case agent_event_kind::turn_end:
      return "turn_end";
    case agent_event_kind::agent_end:
      return "agent_end";
    case agent_event_kind::compaction_start:
      return "compaction_start";
    case agent_event_kind::compaction_end:
      return "compaction_end";
  }
  return "unknown";
}

std::string_view to_string(run_stop s) noexcept {
  switch (s) {
    case run_stop::done:
      return "done";
    case run_stop::aborted:
      return "aborted";
    case run_stop::error:
      return "error";
    case run_stop::max_turns:
      return "max_turns";
    case run_stop::loop_detected:
      return "loop_detected";
    case run_stop::timeout:
      return "timeout";
    case run_stop::client_tools:
      return "client_tools";
  }
  return "unknown";
}

namespace {

json tool_result_json(const tool_result& r) {
  json_array content;
  content.reserve(r.content.size());
  for (const auto& b : r.content) content.push_back(to_json(b));
  return json::object({{"content", json(std::move(content))},
                       {"details", r.details.is_null() ? json::object() : r.details}});
}

json error_json(const durar::error& e) {
  json out = json::object({{"code", to_string(e.code)}, {"message", e.message}});
  if (e.http_status != 0) out.set("status", e.http_status);
  if (!e.provider_message.empty()) out.set("providerMessage", e.provider_message);
  return out;
}

}  // namespace

json to_json(const agent_event& e) {
  json out = json::object({{"type", to_string(e.kind)}});
  if (e.turn > 0) out.set("turn", e.turn);
  switch (e.kind) {
    case agent_event_kind::agent_start:
      break;
    case agent_event_kind::turn_start:
      break;
    case agent_event_kind::message_start:
    case agent_event_kind::message_end:
      if (e.msg != nullptr) out.set("message", to_json(*e.msg));
      break;
    case agent_event_kind::message_update:
      // The update alone, not the message so far: a turn of N deltas would otherwise write
      // O(N²) bytes. The message is whole on message_end, and the stream's *_end and done
      // events carry the finished blocks.
      if (e.stream != nullptr) out.set("assistantMessageEvent", to_json(*e.stream));
      break;
    case agent_event_kind::tool_execution_start:
    case agent_event_kind::tool_execution_update:
    case agent_event_kind::tool_execution_end:
      if (e.tool_call != nullptr) {
        out.set("toolCallId", e.tool_call->id);
        out.set("toolName", e.tool_call->name);
        if (e.kind != agent_event_kind::tool_execution_end) out.set("args", e.tool_call->arguments);
      }
      if (e.tool_output != nullptr) {
        if (e.kind == agent_event_kind::tool_execution_update) {
          out.set("partialResult", tool_result_json(*e.tool_output));
        } else if (e.kind == agent_event_kind::tool_execution_end) {
          out.set("result", tool_result_json(*e.tool_output));
          out.set("isError", e.tool_output->is_error);
        }
      }
      break;
    case agent_event_kind::turn_end: {
      if (e.msg != nullptr) out.set("message", to_json(*e.msg));
      json_array results;
      if (e.tool_results != nullptr)
        for (const auto& r : *e.tool_results) results.push_back(to_json(message(r)));
      out.set("toolResults", json(std::move(results)));
      break;
    }
    case agent_event_kind::agent_end:
      if (e.outcome != nullptr) {
        const run_result& r = *e.outcome;
        json_array messages;
        messages.reserve(r.messages.size());
        for (const auto& m : r.messages) messages.push_back(to_json(m));
        out.set("messages", json(std::move(messages)));
        out.set("stop", to_string(r.stop));
        out.set("turns", r.turns);
        out.set("usage", to_json(r.total));
        if (!r.reason.empty()) out.set("reason", r.reason);
        if (r.stop == run_stop::error || r.stop == run_stop::timeout)
          out.set("error", error_json(r.failure));
      }
      break;
    case agent_event_kind::compaction_start:
      out.set("reason", e.compaction_reason);
      break;
    case agent_event_kind::compaction_end:
      out.set("reason", e.compaction_reason);
      if (e.compaction != nullptr) {
        out.set("result", json::object({{"summary", e.compaction->summary},
                                        {"firstKeptEntryId", e.compaction->first_kept_entry_id},
                                        {"tokensBefore", e.compaction->tokens_before},
                                        {"details", e.compaction->details}}));
      }
      out.set("aborted", e.failure != nullptr && e.failure->code == errc::cancelled);
      out.set("willRetry", e.compaction != nullptr && e.compaction_reason == "overflow");
      if (e.failure != nullptr && e.failure->code != errc::cancelled)
        out.set("errorMessage", e.failure->message);
      break;
  }
  return out;
}

}  // namespace durar
