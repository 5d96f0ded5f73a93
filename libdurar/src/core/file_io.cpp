#include "core/file_io.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace durar::detail {

namespace {
std::string os_error(const std::string& what, const std::filesystem::path& p) {
  return what + " " + p.string() + ": " + std::strerror(errno);
}
}  // namespace

errc open_errc(int err) {
  switch (err) {
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return errc::unavailable;
    case ENOSPC:
    case EDQUOT:
      return errc::resource_exhausted;
    case ENOENT:
      return errc::not_found;
    default:
      return errc::permission_denied;
  }
}

pid_t flock_holder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  std::FILE* locks = std::fopen("/proc/locks", "re");
  if (locks == nullptr) return -1;
  pid_t holder = 0;
  char line[256];
  while (std::fgets(line, sizeof line, locks) != nullptr) {
    char kind[16] = {}, mode[16] = {};
    long pid = 0;
    unsigned major = 0, minor = 0;
    unsigned long long inode = 0;
    if (std::sscanf(line, "%*[^:]: %15s %*s %15s %ld %x:%x:%llu", kind, mode, &pid, &major, &minor,
                    &inode) != 6)
      continue;
    if (std::string_view(kind) == "FLOCK" && inode == st.st_ino && major == ::major(st.st_dev) &&
        minor == ::minor(st.st_dev) && pid > 0) {
      holder = static_cast<pid_t>(pid);
      break;
    }
  }
  std::fclose(locks);
  return holder;
}

result<void> create_private_dirs(const std::filesystem::path& dir) {
  if (dir.empty()) return {};
  std::filesystem::path at;
  for (const auto& part : dir) {
    at /= part;
    if (::mkdir(at.c_str(), 0700) == 0 || errno == EEXIST) continue;
    // A missing parent of a relative path, or one we may not write but that exists: let the
    // next step say which.
    int err = errno;
    std::error_code ec;
    if (std::filesystem::is_directory(at, ec)) continue;
    return fail(errc::permission_denied,
                "cannot create " + at.string() + ": " + std::strerror(err));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return fail(errc::permission_denied, dir.string() + " is not a folder");
  return {};
}

result<std::string> read_file(const std::filesystem::path& file, bool& exists) {
  std::error_code ec;
  exists = std::filesystem::exists(file, ec);
  if (!exists) return std::string();
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(open_errc(errno), os_error("cannot read", file));
  // Sized once from fstat and filled through a small buffer: no stream copies, and no
  // zero-filling of a buffer the read then overwrites.
  std::string text;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) text.reserve(static_cast<std::size_t>(st.st_size));
  char chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EISDIR) break;  // a directory reads as empty, as a stream read it
    if (n < 0) {
      std::string message = os_error("cannot read", file);
      ::close(fd);
      return fail(errc::permission_denied, message);
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

result<staged_file> staged_file::stage(const std::filesystem::path& requested,
                                       const std::string& text, bool sync) {
  std::error_code ec;
  staged_file out;
  out.sync_ = sync;
  out.file_ = requested;
  // Replace the file a symlink points to, not the link.
  if (std::filesystem::is_symlink(out.file_, ec)) {
    out.file_ = std::filesystem::canonical(out.file_, ec);
    if (ec)
      return fail(errc::not_found, "cannot resolve " + requested.string() + ": " + ec.message());
  }
  out.dir_ = out.file_.parent_path().empty() ? "." : out.file_.parent_path();
  if (!std::filesystem::exists(out.dir_, ec))
    if (auto made = create_private_dirs(out.dir_); !made) return fail(made.error());
  mode_t mode = 0600;
  struct stat st {};
  if (::stat(out.file_.c_str(), &st) == 0) mode = st.st_mode & 07777;
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp =
      out.dir_ / ("." + out.file_.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter++));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(open_errc(errno), os_error("cannot create", tmp));
  auto give_up = [&](const std::string& what) {
    std::string message = os_error(what, tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(errc::unavailable, message);
  };
  if (::fchmod(fd, mode) != 0) return give_up("cannot set the mode of");
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return give_up("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (sync && ::fsync(fd) != 0) return give_up("cannot sync");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fail(errc::unavailable, os_error("cannot close", tmp));
  }
  out.tmp_ = std::move(tmp);
  return out;
}

staged_file::staged_file(staged_file&& o) noexcept
    : file_(std::move(o.file_)), dir_(std::move(o.dir_)), tmp_(std::move(o.tmp_)), sync_(o.sync_) {
  o.tmp_.clear();
}

staged_file::~staged_file() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

result<void> staged_file::commit() {
  if (tmp_.empty()) return fail(errc::internal, "nothing staged for " + file_.string());
  std::filesystem::path tmp = std::move(tmp_);
  tmp_.clear();
  if (::rename(tmp.c_str(), file_.c_str()) != 0) {
    std::string message = os_error("cannot replace", file_);
    ::unlink(tmp.c_str());
    return fail(errc::unavailable, message);
  }
  return {};
}

void staged_file::sync_folder() const {
  if (!sync_) return;
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // make the rename itself durable
    ::close(dfd);
  }
}

result<void> write_file_atomic(const std::filesystem::path& file, const std::string& text,
                               bool sync) {
  auto staged = staged_file::stage(file, text, sync);
  if (!staged) return fail(staged.error());
  if (auto c = staged->commit(); !c) return c;
  staged->sync_folder();
  return {};
}

}  // namespace durar::detail
