#include "tools/child_process.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace durar::detail {
namespace {

// Closes a descriptor unless released; keeps the failure paths of spawn() leak-free.
class owned_fd {
 public:
  owned_fd() = default;
  explicit owned_fd(int fd) : fd_(fd) {}
  ~owned_fd() { reset(); }
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::string errno_text(int err) { return std::system_category().message(err); }

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Moves a descriptor above stdio, so that dup2 onto 0-2 in the child cannot clobber another
// pipe end when the host runs with a standard descriptor closed.
int above_stdio(int fd) {
  if (fd > STDERR_FILENO) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  ::close(fd);
  return moved;
}

int open_pidfd(int pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// The inherited environment with `overrides` set on top, as "KEY=value" strings.
std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : overrides)
      if (k == key) replaced = true;
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
}

// write() without raising SIGPIPE in this process when the child closed its stdin: the
// signal is blocked for the call and a SIGPIPE it generated is consumed before unblocking.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = ::write(fd, data, size);
  const int err = errno;
  if (n < 0 && err == EPIPE && !was_pending) {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == -1 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct spawn_setup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  bool actions_ok = false;
  bool attr_ok = false;
  spawn_setup() {
    actions_ok = posix_spawn_file_actions_init(&actions) == 0;
    attr_ok = posix_spawnattr_init(&attr) == 0;
  }
  ~spawn_setup() {
    if (actions_ok) posix_spawn_file_actions_destroy(&actions);
    if (attr_ok) posix_spawnattr_destroy(&attr);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
};

}  // namespace

std::string signal_name(int sig) {
  if (const char* abbrev = sigabbrev_np(sig); abbrev != nullptr)
    return fmt::format("SIG{}", abbrev);
  return fmt::format("signal {}", sig);
}

result<std::shared_ptr<child_process>> child_process::spawn(asio::any_io_executor executor,
                                                            const spawn_options& options,
                                                            output_fn on_output, exit_fn on_exit) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.cwd, ec))
    return fail(errc::not_found,
                fmt::format("working directory does not exist: {}", options.cwd.string()));

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return fail(errc::internal, "pipe: " + errno_text(errno));
  owned_fd out_read(above_stdio(out_pipe[0]));
  owned_fd out_write(above_stdio(out_pipe[1]));
  int in_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return fail(errc::internal, "pipe: " + errno_text(errno));
  owned_fd in_read(above_stdio(in_pipe[0]));
  owned_fd in_write(above_stdio(in_pipe[1]));
  if (out_read.get() < 0 || out_write.get() < 0 || in_read.get() < 0 || in_write.get() < 0)
    return fail(errc::internal, "pipe: " + errno_text(errno));

  spawn_setup setup;
  if (!setup.actions_ok || !setup.attr_ok) return fail(errc::internal, "posix_spawn setup failed");
  int rc = 0;
  rc |= posix_spawn_file_actions_adddup2(&setup.actions, in_read.get(), STDIN_FILENO);
  rc |= posix_spawn_file_actions_adddup2(&setup.actions, out_write.get(), STDOUT_FILENO);
  rc |= posix_spawn_file_actions_adddup2(&setup.actions, out_write.get(), STDERR_FILENO);
  rc |= posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd.c_str());
  // The host's descriptors (sockets, files) are none of the command's business.
  rc |= posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  // Its own process group, default signal handling and an empty mask whatever the host set.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  rc |= posix_spawnattr_setflags(
      &setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  rc |= posix_spawnattr_setpgroup(&setup.attr, 0);
  rc |= posix_spawnattr_setsigmask(&setup.attr, &none);
  rc |= posix_spawnattr_setsigdefault(&setup.attr, &all);
  if (rc != 0) return fail(errc::internal, "posix_spawn setup failed");

  std::vector<std::string> env = build_environment(options.env);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string command = options.command;
  std::array<char*, 4> argv{shell.data(), dash_c.data(), command.data(), nullptr};

  pid_t pid = 0;
  rc = posix_spawn(&pid, shell.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0)
    return fail(
        rc == ENOENT ? errc::not_found : errc::internal,
        fmt::format("cannot start /bin/sh in {}: {}", options.cwd.string(), errno_text(rc)));
  in_read.reset();
  out_write.reset();
  set_nonblocking(out_read.get());
  set_nonblocking(in_write.get());
  const int pid_fd = open_pidfd(pid);

  auto child = std::make_shared<child_process>(std::move(executor), pid, out_read.release(),
                                               in_write.release(), pid_fd, std::move(on_output),
                                               std::move(on_exit));
  child->start();
  return child;
}

child_process::child_process(asio::any_io_executor executor, int pid, int out_fd, int in_fd,
                             int pid_fd, output_fn on_output, exit_fn on_exit)
    : executor_(executor),
      pid_(pid),
      out_(executor, out_fd),
      stdin_(executor, in_fd),
      pidfd_(executor),
      poll_timer_(executor),
      on_output_(std::move(on_output)),
      on_exit_(std::move(on_exit)) {
  if (pid_fd >= 0) {
    asio::error_code ec;
    pidfd_.assign(pid_fd, ec);
    if (ec) ::close(pid_fd);
  }
}

child_process::~child_process() {
  if (!exit_) {
    // Nobody waits for it any more: it must not outlive its owner, nor stay a zombie.
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void child_process::start() {
  wait_output();
  wait_exit();
}

void child_process::wait_output() {
  if (!out_.is_open()) return;
  out_.async_wait(asio::posix::descriptor_base::wait_read,
                  [self = shared_from_this()](const asio::error_code& ec) {
                    if (ec || self->finished_ || !self->out_.is_open()) return;
                    self->drain_output();
                    self->wait_output();
                  });
}

bool child_process::drain_output() {
  std::array<char, 65536> buffer;
  // Bounded per call so that a flooding child cannot starve the loop; the next wait fires
  // at once while bytes remain.
  for (int round = 0; round < 16 && out_.is_open(); ++round) {
    ssize_t n = ::read(out_.native_handle(), buffer.data(), buffer.size());
    if (n > 0) {
      if (on_output_) on_output_(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    asio::error_code ignored;
    out_.close(ignored);  // end of output (or a read error, which ends it too)
    return false;
  }
  return out_.is_open();
}

void child_process::wait_exit() {
  if (pidfd_.is_open()) {
    pidfd_.async_wait(asio::posix::descriptor_base::wait_read,
                      [self = shared_from_this()](const asio::error_code& ec) {
                        if (ec || self->exit_) return;
                        self->poll_exit();
                      });
    return;
  }
  poll_timer_.expires_after(poll_interval_);
  poll_interval_ = std::min(poll_interval_ * 2, std::chrono::milliseconds(200));
  poll_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->exit_) return;
    self->poll_exit();
  });
}

void child_process::poll_exit() {
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return wait_exit();
  if (r < 0) {
    exit_ = child_exit{-1, 0};  // reaped by someone else (SIGCHLD ignored): status unknown
    return finish();
  }
  reap(status);
}

void child_process::reap(int status) {
  if (WIFSIGNALED(status))
    exit_ = child_exit{128 + WTERMSIG(status), WTERMSIG(status)};
  else
    exit_ = child_exit{WEXITSTATUS(status), 0};
  finish();
}

void child_process::finish() {
  if (finished_) return;
  // What the shell wrote before exiting is already in the pipe; take it, then stop reading
  // so that a descendant holding the pipe open cannot delay the result.
  for (int round = 0; round < 64 && drain_output(); ++round) {
  }
  finished_ = true;
  asio::error_code ignored;
  out_.close(ignored);
  pidfd_.close(ignored);
  poll_timer_.cancel();
  pending_stdin_.clear();
  stdin_.close(ignored);
  auto on_exit = std::move(on_exit_);
  on_output_ = nullptr;
  if (on_exit) on_exit(*exit_);
}

void child_process::kill_group(int sig) noexcept {
  if (!exit_) ::kill(-pid_, sig);
}

result<void> child_process::write_stdin(std::string_view data) {
  if (!stdin_.is_open() || close_stdin_after_flush_)
    return fail(errc::invalid_argument, "stdin is closed");
  pending_stdin_.append(data);
  flush_stdin();
  if (!stdin_.is_open() && !pending_stdin_.empty())
    return fail(errc::unavailable, "the process closed its stdin");
  return {};
}

void child_process::close_stdin() noexcept {
  if (!pending_stdin_.empty()) {
    close_stdin_after_flush_ = true;
    return;
  }
  asio::error_code ignored;
  stdin_.close(ignored);
}

void child_process::flush_stdin() {
  if (stdin_waiting_) return;
  while (!pending_stdin_.empty() && stdin_.is_open()) {
    ssize_t n =
        write_without_sigpipe(stdin_.native_handle(), pending_stdin_.data(), pending_stdin_.size());
    if (n > 0) {
      pending_stdin_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      stdin_waiting_ = true;
      stdin_.async_wait(asio::posix::descriptor_base::wait_write,
                        [self = shared_from_this()](const asio::error_code& ec) {
                          self->stdin_waiting_ = false;
                          if (ec || !self->stdin_.is_open()) return;
                          self->flush_stdin();
                        });
      return;
    }
    asio::error_code ignored;  // EPIPE: the child stopped reading
    stdin_.close(ignored);
    return;
  }
  if (pending_stdin_.empty() && close_stdin_after_flush_) {
    asio::error_code ignored;
    stdin_.close(ignored);
  }
}

}  // namespace durar::detail
