// exec: runs a shell command in the workspace. Short commands answer with their output and
// exit code; long ones move to the process registry and answer with an id for `process`.
#include <durar/tools.hpp>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "tools/exec_policy.hpp"
#include "tools/process_registry.hpp"

#include <algorithm>
#include <cmath>

namespace durar {
namespace {

using detail::command_run;
using detail::exec_verdict;
using detail::process_access;
using detail::stop_cause;

constexpr std::int64_t min_yield_ms = 10;
constexpr std::int64_t max_yield_ms = 120'000;
constexpr auto update_interval = std::chrono::milliseconds(250);

json exec_schema() {
  auto prop = [](const char* type, const char* description) {
    return json::object({{"type", type}, {"description", description}});
  };
  json env = prop("object", "Environment variables set on top of the inherited ones");
  env.set("additionalProperties", json::object({{"type", "string"}}));
  return json::object(
      {{"type", "object"},
       {"properties",
        json::object({
            {"command", prop("string", "Shell command to execute")},
            {"workdir", prop("string", "Working directory (defaults to the workspace)")},
            {"env", std::move(env)},
            {"yieldMs",
             prop("number", "Milliseconds to wait before backgrounding (default 10000)")},
            {"background", prop("boolean", "Run in background immediately")},
            {"timeout",
             prop("number", "Timeout in seconds (kills the process on expiry; 0 disables)")},
        })},
       {"required", json::array({"command"})}});
}

std::string seconds_text(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return fmt::format("{}", ms.count() / 1000);
  return fmt::format("{:g}", static_cast<double>(ms.count()) / 1000.0);
}

bool valid_env_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// What the model asked for, checked.
struct exec_request {
  std::string command;
  std::filesystem::path cwd;
  std::vector<std::pair<std::string, std::string>> env;
  std::chrono::milliseconds timeout{0};
  std::optional<std::int64_t> yield_ms;  // nullopt: stay in the foreground
  bool background_requested = false;
};

result<exec_request> parse_request(const json& args, const exec_options& options,
                                   const tool_context& ctx, bool can_background) {
  exec_request r;
  const json& command = args["command"];
  if (!command.is_string() || command.as_string().find_first_not_of(" \t\r\n") == std::string::npos)
    return fail(errc::invalid_argument, "Provide a command to run.");
  r.command = command.as_string();
  if (r.command.find('\0') != std::string::npos)
    return fail(errc::invalid_argument, "the command contains a NUL byte");

  std::filesystem::path base = !options.workspace.empty() ? options.workspace
                               : !ctx.workspace.empty()   ? ctx.workspace
                                                          : std::filesystem::current_path();
  const json* dir = args.find("workdir");
  if (dir == nullptr || dir->is_null()) dir = args.find("cwd");
  if (dir != nullptr && !dir->is_null()) {
    if (!dir->is_string()) return fail(errc::invalid_argument, "workdir must be a string");
    std::filesystem::path p(dir->as_string());
    r.cwd = p.empty() ? base : p.is_absolute() ? p : base / p;
  } else {
    r.cwd = base;
  }

  if (const json* env = args.find("env"); env != nullptr && !env->is_null()) {
    if (!env->is_object()) return fail(errc::invalid_argument, "env must be an object of strings");
    for (const auto& [key, value] : env->as_object()) {
      if (!value.is_string())
        return fail(errc::invalid_argument, fmt::format("env.{} must be a string", key));
      if (!valid_env_name(key))
        return fail(errc::invalid_argument,
                    fmt::format("invalid environment variable name '{}'", key));
      // Overriding where programs and libraries come from would bypass every other check.
      if (key == "PATH" || key.rfind("LD_", 0) == 0 || key.rfind("DYLD_", 0) == 0)
        return fail(errc::permission_denied,
                    fmt::format("Security Violation: environment variable '{}' may not be set "
                                "for exec.",
                                key));
      if (value.as_string().find('\0') != std::string::npos)
        return fail(errc::invalid_argument, fmt::format("env.{} contains a NUL byte", key));
      r.env.emplace_back(key, value.as_string());
    }
  }
  r.env.emplace_back("DURAR_SHELL", "exec");

  std::chrono::milliseconds timeout = options.timeout;
  if (const json* t = args.find("timeout"); t != nullptr && !t->is_null()) {
    if (!t->is_number() || !std::isfinite(t->as_double()) || t->as_double() < 0)
      return fail(errc::invalid_argument, "timeout must be a number of seconds, 0 or more");
    timeout = std::chrono::milliseconds(
        static_cast<std::int64_t>(std::min(t->as_double(), 1e9) * 1000.0));
  }
  r.timeout = timeout;

  const json* background = args.find("background");
  r.background_requested = background != nullptr && background->is_bool() && background->as_bool();
  const json* yield = args.find("yieldMs");
  if (yield != nullptr && !yield->is_null() && !yield->is_number())
    return fail(errc::invalid_argument, "yieldMs must be a number of milliseconds");
  if (!can_background) return r;
  if (r.background_requested) {
    r.yield_ms = 0;
  } else if (yield != nullptr && yield->is_number()) {
    const double ms = std::isfinite(yield->as_double()) ? yield->as_double() : 0.0;
    r.yield_ms = std::clamp(static_cast<std::int64_t>(ms), min_yield_ms, max_yield_ms);
  } else if (options.background_after.count() > 0) {
    r.yield_ms = options.background_after.count();
  }
  return r;
}

// The model's view of a finished foreground command.
tool_result finished_result(const command_run& run, const std::string& warning) {
  const auto& exit = *run.exit();
  std::string_view kept = run.output().kept();
  const bool truncated = run.output().total() > kept.size();
  if (truncated) kept = detail::skip_partial_utf8(kept);
  std::string text = warning;
  text += kept.empty() ? std::string_view("(no output)") : kept;
  if (truncated)
    detail::append_note(text, fmt::format("[Output truncated: showing the last {} of {} bytes]",
                                          kept.size(), run.output().total()));

  bool failed = true;
  std::string status = "failed";
  std::string note;
  switch (run.cause()) {
    case stop_cause::timeout:
      note = fmt::format(
          "Command timed out after {} seconds and was killed. If it needs longer, run it again "
          "with a higher timeout (timeout: seconds), or with background: true and follow it "
          "with process.",
          seconds_text(run.timeout()));
      break;
    case stop_cause::cancelled:
      note = "Command aborted";
      break;
    case stop_cause::killed:
      note = "Command was killed";
      break;
    case stop_cause::none:
      if (exit.signal != 0) {
        note = fmt::format("Command aborted by signal {}", detail::signal_name(exit.signal));
      } else if (exit.code == 127) {
        note = "Command not found (exit code 127)";
      } else if (exit.code == 126) {
        note = "Command not executable (permission denied, exit code 126)";
      } else if (exit.code < 0) {
        note = "(Command exit status unknown)";
      } else {
        failed = false;
        status = "completed";
        if (exit.code != 0) note = fmt::format("(Command exited with code {})", exit.code);
      }
      break;
  }
  if (!note.empty()) detail::append_note(text, note);
  json details = json::object({{"status", status},
                               {"exitCode", exit.code},
                               {"durationMs", run.ended_at() - run.started_at()},
                               {"cwd", run.cwd().string()},
                               {"timedOut", run.cause() == stop_cause::timeout},
                               {"truncated", truncated},
                               {"totalBytes", run.output().total()}});
  if (exit.signal != 0) details.set("signal", detail::signal_name(exit.signal));
  return failed ? error_result(std::move(text), std::move(details))
                : text_result(std::move(text), std::move(details));
}

// One exec call while it is the model's to wait for.
struct exec_call : std::enable_shared_from_this<exec_call> {
  explicit exec_call(asio::any_io_executor ex) : yield_timer(std::move(ex)) {}

  tool_context ctx;
  tool_done done;
  std::string warning;
  std::shared_ptr<process_registry> registry;
  std::weak_ptr<command_run> run;
  asio::steady_timer yield_timer;
  std::uint64_t waiter = 0;
  bool finished = false;
  std::chrono::steady_clock::time_point last_update{};

  void reply(tool_result r) {
    finished = true;
    if (ctx.cancel.is_connected()) ctx.cancel.clear();
    yield_timer.cancel();
    auto d = std::move(done);
    if (!ctx.executor) return d(std::move(r));
    asio::dispatch(ctx.executor,
                   [d = std::move(d), r = std::move(r)]() mutable { d(std::move(r)); });
  }

  void completed(const command_run& r) {
    if (finished) return;
    reply(finished_result(r, warning));
  }

  void move_to_background() {
    auto r = run.lock();
    if (finished || !r || !r->running()) return;
    r->forget(waiter);
    r->on_output = nullptr;
    const std::string id = process_access::adopt(*registry, r);
    std::string_view tail = detail::skip_partial_utf8(r->output().kept());
    if (tail.size() > 2000) tail = detail::skip_partial_utf8(tail.substr(tail.size() - 2000));
    reply(text_result(
        fmt::format("{}Command still running as {} (pid {}). Use process (list/poll/log/write/"
                    "kill) with sessionId \"{}\" for follow-up.",
                    warning, id, r->pid(), id),
        json::object({{"status", "running"},
                      {"sessionId", id},
                      {"pid", r->pid()},
                      {"startedAt", r->started_at()},
                      {"cwd", r->cwd().string()},
                      {"tail", std::string(tail)}})));
  }

  void progress(const command_run& r) {
    if (finished || !ctx.on_update) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_update < update_interval) return;
    last_update = now;
    std::string_view kept = detail::skip_partial_utf8(r.output().kept());
    ctx.on_update(text_result(std::string(kept), json::object({{"status", "running"}})));
  }
};

class exec_tool final : public tool, public std::enable_shared_from_this<exec_tool> {
 public:
  exec_tool(exec_options options, std::shared_ptr<process_registry> processes)
      : options_(std::move(options)), processes_(std::move(processes)) {
    definition_.name = "exec";
    definition_.description = fmt::format(
        "Execute a shell command (/bin/sh -c) in the workspace. Returns stdout and stderr "
        "combined (the last {} KB when longer) and the exit code. Commands still running after "
        "yieldMs (default {} ms) or started with background: true continue in the background: "
        "follow them with the process tool (list/poll/log/write/kill). timeout is in seconds "
        "(default {}; 0 disables).",
        options_.max_output_bytes / 1024, options_.background_after.count(),
        options_.timeout.count());
    if (!processes_)
      definition_.description = fmt::format(
          "Execute a shell command (/bin/sh -c) in the workspace. Returns stdout and "
          "stderr combined (the last {} KB when longer) and the exit code. timeout "
          "is in seconds (default {}; 0 disables).",
          options_.max_output_bytes / 1024, options_.timeout.count());
    definition_.parameters = exec_schema();
  }

  [[nodiscard]] const tool_definition& definition() const noexcept override { return definition_; }

  void async_run(const json& arguments, tool_context ctx, tool_done done) override {
    auto req = parse_request(arguments, options_, ctx, processes_ != nullptr);
    if (!req) return done(error_result(req.error().message));
    std::string warning;
    if (!processes_ && (req->background_requested || arguments.contains("yieldMs")))
      warning = "Warning: background execution is unavailable; running in the foreground.\n\n";

    auto check = detail::check_exec_policy(options_, req->command);
    if (check.verdict == exec_verdict::refuse)
      return done(error_result(check.reason, json::object({{"status", "denied"}})));
    if (check.verdict == exec_verdict::run)
      return launch(std::move(*req), std::move(ctx), std::move(done), std::move(warning));
    ask(std::move(*req), std::move(ctx), std::move(done), std::move(warning), check.reason);
  }

 private:
  asio::any_io_executor executor_for(const tool_context& ctx) const {
    if (processes_) return process_access::executor(*processes_);
    return ctx.executor;
  }

  // Asks the host's approver, which may answer later and from another thread.
  void ask(exec_request req, tool_context ctx, tool_done done, std::string warning,
           std::string reason) {
    if (!options_.approve)
      return done(error_result(
          fmt::format("exec denied: approval required ({}) but no approver is configured. "
                      "Command: {}",
                      reason, req.command),
          json::object({{"status", "denied"}})));
    asio::any_io_executor ex = ctx.executor ? ctx.executor : executor_for(ctx);
    if (!ex) return done(error_result("exec: no executor to wait for approval on"));

    struct pending {
      exec_request req;
      tool_context ctx;
      tool_done done;
      std::string warning;
      bool answered = false;
    };
    auto state = std::make_shared<pending>(
        pending{std::move(req), ctx, std::move(done), std::move(warning)});
    if (ctx.cancel.is_connected()) {
      std::weak_ptr<pending> weak = state;
      ctx.cancel.assign([weak, ex](asio::cancellation_type type) {
        if (type == asio::cancellation_type::none) return;
        asio::post(ex, [weak] {
          auto s = weak.lock();
          if (!s || s->answered) return;
          s->answered = true;
          s->done(error_result("Command aborted while waiting for approval",
                               json::object({{"status", "failed"}})));
        });
      });
    }
    exec_approval_request request{state->req.command, state->req.cwd, std::move(reason)};
    auto self = shared_from_this();
    // An approver that drops the callback without answering has denied the command.
    struct unanswered_guard {
      std::shared_ptr<pending> state;
      asio::any_io_executor ex;
      unanswered_guard(std::shared_ptr<pending> s, asio::any_io_executor e)
          : state(std::move(s)), ex(std::move(e)) {}
      unanswered_guard(const unanswered_guard&) = delete;
      unanswered_guard& operator=(const unanswered_guard&) = delete;
      ~unanswered_guard() {
        asio::post(ex, [s = state] {
          if (s->answered) return;
          s->answered = true;
          if (s->ctx.cancel.is_connected()) s->ctx.cancel.clear();
          s->done(error_result("exec denied: the approval request was dropped unanswered",
                               json::object({{"status", "denied"}})));
        });
      }
    };
    auto guard = std::make_shared<unanswered_guard>(state, ex);
    auto answer = [state, ex, self, guard](exec_decision decision) {
      asio::post(ex, [state, self, decision] {
        if (state->answered) return;
        state->answered = true;
        if (state->ctx.cancel.is_connected()) state->ctx.cancel.clear();
        if (decision != exec_decision::allow)
          return state->done(
              error_result(fmt::format("exec denied: the command was not approved. Command: {}",
                                       state->req.command),
                           json::object({{"status", "denied"}})));
        self->launch(std::move(state->req), std::move(state->ctx), std::move(state->done),
                     std::move(state->warning));
      });
    };
    try {
      options_.approve(request, std::move(answer));
    } catch (const std::exception& e) {
      if (!state->answered) {
        state->answered = true;
        state->done(error_result(fmt::format("exec denied: the approver failed: {}", e.what())));
      }
    }
  }

  void launch(exec_request req, tool_context ctx, tool_done done, std::string warning) {
    asio::any_io_executor ex = executor_for(ctx);
    if (!ex) return done(error_result("exec: no executor to run the command on"));
    command_run::settings settings;
    settings.spawn.command = std::move(req.command);
    settings.spawn.cwd = std::move(req.cwd);
    settings.spawn.env = std::move(req.env);
    settings.timeout = req.timeout;
    settings.max_output_bytes = options_.max_output_bytes;
    auto started = command_run::start(ex, std::move(settings));
    if (!started)
      return done(error_result(started.error().message, json::object({{"status", "failed"}})));
    std::shared_ptr<command_run> run = *started;

    auto call = std::make_shared<exec_call>(ex);
    call->ctx = std::move(ctx);
    call->done = std::move(done);
    call->warning = std::move(warning);
    call->registry = processes_;
    call->run = run;
    std::weak_ptr<exec_call> weak = call;

    run->on_output = [weak, raw = run.get()](std::string_view) {
      if (auto c = weak.lock()) c->progress(*raw);
    };
    if (call->ctx.cancel.is_connected()) {
      call->ctx.cancel.assign([weak, ex](asio::cancellation_type type) {
        if (type == asio::cancellation_type::none) return;
        asio::post(ex, [weak] {
          auto c = weak.lock();
          if (!c || c->finished) return;
          if (auto r = c->run.lock()) r->stop(stop_cause::cancelled);
        });
      });
    }
    if (req.yield_ms) {
      call->yield_timer.expires_after(std::chrono::milliseconds(*req.yield_ms));
      call->yield_timer.async_wait([call](const asio::error_code& ec) {
        if (!ec) call->move_to_background();
      });
    }
    call->waiter = run->when_done([call, raw = run.get()] { call->completed(*raw); });
  }

  tool_definition definition_;
  exec_options options_;
  std::shared_ptr<process_registry> processes_;
};

}  // namespace

std::shared_ptr<tool> make_exec_tool(exec_options options,
                                     std::shared_ptr<process_registry> processes) {
  return std::make_shared<exec_tool>(std::move(options), std::move(processes));
}

}  // namespace durar
