// Turns the gateway runs for its clients (HTTP and WebSocket alike): one at a time per
// session, in arrival order (a second request to a busy session waits its turn instead of
// failing on the session lock), each with a run id and a way to abort it.
#pragma once

#include <durar/runtime.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include "gateway_log.hpp"
#include "idle_trim.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace durar::gateway_detail {

class run_registry {
 public:
  // `log` (may be null) gets a warning for every run that fails, with its reason.
  run_registry(asio::io_context& io, runtime& rt, const gateway_log* log = nullptr)
      : io_(io), rt_(rt), log_(log) {}

  // Queues a turn on its session's lane and returns its run id (a UUID). `request`'s
  // session key is resolved first ("" = the agent's main session). `on_event` sees the
  // agent's events; `done` is called exactly once (aborted runs end with the agent's
  // aborted result, or errc::cancelled when aborted before they started).
  std::string start(turn_request request, std::function<void(const agent_event&)> on_event,
                    std::function<void(result<run_result>)> done);
  // Aborts a queued or running run; false when no such run is pending.
  bool abort(const std::string& run_id);
  // Aborts every run (the gateway is stopping).
  void abort_all();
  // From now on start() refuses: the run ends at once with errc::unavailable (the gateway
  // is shutting down). Runs already queued or running carry on.
  void close() { closed_ = true; }
  [[nodiscard]] bool closed() const { return closed_; }
  // Calls `f` once, on the loop, as soon as no run is queued or running (at once when none
  // is). A later call replaces an earlier one still waiting.
  void when_idle(std::function<void()> f);
  // Aborts every run of a session; the ids aborted.
  std::vector<std::string> abort_session(const std::string& session_key);
  // The full key a request will run in ("agent:<id>:<key>").
  [[nodiscard]] std::string resolve_key(const turn_request& request) const;
  [[nodiscard]] std::size_t active() const;  // running and queued
  // The run ids of a session, running first.
  [[nodiscard]] std::vector<std::string> runs_of(const std::string& session_key) const;

 private:
  struct run {
    std::string id;
    turn_request request;
    std::function<void(const agent_event&)> on_event;
    std::function<void(result<run_result>)> done;
    std::shared_ptr<asio::cancellation_signal> cancel;
    bool running = false;
  };
  void pump(const std::string& key);
  void check_idle();
  void log_failure(const run& r, const result<run_result>& outcome) const;

  asio::io_context& io_;
  runtime& rt_;
  const gateway_log* log_;
  std::map<std::string, std::deque<std::shared_ptr<run>>> lanes_;  // key -> runs, head runs
  bool closed_ = false;
  std::function<void()> on_idle_;
  // A burst of runs leaves the heap at its peak: given back once they are over.
  idle_trim trim_{io_, [this] { return active() != 0; }};
};

}  // namespace durar::gateway_detail
