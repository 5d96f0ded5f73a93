#include "agent_output.hpp"

#include <durar/session.hpp>

#include <fmt/format.h>

#include "output.hpp"

namespace durar::cli {

namespace {

std::string one_line(std::string s, std::size_t max_width) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max_width) {
    s.resize(max_width);
    // Never leave half a UTF-8 character at the cut.
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80) != 0) s.pop_back();
    s += "...";
  }
  return s;
}

std::string string_arg(const json& args, std::string_view key) {
  const json& v = args[key];
  return v.is_string() ? v.as_string() : std::string();
}

}  // namespace

std::string describe_tool_call(const tool_call_block& call, std::size_t max_width) {
  std::string detail;
  for (std::string_view key : {"command", "path", "url", "action", "sessionKey"}) {
    detail = string_arg(call.arguments, key);
    if (!detail.empty()) break;
  }
  if (detail.empty()) detail = call.arguments.dump();
  return one_line(call.name + " " + detail, max_width);
}

void agent_printer::operator()(const agent_event& e) {
  if (json) {
    print(stdout, to_json(e).dump() + "\n");
    std::fflush(stdout);
    return;
  }
  switch (e.kind) {
    case agent_event_kind::message_update: {
      if (e.stream == nullptr) break;
      const stream_event& s = *e.stream;
      if (s.kind == event_kind::text_delta) {
        if (thinking_open) {
          print(stderr, "\n");
          thinking_open = false;
        }
        first_output_seen = true;
        answer_open = !s.delta.empty() && s.delta.back() != '\n';
        print(stdout, s.delta);
        std::fflush(stdout);
      } else if (s.kind == event_kind::thinking_delta && show_thinking) {
        first_output_seen = true;
        thinking_open = true;
        print(stderr, ctx.styles.dim(std::string(s.delta)));
      }
      break;
    }
    case agent_event_kind::tool_execution_start: {
      if (e.tool_call == nullptr) break;
      first_output_seen = true;
      std::FILE* to = tools_on_stdout ? stdout : stderr;
      if (answer_open) {
        print(stdout, "\n");
        answer_open = false;
      }
      print(to, ctx.styles.dim("  -> " + describe_tool_call(*e.tool_call)) + "\n");
      std::fflush(to);
      break;
    }
    case agent_event_kind::tool_execution_end: {
      if (e.tool_output == nullptr || !e.tool_output->is_error || e.tool_call == nullptr) break;
      std::string text;
      for (const auto& b : e.tool_output->content)
        if (auto* t = std::get_if<text_block>(&b)) text += t->text;
      std::FILE* to = tools_on_stdout ? stdout : stderr;
      print(to, ctx.styles.yellow("     " + e.tool_call->name + " failed: " + one_line(text, 100)) +
                    "\n");
      break;
    }
    case agent_event_kind::turn_end:
      if (answer_open) {
        print(stdout, "\n");
        answer_open = false;
      }
      break;
    case agent_event_kind::compaction_start:
      print(stderr, ctx.styles.dim("  (compacting the conversation...)") + "\n");
      break;
    default:
      break;
  }
}

void agent_printer::finish() {
  if (thinking_open) print(stderr, "\n");
  if (answer_open) print(stdout, "\n");
  thinking_open = answer_open = false;
  std::fflush(stdout);
}

int report_run(const context& ctx, const result<run_result>& r) {
  if (!r) return fail_with(ctx, exit_failure, r.error().detail());
  switch (r->stop) {
    case run_stop::done:
    case run_stop::client_tools:  // the CLI offers no client tools
      return exit_ok;
    case run_stop::aborted:
      print(stderr, ctx.styles.yellow("aborted") + "\n");
      return 130;
    case run_stop::error:
    case run_stop::timeout:
      return fail_with(ctx, exit_failure,
                       r->failure.message.empty() ? r->reason : r->failure.detail());
    case run_stop::max_turns:
    case run_stop::loop_detected:
      return fail_with(ctx, exit_failure, r->reason);
  }
  return exit_failure;
}

}  // namespace durar::cli
