// durar agent: one agent turn in a session, streamed to stdout.
#include <durar/runtime.hpp>
#include <durar/session.hpp>

#include <asio/signal_set.hpp>
#include <fmt/format.h>

#include "agent_output.hpp"
#include "approval.hpp"
#include "chat_remote_watch.hpp"
#include "context.hpp"
#include "gateway_remote.hpp"
#include "output.hpp"

#include <ctime>
#include <iostream>
#include <iterator>
#include <optional>
#include <unistd.h>

namespace durar::cli {

namespace {

// The full session key the gateway runs `req` in, as its runtime resolves it (its default
// agent and main key come in the hello): chat.abort wants it.
std::string gateway_session_key(const json& hello, const turn_request& req) {
  if (req.session_key.find(':') != std::string::npos) return req.session_key;
  const json& defaults = hello["snapshot"]["sessionDefaults"];
  std::string id = req.agent_id.empty() ? defaults.string_or("defaultAgentId", "main")
                                        : normalize_agent_id(req.agent_id);
  if (req.session_key.empty()) return main_session_key(id, defaults.string_or("mainKey", "main"));
  return "agent:" + id + ":" + req.session_key;
}

// The turn through the gateway's `agent` method, printing its events as they come. Ctrl-C
// (or SIGTERM) asks the gateway to abort the run, as in-process it aborts the turn: what
// came is printed, "aborted", exit 130.
int gateway_turn(context& ctx, running_gateway& found, const turn_request& req) {
  gateway_client& gw = *found.client;
  json params =
      json::object({{"message", req.message},
                    {"idempotencyKey", fmt::format("cli-{}-{}", ::getpid(), std::time(nullptr))}});
  if (!req.agent_id.empty()) params.set("agentId", req.agent_id);
  if (!req.session_key.empty()) params.set("sessionKey", req.session_key);
  if (!req.model.empty()) params.set("model", req.model);
  if (req.thinking) params.set("thinking", std::string(to_string(*req.thinking)));
  gw.set_timeout(std::chrono::minutes(10));
  bool text_open = false;
  std::string run_id;  // the gateway tells every client about every run: keep to ours
  std::optional<remote_turn_watch> watch;
  watch.emplace(ctx, found.target, gateway_session_key(gw.hello(), req), false, gw, true);
  auto r = gw.call("agent", std::move(params), [&](const std::string& event, const json& p) {
    if (event == "accepted") {
      run_id = p.string_or("runId");
      watch->started(run_id);
    }
    if (event != "agent" || p.string_or("runId") != run_id) return;
    if (ctx.globals.json) {
      print(stdout, p.dump() + "\n");
      std::fflush(stdout);
      return;
    }
    const std::string stream = p.string_or("stream");
    const json& data = p["data"];
    if (stream == "assistant") {
      print(stdout, data.string_or("delta"));
      std::fflush(stdout);
      text_open = true;
    } else if (stream == "tool" && data.string_or("phase") == "start") {
      if (text_open) print(stdout, "\n");
      text_open = false;
      print(stderr, ctx.styles.dim("  -> " + data.string_or("name")) + "\n");
    }
  });
  const bool abort_asked = watch->abort_asked();
  watch.reset();
  if (text_open && !ctx.globals.json) print(stdout, "\n");
  std::fflush(stdout);
  if (!r && abort_asked && r.error().code == errc::cancelled) {
    print(stderr, ctx.styles.yellow(fmt::format("aborted (the gateway did not end the run "
                                                "within {} s)",
                                                remote_turn_watch::final_wait.count() / 1000)) +
                      "\n");
    return 130;
  }
  if (!r) return fail_with(ctx, exit_failure, r.error().message);
  if (ctx.globals.json) print(stdout, r->dump() + "\n");
  if (r->string_or("status") != "ok")
    return fail_with(ctx, exit_failure, r->string_or("summary", "the turn failed"));
  if (r->string_or("summary") == "aborted") {
    print(stderr, ctx.styles.yellow("aborted") + "\n");
    return 130;
  }
  return exit_ok;
}

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

  if (!args.has("local")) {
    // A gateway on this state dir takes the turn (as the original's CLI does), so its
    // clients see it and its queue orders it. One that refuses us is an error, not a
    // reason to run beside it.
    auto gw = find_running_gateway(ctx, args, std::chrono::milliseconds(1500));
    if (!gw) return fail_with(ctx, exit_failure, gw.error().message);
    if (*gw) return gateway_turn(ctx, **gw, req);
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
            {"show-thinking", "", "print the model's reasoning to stderr"},
            {"local", "", "run in this process even when a gateway is running"}},
           0,
           1,
           agent_turn}};
}

}  // namespace durar::cli
