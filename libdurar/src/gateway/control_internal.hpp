// What the control server's pieces share: the per-connection state, the core that sends
// frames and owns the connections, the method table, and the idempotency cache. The
// server (control_server.cpp) runs the handshake, whose admission rules are in
// control_connect.cpp, and dispatch; the methods live in control_methods.cpp (health,
// status, models, config, sessions) and control_chat.cpp (agent, chat.*).
#pragma once

#include <durar/json.hpp>

#include <asio/steady_timer.hpp>

#include "control_frames.hpp"
#include "gateway_state.hpp"
#include "http_types.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace durar::gateway_detail {

// Scopes of the operator role; admin implies write, write implies read.
enum class control_scope { read, write, admin };
std::string_view to_string(control_scope s) noexcept;  // "operator.read", ...

// One WebSocket connection.
struct control_client {
  std::weak_ptr<ws_connection> ws;
  std::uint64_t id = 0;    // the ws_connection's
  std::string conn_id;     // a UUID, told to the client in hello-ok
  std::string nonce;       // of connect.challenge
  std::string remote;      // peer address, for auth throttling and presence
  bool connected = false;  // the handshake completed
  bool closing = false;    // close() was called; nothing more is sent
  std::uint64_t seq = 0;   // last event seq sent
  int protocol = control_protocol_min;
  std::string role;
  std::vector<std::string> scopes;
  json client;                    // connect.params.client, for presence
  std::int64_t connected_at = 0;  // ms since the epoch
  std::unique_ptr<asio::steady_timer> handshake_timer;

  [[nodiscard]] bool has_scope(control_scope needed) const;
};

class control_core;

// One request being answered. ok()/fail() may be called more than once on the same id
// (`agent` answers "accepted" and later the final result); after the connection closed
// they do nothing.
struct method_call {
  std::shared_ptr<control_core> core;
  std::shared_ptr<control_client> client;
  std::string id;
  std::string method;
  json params;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();  // for the log

  void ok(const json& payload) const;
  void fail(const control_error& e, const json& payload = nullptr) const;
};

using method_handler = std::function<void(const method_call&)>;
struct method_entry {
  control_scope needs = control_scope::read;
  method_handler handler;
};

// Side-effecting requests carry an idempotencyKey; a repeat within the window (or until
// evicted, beyond max entries) finds the first request's entry instead of running again.
class idempotency_cache {
 public:
  struct entry {
    std::string run_id;
    bool finished = false;
    // agent: the final response, for repeats that arrive after the run ended.
    json final_payload;
    std::optional<control_error> final_error;
    std::string status;  // chat.send: "ok" | "error" | "aborted" when finished
    // agent repeats while running: they get the final response too.
    std::vector<std::pair<std::weak_ptr<control_client>, std::string>> waiters;
  };
  explicit idempotency_cache(std::size_t max_entries = 1000,
                             std::chrono::milliseconds ttl = std::chrono::minutes(5))
      : max_(max_entries), ttl_(ttl) {}

  // The entry for a key, or nullptr; expired entries are dropped first.
  std::shared_ptr<entry> find(const std::string& key);
  std::shared_ptr<entry> insert(const std::string& key, std::string run_id);
  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }

 private:
  void prune(std::chrono::steady_clock::time_point now);
  std::size_t max_;
  std::chrono::milliseconds ttl_;
  std::map<std::string, std::shared_ptr<entry>, std::less<>> map_;
  std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> order_;
};

// The server's state, shared (weakly) with callbacks of runs that may outlive it.
class control_core : public std::enable_shared_from_this<control_core> {
 public:
  explicit control_core(gateway_state& s);
  virtual ~control_core() = default;
  control_core(const control_core&) = delete;
  control_core& operator=(const control_core&) = delete;

  gateway_state& state;
  std::map<std::uint64_t, std::shared_ptr<control_client>> clients;
  std::map<std::string, method_entry, std::less<>> methods;
  idempotency_cache dedupe;
  std::uint64_t presence_version = 1;
  std::uint64_t health_version = 1;
  bool stopped = false;

  // Frames to one client; nothing happens when it is gone or closing.
  void send_raw(control_client& c, std::string frame);
  void send_event(control_client& c, std::string_view event, const json& payload,
                  const json& state_version = nullptr);
  // An event to every client that completed the handshake, each with its own seq.
  void broadcast(std::string_view event, const json& payload, const json& state_version = nullptr);
  void close(control_client& c, std::uint16_t code, std::string reason);

  [[nodiscard]] std::size_t connected_count() const;
  [[nodiscard]] json state_version() const;
  [[nodiscard]] json presence() const;  // the gateway itself, then each connected client
  [[nodiscard]] json health() const;    // the `health` method's payload and hello's snapshot

  // The full key of a client-given session key ("" or "main" style keys get the default
  // agent's prefix) and the agent it belongs to.
  struct session_target {
    std::string key;
    std::string agent_id;
  };
  [[nodiscard]] session_target target(const std::string& session_key,
                                      const std::string& agent_id = {}) const;
  // Calls `attempt` once the session has no queued or running turns (aborting them first
  // when `abort` is set), again while it returns false (the session still closing); gives
  // up (UNAVAILABLE, retryable) after `limit`.
  void when_idle(const std::string& key, bool abort, std::function<bool()> attempt,
                 std::function<void(control_error)> gave_up,
                 std::chrono::milliseconds limit = std::chrono::seconds(10));
};

// Registration of the methods, by file.
void register_basic_methods(control_core& core);  // control_methods.cpp
void register_chat_methods(control_core& core);   // control_chat.cpp

}  // namespace durar::gateway_detail
