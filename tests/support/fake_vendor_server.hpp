// A real HTTP/1.1 server on 127.0.0.1, port 0, on its own thread, standing in for a model
// vendor. It answers queued responses in order (recorded streams from tests/data/providers)
// and records every request. Each response can misbehave on purpose.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace durar::test {

struct fake_response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type etc.
  std::string body;
  bool chunked = true;  // Transfer-Encoding: chunked (streams), else Content-Length

  // Faults.
  std::size_t split_every = 0;                 // write the body N bytes at a time (0: whole)
  std::optional<std::size_t> reset_after;      // RST the connection after N body bytes
  std::optional<std::size_t> stall_after;      // stop sending after N body bytes, keep open
  std::optional<std::size_t> close_after;      // FIN after N body bytes (truncated body)
  bool reset_before_headers = false;           // RST as soon as the request is read
  std::chrono::milliseconds delay_headers{0};  // wait before the status line
};

// An SSE/NDJSON/JSON recording as a 200 response with the matching Content-Type
// (by extension: .sse -> text/event-stream, .ndjson -> application/x-ndjson, else JSON).
fake_response recorded(const std::filesystem::path& file);
// A vendor error: status, JSON body, and optional Retry-After seconds.
fake_response error_response(int status, std::string body,
                             std::optional<int> retry_after_seconds = std::nullopt);

struct recorded_request {
  std::string method;
  std::string target;                                        // path and query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

class fake_vendor_server {
 public:
  fake_vendor_server();   // listening when the constructor returns
  ~fake_vendor_server();  // stops and joins; stalled connections are closed
  fake_vendor_server(const fake_vendor_server&) = delete;
  fake_vendor_server& operator=(const fake_vendor_server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::string base_url() const;  // "http://127.0.0.1:<port>"

  // Responses are served in order, one per request; with none queued the answer is 599.
  void enqueue(fake_response r);
  // Answers by request (method, path, body) for servers probed concurrently; consulted on the
  // server thread before the queue, nullopt falls through to it. Must not call the server.
  using responder = std::function<std::optional<fake_response>(const recorded_request&)>;
  void respond_with(responder r);
  // Requests received so far (thread-safe snapshot).
  [[nodiscard]] std::vector<recorded_request> requests() const;
  // Blocks until `n` requests have arrived or `timeout` passes; returns whether they did.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  // Connections accepted so far (to check reuse).
  [[nodiscard]] std::size_t connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace durar::test
