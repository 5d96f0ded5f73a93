// The WebSocket control protocol (the original's protocol 3; 4 accepted): the connect
// handshake with challenge and auth, req/res, events with per-connection sequence
// numbers, ticks, and the methods (health, status, agent, chat.*, sessions.*, models.list,
// config.get). Frame shapes in CONTRACTS.md.
#pragma once

#include <durar/json.hpp>

#include "gateway_state.hpp"
#include "http_types.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace durar::gateway_detail {

class control_server {
 public:
  explicit control_server(gateway_state& state);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  // What the http_server calls for WebSocket upgrades and frames (origin check included).
  ws_handlers handlers();
  // An event to every connected (handshaken) client, each with its own seq.
  void broadcast(const std::string& event, const json& payload);
  // Sends `shutdown` to every client and closes them with 1012 (restart) or 1001.
  void shutdown(const std::string& reason, bool restart);
  // A graceful shutdown's first step: `shutdown {reason, restartExpectedMs}` (null when no
  // restart is expected) to every client, which stay connected to see their runs end;
  // new upgrades are refused and `agent`/`chat.send` answer UNAVAILABLE from now on.
  void announce_shutdown(const std::string& reason,
                         std::optional<std::chrono::milliseconds> restart_expected);
  // Its last step: closes every client with 1012 (restart) or 1001.
  void close_all(const std::string& reason, bool restart);
  [[nodiscard]] std::size_t client_count() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace durar::gateway_detail
