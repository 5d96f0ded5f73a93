// How agent runs look on a terminal and to scripts: the answer streamed to stdout, tool
// calls as short lines on stderr, JSON lines with --json. Shared by `agent` and `chat`.
#pragma once

#include <durar/agent.hpp>
#include <durar/runtime.hpp>

#include "context.hpp"

#include <string>

namespace durar::cli {

struct agent_printer {
  const context& ctx;
  bool json = false;             // every event as one JSON line on stdout
  bool show_thinking = false;    // reasoning, dimmed, on stderr
  bool tools_on_stdout = false;  // chat: tool lines inline with the answer

  bool answer_open = false;  // stdout holds text without a final newline
  bool thinking_open = false;
  bool first_output_seen = false;

  void operator()(const agent_event& e);
  // Closes open lines after a run.
  void finish();
};

// "exec ls -la", "read src/main.cpp", or the tool name and compact JSON arguments.
std::string describe_tool_call(const tool_call_block& call, std::size_t max_width = 100);

// Exit code for how a run ended, after printing its reason when it is not a plain done.
int report_run(const context& ctx, const result<run_result>& r);

}  // namespace durar::cli
