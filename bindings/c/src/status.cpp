// Statuses, messages, the version, and the small JSON helper for hosts without a parser.
#include <durar/json.hpp>
#include <durar/version.hpp>

#include "handles.hpp"

#include <cstdlib>
#include <cstring>

namespace durar::capi {

namespace {
// The last failure on this thread, for calls without a handle to keep it.
thread_local std::string last_error;
}  // namespace

durar_status fail_on(std::string* where, durar_status s, std::string message) noexcept {
  try {
    if (where != nullptr) *where = message;
    last_error = std::move(message);
  } catch (...) {
    // Out of memory for the message itself: the status still tells what happened.
  }
  return s;
}

durar_status fail_on(std::string* where, const durar::error& e) noexcept {
  try {
    std::string text = e.message;
    if (e.http_status != 0 && text.find(std::to_string(e.http_status)) == std::string::npos)
      text += " (HTTP " + std::to_string(e.http_status) + ")";
    return fail_on(where, to_status(e.code), std::move(text));
  } catch (...) {
    return fail_on(where, to_status(e.code), {});
  }
}

}  // namespace durar::capi

using durar::capi::fail_on;

const char* durar_status_name(durar_status status) {
  // Spelled here rather than borrowed from durar::to_string(errc), whose views promise no
  // NUL terminator; the names are as stable as the codes.
  switch (status) {
    case DURAR_OK:
      return "ok";
    case DURAR_CANCELLED:
      return "cancelled";
    case DURAR_DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    case DURAR_UNAUTHENTICATED:
      return "unauthenticated";
    case DURAR_PERMISSION_DENIED:
      return "permission_denied";
    case DURAR_RESOURCE_EXHAUSTED:
      return "resource_exhausted";
    case DURAR_INVALID_ARGUMENT:
      return "invalid_argument";
    case DURAR_CONTEXT_OVERFLOW:
      return "context_overflow";
    case DURAR_NOT_FOUND:
      return "not_found";
    case DURAR_UNAVAILABLE:
      return "unavailable";
    case DURAR_PROTOCOL_ERROR:
      return "protocol_error";
    case DURAR_TOOL_FAILED:
      return "tool_failed";
    case DURAR_INTERNAL:
      return "internal";
    case DURAR_NO_MEMORY:
      return "no_memory";
    case DURAR_MISUSE:
      return "misuse";
    case DURAR_STOPPED:
      return "stopped";
  }
  return "unknown";
}

const char* durar_last_error(void) { return durar::capi::last_error.c_str(); }

const char* durar_version(void) {
  static const std::string text(durar::version());  // a view: copied once for the NUL
  return text.c_str();
}

void durar_free(void* p) { std::free(p); }

char* durar_json_get(const char* json, size_t len, const char* pointer) {
  try {
    if (json == nullptr || pointer == nullptr) {
      fail_on(nullptr, DURAR_INVALID_ARGUMENT, "durar_json_get: json and pointer are required");
      return nullptr;
    }
    auto doc = durar::json::parse(std::string_view(json, len));
    if (!doc) {
      fail_on(nullptr, doc.error());
      return nullptr;
    }
    const durar::json* at = &*doc;
    std::string_view rest(pointer);
    if (!rest.empty() && rest.front() != '/') {
      fail_on(nullptr, DURAR_INVALID_ARGUMENT, "a JSON pointer starts with '/'");
      return nullptr;
    }
    while (!rest.empty()) {
      rest.remove_prefix(1);
      std::string token(rest.substr(0, rest.find('/')));
      rest.remove_prefix(std::min(rest.size(), token.size()));
      // RFC 6901 escapes: ~1 is '/', ~0 is '~' (in that order).
      for (std::size_t i = 0; (i = token.find("~1", i)) != std::string::npos; ++i)
        token.replace(i, 2, "/");
      for (std::size_t i = 0; (i = token.find("~0", i)) != std::string::npos; ++i)
        token.replace(i, 2, "~");
      if (at->is_object()) {
        at = at->find(token);
      } else if (at->is_array() && !token.empty() &&
                 token.find_first_not_of("0123456789") == std::string::npos && token.size() < 10) {
        std::size_t index = std::stoul(token);
        at = index < at->size() ? &at->as_array()[index] : nullptr;
      } else {
        at = nullptr;
      }
      if (at == nullptr) {
        fail_on(nullptr, DURAR_NOT_FOUND, std::string("nothing at ") + pointer);
        return nullptr;
      }
    }
    std::string text = at->is_string() ? at->as_string() : at->dump();
    char* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out == nullptr) {
      fail_on(nullptr, DURAR_NO_MEMORY, "out of memory");
      return nullptr;
    }
    std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
  } catch (...) {
    fail_on(nullptr, DURAR_NO_MEMORY, "out of memory");
    return nullptr;
  }
}
