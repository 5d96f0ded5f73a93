#include "http_errors.hpp"

#include <algorithm>
#include <cctype>

namespace durar::gateway_detail {

int http_status_for(const durar::error& e) noexcept {
  switch (e.code) {
    case errc::ok:
      return 200;
    case errc::cancelled:
      return 499;  // nginx's "client closed request": the run was aborted
    case errc::deadline_exceeded:
      return 504;
    case errc::unauthenticated:
      return e.http_status != 0 ? 502 : 401;
    case errc::permission_denied:
      return e.http_status != 0 ? 502 : 403;
    case errc::resource_exhausted:
      // A vendor's rate limit or quota (an HTTP status, a Retry-After or the vendor's own
      // words, in-stream errors included) is the caller's 429; the gateway's own disk running
      // out is a server error, not a rate limit to back off from.
      return e.http_status != 0 || e.retry_after || !e.provider_message.empty() ? 429 : 507;
    case errc::invalid_argument:
    case errc::context_overflow:
      return 400;
    case errc::not_found:
      return 404;
    case errc::unavailable:
      return 503;
    case errc::protocol_error:
      return 502;
    case errc::tool_failed:
    case errc::internal:
      return 500;
  }
  return 500;
}

std::string_view error_type_for(int status) noexcept {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

api_error to_api_error(const durar::error& e, std::string param) {
  api_error out;
  out.status = http_status_for(e);
  out.type = std::string(error_type_for(out.status));
  out.message = e.message.empty() ? std::string(to_string(e.code)) : e.message;
  out.param = std::move(param);
  switch (e.code) {
    case errc::context_overflow:
      out.code = "context_length_exceeded";
      break;
    case errc::resource_exhausted:
      out.code = out.status == 429 ? "rate_limit_exceeded" : "resource_exhausted";
      break;
    default:
      out.code = std::string(to_string(e.code));
  }
  out.retry_after = e.retry_after;
  return out;
}

namespace {
api_error make(int status, std::string message, std::string param, std::string code) {
  api_error e;
  e.status = status;
  e.type = std::string(error_type_for(status));
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}
}  // namespace

api_error bad_request(std::string message, std::string param, std::string code) {
  return make(400, std::move(message), std::move(param), std::move(code));
}

api_error not_found(std::string message, std::string param, std::string code) {
  return make(404, std::move(message), std::move(param), std::move(code));
}

api_error shutting_down(std::optional<std::chrono::milliseconds> restart_expected) {
  api_error e = make(503, "the gateway is shutting down", {}, "shutting_down");
  e.retry_after = restart_expected;
  return e;
}

api_error server_error(int status, std::string message) {
  std::string_view code;
  switch (status) {
    case 400:
      code = "malformed_request";
      break;
    case 401:
      code = "unauthorized";
      break;
    case 403:
      code = "forbidden";
      break;
    case 408:
      code = "request_timeout";
      break;
    case 413:
      code = "request_too_large";
      break;
    case 417:
      code = "expectation_failed";
      break;
    case 426:
      code = "upgrade_required";
      break;
    case 429:
      code = "rate_limit_exceeded";
      break;
    case 431:
      code = "headers_too_large";
      break;
    case 500:
      code = "internal";
      break;
    case 503:
      code = "shutting_down";
      break;
    default:
      code = status >= 500 ? "server_error" : "invalid_request";
  }
  return make(status, std::move(message), {}, std::string(code));
}

json error_body(const api_error& e) {
  json err =
      json::object({{"message", e.message},
                    {"type", e.type.empty() ? std::string(error_type_for(e.status)) : e.type},
                    {"param", e.param.empty() ? json() : json(e.param)},
                    {"code", e.code.empty() ? json() : json(e.code)}});
  return json::object({{"error", std::move(err)}});
}

void respond_json(http_responder& r, int status, const json& body, header_list extra) {
  extra.emplace_back("content-type", "application/json; charset=utf-8");
  r.respond(status, std::move(extra), body.dump());
}

void respond_error(http_responder& r, const api_error& e) {
  header_list headers;
  if (e.status == 401) headers.emplace_back("www-authenticate", "Bearer");
  if (e.retry_after) {
    // Whole seconds, rounded up so a client never retries early.
    auto ms = std::max<std::int64_t>(0, e.retry_after->count());
    headers.emplace_back("retry-after", std::to_string((ms + 999) / 1000));
  }
  respond_json(r, e.status, error_body(e), std::move(headers));
}

result<json> parse_json_object(std::string_view body) {
  bool blank = std::all_of(body.begin(), body.end(),
                           [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
  if (blank) return fail(errc::invalid_argument, "request body is empty; expected a JSON object");
  auto parsed = json::parse(body);
  if (!parsed)
    return fail(errc::invalid_argument,
                "request body is not valid JSON: " + parsed.error().message);
  if (!parsed->is_object())
    return fail(errc::invalid_argument, "request body must be a JSON object, got " +
                                            std::string(to_string(parsed->type())));
  return std::move(*parsed);
}

std::optional<std::string> durar_header(const http_request& req, std::string_view name) {
  for (std::string_view prefix : {"x-durar-", "x-openclaw-"}) {
    std::string full = std::string(prefix) + std::string(name);
    if (auto v = req.header(full)) {
      std::string_view s = *v;
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      if (!s.empty()) return std::string(s);
    }
  }
  return std::nullopt;
}

}  // namespace durar::gateway_detail
