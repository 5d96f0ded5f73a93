#include "tools/fs_paths.hpp"

#include <fmt/format.h>

#include "core/file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace durar::detail {

namespace fs = std::filesystem;

namespace {

// lexically_normal keeps a trailing separator as an empty last element; drop it so
// component-wise comparisons see "/a/b" and "/a/b/" as the same directory.
fs::path without_trailing_slash(fs::path p) {
  if (!p.empty() && p.filename().empty() && p.has_relative_path()) p = p.parent_path();
  return p;
}

bool is_inside(const fs::path& p, const fs::path& root) {
  auto [root_it, p_it] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return root_it == root.end();
}

std::string home_dir() {
  const char* home = std::getenv("HOME");
  return home != nullptr ? home : "";
}

fs::path expand(std::string_view input) {
  if (!input.empty() && input.front() == '@') input.remove_prefix(1);
  if (input == "~") return home_dir();
  if (input.size() >= 2 && input[0] == '~' && input[1] == '/')
    return fs::path(home_dir()) / std::string(input.substr(2));
  return fs::path(std::string(input));
}

// Symlinks of the existing part resolved; a missing tail kept as written.
fs::path physical(const fs::path& lexical, final_link link) {
  std::error_code ec;
  if (link == final_link::keep && lexical.has_parent_path()) {
    fs::path parent = fs::weakly_canonical(lexical.parent_path(), ec);
    return ec ? lexical : parent / lexical.filename();
  }
  fs::path real = fs::weakly_canonical(lexical, ec);
  return ec ? lexical : without_trailing_slash(real);
}

}  // namespace

fs::path tool_workspace(const fs_options& options, const tool_context& ctx) {
  fs::path ws = !options.workspace.empty() ? options.workspace : ctx.workspace;
  std::error_code ec;
  if (ws.empty()) ws = fs::current_path(ec);
  if (ws.is_relative()) ws = fs::absolute(ws, ec);
  return without_trailing_slash(ws.lexically_normal());
}

result<fs::path> resolve_tool_path(std::string_view input, const fs::path& workspace,
                                   bool workspace_only, final_link link) {
  fs::path expanded = expand(input);
  if (expanded.empty()) return fail(errc::invalid_argument, "path is empty");
  fs::path lexical = expanded.is_absolute() ? expanded : workspace / expanded;
  lexical = without_trailing_slash(lexical.lexically_normal());
  fs::path real = physical(lexical, link);
  if (!workspace_only) return real;

  if (!is_inside(lexical, workspace))
    return fail(errc::permission_denied,
                fmt::format("Path escapes the workspace ({}): {}", workspace.string(), input));
  // The workspace itself may sit behind a symlink (/tmp on macOS, a linked home).
  fs::path real_workspace = physical(workspace, final_link::follow);
  if (!is_inside(real, real_workspace))
    return fail(errc::permission_denied,
                fmt::format("Path leaves the workspace ({}) through a symlink: {} resolves to {}",
                            workspace.string(), input, real.string()));
  return real;
}

std::string display_path(const fs::path& file, const fs::path& workspace) {
  if (is_inside(file, workspace)) {
    fs::path rel = file.lexically_relative(workspace);
    if (!rel.empty() && rel != ".") return rel.string();
  }
  return file.string();
}

result<void> write_tool_file(const fs::path& file, const std::string& content) {
  std::error_code ec;
  auto st = fs::status(file, ec);
  if (st.type() == fs::file_type::directory)
    return fail(errc::invalid_argument, fmt::format("{} is a directory", file.string()));
  if (fs::path dir = file.parent_path(); !dir.empty()) {
    fs::create_directories(dir, ec);
    if (ec)
      return fail(errc::permission_denied,
                  fmt::format("Cannot create directory {}: {}", dir.string(), ec.message()));
  }
  // A new file is created first so the kernel applies the umask to its mode, which the
  // atomic replace then keeps.
  bool created = false;
  if (!fs::exists(st)) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      created = true;
    } else if (errno != EEXIST) {
      return fail(errc::permission_denied,
                  fmt::format("Cannot create {}: {}", file.string(), std::strerror(errno)));
    }
  }
  auto written = write_file_atomic(file, content);
  if (!written && created) ::unlink(file.c_str());
  return written;
}

result<std::string> read_tool_file(const fs::path& file, std::string_view shown) {
  std::error_code ec;
  auto st = fs::status(file, ec);
  if (!fs::exists(st)) return fail(errc::not_found, fmt::format("File not found: {}", shown));
  if (fs::is_directory(st))
    return fail(errc::invalid_argument, fmt::format("{} is a directory, not a file", shown));
  if (!fs::is_regular_file(st))
    return fail(errc::invalid_argument, fmt::format("{} is not a regular file", shown));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return fail(errc::permission_denied,
                fmt::format("Cannot read {}: {}", shown, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(errc::unavailable, fmt::format("Cannot read {}", shown));
  return text.str();
}

std::string format_size(std::size_t bytes) {
  if (bytes < 1024) return fmt::format("{}B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f}KB", static_cast<double>(bytes) / 1024.0);
  return fmt::format("{:.1f}MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace durar::detail
