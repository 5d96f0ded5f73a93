// The transcript file a session appends to: one write(2) per line (O_APPEND), truncated
// back when a write fails half-way, and an advisory flock(2) so one process writes it.
// The kernel drops the lock itself when the holder dies, however it dies, and names the
// holder in /proc/locks for the error a second writer gets: no pid file to write per open.
#include <fmt/format.h>

#include "core/file_io.hpp"
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

}  // namespace

transcript_file::~transcript_file() { close(); }

transcript_file::transcript_file(transcript_file&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), size_(o.size_) {
  o.fd_ = -1;
}

transcript_file& transcript_file::operator=(transcript_file&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
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
    return fail(open_errc(err), os_error("cannot open", p, err));
  }
  transcript_file f;
  f.fd_ = fd;
  f.path_ = p;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    const pid_t holder = err == EWOULDBLOCK ? flock_holder(fd) : 0;
    const std::string pid = holder > 0 ? std::to_string(holder) : "unknown";
    ::close(f.fd_);
    f.fd_ = -1;
    if (err != EWOULDBLOCK) return fail(errc::unavailable, os_error("cannot lock", p, err));
    std::string where = holder == ::getpid() ? "this process" : "another process";
    return fail(errc::unavailable,
                fmt::format("session {} is open in {} (pid {})", who, where, pid));
  }
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
  std::string out;
  auto want = static_cast<std::size_t>(st.st_size);
  out.reserve(want);
  // Read through a small buffer and appended: std::string(n, '\0') would first write every
  // byte of a fresh buffer the size of the file only for the read to write it again.
  char chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::pread(fd_, chunk, sizeof chunk, static_cast<off_t>(out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errc::unavailable, os_error("cannot read", path_, errno));
    if (n == 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  size_ = out.size();
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
  ::close(fd_);  // releases the flock
  fd_ = -1;
}

}  // namespace durar::detail
