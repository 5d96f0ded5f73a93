// A small WebSocket client over a raw TCP connection, so tests can send exactly the frames
// they mean to (including broken ones) and see exactly what the gateway sends back.
#pragma once

#include <durar/json.hpp>

#include "child_process.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace durar::test {

struct ws_frame {
  bool fin = true;
  std::uint8_t opcode = 0;  // 1 text, 8 close, 9 ping, 10 pong
  std::string payload;
  [[nodiscard]] std::uint16_t close_code() const;  // for close frames; 1005 when none
};

class ws_client {
 public:
  // Upgrades a new connection (REQUIREd to answer 101) and reads connect.challenge.
  explicit ws_client(std::uint16_t port);

  // One frame, masked as a client must (unless `masked` is false, which servers refuse).
  void send_frame(std::uint8_t opcode, const std::string& payload, bool masked = true,
                  std::uint8_t first_byte_extra = 0x80);
  void send_json(const json& j) { send_frame(1, j.dump()); }
  // The next frame from the server; nullopt on timeout or when the connection ended.
  std::optional<ws_frame> next_frame(std::chrono::milliseconds limit = 10s);
  // Text frames until one matches; others are skipped (ticks, presence).
  template <class Pred>
  std::optional<json> wait_json(Pred&& pred, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto f = next_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!f) return std::nullopt;
      if (f->opcode == 8) {
        last_close = f->close_code();
        send_frame(8, f->payload.substr(0, 2));  // the close handshake, answered
        return std::nullopt;
      }
      if (f->opcode != 1) continue;
      auto j = json::parse(f->payload);
      if (j && pred(*j)) return *j;
    }
    return std::nullopt;
  }
  // The answer to request `id`.
  std::optional<json> response(const std::string& id, std::chrono::milliseconds limit = 10s);
  // Sends `connect` with the token; true on hello-ok.
  bool handshake(const std::string& token);
  // Reads until the server's close frame, answers it, and returns its code (or the one
  // wait_json() already met; nullopt when the connection ended without one, or on timeout).
  std::optional<std::uint16_t> wait_close(std::chrono::milliseconds limit = 10s);

  json challenge;                           // the connect.challenge frame
  std::optional<std::uint16_t> last_close;  // a close frame wait_json() ran into
  tcp_client tcp;
};

}  // namespace durar::test
