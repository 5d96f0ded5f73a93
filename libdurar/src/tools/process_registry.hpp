// What exec and process share: one command's run (child, retained output, timeout, how it
// ended) and detail::process_access, their way into a process_registry.
#pragma once

#include <durar/result.hpp>
#include <durar/tools.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include "tools/child_process.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace durar::detail {

// The last `cap` bytes of a stream, with absolute offsets so readers can resume.
class output_tail {
 public:
  explicit output_tail(std::size_t cap) : cap_(cap) {}
  void append(std::string_view bytes);
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }  // ever appended
  [[nodiscard]] std::uint64_t start() const noexcept { return total_ - kept().size(); }
  [[nodiscard]] std::string_view kept() const noexcept;
  // Kept bytes from absolute offset `from` on (from start() when that is later).
  [[nodiscard]] std::string_view since(std::uint64_t from) const noexcept;

 private:
  std::size_t cap_;
  std::string buffer_;  // trimmed to cap_ lazily, so appends stay amortised O(1)
  std::uint64_t total_ = 0;
};

// Why a run was stopped by Durar rather than ending by itself.
enum class stop_cause { none, timeout, cancelled, killed };

// One exec command, from spawn to exit. The running child holds its run (and the child is held
// by its pending waits), so nothing forms a cycle: when the io_context goes away with the
// command still running, the child is killed and reaped. Use from the executor's thread.
class command_run : public std::enable_shared_from_this<command_run> {
 public:
  struct settings {
    spawn_options spawn;
    std::chrono::milliseconds timeout{0};  // 0: none
    std::size_t max_output_bytes = 200 * 1024;
  };
  static result<std::shared_ptr<command_run>> start(asio::any_io_executor executor, settings s);

  command_run(asio::any_io_executor executor, settings s);
  ~command_run();
  command_run(const command_run&) = delete;
  command_run& operator=(const command_run&) = delete;

  [[nodiscard]] const std::string& command() const noexcept { return settings_.spawn.command; }
  [[nodiscard]] const std::filesystem::path& cwd() const noexcept { return settings_.spawn.cwd; }
  [[nodiscard]] std::chrono::milliseconds timeout() const noexcept { return settings_.timeout; }
  [[nodiscard]] int pid() const noexcept { return pid_; }
  [[nodiscard]] std::int64_t started_at() const noexcept { return started_at_; }
  [[nodiscard]] std::int64_t ended_at() const noexcept { return ended_at_; }
  [[nodiscard]] bool running() const noexcept { return !exit_; }
  [[nodiscard]] const std::optional<child_exit>& exit() const noexcept { return exit_; }
  [[nodiscard]] stop_cause cause() const noexcept { return cause_; }
  [[nodiscard]] const output_tail& output() const noexcept { return output_; }
  [[nodiscard]] bool stdin_open() const noexcept {
    auto child = child_.lock();
    return child && child->stdin_open();
  }

  // Set when the run moves to the background ("proc_3").
  std::string id;
  // What `process poll` returned up to, as an absolute output offset.
  std::uint64_t poll_mark = 0;
  // Output as it arrives (the foreground call's progress updates); cleared when backgrounded.
  std::function<void(std::string_view)> on_output;

  // Calls `f` once when the command has ended, at once (inline) if it already has. The token
  // lets a waiter that gave up unsubscribe.
  std::uint64_t when_done(std::function<void()> f);
  void forget(std::uint64_t token);

  // Kills the process group with SIGKILL and records why.
  void stop(stop_cause why);
  result<void> write_stdin(std::string_view data);
  void close_stdin();

 private:
  void ended(child_exit e);

  asio::any_io_executor executor_;
  settings settings_;
  std::weak_ptr<child_process> child_;
  int pid_ = 0;
  std::int64_t started_at_ = 0;
  std::int64_t ended_at_ = 0;
  output_tail output_;
  std::optional<child_exit> exit_;
  stop_cause cause_ = stop_cause::none;
  asio::steady_timer timeout_timer_;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> waiters_;
  std::uint64_t next_token_ = 1;
};

struct process_access {
  static asio::any_io_executor executor(const process_registry& r);
  // Adds a run that moved to the background and returns its new id ("proc_1").
  static std::string adopt(process_registry& r, std::shared_ptr<command_run> run);
  static std::shared_ptr<command_run> find(const process_registry& r, std::string_view id);
  // Newest first.
  static std::vector<std::shared_ptr<command_run>> runs(const process_registry& r);
  static bool remove(process_registry& r, std::string_view id);
};

// `s` without the partial UTF-8 character a cut anywhere in a stream may leave at its front.
std::string_view skip_partial_utf8(std::string_view s) noexcept;

// Appends a note after output, separated by one blank line whatever the output ended with.
void append_note(std::string& text, std::string_view note);

// "12s", "3m05s", "1h02m" for lists and notes.
std::string compact_duration(std::int64_t ms);

}  // namespace durar::detail
