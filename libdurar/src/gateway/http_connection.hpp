// One accepted socket of the gateway: the transport (a bounded read loop, a write queue
// that never has two writes in flight, timers, graceful and abortive close) and the
// HTTP/1.1 side parsed by libhttp-parser. After a WebSocket upgrade the same object keeps
// the socket and hands the bytes to a ws_session (ws_connection.hpp).
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "http_server.hpp"
#include "http_types.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <http_parser.h>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace durar::gateway_detail {

class http_connection;
class ws_session;
class responder_impl;

// What the listener and its connections share; it lives as long as any connection does, so
// a connection still closing after the http_server went away touches nothing dangling.
struct server_shared {
  asio::io_context& io;
  http_server_options options;
  http_handler on_request;
  ws_handlers ws;
  std::uint64_t next_id = 1;
  // Set at the end of stop(): from then on no handler above is called.
  bool detached = false;
  std::unordered_map<std::uint64_t, std::weak_ptr<http_connection>> live;
  // Posted once when the last live connection closes (set while the server drains).
  std::function<void()> on_empty;

  server_shared(asio::io_context& ctx, http_server_options o, http_handler h, ws_handlers w)
      : io(ctx), options(std::move(o)), on_request(std::move(h)), ws(std::move(w)) {}
};

class http_connection : public std::enable_shared_from_this<http_connection> {
 public:
  http_connection(std::shared_ptr<server_shared> shared, asio::ip::tcp::socket socket,
                  std::uint64_t id);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  void start();

  // The transport, for the responder and the WebSocket session.
  void send(std::string bytes);
  [[nodiscard]] std::size_t queued_bytes() const { return queued_bytes_; }
  // After the queued bytes: FIN, then drain what the peer still sends for a short while
  // (so it reads our last bytes instead of a reset), then close.
  void close_gracefully();
  // Closes the socket now; a response in progress sees on_disconnect, a WebSocket on_close.
  void abort();
  // Bounds a WebSocket close handshake we started: no close frame back in time → abort.
  void arm_ws_close_timer();
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] std::shared_ptr<server_shared> shared() const { return shared_; }

  // The active responder finished its response (close: Connection: close was sent).
  void response_finished(std::uint64_t seq, bool close);
  // The active responder was dropped without answering, or overflowed.
  void response_abandoned(std::uint64_t seq, bool streaming_started);

  // stop(): HTTP connections close now, WebSockets get 1001; handlers are told at once.
  void stop_from_server();
  // drain(): an idle HTTP connection closes gracefully now, a busy one after its response;
  // a WebSocket is left alone (its close handshake is the control server's).
  void drain_from_server();

  // http_parser callbacks (static trampolines call these).
  int on_message_begin();
  int on_url(std::string_view s);
  int on_header_field(std::string_view s);
  int on_header_value(std::string_view s);
  int on_headers_complete();
  int on_body(std::string_view s);
  int on_message_complete();

 private:
  enum class phase { awaiting, headers, body, handling, websocket, closing };
  enum class deadline { none, header, body, idle, ws_close, linger };

  void do_read();
  void on_read(const std::error_code& ec, std::size_t n);
  void parse();
  void dispatch();
  void upgrade();
  // Answers an error of the server's own (OpenAI's error JSON saying `why`) and closes.
  void reject(int status, std::string_view why);
  void flush();
  void on_written(const std::error_code& ec, std::size_t n, std::size_t count);
  void shutdown_send();
  void arm(deadline kind, std::chrono::milliseconds after);
  void on_deadline(deadline kind);
  void finish_header();
  int limit_headers(std::size_t more);
  [[nodiscard]] std::size_t inbox_size() const { return inbox_.size() - inbox_pos_; }

  // Unparsed input held while a response is in progress; reading pauses beyond it.
  static constexpr std::size_t max_inbox = 64 * 1024;
  // Pipelined requests are parsed only while less than this waits to be written, so a
  // client that sends requests but never reads cannot grow our write queue.
  static constexpr std::size_t resume_below = 256 * 1024;

  std::shared_ptr<server_shared> shared_;
  asio::ip::tcp::socket socket_;
  std::uint64_t id_;
  asio::steady_timer timer_;
  asio::steady_timer write_timer_;
  std::uint64_t timer_gen_ = 0;
  std::uint64_t write_gen_ = 0;
  deadline deadline_ = deadline::none;
  phase phase_ = phase::awaiting;
  bool closed_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool fin_sent_ = false;
  bool resume_posted_ = false;

  // Reads land in a 16 KB buffer, allocated while a request is coming in (or a WebSocket
  // is open). While a response is in progress, which for a stream can last minutes, the
  // pending read only watches for the peer closing or pipelining, into the small inline
  // buffer: 1,000 open streams would otherwise hold 16 MB of idle read buffers.
  static constexpr std::size_t read_size = 16 * 1024;
  std::unique_ptr<char[]> rbuf_;
  std::array<char, 1024> small_rbuf_{};
  const char* read_into_ = nullptr;  // the buffer of the read in flight
  std::string inbox_;                // received, not yet parsed (bounded: see do_read)
  std::size_t inbox_pos_ = 0;
  std::deque<std::string> out_;
  std::size_t queued_bytes_ = 0;

  // The request being parsed.
  http_parser parser_{};
  http_request req_;
  std::string remote_address_;
  bool remote_loopback_ = false;
  std::string field_, value_;
  bool in_value_ = false;
  bool in_trailers_ = false;
  bool any_bytes_ = false;  // of the current request, for 408 vs silent close
  std::size_t header_bytes_ = 0;
  int reject_status_ = 0;
  std::string reject_message_;  // why, for the error body ("" = the reason phrase)
  bool message_ready_ = false;
  bool ws_upgrade_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_ = false;
  bool close_after_ = false;  // an upgrade we do not speak: answer, then close
  std::string ws_accept_;

  // The response in progress (at most one: pipelined requests wait their turn).
  std::weak_ptr<responder_impl> active_;
  std::uint64_t seq_ = 0;
  std::shared_ptr<ws_session> ws_;
};

// Small HTTP text helpers shared by the connection and the responder (http_server.cpp).
// Reason phrase for a status code ("OK", "Not Found"; "Unknown" for others).
std::string_view status_reason(int status);
std::string ascii_lower(std::string_view s);
bool ascii_iequals(std::string_view a, std::string_view b);
std::string_view trim_ows(std::string_view s);  // spaces and tabs at both ends
// A comma-separated header value ("keep-alive, Upgrade") holds the token, in any case.
bool header_has_token(std::string_view list, std::string_view token);

}  // namespace durar::gateway_detail
