// The one HTTP engine: libcurl multi driven by an Asio io_context (socket and timer
// callbacks, no thread per request, no polling). Bytes reach the caller as they arrive.
#pragma once

#include <durar/error.hpp>
#include <durar/provider.hpp>
#include <durar/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

struct http_timeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds idle{120'000};  // no byte received for this long
  std::chrono::milliseconds total{0};       // 0: none
};

// Connection settings for the rare caller that needs them.
struct http_connect_options {
  // "host:port:address[,address]" entries (CURLOPT_RESOLVE): connect to these addresses
  // instead of asking DNS, so a caller that vetted them reaches exactly those.
  std::vector<std::string> resolve;
};

struct http_callbacks {
  // Once, when the status line and headers are in (before any body byte).
  std::function<void(const http_head&)> on_head;
  // Body bytes in arrival order, split anywhere.
  std::function<void(std::string_view)> on_body;
  // Exactly once, last. Errors: cancelled, deadline_exceeded (which timeout, in the
  // message), unavailable (refused, reset, DNS), protocol_error. No secret in messages.
  std::function<void(result<void>)> on_complete;
};

// Use from the io_context's thread (one thread runs it): start(), destruction and emitting a
// request's cancellation signal, which must outlive the request. The io_context must outlive
// the client. The client may be destroyed from inside any of its own callbacks.
class http_client {
 public:
  explicit http_client(asio::io_context& io);
  ~http_client();  // cancels what is still running; callbacks are not called afterwards
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Starts a request on the io_context. Emitting the slot's signal cancels this request
  // only. Callbacks run on the io_context's thread.
  void start(http_request request, http_timeouts timeouts, http_callbacks callbacks,
             asio::cancellation_slot slot = {}, http_connect_options connect = {});

  // Requests started and not yet completed.
  [[nodiscard]] std::size_t active() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A copy of `text` (headers, URLs, debug lines) with credentials replaced by ***:
// Authorization, x-api-key, x-goog-api-key header values and ?key= / &key= query values.
std::string redact_http(std::string_view text);

}  // namespace durar::detail
