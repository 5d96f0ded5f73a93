// Durable file writes shared by config, cooldown state and sessions.
#pragma once

#include <durar/result.hpp>

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace durar::detail {

// The error code for a failed open(2) or creat: out of descriptors or memory is
// unavailable (it passes), a full disk resource_exhausted, a missing file not_found, and
// anything else permission_denied.
errc open_errc(int err);

// The process holding a flock(2) on the file open as `fd`, from /proc/locks ("1: FLOCK
// ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF"): its pid, 0 when no process holds
// one, -1 when the kernel does not say (no /proc/locks). The lock holders name themselves
// this way, so a lock needs no pid file beside it.
pid_t flock_holder(int fd);

// Creates `dir` and every missing folder above it, each new one mode 0700: the state dir
// holds credentials and whole conversations, so no folder of it is made readable by others
// on the way (create_directories makes the parents 0755). Folders that exist keep their mode.
result<void> create_private_dirs(const std::filesystem::path& dir);

// The whole file; "" with exists = false when there is no such file.
result<std::string> read_file(const std::filesystem::path& file, bool& exists);

// Replaces `file` with `text` atomically: a temporary file in the same directory, fsync,
// rename, fsync of the directory. A new file gets mode 0600 (and a new directory 0700); an
// existing file keeps its mode; a symlink's target is replaced, not the link. `sync` false
// skips both fsyncs (the rename stays atomic, only durability across power loss is lost).
result<void> write_file_atomic(const std::filesystem::path& file, const std::string& text,
                               bool sync = true);

// write_file_atomic in two steps, for a writer that must not hold a lock while the disk
// works: stage() writes and fsyncs the temporary file; commit() renames it into place, and
// sync_folder() then makes the rename durable. A staged file that is not committed is
// removed by the destructor.
class staged_file {
 public:
  static result<staged_file> stage(const std::filesystem::path& file, const std::string& text,
                                   bool sync = true);
  staged_file(staged_file&& o) noexcept;
  staged_file& operator=(staged_file&&) = delete;
  staged_file(const staged_file&) = delete;
  ~staged_file();

  result<void> commit();
  void sync_folder() const;  // fsync of the folder, when staged with sync

 private:
  staged_file() = default;
  std::filesystem::path file_, dir_, tmp_;
  bool sync_ = true;
};

}  // namespace durar::detail
