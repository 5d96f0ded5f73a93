// The built-in tools: read, write, edit, apply_patch, exec, process, web_fetch and
// sessions_list/history/send. Each is an ordinary durar::tool (tool.hpp); hosts pick the
// ones they want, or take builtin_tools() and filter with a tool_policy.
#pragma once

#include <durar/config.hpp>
#include <durar/export.hpp>
#include <durar/result.hpp>
#include <durar/tool.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

class session_store;
namespace detail {
struct process_access;  // the exec and process tools' way in
}

// ---- file tools ----------------------------------------------------------------------

struct fs_options {
  std::filesystem::path workspace;          // relative paths resolve here
  bool workspace_only = false;              // refuse paths outside the workspace (after symlinks)
  std::size_t max_read_bytes = 256 * 1024;  // read: larger reads are cut with a note
};

DURAR_API std::shared_ptr<tool> make_read_tool(fs_options options);
DURAR_API std::shared_ptr<tool> make_write_tool(fs_options options);
DURAR_API std::shared_ptr<tool> make_edit_tool(fs_options options);
DURAR_API std::shared_ptr<tool> make_apply_patch_tool(fs_options options);

// ---- exec and process ----------------------------------------------------------------

enum class exec_decision { allow, deny };

struct exec_approval_request {
  std::string command;
  std::filesystem::path cwd;
  std::string reason;  // why it was asked: "not in safeBins", "ask: always"
};

struct exec_options {
  std::filesystem::path workspace;  // default cwd
  std::string security = "full";    // deny | allowlist | full
  std::string ask = "off";          // off | on-miss | always
  std::vector<std::string> safe_bins;
  // Asked when `ask` says so; no callback means deny. May answer later (async).
  std::function<void(const exec_approval_request&, std::function<void(exec_decision)>)> approve;
  std::chrono::seconds timeout{1800};
  std::chrono::milliseconds background_after{10000};  // then the call returns a process id
  std::size_t max_output_bytes = 200 * 1024;          // kept from the end, with a note
};

// Background processes started by exec, listed, polled and killed by `process`. Owns the
// children: destroying it kills what is still running. Use it, and the exec and process
// tools, from the executor's thread (the agent's loop).
class DURAR_API process_registry {
 public:
  explicit process_registry(asio::any_io_executor executor);
  ~process_registry();
  process_registry(const process_registry&) = delete;
  process_registry& operator=(const process_registry&) = delete;

  struct status {
    std::string id;  // "proc_1", what the model passes to `process`
    std::string command;
    int pid = 0;
    bool running = true;
    std::optional<int> exit_code;  // or 128 + signal
    std::int64_t started_at = 0;   // ms since the epoch
  };
  [[nodiscard]] std::vector<status> list() const;
  void kill_all();

 private:
  struct DURAR_LOCAL impl;
  std::unique_ptr<impl> impl_;
  friend struct detail::process_access;
};

DURAR_API std::shared_ptr<tool> make_exec_tool(exec_options options,
                                               std::shared_ptr<process_registry> processes);
DURAR_API std::shared_ptr<tool> make_process_tool(std::shared_ptr<process_registry> processes);

// ---- web_fetch -----------------------------------------------------------------------

struct web_fetch_options {
  std::size_t max_chars = 50000;            // of readable text returned
  std::size_t max_bytes = 2 * 1024 * 1024;  // of body downloaded
  bool allow_private = false;               // loopback, RFC 1918, link-local, ULA addresses
  std::chrono::seconds timeout{30};
  int max_redirects = 3;
};

// Needs the agent's io_context (the HTTP engine runs on it).
DURAR_API std::shared_ptr<tool> make_web_fetch_tool(asio::io_context& io,
                                                    web_fetch_options options);

// Readable text of an HTML page: scripts, styles and markup removed, block elements as line
// breaks, links as "text (url)", entities decoded, whitespace collapsed.
DURAR_API std::string html_to_text(std::string_view html);

// ---- sessions_* ----------------------------------------------------------------------

// sessions_send runs a turn in another session through the host's agent machinery.
using session_send_fn = std::function<void(std::string session_key, std::string message,
                                           std::function<void(result<std::string>)> reply)>;

DURAR_API std::shared_ptr<tool> make_sessions_list_tool(std::shared_ptr<session_store> store);
DURAR_API std::shared_ptr<tool> make_sessions_history_tool(std::shared_ptr<session_store> store);
DURAR_API std::shared_ptr<tool> make_sessions_send_tool(session_send_fn send);

// ---- policy --------------------------------------------------------------------------

// Groups usable in allow/deny lists.
// group:fs = read, write, edit, apply_patch; group:runtime = exec, process;
// group:web = web_fetch; group:sessions = sessions_list, sessions_history, sessions_send.
DURAR_API std::vector<std::string> expand_tool_group(std::string_view name);

// Whether `tool_name` passes the global policy and then the agent's: deny wins, an empty
// allow list allows all, "*" matches all.
DURAR_API bool tool_allowed(std::string_view tool_name, const tool_policy& global,
                            const tool_policy& agent);

}  // namespace durar
