// One request's state inside http_client: its easy handle, callbacks and timers, plus the
// curl callbacks that turn header lines and body bytes into http_callbacks calls.
#pragma once

#include <durar/error.hpp>
#include <durar/provider.hpp>
#include <durar/result.hpp>

#include <asio/steady_timer.hpp>
#include <curl/curl.h>

#include "http/http_client.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace durar::detail {

// While the client sends a new request at once from inside start() (http_client.cpp, kick),
// nothing may reach any transfer's caller: body bytes pause their transfer and its id is
// noted here, head delivery waits. The client delivers both from the loop right after.
struct callback_hold {
  bool on = false;
  std::vector<std::uint64_t> paused;
};

struct transfer {
  transfer(asio::io_context& io, std::uint64_t id_, http_request req, http_timeouts to,
           http_callbacks cb);
  ~transfer();
  transfer(const transfer&) = delete;
  transfer& operator=(const transfer&) = delete;

  // Configures `easy` for `request`; the socket callbacks' user data is `sockets_owner`.
  result<void> configure(void* sockets_owner, curl_opensocket_callback open_socket,
                         curl_closesocket_callback close_socket, bool trace);

  // The failure curl reported for this transfer, as a durar error without secrets.
  durar::error describe_failure(CURLcode code) const;

  // Delivers on_head once (from the header block, or from the first body byte).
  void deliver_head();
  // Frees the request body once libcurl can no longer need it (see the definition).
  void release_body();
  // Runs a user callback; an exception becomes this transfer's failure, never escapes.
  template <class F>
  void guarded(const char* what, F&& f) noexcept {
    try {
      std::forward<F>(f)();
    } catch (const std::exception& e) {
      callback_threw(what, e.what());
    } catch (...) {
      callback_threw(what, "unknown exception");
    }
  }
  void callback_threw(const char* what, const char* detail) noexcept;

  std::uint64_t id;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  http_connect_options connect;
  curl_slist* resolve_list = nullptr;  // from connect.resolve
  http_request request;
  http_timeouts timeouts;
  http_callbacks callbacks;
  asio::cancellation_slot slot;
  asio::steady_timer idle_timer;
  asio::steady_timer total_timer;
  std::chrono::steady_clock::time_point last_byte;
  http_head head;
  bool head_delivered = false;
  bool added = false;                   // in the multi handle
  callback_hold* hold = nullptr;        // the client's; see callback_hold
  std::optional<durar::error> failure;  // decided by us: cancel, timeout, throwing callback
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// "METHOD url" with credentials masked, for error messages.
std::string describe_target(const http_request& r);

}  // namespace durar::detail
