// durar agent: one agent turn in a session, streamed to stdout.
#include <durar/runtime.hpp>

#include <asio/signal_set.hpp>

#include "agent_output.hpp"
#include "approval.hpp"
#include "context.hpp"
#include "output.hpp"

#include <iostream>
#include <iterator>

namespace durar::cli {

namespace {

int agent_turn(context& ctx, const parsed_args& args) {
  std::string message = args.value("message").value_or("");
  if (message.empty() && !args.positional.empty()) message = args.positional[0];
  if (message == "-")
    message.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  if (message.empty()) return fail_with(ctx, exit_usage, "nothing to send: use -m \"message\"");

  turn_request req;
  req.message = std::move(message);
  req.agent_id = args.value("agent").value_or("");
  req.session_key = args.value("session").value_or("");  // the runtime resolves it
  req.model = args.value("model").value_or("");
  if (auto t = args.value("thinking")) {
    req.thinking = parse_thinking_level(*t);
    if (!req.thinking)
      return fail_with(
          ctx, exit_usage,
          "--thinking must be off, minimal, low, medium, high or xhigh, not '" + *t + "'");
  }

  asio::io_context io;
  auto rt = runtime::create(io, ctx.load(), terminal_runtime_options());
  if (!rt) return fail_with(ctx, exit_failure, rt.error().message);

  // Ctrl-C aborts the turn; what was said so far stays in the session, marked aborted.
  asio::cancellation_signal cancel;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&cancel](std::error_code ec, int) {
    if (!ec) cancel.emit(asio::cancellation_type::terminal);
  });

  agent_printer printer{ctx};
  printer.json = ctx.globals.json;
  printer.show_thinking = args.has("show-thinking");
  std::optional<result<run_result>> outcome;
  (*rt)->async_turn(
      std::move(req), [&printer](const agent_event& e) { printer(e); },
      [&](result<run_result> r) {
        outcome = std::move(r);
        signals.cancel();
      },
      cancel.slot());
  io.run();
  printer.finish();
  if (!outcome) return fail_with(ctx, exit_failure, "the turn did not finish");
  return report_run(ctx, *outcome);
}

}  // namespace

std::vector<command_spec> agent_commands() {
  return {{"agent",
           "[-m MESSAGE]",
           "Run one agent turn in a session and stream the answer ('-' reads the message from "
           "stdin); --json prints the events as JSON lines",
           {{"message", "TEXT", "what to say", 'm'},
            {"agent", "ID", "which agent (default: the default agent)"},
            {"session", "KEY", "session key, e.g. agent:main:work or just 'work'"},
            {"model", "REF", "model for this turn (provider/model or alias)"},
            {"thinking", "LEVEL", "off, minimal, low, medium, high, xhigh"},
            {"show-thinking", "", "print the model's reasoning to stderr"}},
           0,
           1,
           agent_turn}};
}

}  // namespace durar::cli
