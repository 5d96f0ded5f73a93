#include "gateway_runtime_file.hpp"

#include <durar/gateway.hpp>
#include <durar/json.hpp>

#include <fmt/format.h>

#include "core/file_io.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace durar {
namespace {

std::filesystem::path file_in(const std::filesystem::path& state_dir) {
  return state_dir / "gateway.json";
}

std::filesystem::path lock_in(const std::filesystem::path& state_dir) {
  return state_dir / "gateway.lock";
}

std::optional<gateway_runtime_info> read_info(const std::filesystem::path& state_dir) {
  bool exists = false;
  auto text = detail::read_file(file_in(state_dir), exists);
  if (!text || !exists) return std::nullopt;
  auto doc = json::parse(*text);
  if (!doc || !doc->is_object()) return std::nullopt;
  gateway_runtime_info info;
  const std::int64_t pid = doc->int_or("pid", 0), port = doc->int_or("port", 0);
  if (pid <= 0 || pid > INT32_MAX || port <= 0 || port > 65535) return std::nullopt;
  info.pid = static_cast<int>(pid);
  info.port = static_cast<std::uint16_t>(port);
  info.url = doc->string_or("url");
  return info;
}

// Who holds <state dir>/gateway.lock: a pid, 0 for no one, -1 when that cannot be told
// (no lock file, as before any gateway of this version ran, or no /proc/locks).
pid_t lock_holder(const std::filesystem::path& state_dir) {
  int fd = ::open(lock_in(state_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const pid_t holder = detail::flock_holder(fd);
  ::close(fd);  // a flock belongs to the holder's own open file: this close leaves it be
  return holder;
}

}  // namespace

std::optional<gateway_runtime_info> running_gateway_on(const std::filesystem::path& state_dir) {
  auto info = read_info(state_dir);
  if (!info) return std::nullopt;
  // The lock names the live gateway exactly; a file left by a killed gateway names a pid
  // that no longer holds it, even when that pid has since been reused.
  if (const pid_t holder = lock_holder(state_dir); holder >= 0)
    return holder == info->pid ? info : std::nullopt;
  if (::kill(info->pid, 0) != 0 && errno != EPERM) return std::nullopt;  // its process is gone
  return info;
}

namespace gateway_detail {

result<state_dir_lock> state_dir_lock::acquire(const std::filesystem::path& state_dir) {
  std::error_code ec;
  if (!state_dir.empty() && !std::filesystem::exists(state_dir, ec))
    if (auto made = detail::create_private_dirs(state_dir); !made) return fail(made.error());
  const auto file = lock_in(state_dir);
  // O_CLOEXEC: the commands the gateway's tools run must not inherit (and outlive it with)
  // the lock.
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    return fail(detail::open_errc(err),
                fmt::format("cannot open {}: {}", file.string(), std::strerror(err)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return state_dir_lock(fd);
  const int err = errno;
  const pid_t holder = err == EWOULDBLOCK ? detail::flock_holder(fd) : 0;
  ::close(fd);
  if (err != EWOULDBLOCK)
    return fail(errc::unavailable,
                fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
  std::string who = holder > 0 ? fmt::format("pid {}", holder) : "pid unknown";
  if (holder == ::getpid()) who += ", this process";
  if (auto info = read_info(state_dir); info && holder > 0 && info->pid == holder)
    who += fmt::format(", port {}", info->port);
  return fail(errc::unavailable,
              fmt::format("a gateway is already running for state dir {} ({}); stop it first",
                          state_dir.string(), who));
}

state_dir_lock& state_dir_lock::operator=(state_dir_lock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

state_dir_lock::~state_dir_lock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

void write_runtime_file(const std::filesystem::path& state_dir, std::uint16_t port,
                        const std::string& ws_url) {
  json doc = json::object({{"pid", static_cast<std::int64_t>(::getpid())},
                           {"port", static_cast<std::int64_t>(port)},
                           {"url", ws_url}});
  (void)detail::write_file_atomic(file_in(state_dir), doc.dump(2) + "\n", false);
}

void remove_runtime_file(const std::filesystem::path& state_dir) {
  auto info = read_info(state_dir);
  if (info && info->pid == ::getpid()) {
    std::error_code ec;
    std::filesystem::remove(file_in(state_dir), ec);
  }
}

}  // namespace gateway_detail
}  // namespace durar
