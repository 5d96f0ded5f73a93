// durar::error: what went wrong, whether retrying can help, and what the server said.
#pragma once

#include <durar/export.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace durar {

// Error codes. Values are stable across releases: never renumber, never reuse;
// an obsolete code stays as a placeholder.
enum class errc : int {
  ok = 0,
  cancelled = 1,           // the caller aborted
  deadline_exceeded = 2,   // connect, idle or total timeout
  unauthenticated = 3,     // 401, missing or wrong key
  permission_denied = 4,   // 403, key lacks access; policy refused
  resource_exhausted = 5,  // 429, quota, rate limit: rotate key, back off
  invalid_argument = 6,    // bad input from the caller (400, bad config, bad JSON)
  context_overflow = 7,    // prompt too long for the model: compact and retry
  not_found = 8,           // unknown model, file, session, key path
  unavailable = 9,         // 5xx, overloaded, connection reset: retry or fail over
  protocol_error = 10,     // the peer broke its wire format
  tool_failed = 11,        // a tool handler reported failure
  internal = 12,           // a bug in Durar
};

// Stable snake_case name of a code, e.g. "resource_exhausted".
DURAR_API std::string_view to_string(errc code) noexcept;

struct DURAR_API error {
  errc code = errc::internal;
  std::string message;           // what happened, for people; never holds secrets
  int http_status = 0;           // 0 when no HTTP exchange was involved
  std::string provider_message;  // the vendor's own error text, verbatim
  std::optional<std::chrono::milliseconds> retry_after;  // from Retry-After or the body

  error() = default;
  error(errc c, std::string msg) : code(c), message(std::move(msg)) {}

  // True when the same request may succeed later or elsewhere
  // (rate limits, timeouts, 5xx); false for caller mistakes.
  [[nodiscard]] bool retryable() const noexcept;

  // The message plus the HTTP status, the provider's text and Retry-After when present: what
  // to show people.
  [[nodiscard]] std::string detail() const;
  // "code: " then detail(): for logs and programs.
  [[nodiscard]] std::string describe() const;
};

}  // namespace durar
