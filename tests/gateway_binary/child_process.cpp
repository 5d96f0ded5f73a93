#include "child_process.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace durar::test {

namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

child_process::child_process(std::vector<std::string> argv,
                             const std::map<std::string, std::string>& env) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  if (env.count("PATH") == 0) env_s.emplace_back("PATH=/usr/bin:/bin");
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  // The test process ignores nothing the child should see: default signal dispositions.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  int rc = ::posix_spawn(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    close_fd(in_);
    close_fd(out_fd_);
    close_fd(err_fd_);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

child_process::~child_process() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close_fd(in_);
  close_fd(out_fd_);
  close_fd(err_fd_);
}

void child_process::signal(int sig) const {
  if (!exit_code_ && pid_ > 0) ::kill(pid_, sig);
}

void child_process::close_stdin() { close_fd(in_); }

bool child_process::pump(std::chrono::milliseconds limit) {
  pollfd fds[2];
  int n = 0;
  for (int fd : {out_fd_, err_fd_})
    if (fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
  if (n == 0) return false;
  int ready = ::poll(fds, static_cast<nfds_t>(n),
                     static_cast<int>(std::max<std::int64_t>(0, limit.count())));
  if (ready <= 0) return true;
  for (int i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    char buf[8192];
    ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
    const bool is_out = fds[i].fd == out_fd_;
    if (got > 0) {
      (is_out ? out_ : err_).append(buf, static_cast<std::size_t>(got));
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      close_fd(is_out ? out_fd_ : err_fd_);
    }
  }
  return true;
}

bool child_process::wait_text(const std::string& buffer, std::string_view text,
                              std::chrono::milliseconds limit) {
  const auto deadline = clock::now() + limit;
  while (buffer.find(text) == std::string::npos) {
    if (clock::now() >= deadline) return false;
    if (!pump(std::chrono::milliseconds(remaining_ms(deadline)))) return false;
  }
  return true;
}

bool child_process::wait_stdout(std::string_view text, std::chrono::milliseconds limit) {
  return wait_text(out_, text, limit);
}

bool child_process::wait_stderr(std::string_view text, std::chrono::milliseconds limit) {
  return wait_text(err_, text, limit);
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds limit) {
  if (exit_code_) return exit_code_;
  const auto deadline = clock::now() + limit;
  // Both pipes end when the process does (it has no children holding them).
  while ((out_fd_ >= 0 || err_fd_ >= 0) && clock::now() < deadline)
    pump(std::chrono::milliseconds(remaining_ms(deadline)));
  if (out_fd_ >= 0 || err_fd_ >= 0) return std::nullopt;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

program_result run_program(std::vector<std::string> argv,
                           const std::map<std::string, std::string>& env,
                           std::chrono::milliseconds limit) {
  child_process p(std::move(argv), env);
  p.close_stdin();
  program_result r;
  auto code = p.wait_exit(limit);
  r.exit_code = code.value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}

// ---- tcp_client

tcp_client::tcp_client(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

tcp_client::~tcp_client() {
  if (fd_ >= 0) ::close(fd_);
}

void tcp_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  closed_ = true;
}

bool tcp_client::can_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

bool tcp_client::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool tcp_client::read_some(std::chrono::milliseconds limit) {
  if (closed_ || fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  // Never a negative timeout: poll would wait forever.
  int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, limit.count())));
  if (ready <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return true;
    closed_ = true;
    return false;
  }
  received.append(buf, static_cast<std::size_t>(n));
  return true;
}

bool tcp_client::read_until(std::string_view text, std::chrono::milliseconds limit) {
  const auto deadline = clock::now() + limit;
  while (received.find(text) == std::string::npos) {
    if (closed_ || clock::now() >= deadline) return false;
    read_some(std::chrono::milliseconds(remaining_ms(deadline)));
  }
  return true;
}

bool tcp_client::read_at_least(std::size_t n, std::chrono::milliseconds limit) {
  const auto deadline = clock::now() + limit;
  while (received.size() < n) {
    if (closed_ || clock::now() >= deadline) return false;
    read_some(std::chrono::milliseconds(remaining_ms(deadline)));
  }
  return true;
}

bool tcp_client::wait_closed(std::chrono::milliseconds limit) {
  const auto deadline = clock::now() + limit;
  while (!closed_ && clock::now() < deadline)
    read_some(std::chrono::milliseconds(remaining_ms(deadline)));
  return closed_;
}

std::optional<http_reply> parse_reply(const std::string& raw) {
  auto end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return std::nullopt;
  http_reply r;
  r.head = raw.substr(0, end);
  r.status = std::atoi(raw.c_str() + 9);
  std::string lower = r.head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto cl = lower.find("\r\ncontent-length:");
  std::string rest = raw.substr(end + 4);
  if (cl != std::string::npos) {
    std::size_t len = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    if (rest.size() < len) return std::nullopt;
    rest.resize(len);
  }
  r.body = std::move(rest);
  return r;
}

}  // namespace durar::test
