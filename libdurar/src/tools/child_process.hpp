// A shell command as a child process driven by Asio: `/bin/sh -c` in its own process group
// (so a kill reaches grandchildren), stdout and stderr through one pipe in the order they
// were written, stdin through another, and exit noticed through a pidfd (a timer polling
// waitpid where pidfds are missing), never through SIGCHLD.
#pragma once

#include <durar/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace durar::detail {

struct spawn_options {
  std::string command;  // run as /bin/sh -c <command>
  std::filesystem::path cwd;
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the inherited ones
};

// How the child ended: its exit status, or the signal that killed it.
struct child_exit {
  int code = 0;    // exit status, or 128 + signal
  int signal = 0;  // 0 when it exited by itself
};

// Use from the executor's thread only. Destroying a child that still runs kills its group.
class child_process : public std::enable_shared_from_this<child_process> {
 public:
  using output_fn = std::function<void(std::string_view)>;
  using exit_fn = std::function<void(child_exit)>;

  // Starts the child; `on_output` gets its combined output as it arrives, `on_exit` once,
  // after the last output the child wrote before exiting. Output that descendants write
  // after the shell exited is not waited for.
  static result<std::shared_ptr<child_process>> spawn(asio::any_io_executor executor,
                                                      const spawn_options& options,
                                                      output_fn on_output, exit_fn on_exit);

  child_process(asio::any_io_executor executor, int pid, int out_fd, int in_fd, int pid_fd,
                output_fn on_output, exit_fn on_exit);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] int pid() const noexcept { return pid_; }
  [[nodiscard]] bool running() const noexcept { return !exit_; }
  [[nodiscard]] const std::optional<child_exit>& exit() const noexcept { return exit_; }

  // Sends `sig` to the whole process group; a no-op once the child has been reaped.
  void kill_group(int sig) noexcept;
  // Queues bytes for stdin; fails when stdin is closed or the child is gone.
  result<void> write_stdin(std::string_view data);
  void close_stdin() noexcept;
  [[nodiscard]] bool stdin_open() const noexcept { return stdin_.is_open(); }

 private:
  void start();
  void wait_output();
  bool drain_output();  // true when bytes may remain
  void wait_exit();
  void poll_exit();
  void reap(int status);
  void flush_stdin();
  void finish();

  asio::any_io_executor executor_;
  int pid_;
  asio::posix::stream_descriptor out_;
  asio::posix::stream_descriptor stdin_;
  asio::posix::stream_descriptor pidfd_;
  asio::steady_timer poll_timer_;  // only without a pidfd
  std::chrono::milliseconds poll_interval_{5};
  std::string pending_stdin_;
  bool stdin_waiting_ = false;
  bool close_stdin_after_flush_ = false;
  output_fn on_output_;
  exit_fn on_exit_;
  std::optional<child_exit> exit_;
  bool finished_ = false;
};

// "SIGKILL" for 9, "signal 42" for one without a name.
std::string signal_name(int sig);

}  // namespace durar::detail
