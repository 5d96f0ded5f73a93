#include "core/file_io.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
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

result<void> write_file_atomic(const std::filesystem::path& requested, const std::string& text,
                               bool sync) {
  std::error_code ec;
  std::filesystem::path file = requested;
  // Replace the file a symlink points to, not the link.
  if (std::filesystem::is_symlink(file, ec)) {
    file = std::filesystem::canonical(file, ec);
    if (ec)
      return fail(errc::not_found, "cannot resolve " + requested.string() + ": " + ec.message());
  }
  std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return fail(errc::permission_denied, "cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);  // the state dir holds credentials
  }
  mode_t mode = 0600;
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) mode = st.st_mode & 07777;
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = dir / ("." + file.filename().string() + ".tmp-" +
                                     std::to_string(::getpid()) + "-" + std::to_string(counter++));
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
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    std::string message = os_error("cannot replace", file);
    ::unlink(tmp.c_str());
    return fail(errc::unavailable, message);
  }
  if (!sync) return {};
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // make the rename itself durable
    ::close(dfd);
  }
  return {};
}

}  // namespace durar::detail
