#include <durar/error.hpp>

#include <fmt/format.h>

namespace durar {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::ok:
      return "ok";
    case errc::cancelled:
      return "cancelled";
    case errc::deadline_exceeded:
      return "deadline_exceeded";
    case errc::unauthenticated:
      return "unauthenticated";
    case errc::permission_denied:
      return "permission_denied";
    case errc::resource_exhausted:
      return "resource_exhausted";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::context_overflow:
      return "context_overflow";
    case errc::not_found:
      return "not_found";
    case errc::unavailable:
      return "unavailable";
    case errc::protocol_error:
      return "protocol_error";
    case errc::tool_failed:
      return "tool_failed";
    case errc::internal:
      return "internal";
  }
  return "unknown";
}

bool error::retryable() const noexcept {
  switch (code) {
    case errc::deadline_exceeded:
    case errc::resource_exhausted:
    case errc::unavailable:
      return true;
    default:
      return false;
  }
}

std::string error::describe() const { return fmt::format("{}: {}", to_string(code), detail()); }

std::string error::detail() const {
  std::string out = message;
  if (http_status != 0) out += fmt::format(" (HTTP {})", http_status);
  // Transports usually quote the vendor's words in the message already: say them once.
  if (!provider_message.empty() && message.find(provider_message) == std::string::npos)
    out += fmt::format(": {}", provider_message);
  if (retry_after) out += fmt::format(" [retry after {} ms]", retry_after->count());
  return out;
}

}  // namespace durar
