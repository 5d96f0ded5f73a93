// durar chat: an interactive conversation in a terminal. One session and one agent for
// the whole chat; Ctrl-C aborts the answer being written, Ctrl-D or /quit leaves. With a
// gateway running on the same state dir the lines go through it (chat_remote.cpp); this
// file is the in-process chat and the loop that picks between the two.
#include <durar/runtime.hpp>

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "agent_output.hpp"
#include "approval.hpp"
#include "chat_remote.hpp"
#include "chat_view.hpp"
#include "context.hpp"
#include "output.hpp"

#include <algorithm>
#include <iostream>
#include <unistd.h>

namespace durar::cli {

namespace {

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

  chat_step command(const std::string& line) {
    auto [name, rest] = split_command(line);
    if (name == "/quit" || name == "/exit") return chat_step::quit;
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
      print_usage(s->id(), s->totals());
    } else if (name == "/history") {
      history(rest);
    } else if (name == "/sessions") {
      sessions();
    } else {
      fail_with(ctx, exit_usage, "unknown command " + name + "; " + std::string(chat_help));
    }
    return chat_step::next;
  }

  void history(const std::string& rest) {
    auto count = history_count(rest);
    if (!count) {
      fail_with(ctx, exit_usage, "/history takes a count from 1 to 1000");
      return;
    }
    std::vector<json> messages;
    for (const session_entry* e : s->branch())
      if (e->msg) messages.push_back(to_json(*e->msg));
    if (messages.size() > static_cast<std::size_t>(*count))
      messages.erase(messages.begin(), messages.end() - *count);
    print_history(ctx, json(std::move(messages)));
  }

  void sessions() {
    auto list = store->list();
    if (!list) {
      fail_with(ctx, exit_failure, list.error().message);
      return;
    }
    std::stable_sort(list->begin(), list->end(),
                     [](const auto& x, const auto& y) { return x.updated_at > y.updated_at; });
    json rows = json::array();
    for (const auto& info : *list) rows.push_back(session_row(info));
    print_sessions(rows, key);
  }
};

// How long to look for a running gateway: a local one answers at once, and a chat without
// one should not wait long to start.
constexpr std::chrono::milliseconds gateway_probe{1500};

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

  // A gateway on this state dir owns the sessions while it runs: the chat goes through it.
  // The in-process session is opened only without one (its lock would stop the gateway).
  // One that refuses our token is an error: a chat beside it would skip its queue.
  std::unique_ptr<remote_chat> remote;
  if (!args.has("local")) {
    auto gw = find_running_gateway(ctx, args, gateway_probe);
    if (!gw) return fail_with(ctx, exit_failure, gw.error().message);
    if (*gw)
      remote =
          std::make_unique<remote_chat>(ctx, std::move(**gw), c.key, c.overrides, c.interactive);
  }
  if (!remote)
    if (auto r = c.open(); !r) return fail_with(ctx, exit_failure, r.error().message);

  std::string mode = remote              ? "via gateway " + remote->url()
                     : args.has("local") ? std::string("in-process (--local)")
                                         : std::string("in-process");
  print(stderr, ctx.styles.dim(fmt::format("durar chat · {} · {} · {}{}\n", profile->id, c.key,
                                           mode, c.interactive ? " · /help for commands" : "")));
  if (remote && (*rt)->cfg().tools.exec_ask != "off")
    print(stderr, ctx.styles.dim("command approvals (tools.exec.ask) are asked on the "
                                 "gateway's terminal, and denied without one; --local asks "
                                 "here\n"));

  std::string line;
  while (true) {
    if (c.interactive) print(stderr, ctx.styles.bold("> "));
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (remote) {
      chat_step step = remote->line(line);
      if (step == chat_step::quit) break;
      if (step == chat_step::next) continue;
      // The gateway went away. What /model and /think chose carries over; the session is
      // opened when a line needs it, by when a gateway that died has let go of it.
      c.overrides = remote->overrides();
      remote.reset();
      print(stderr, ctx.styles.dim("the chat goes on in-process") + "\n");
      if (step == chat_step::gateway_lost) continue;
    }
    if (!c.s)
      if (auto r = c.open(); !r) return fail_with(ctx, exit_failure, r.error().message);
    if (line[0] != '/')
      c.turn(line);
    else if (c.command(line) == chat_step::quit)
      break;
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
            {"model", "REF", "model for this chat (provider/model or alias)"},
            {"local", "", "run in this process even when a gateway is running"}},
           0,
           0,
           run_chat}};
}

}  // namespace durar::cli
