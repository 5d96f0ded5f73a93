// Shared by the file tools: where a path the model wrote points, whether the workspace
// allows it, and how a file is replaced without a reader ever seeing half of it.
#pragma once

#include <durar/result.hpp>
#include <durar/tools.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace durar::detail {

// The directory relative paths resolve against: the options' workspace, else the call's,
// else the process's working directory; absolute and lexically normal.
std::filesystem::path tool_workspace(const fs_options& options, const tool_context& ctx);

// Deletes act on a symlink itself; every other operation on what it points to.
enum class final_link { follow, keep };

// Resolves what the model wrote: "@" prefix dropped, "~" expanded, relative to `workspace`,
// `..` folded, symlinks of the existing part resolved. With workspace_only, a path outside
// the workspace, lexically or through a symlink, is a permission_denied error saying so.
result<std::filesystem::path> resolve_tool_path(std::string_view input,
                                                const std::filesystem::path& workspace,
                                                bool workspace_only,
                                                final_link link = final_link::follow);

// A path for messages: relative to the workspace when inside it, else absolute.
std::string display_path(const std::filesystem::path& file, const std::filesystem::path& workspace);

// Replaces `file` with `content` atomically (temporary file and rename), creating missing
// parent directories. An existing file keeps its mode; a new one gets 0666 less the umask.
result<void> write_tool_file(const std::filesystem::path& file, const std::string& content);

// The whole file, or not_found / permission_denied / invalid_argument (a directory) naming
// `shown`, the path as the model wrote it.
result<std::string> read_tool_file(const std::filesystem::path& file, std::string_view shown);

// "512B", "1.5KB", "2.0MB", as the original's tool messages write sizes.
std::string format_size(std::size_t bytes);

}  // namespace durar::detail
