// Errors of the gateway's HTTP API in OpenAI's shape, {"error":{"message","type","param",
// "code"}}, with the HTTP status a durar::errc maps to, plus the small response helpers every
// route uses (JSON bodies, request bodies parsed with a message that says what and where).
#pragma once

#include <durar/error.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>

#include "http_types.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace durar::gateway_detail {

struct api_error {
  int status = 500;
  std::string message;  // for people; never a secret
  std::string type;     // invalid_request_error, authentication_error, ...
  std::string param;    // the request field at fault; "" = null
  std::string code;     // machine-readable; "" = null
  std::optional<std::chrono::milliseconds> retry_after;  // sent as Retry-After (seconds)
};

// The HTTP status for an error code. Upstream auth failures (the provider refused the
// gateway's key, http_status set) are 502: the caller's own credentials were fine.
int http_status_for(const durar::error& e) noexcept;
// OpenAI's error type for a status: 400 invalid_request_error, 401 authentication_error,
// 403 permission_error, 404 not_found_error, 429 rate_limit_error, 5xx server_error.
std::string_view error_type_for(int status) noexcept;
// A durar::error as an API error: status and type from the code, code = the errc name
// (context_length_exceeded and rate_limit_exceeded where OpenAI has its own names).
api_error to_api_error(const durar::error& e, std::string param = {});
// Shorthands for errors the gateway decides itself.
api_error bad_request(std::string message, std::string param = {}, std::string code = {});
api_error not_found(std::string message, std::string param = {}, std::string code = {});
// 503 for requests that arrive while the gateway shuts down (code "shutting_down");
// Retry-After when a restart is expected.
api_error shutting_down(std::optional<std::chrono::milliseconds> restart_expected);

// An error the HTTP server writes itself, before or instead of a route: malformed requests
// (400 "malformed_request"), 408 "request_timeout", 413 "request_too_large", 417
// "expectation_failed", 426 "upgrade_required", 431 "headers_too_large", a refused WebSocket
// upgrade (401, 403, 429), 500 "internal", 503 "shutting_down".
api_error server_error(int status, std::string message);

// {"error":{"message","type","param","code"}}; param and code are null when empty.
json error_body(const api_error& e);

// Writes a whole JSON response (Content-Type: application/json).
void respond_json(http_responder& r, int status, const json& body, header_list extra = {});
// Writes an API error; 401 adds WWW-Authenticate, errors with retry_after add Retry-After.
void respond_error(http_responder& r, const api_error& e);

// The request body as a JSON object. Empty bodies, bad JSON ("request body: line 1, column
// 9: ...") and non-objects are 400s saying so.
result<json> parse_json_object(std::string_view body);

// Headers as the clients of the original send them: `x-durar-<name>`, else
// `x-openclaw-<name>`; nullopt when neither is there (or it is blank).
std::optional<std::string> durar_header(const http_request& req, std::string_view name);

}  // namespace durar::gateway_detail
