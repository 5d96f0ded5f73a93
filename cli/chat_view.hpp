// What `durar chat` prints besides the answers. The in-process and the gateway paths both
// hand it the control protocol's JSON shapes, so /history, /sessions and /usage look the
// same whichever way the chat runs.
#pragma once

#include <durar/json.hpp>
#include <durar/session.hpp>

#include "context.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace durar::cli {

// What a chat line led to.
enum class chat_step {
  next,          // read the next line
  quit,          // /quit, /exit
  gateway_gone,  // the gateway was gone before the line went out: run the line in-process
  gateway_lost,  // the gateway went away during the line: in-process from the next line on
};

inline constexpr std::string_view chat_help =
    "Commands: /new or /reset (start afresh), /model [REF], /think [LEVEL], "
    "/compact [instructions], /history [N], /sessions, /usage, /help, /quit\n";

// "/model gpt" -> {"/model", "gpt"}.
std::pair<std::string, std::string> split_command(const std::string& line);

// "/history 5": how many messages to show (default 20); nullopt for a bad count.
std::optional<int> history_count(const std::string& rest);

// Transcript messages (chat.history's `messages`) as "you:" and "assistant:" lines, tool
// calls as "-> name detail"; tool results are left out.
void print_history(const context& ctx, const json& messages);

// A session index entry in the shape sessions.list answers.
json session_row(const session_info& s);
// sessions.list's rows as a table, most recent first, `current` marked with '*'.
void print_sessions(const json& rows, const std::string& current);

// The totals of the assistant messages among transcript messages.
session_totals totals_of(const json& messages);
void print_usage(const std::string& session_id, const session_totals& t);

}  // namespace durar::cli
