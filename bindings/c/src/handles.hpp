// What the opaque handles of durar.h hold, and the guard every entry point runs in. Private to
// the C binding; built on the public <durar/...> headers only.
#pragma once

#include <durar/agent.hpp>
#include <durar/config.hpp>
#include <durar/runtime.hpp>
#include <durar/session.hpp>

#include <asio/io_context.hpp>

#include "durar.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace durar::capi {

// ---- errors ----------------------------------------------------------------------------

// Records a failure on `where` (may be nullptr) and in the thread's last error; returns `s`.
durar_status fail_on(std::string* where, durar_status s, std::string message) noexcept;
durar_status fail_on(std::string* where, const durar::error& e) noexcept;
// durar::errc values are durar_status values (0-12), by design.
inline durar_status to_status(errc c) noexcept { return static_cast<durar_status>(c); }

// Runs one entry point: exceptions become statuses (never cross the ABI), and success
// clears the handle's message.
template <class F>
durar_status guarded(std::string* where, F&& body) noexcept {
  try {
    durar_status s = body();
    if (s == DURAR_OK && where != nullptr) where->clear();
    return s;
  } catch (const std::bad_alloc&) {
    return fail_on(where, DURAR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail_on(where, DURAR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail_on(where, DURAR_INTERNAL, "internal error: unknown exception");
  }
}

// A string argument that may be NULL.
inline std::string str_or_empty(const char* s) { return s != nullptr ? std::string(s) : ""; }

// ---- the runtime family ----------------------------------------------------------------

// What a runtime and the sessions and agents made from it share: the loop, the runtime, and
// the run in progress (one at a time per family).
struct runtime_core {
  asio::io_context io;
  std::unique_ptr<durar::runtime> rt;  // declared after io: destroyed first
  bool busy = false;
  std::atomic<std::uint64_t> run_id{0};
  const void* run_owner = nullptr;  // the handle whose run is in progress
  std::function<void()> abort_run;  // set during a run; called on the loop's thread

  runtime_core() = default;
  runtime_core(const runtime_core&) = delete;
  runtime_core& operator=(const runtime_core&) = delete;
  ~runtime_core();
};

// An open session and the store it came from, shared by the session handle and its agents.
struct session_state {
  std::shared_ptr<runtime_core> core;
  std::shared_ptr<durar::session_store> store;
  std::unique_ptr<durar::session> s;  // closed first, by the destructor
  std::string agent_id;
  session_state() = default;
  session_state(const session_state&) = delete;
  session_state& operator=(const session_state&) = delete;
  ~session_state() { s.reset(); }
};

// ---- running ---------------------------------------------------------------------------

// Forwards agent events to the host's callback until it asks to stop.
struct event_sink {
  durar_event_fn fn = nullptr;
  void* user_data = nullptr;
  std::function<void()> abort;
  bool stopped = false;  // the callback returned non-zero
  std::string type, text;
  void operator()(const durar::agent_event& e) noexcept;
};

// Marks the family busy for one run and lets other threads abort it through the loop.
class run_scope {
 public:
  run_scope(runtime_core& core, const void* owner, std::function<void()> abort);
  ~run_scope();
  run_scope(const run_scope&) = delete;
  run_scope& operator=(const run_scope&) = delete;

 private:
  runtime_core& core_;
};

// Drives the family's loop until `out` holds the run's outcome.
void drive(runtime_core& core, const std::optional<result<run_result>>& out);

// Posts an abort of `owner`'s run in progress (nullptr: any run); safe from any thread.
void post_abort(const std::shared_ptr<runtime_core>& core, const void* owner);

}  // namespace durar::capi

// ---- the handles -----------------------------------------------------------------------

struct durar_config {
  durar::path_options paths;
  std::filesystem::path working_dir;
  std::map<std::string, std::string> env;  // overrides over the process's
  std::set<std::string> unset_env;
  bool inherit_env = true;
  std::string state_dir, model, workspace;
  std::optional<durar::config> loaded;  // reset by every setter
  std::string error, file, state_dir_text, json_text;
};

struct durar_runtime {
  std::shared_ptr<durar::capi::runtime_core> core;
  std::string error;
};

struct durar_turn {
  durar::turn_request request;
  std::string error, text, stop, result_json = "{}";
};

struct durar_session {
  std::shared_ptr<durar::capi::session_state> state;
  std::string error, key, id, path, json_text;
};

struct durar_agent {
  std::shared_ptr<durar::capi::runtime_core> core;
  std::shared_ptr<durar::capi::session_state> session;  // may be null
  durar::capi::event_sink* sink = nullptr;              // the run in progress's
  std::unique_ptr<durar::agent> agent;                  // declared last: destroyed first
  std::string error, json_text;
  durar_agent() = default;
  durar_agent(const durar_agent&) = delete;
  durar_agent& operator=(const durar_agent&) = delete;
  ~durar_agent() { agent.reset(); }
};

struct durar_tool {
  durar::tool_definition definition;
  durar_tool_fn fn = nullptr;
  void* user_data = nullptr;
  bool sequential = false;
};

namespace durar::capi {
// Stores a run's outcome in `turn` and turns it into a status (message on `where` too).
durar_status finish_turn(durar_turn& turn, result<run_result>& outcome, const event_sink& sink,
                         std::string* where);
// Messages as the JSON array durar_session_messages_json and durar_agent_context_json give.
std::string messages_json(const std::vector<durar::message>& messages);
// The C++ tool a durar_tool stands for.
std::shared_ptr<durar::tool> make_host_tool(const durar_tool& t);
}  // namespace durar::capi
