// durar complete: one raw completion from a model, streamed to stdout.
#include <durar/router.hpp>

#include <asio/signal_set.hpp>
#include <fmt/format.h>

#include "context.hpp"
#include "output.hpp"

#include <chrono>
#include <iostream>
#include <iterator>

namespace durar::cli {

namespace {

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

result<request_options> options_from(const parsed_args& args) {
  request_options o;
  if (auto v = args.value("max-tokens")) {
    char* end = nullptr;
    long long n = std::strtoll(v->c_str(), &end, 10);
    if (*end != '\0' || n <= 0)
      return fail(errc::invalid_argument, "--max-tokens needs a positive number");
    o.max_tokens = n;
  }
  if (auto v = args.value("thinking")) {
    auto level = parse_thinking_level(*v);
    if (!level)
      return fail(errc::invalid_argument,
                  "--thinking must be off, minimal, low, medium, high or xhigh, not '" + *v + "'");
    o.thinking = *level;
  }
  if (auto v = args.value("timeout")) {
    char* end = nullptr;
    double s = std::strtod(v->c_str(), &end);
    if (*end != '\0' || s <= 0) return fail(errc::invalid_argument, "--timeout needs seconds > 0");
    o.total_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
  }
  return o;
}

int complete(context& ctx, const parsed_args& args) {
  auto cfg = load_config(ctx.load());
  if (!cfg) return fail_with(ctx, exit_failure, cfg.error().message);
  auto options = options_from(args);
  if (!options) return fail_with(ctx, exit_usage, options.error().message);

  completion_request req;
  req.model = args.value("model").value_or("");
  req.options = std::move(*options);
  req.conv.system_prompt = args.value("system").value_or("");
  std::string prompt = args.positional[0] == "-" ? read_stdin() : args.positional[0];
  req.conv.messages.push_back(user_text(std::move(prompt)));

  asio::io_context io;
  router_options ropts;
  ropts.state_dir = cfg->paths.state_dir;
  model_router router(io, *cfg, ropts);
  if (args.has("verbose")) {
    router.on_route([&ctx](const route_event& e) {
      std::string line = fmt::format("[{}] {}", to_string(e.what), e.ref.str());
      if (!e.credential.empty()) line += " key " + e.credential;
      if (e.what != route_event::kind::attempt) line += ": " + e.failure.message;
      print(stderr, ctx.styles.dim(line) + "\n");
    });
  }

  // Ctrl-C aborts the call cleanly; the partial answer stays on screen.
  asio::cancellation_signal cancel;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&cancel](std::error_code ec, int) {
    if (!ec) cancel.emit(asio::cancellation_type::terminal);
  });

  bool thinking_open = false;
  bool printed = false;  // whether stdout holds answer text that needs a final newline
  auto on_event = [&](const stream_event& e) {
    if (ctx.globals.json) {
      print(stdout, to_json(e).dump() + "\n");
      std::fflush(stdout);
      return;
    }
    switch (e.kind) {
      case event_kind::text_delta:
        printed = true;
        print(stdout, e.delta);
        std::fflush(stdout);
        break;
      case event_kind::thinking_delta:
        if (args.has("show-thinking")) {
          thinking_open = true;
          print(stderr, ctx.styles.dim(std::string(e.delta)));
        }
        break;
      case event_kind::toolcall_end: {
        const auto& call = std::get<tool_call_block>(e.message->content[e.content_index]);
        print(stdout, "\n[tool call " + call.name + " " + call.arguments.dump() + "]\n");
        break;
      }
      default:
        break;
    }
  };

  std::optional<result<assistant_message>> outcome;
  auto started = std::chrono::steady_clock::now();
  router.async_complete(
      std::move(req), on_event,
      [&](result<assistant_message> r) {
        outcome = std::move(r);
        signals.cancel();
      },
      cancel.slot());
  io.run();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (thinking_open) print(stderr, "\n");
  if (!outcome) return fail_with(ctx, exit_failure, "the call did not finish");
  if (!*outcome) {
    if (printed) print(stdout, "\n");
    return fail_with(ctx, exit_failure, outcome->error().detail());
  }
  if (!ctx.globals.json) {
    const auto& m = **outcome;
    print(stdout, "\n");
    if (args.has("verbose") || m.stop == stop_reason::length) {
      print(stderr, ctx.styles.dim(fmt::format(
                        "{}/{} · {} ms · stop {} · tokens in {} out {} cache {} · ${:.6f}",
                        m.provider, m.model, elapsed.count(), to_string(m.stop), m.usage.input,
                        m.usage.output, m.usage.cache_read, m.usage.cost.total)) +
                        "\n");
    }
  }
  return exit_ok;
}

}  // namespace

std::vector<command_spec> complete_commands() {
  return {{"complete",
           "<prompt|->",
           "One raw completion streamed to stdout ('-' reads the prompt from stdin); "
           "--json prints the events as JSON lines",
           {{"model", "REF", "provider/model or alias (default: agents.defaults.model.primary)"},
            {"system", "TEXT", "system prompt"},
            {"max-tokens", "N", "cap on output tokens"},
            {"thinking", "LEVEL", "off, minimal, low, medium, high, xhigh"},
            {"timeout", "SECONDS", "give up after this long"},
            {"show-thinking", "", "print the model's reasoning to stderr"},
            {"verbose", "", "print routing, usage and cost to stderr"}},
           1,
           1,
           complete}};
}

}  // namespace durar::cli
