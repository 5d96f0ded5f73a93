// durar chat: an interactive conversation in a terminal. One session and one agent for
// the whole chat; Ctrl-C aborts the answer being written, Ctrl-D or /quit leaves.
#include <durar/runtime.hpp>

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "agent_output.hpp"
#include "approval.hpp"
#include "context.hpp"
#include "output.hpp"

#include <iostream>
#include <unistd.h>

namespace durar::cli {

namespace {

constexpr std::string_view chat_help =
    "Commands: /new (start afresh), /model [REF], /think [LEVEL], /compact [instructions], "
    "/usage, /help, /quit\n";

struct chat {
  context& ctx;
  runtime& rt;
  agent_profile profile;
  std::string key;
  std::shared_ptr<session_store> store;
  std::unique_ptr<session> s;
  std::unique_ptr<agent> a;
  turn_request overrides;
  bool interactive = false;

  result<void> open() {
    a.reset();
    s.reset();
    auto opened = store->open(key);
    if (!opened) return fail(opened.error());
    s = std::move(*opened);
    for (const auto& w : s->report().warnings) print(stderr, ctx.styles.yellow(w) + "\n");
    auto made = rt.make_agent(profile, s.get(), overrides);
    if (!made) return fail(made.error());
    a = std::move(*made);
    return {};
  }

  // One answer, with a spinner until the first output and Ctrl-C as abort.
  void turn(const std::string& text) {
    asio::io_context& io = rt.io();
    agent_printer printer{ctx};
    printer.tools_on_stdout = true;
    printer.show_thinking =
        overrides.thinking.has_value() && *overrides.thinking != thinking_level::off;
    asio::signal_set signals(io, SIGINT);
    signals.async_wait([this](std::error_code ec, int) {
      if (!ec) a->abort();
    });
    asio::steady_timer spinner(io);
    int frame = 0;
    bool spinning = interactive;
    std::function<void()> spin = [&] {
      if (!spinning) return;
      static constexpr std::string_view frames[] = {"|", "/", "-", "\\"};
      print(stderr, "\r" + ctx.styles.dim(std::string(frames[frame++ % 4]) + " thinking"));
      spinner.expires_after(std::chrono::milliseconds(120));
      spinner.async_wait([&](std::error_code ec) {
        if (!ec) spin();
      });
    };
    auto stop_spinner = [&] {
      if (!spinning) return;
      spinning = false;
      spinner.cancel();
      print(stderr, "\r\033[K");
    };
    spin();
    a->subscribe([&](const agent_event& e) {
      if (e.kind == agent_event_kind::message_update ||
          e.kind == agent_event_kind::tool_execution_start || e.kind == agent_event_kind::agent_end)
        stop_spinner();
      printer(e);
    });
    std::optional<result<run_result>> outcome;
    a->async_run(user_text(text), [&](result<run_result> r) {
      outcome = std::move(r);
      signals.cancel();
      stop_spinner();
    });
    io.restart();
    io.run();
    a->subscribe({});
    printer.finish();
    if (!outcome) return;
    if (*outcome) {
      const auto& last = (*outcome)->final;
      (void)rt.record_turn(*s, last);
    }
    if (!*outcome || (*outcome)->stop != run_stop::done) report_run(ctx, *outcome);
  }

  void usage() {
    session_totals t = s->totals();
    print(stdout, fmt::format("session {} · {} answers · tokens in {} out {} cache read {} "
                              "write {} · ${:.4f}\n",
                              s->id(), t.assistant_messages, t.input, t.output, t.cache_read,
                              t.cache_write, t.cost));
  }

  // Returns false to leave the chat.
  bool command(const std::string& line) {
    auto space = line.find(' ');
    std::string name = line.substr(0, space);
    std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (name == "/quit" || name == "/exit") return false;
    if (name == "/help") {
      print(stdout, std::string(chat_help));
    } else if (name == "/new" || name == "/reset") {
      a.reset();
      s.reset();
      if (auto r = store->reset(key); !r) {
        fail_with(ctx, exit_failure, r.error().message);
      }
      if (auto r = open(); !r) fail_with(ctx, exit_failure, r.error().message);
      print(stdout, ctx.styles.dim("new session " + (s ? s->id() : std::string("?"))) + "\n");
    } else if (name == "/model") {
      if (rest.empty()) {
        print(stdout, "model: " + s->model().value_or(a->options().model) + "\n");
      } else if (auto r = a->set_model(rest); !r) {
        fail_with(ctx, exit_failure, r.error().message);
      } else {
        print(stdout, ctx.styles.dim("model set to " + rest) + "\n");
      }
    } else if (name == "/think") {
      auto level = parse_thinking_level(rest.empty() ? "medium" : rest);
      if (!level) {
        fail_with(ctx, exit_usage, "thinking levels: off, minimal, low, medium, high, xhigh");
      } else if (auto r = a->set_thinking(*level); !r) {
        fail_with(ctx, exit_failure, r.error().message);
      } else {
        overrides.thinking = *level;
        print(stdout, ctx.styles.dim("thinking " + std::string(to_string(*level))) + "\n");
      }
    } else if (name == "/compact") {
      auto r = a->compact(rest);
      if (!r)
        fail_with(ctx, exit_failure, r.error().message);
      else if (r->summary.empty())
        print(stdout, "nothing to compact yet\n");
      else
        print(stdout, ctx.styles.dim(fmt::format("compacted {} tokens", r->tokens_before)) + "\n");
    } else if (name == "/usage") {
      usage();
    } else {
      fail_with(ctx, exit_usage, "unknown command " + name + "; " + std::string(chat_help));
    }
    return true;
  }
};

int run_chat(context& ctx, const parsed_args& args) {
  asio::io_context io;
  auto rt = runtime::create(io, ctx.load(), terminal_runtime_options());
  if (!rt) return fail_with(ctx, exit_failure, rt.error().message);
  auto profile = (*rt)->agent(args.value("agent").value_or(""));
  if (!profile) return fail_with(ctx, exit_failure, profile.error().message);
  auto store = (*rt)->sessions(profile->id);
  if (!store) return fail_with(ctx, exit_failure, store.error().message);

  chat c{ctx, **rt, *profile, "", *store, nullptr, nullptr, {}};
  c.key = (*rt)->session_key(profile->id, args.value("session").value_or(""));
  c.overrides.model = args.value("model").value_or("");
  c.interactive = ::isatty(STDIN_FILENO) != 0 && ::isatty(STDERR_FILENO) != 0;
  if (auto r = c.open(); !r) return fail_with(ctx, exit_failure, r.error().message);

  if (c.interactive)
    print(stderr, ctx.styles.dim(fmt::format("durar chat · {} · {} · /help for commands\n",
                                             profile->id, c.key)));
  std::string line;
  while (true) {
    if (c.interactive) print(stderr, ctx.styles.bold("> "));
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line[0] == '/') {
      if (!c.command(line)) break;
      continue;
    }
    c.turn(line);
  }
  if (c.interactive) print(stderr, "\n");
  return exit_ok;
}

}  // namespace

std::vector<command_spec> chat_commands() {
  return {{"chat",
           "",
           "Talk with an agent in the terminal (Ctrl-C stops an answer, Ctrl-D leaves)",
           {{"agent", "ID", "which agent (default: the default agent)"},
            {"session", "KEY", "session key (default: the agent's main session)"},
            {"model", "REF", "model for this chat (provider/model or alias)"}},
           0,
           0,
           run_chat}};
}

}  // namespace durar::cli
