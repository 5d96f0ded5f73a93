// The server side of one WebSocket (RFC 6455) framed by wslay: bytes from the connection's
// reads go in, frames go out through the connection's write queue.
#pragma once

#include "http_types.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <wslay/wslay.h>

namespace durar::gateway_detail {

class http_connection;
struct server_shared;

// A Sec-WebSocket-Key must be base64 of 16 bytes (RFC 6455 4.2.1).
bool ws_key_valid(std::string_view client_key);

class ws_session final : public ws_connection, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(std::shared_ptr<server_shared> shared, std::weak_ptr<http_connection> conn,
             std::uint64_t id, http_request request);
  ~ws_session() override;
  ws_session(const ws_session&) = delete;
  ws_session& operator=(const ws_session&) = delete;

  // After the 101 went into the write queue: on_open, then the bytes that followed it.
  void start(std::string_view early_bytes);
  void on_bytes(std::string_view bytes);
  // The TCP connection ended (for whatever reason): on_close, once.
  void transport_closed();
  // The server stops: close 1001 and report on_close now.
  void server_stopping();

  void send_text(std::string text) override;
  void close(std::uint16_t code, std::string reason) override;
  [[nodiscard]] const http_request& upgrade_request() const override { return request_; }
  [[nodiscard]] std::uint64_t id() const override { return id_; }
  [[nodiscard]] bool open() const override;
  [[nodiscard]] std::size_t buffered_bytes() const override;

 private:
  static ssize_t recv_cb(wslay_event_context_ptr, std::uint8_t* buf, std::size_t len, int,
                         void* self);
  static ssize_t send_cb(wslay_event_context_ptr, const std::uint8_t* data, std::size_t len, int,
                         void* self);
  static void msg_cb(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg, void* self);
  void flush();
  void deliver();
  void report_close();

  [[nodiscard]] std::shared_ptr<server_shared> handlers_owner() const;

  // Weak: a handler may keep this object after the server and its handlers are gone.
  std::weak_ptr<server_shared> shared_;
  std::size_t max_buffered_;
  std::weak_ptr<http_connection> conn_;
  std::uint64_t id_;
  http_request request_;
  wslay_event_context_ptr ctx_ = nullptr;
  std::string_view in_;               // what recv_cb hands to wslay during on_bytes
  std::string out_;                   // what send_cb collected during flush
  std::vector<std::string> texts_;    // whole messages of one on_bytes, delivered after it
  std::uint16_t initiated_code_ = 0;  // the close code we sent first, if we did
  bool transport_closed_ = false;
  bool reported_ = false;
  bool failed_ = false;
};

}  // namespace durar::gateway_detail
