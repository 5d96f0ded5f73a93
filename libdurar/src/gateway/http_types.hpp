// What the gateway's handlers see of HTTP and WebSocket: a parsed request, a responder
// that writes one response (whole or streamed), and a WebSocket connection. The server
// (http_server.cpp) implements these over Asio sockets; the API handlers (openai_*.cpp,
// control_*.cpp) only use these types, so they are tested without sockets too.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace durar::gateway_detail {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
  std::string method;          // "GET", "POST", ...
  std::string target;          // as sent: path and query
  std::string path;            // percent-decoded path without the query
  std::string query;           // after '?', undecoded; "" when none
  header_list headers;         // names lower-cased, in order
  std::string body;            // whole body (chunked bodies reassembled)
  std::string remote_address;  // peer IP, e.g. "127.0.0.1"
  bool remote_is_loopback = false;

  // The first header with this (lower-case) name; nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return std::string_view(v);
    return std::nullopt;
  }
};

// One response to one request. Either respond() once, or start_stream(), write()..., end().
// All calls on the server's io_context thread. After the client disconnected the calls do
// nothing and open() is false.
class http_responder {
 public:
  virtual ~http_responder() = default;
  // A whole response; Content-Length is added.
  virtual void respond(int status, header_list headers, std::string body) = 0;
  // A streamed response (chunked transfer encoding); the headers go out at once.
  virtual void start_stream(int status, header_list headers) = 0;
  virtual void write(std::string_view bytes) = 0;  // one chunk
  virtual void end() = 0;                          // last chunk
  // Called once when the client goes away before the response ended (the run aborts).
  virtual void on_disconnect(std::function<void()> f) = 0;
  [[nodiscard]] virtual bool open() const = 0;
};

using http_handler = std::function<void(http_request, std::shared_ptr<http_responder>)>;

// An upgraded WebSocket connection (RFC 6455). Text messages only reach the handler whole
// (fragments reassembled, UTF-8 validated); pings are answered by the server.
class ws_connection {
 public:
  virtual ~ws_connection() = default;
  virtual void send_text(std::string text) = 0;
  // Starts the close handshake; on_close follows. Later sends are dropped.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  [[nodiscard]] virtual const http_request& upgrade_request() const = 0;
  [[nodiscard]] virtual std::uint64_t id() const = 0;  // unique per server
  [[nodiscard]] virtual bool open() const = 0;
  // Bytes queued but not yet written (for backpressure: slow consumers are closed).
  [[nodiscard]] virtual std::size_t buffered_bytes() const = 0;
};

struct ws_handlers {
  // Decides whether an upgrade request may become a WebSocket: nullopt accepts, a status
  // (e.g. 401, 403) refuses it with that status.
  std::function<std::optional<int>(const http_request&)> accept;
  std::function<void(const std::shared_ptr<ws_connection>&)> on_open;
  std::function<void(const std::shared_ptr<ws_connection>&, std::string text)> on_text;
  std::function<void(const std::shared_ptr<ws_connection>&, std::uint16_t code)> on_close;
};

}  // namespace durar::gateway_detail
