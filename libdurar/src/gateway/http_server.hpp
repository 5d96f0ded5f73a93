// The gateway's listener: HTTP/1.1 and WebSocket on one Asio port. HTTP parsing by
// libhttp-parser, WebSocket framing by wslay; both vetted, both bounded by the limits here.
#pragma once

#include <durar/result.hpp>

#include <asio/io_context.hpp>

#include "http_types.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace durar::gateway_detail {

struct http_server_options {
  std::string host = "127.0.0.1";  // address to bind ("0.0.0.0", "::1", ...)
  std::uint16_t port = 0;          // 0: any free port
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body_bytes = 20 * 1024 * 1024;         // 413 beyond
  std::size_t max_ws_message_bytes = 25 * 1024 * 1024;   // close 1009 beyond
  std::size_t max_ws_buffered_bytes = 50 * 1024 * 1024;  // slow consumer: close 1008
  std::chrono::milliseconds header_timeout{15'000};      // request line + headers (slowloris)
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{120'000};  // keep-alive between requests
  std::size_t max_connections = 4096;               // beyond: accepted then closed at once
};

class http_server {
 public:
  http_server(asio::io_context& io, http_server_options options, http_handler on_request,
              ws_handlers ws);
  ~http_server();  // stop()s
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and starts accepting. errc::unavailable when the port is taken (the message
  // names host:port); permission_denied / invalid_argument for other bind failures.
  result<void> listen();
  [[nodiscard]] std::uint16_t port() const;  // the bound port (after listen)
  // Stops accepting and closes every connection (WebSockets with 1001 "going away").
  void stop();
  // Stops accepting new connections; the open ones carry on (a graceful shutdown's start).
  void stop_accepting();
  // Closes every connection without cutting a response short: idle HTTP connections now,
  // busy ones once their response is out; WebSockets are left to their close handshake.
  // `done` is called once, on the loop, when none is left, or after `grace` with the rest
  // cut by stop().
  void drain(std::chrono::milliseconds grace, std::function<void()> done);
  [[nodiscard]] std::size_t connection_count() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace durar::gateway_detail
