// The transcript file a session appends to: one write(2) per line (O_APPEND), truncated
// back when a write fails half-way, and an advisory flock(2) so one process writes it.
// The lock holder's pid sits beside it in <id>.jsonl.lock for the error a second writer
// gets; the kernel drops the lock itself when the holder dies, however it dies.
#include <fmt/format.h>

#include "session/session_internal.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace durar::detail {

namespace {

std::string os_error(std::string_view what, const std::filesystem::path& p, int err) {
  return fmt::format("{} {}: {}", what, p.string(), std::strerror(err));
}

// Disk full and file-size limits are worth telling apart from a vanished file.
errc write_errc(int err) {
  return (err == ENOSPC || err == EFBIG || err == EDQUOT) ? errc::resource_exhausted
                                                          : errc::unavailable;
}

std::string read_pid(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unknown";
  char buf[32] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown" : s;
}

void write_pid(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;  // only informative: the lock itself is the flock
  std::string s = std::to_string(::getpid()) + "\n";
  ssize_t n = ::write(fd, s.data(), s.size());
  (void)n;
  ::close(fd);
}

}  // namespace

transcript_file::~transcript_file() { close(); }

transcript_file::transcript_file(transcript_file&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), pid_path_(std::move(o.pid_path_)), size_(o.size_) {
  o.fd_ = -1;
}

transcript_file& transcript_file::operator=(transcript_file&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    pid_path_ = std::move(o.pid_path_);
    size_ = o.size_;
    o.fd_ = -1;
  }
  return *this;
}

result<transcript_file> transcript_file::open(const std::filesystem::path& p, bool create,
                                              std::string_view who) {
  int flags = O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(p.c_str(), flags, 0600);
  if (fd < 0) {
    int err = errno;
    return fail(err == ENOENT ? errc::not_found : errc::permission_denied,
                os_error("cannot open", p, err));
  }
  transcript_file f;
  f.fd_ = fd;
  f.path_ = p;
  f.pid_path_ = p;
  f.pid_path_ += ".lock";
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(f.fd_);
    f.fd_ = -1;
    if (err != EWOULDBLOCK) return fail(errc::unavailable, os_error("cannot lock", p, err));
    std::string pid = read_pid(f.pid_path_);
    std::string where = pid == std::to_string(::getpid()) ? "this process" : "another process";
    return fail(errc::unavailable,
                fmt::format("session {} is open in {} (pid {})", who, where, pid));
  }
  write_pid(f.pid_path_);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    return fail(errc::unavailable, os_error("cannot stat", p, err));
  }
  f.size_ = static_cast<std::uint64_t>(st.st_size);
  return f;
}

result<std::string> transcript_file::read_all() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return fail(errc::unavailable, os_error("cannot stat", path_, errno));
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errc::unavailable, os_error("cannot read", path_, errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  size_ = done;
  return out;
}

result<void> transcript_file::append(std::string_view bytes) {
  if (fd_ < 0) return fail(errc::unavailable, "transcript " + path_.string() + " is closed");
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      // Keep the file ending on a whole line: a half-written entry would be torn.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        return fail(write_errc(err),
                    os_error("cannot append to", path_, err) +
                        " (and cannot cut the partial line off: the next load will skip it)");
      }
      return fail(write_errc(err),
                  os_error("cannot append to", path_, err) + " (the transcript is unchanged)");
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += done;
  return {};
}

result<void> transcript_file::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    return fail(errc::unavailable, os_error("cannot truncate", path_, errno));
  size_ = size;
  return {};
}

result<void> transcript_file::sync() {
  if (fd_ < 0) return {};
  if (::fdatasync(fd_) != 0) return fail(write_errc(errno), os_error("cannot sync", path_, errno));
  return {};
}

void transcript_file::close() noexcept {
  if (fd_ < 0) return;
  ::unlink(pid_path_.c_str());  // still under the lock, so no other holder's pid is removed
  ::close(fd_);                 // releases the flock
  fd_ = -1;
}

}  // namespace durar::detail
