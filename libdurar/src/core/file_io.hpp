// Durable file writes shared by config, cooldown state and sessions.
#pragma once

#include <durar/result.hpp>

#include <filesystem>
#include <string>

namespace durar::detail {

// The whole file; "" with exists = false when there is no such file.
result<std::string> read_file(const std::filesystem::path& file, bool& exists);

// Replaces `file` with `text` atomically: a temporary file in the same directory, fsync,
// rename, fsync of the directory. A new file gets mode 0600 (and a new directory 0700); an
// existing file keeps its mode; a symlink's target is replaced, not the link. `sync` false
// skips both fsyncs (the rename stays atomic, only durability across power loss is lost).
result<void> write_file_atomic(const std::filesystem::path& file, const std::string& text,
                               bool sync = true);

}  // namespace durar::detail
