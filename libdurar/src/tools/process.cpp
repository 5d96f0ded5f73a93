// process: follows the commands exec moved to the background, by the id exec returned
// (list, poll for new output, log, write to stdin, kill, remove).
#include <durar/tools.hpp>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "tools/process_registry.hpp"

#include <algorithm>
#include <cmath>

namespace durar {
namespace {

using detail::command_run;
using detail::process_access;

constexpr std::int64_t max_poll_wait_ms = 30'000;
constexpr std::size_t default_log_lines = 200;
constexpr auto kill_wait = std::chrono::seconds(5);

json process_schema() {
  auto prop = [](const char* type, const char* description) {
    return json::object({{"type", type}, {"description", description}});
  };
  json action = prop("string", "list | poll | log | write | kill | remove");
  action.set("enum", json::array({"list", "poll", "log", "write", "kill", "remove"}));
  return json::object(
      {{"type", "object"},
       {"properties",
        json::object({
            {"action", std::move(action)},
            {"sessionId",
             prop("string", "Id exec returned (\"proc_1\"); for every action but list")},
            {"data", prop("string", "Data to write to stdin (write)")},
            {"eof", prop("boolean", "Close stdin after writing (write)")},
            {"offset", prop("number", "First log line, 0-based (log)")},
            {"limit", prop("number", "Number of log lines (log; default: the last 200)")},
            {"timeout", prop("number",
                             "poll: wait up to this many milliseconds for the process to exit "
                             "(max 30000)")},
        })},
       {"required", json::array({"action"})}});
}

std::string end_text(const command_run& run) {
  const auto& e = *run.exit();
  if (run.cause() == detail::stop_cause::timeout)
    return fmt::format("timed out after {} ms and was killed", run.timeout().count());
  if (e.signal != 0) return fmt::format("signal {}", detail::signal_name(e.signal));
  return fmt::format("code {}", e.code);
}

std::string status_of(const command_run& run) {
  if (run.running()) return "running";
  return run.exit()->code == 0 && run.cause() == detail::stop_cause::none ? "completed" : "failed";
}

json summary(const command_run& run) {
  json j = json::object({{"sessionId", run.id},
                         {"status", status_of(run)},
                         {"pid", run.pid()},
                         {"startedAt", run.started_at()},
                         {"cwd", run.cwd().string()},
                         {"command", run.command()}});
  const std::int64_t end = run.running() ? now_ms() : run.ended_at();
  j.set("runtimeMs", end - run.started_at());
  if (!run.running()) {
    j.set("endedAt", run.ended_at());
    j.set("exitCode", run.exit()->code);
    if (run.exit()->signal != 0) j.set("exitSignal", detail::signal_name(run.exit()->signal));
  }
  return j;
}

std::string one_line(std::string_view command, std::size_t max) {
  std::string s;
  for (char c : command) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (s.size() > max) {
    s.resize(max - 3);
    // Not ending inside a UTF-8 character (possibly dropping a whole last one).
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
    s += "...";
  }
  return s;
}

std::optional<std::int64_t> number_arg(const json& args, std::string_view key) {
  const json* v = args.find(key);
  if (v == nullptr || !v->is_number() || !std::isfinite(v->as_double())) return std::nullopt;
  return static_cast<std::int64_t>(std::floor(v->as_double()));
}

tool_result not_found(std::string_view id) {
  return error_result(fmt::format("No session found for {}", id),
                      json::object({{"status", "failed"}}));
}

class process_tool final : public tool {
 public:
  explicit process_tool(std::shared_ptr<process_registry> processes)
      : processes_(std::move(processes)) {
    definition_.name = "process";
    definition_.description =
        "Manage commands exec moved to the background: list, poll (new output since the last "
        "poll, and whether it exited), log (retained output by lines, offset/limit), write "
        "(stdin; eof closes it), kill, remove (kill if running and forget). Pass the sessionId "
        "exec returned.";
    definition_.parameters = process_schema();
  }

  [[nodiscard]] const tool_definition& definition() const noexcept override { return definition_; }

  void async_run(const json& args, tool_context ctx, tool_done done) override {
    if (!processes_) return done(error_result("process: no process registry"));
    const std::string action = args.string_or("action");
    if (action == "list") return done(list());
    std::string id = args.string_or("sessionId");
    if (id.empty()) id = args.string_or("id");
    if (action != "poll" && action != "log" && action != "write" && action != "kill" &&
        action != "remove")
      return done(error_result(fmt::format("Unknown action '{}'; use list, poll, log, write, "
                                           "kill or remove",
                                           action),
                               json::object({{"status", "failed"}})));
    if (id.empty())
      return done(error_result("sessionId is required for this action.",
                               json::object({{"status", "failed"}})));
    auto run = process_access::find(*processes_, id);
    if (action == "remove") {
      if (!process_access::remove(*processes_, id)) return done(not_found(id));
      return done(text_result(fmt::format("Removed {}.", id),
                              json::object({{"status", "completed"}, {"sessionId", id}})));
    }
    if (!run) return done(not_found(id));
    if (action == "log") return done(log(*run, args));
    if (action == "write") return done(write(*run, args));
    if (action == "poll") {
      const std::int64_t wait =
          std::clamp<std::int64_t>(number_arg(args, "timeout").value_or(0), 0, max_poll_wait_ms);
      return after_exit_or(run, std::chrono::milliseconds(wait), std::move(ctx), std::move(done),
                           [](command_run& r) { return poll(r); });
    }
    // kill
    if (!run->running())
      return done(
          error_result(fmt::format("{} is not running (exited with {}).", id, end_text(*run)),
                       json::object({{"status", status_of(*run)}, {"sessionId", id}})));
    run->stop(detail::stop_cause::killed);
    after_exit_or(run, kill_wait, std::move(ctx), std::move(done), [](command_run& r) {
      if (r.running())
        return text_result(
            fmt::format("Sent SIGKILL to {} (pid {}); it has not exited yet.", r.id, r.pid()),
            json::object({{"status", "running"}, {"sessionId", r.id}}));
      return text_result(
          fmt::format("Killed {} ({}).", r.id, end_text(r)),
          json::object({{"status", "failed"}, {"sessionId", r.id}, {"exitCode", r.exit()->code}}));
    });
  }

 private:
  tool_result list() const {
    json sessions = json::array();
    std::string text;
    for (const auto& run : process_access::runs(*processes_)) {
      json s = summary(*run);
      text += fmt::format("{} {:<9} {} :: {}\n", run->id, status_of(*run),
                          detail::compact_duration(s.int_or("runtimeMs", 0)),
                          one_line(run->command(), 120));
      sessions.push_back(std::move(s));
    }
    if (text.empty())
      text = "No running or recent background processes.";
    else
      text.pop_back();
    return text_result(std::move(text),
                       json::object({{"status", "completed"}, {"sessions", std::move(sessions)}}));
  }

  static tool_result poll(command_run& run) {
    const auto& out = run.output();
    std::string text;
    if (run.poll_mark < out.start())
      text += fmt::format("[{} bytes of output were dropped before this poll]\n",
                          out.start() - run.poll_mark);
    std::string_view fresh = run.output().since(run.poll_mark);
    if (run.poll_mark < out.start()) fresh = detail::skip_partial_utf8(fresh);
    run.poll_mark = out.total();
    text += fresh.empty() ? std::string_view("(no new output)") : fresh;
    json details = json::object({{"status", status_of(run)}, {"sessionId", run.id}});
    if (run.running()) {
      detail::append_note(text, "Process still running.");
    } else {
      detail::append_note(text, fmt::format("Process exited with {}.", end_text(run)));
      details.set("exitCode", run.exit()->code);
    }
    return text_result(std::move(text), std::move(details));
  }

  static tool_result log(const command_run& run, const json& args) {
    std::string_view all = detail::skip_partial_utf8(run.output().kept());
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < all.size();) {
      auto nl = all.find('\n', start);
      if (nl == std::string_view::npos) nl = all.size();
      std::string_view line = all.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      start = nl + 1;
    }
    const std::size_t total = lines.size();
    auto offset = number_arg(args, "offset");
    auto limit = number_arg(args, "limit");
    const bool default_tail = !offset && !limit;
    std::size_t first = 0;
    std::size_t count = total;
    if (default_tail) {
      count = std::min(total, default_log_lines);
      first = total - count;
    } else if (!offset) {
      count = std::min(total, static_cast<std::size_t>(std::max<std::int64_t>(0, *limit)));
      first = total - count;
    } else {
      first = std::min(total, static_cast<std::size_t>(std::max<std::int64_t>(0, *offset)));
      count = total - first;
      if (limit)
        count = std::min(count, static_cast<std::size_t>(std::max<std::int64_t>(0, *limit)));
    }
    std::string text;
    for (std::size_t i = first; i < first + count; ++i) {
      text.append(lines[i]);
      if (i + 1 < first + count) text += '\n';
    }
    if (text.empty()) text = run.running() ? "(no output yet)" : "(no output recorded)";
    if (default_tail && total > default_log_lines)
      text += fmt::format("\n\n[showing the last {} of {} lines; pass offset/limit to page]",
                          default_log_lines, total);
    const bool dropped = run.output().start() > 0;
    if (dropped)
      text +=
          fmt::format("\n[the first {} bytes of output are no longer kept]", run.output().start());
    json details = json::object({{"status", status_of(run)},
                                 {"sessionId", run.id},
                                 {"totalLines", total},
                                 {"totalBytes", run.output().total()},
                                 {"truncated", dropped}});
    if (!run.running()) details.set("exitCode", run.exit()->code);
    return text_result(std::move(text), std::move(details));
  }

  static tool_result write(command_run& run, const json& args) {
    if (!run.running())
      return error_result(fmt::format("{} is not running (exited with {}).", run.id, end_text(run)),
                          json::object({{"status", status_of(run)}, {"sessionId", run.id}}));
    if (!run.stdin_open())
      return error_result(fmt::format("{}: stdin is closed.", run.id),
                          json::object({{"status", "running"}, {"sessionId", run.id}}));
    const std::string data = args.string_or("data");
    if (auto w = run.write_stdin(data); !w)
      return error_result(fmt::format("{}: {}", run.id, w.error().message),
                          json::object({{"status", "running"}, {"sessionId", run.id}}));
    const bool eof = args.bool_or("eof", false);
    if (eof) run.close_stdin();
    return text_result(
        fmt::format("Wrote {} bytes to {}{}.", data.size(), run.id, eof ? " (stdin closed)" : ""),
        json::object({{"status", "running"}, {"sessionId", run.id}}));
  }

  // Answers with `make(run)` once the run has exited or `wait` has passed, whichever is first.
  template <class Make>
  void after_exit_or(const std::shared_ptr<command_run>& run, std::chrono::milliseconds wait,
                     tool_context ctx, tool_done done, Make make) {
    if (!run->running() || wait.count() <= 0) return done(make(*run));
    struct waiting {
      explicit waiting(asio::any_io_executor ex) : timer(std::move(ex)) {}
      asio::steady_timer timer;
      std::shared_ptr<command_run> run;
      tool_context ctx;
      tool_done done;
      std::uint64_t token = 0;
      bool answered = false;
    };
    auto w = std::make_shared<waiting>(process_access::executor(*processes_));
    w->run = run;
    w->ctx = std::move(ctx);
    w->done = std::move(done);
    auto answer = [make](const std::shared_ptr<waiting>& s) {
      if (s->answered) return;
      s->answered = true;
      s->timer.cancel();
      s->run->forget(s->token);
      if (s->ctx.cancel.is_connected()) s->ctx.cancel.clear();
      tool_result r = make(*s->run);
      auto d = std::move(s->done);
      if (!s->ctx.executor) return d(std::move(r));
      asio::dispatch(s->ctx.executor,
                     [d = std::move(d), r = std::move(r)]() mutable { d(std::move(r)); });
    };
    std::weak_ptr<waiting> weak = w;
    w->token = run->when_done([weak, answer] {
      if (auto s = weak.lock()) answer(s);
    });
    if (w->ctx.cancel.is_connected()) {
      // An aborted turn stops waiting; the answer is what is known so far.
      w->ctx.cancel.assign(
          [weak, answer, ex = process_access::executor(*processes_)](asio::cancellation_type type) {
            if (type == asio::cancellation_type::none) return;
            asio::post(ex, [weak, answer] {
              if (auto s = weak.lock()) answer(s);
            });
          });
    }
    w->timer.expires_after(wait);
    w->timer.async_wait([w, answer](const asio::error_code& ec) {
      if (!ec) answer(w);
    });
  }

  tool_definition definition_;
  std::shared_ptr<process_registry> processes_;
};

}  // namespace

std::shared_ptr<tool> make_process_tool(std::shared_ptr<process_registry> processes) {
  return std::make_shared<process_tool>(std::move(processes));
}

}  // namespace durar
