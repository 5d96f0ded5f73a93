// What the sessions_* tools share: finding a session from what the model wrote, its kind,
// and a bounded, sanitised view of its messages.
#pragma once

#include <durar/session.hpp>
#include <durar/tool.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

// "main", "group", "cron", "hook", "node" or "other", the original's session kinds.
std::string session_kind(std::string_view key, std::string_view agent_id);

// A full key, the part after "agent:<id>:", "main", or a session id.
result<std::optional<session_info>> resolve_session(const session_store& store,
                                                    std::string_view ref);

struct history_view {
  json_array messages;  // oldest first
  bool content_truncated = false;
  bool content_redacted = false;
};
// The messages on the session's active branch in transcript form, without tool results
// unless asked, the last `limit` of them (0: all); long text cut, signatures, image data,
// usage and details dropped, credential-like tokens masked.
history_view session_history(const session& s, bool include_tools, std::size_t limit);

// Credential-like tokens (sk-..., ghp_..., Bearer ...) replaced by "***".
std::string redact_tokens(std::string_view text);

// The original's JSON results: the payload pretty-printed for the model, as is for hosts.
tool_result json_result(json payload, bool is_error = false);

}  // namespace durar::detail
