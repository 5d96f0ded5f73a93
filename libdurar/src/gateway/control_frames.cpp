#include "control_frames.hpp"

#include "session/session_internal.hpp"

#include <cmath>

namespace durar::gateway_detail {

json error_json(const control_error& e) {
  json out = json::object({{"code", e.code}, {"message", e.message}});
  if (!e.details.is_null()) out.set("details", e.details);
  if (e.retryable) out.set("retryable", true);
  if (e.retry_after_ms) out.set("retryAfterMs", *e.retry_after_ms);
  return out;
}

control_error invalid_request(std::string message, json details) {
  control_error e;
  e.message = std::move(message);
  e.details = std::move(details);
  return e;
}

control_error to_control_error(const durar::error& err) {
  control_error e;
  e.message = err.message.empty() ? std::string(to_string(err.code)) : err.message;
  switch (err.code) {
    case errc::invalid_argument:
    case errc::not_found:
    case errc::context_overflow:
      e.code = control_code::invalid_request;
      break;
    case errc::permission_denied:
    case errc::unauthenticated:
      e.code = control_code::forbidden;
      break;
    case errc::deadline_exceeded:
      e.code = control_code::agent_timeout;
      break;
    default:
      e.code = control_code::unavailable;
      break;
  }
  e.retryable = err.retryable();
  if (err.retry_after) e.retry_after_ms = err.retry_after->count();
  return e;
}

parsed_frame parse_request_frame(std::string_view text) {
  parsed_frame out;
  auto doc = json::parse(text);
  if (!doc) {
    out.error = invalid_request("invalid request frame: " + doc.error().message);
    return out;
  }
  // Read-only: json's mutable [] inserts a missing key, which can move the members that
  // earlier references (method, params) point into.
  const json& j = *doc;
  if (!j.is_object()) {
    out.error = invalid_request("invalid request frame: not a JSON object");
    return out;
  }
  if (const json* id = j.find("id"); id != nullptr && id->is_string() && !id->as_string().empty())
    out.id = id->as_string();
  if (j["type"] != json("req")) {
    out.error = invalid_request("invalid request frame: type must be \"req\"");
    return out;
  }
  if (out.id.empty()) {
    out.error = invalid_request("invalid request frame: id must be a non-empty string");
    return out;
  }
  const json& method = j["method"];
  if (!method.is_string() || method.as_string().empty()) {
    out.error = invalid_request("invalid request frame: method must be a non-empty string");
    return out;
  }
  const json& params = j["params"];
  if (!params.is_null() && !params.is_object()) {
    out.error = invalid_request("invalid request frame: params must be an object");
    return out;
  }
  control_request req;
  req.id = out.id;
  req.method = method.as_string();
  req.params = params.is_null() ? json::object() : params;
  out.request = std::move(req);
  return out;
}

std::string response_frame(std::string_view id, const json& payload) {
  json f = json::object({{"type", "res"}, {"id", id}, {"ok", true}});
  if (!payload.is_null()) f.set("payload", payload);
  return f.dump();
}

std::string error_frame(std::string_view id, const control_error& e, const json& payload) {
  json f = json::object({{"type", "res"}, {"id", id}, {"ok", false}});
  if (!payload.is_null()) f.set("payload", payload);
  f.set("error", error_json(e));
  return f.dump();
}

std::string event_frame(std::string_view event, const json& payload,
                        std::optional<std::uint64_t> seq, const json& state_version) {
  json f = json::object({{"type", "event"}, {"event", event}});
  if (!payload.is_null()) f.set("payload", payload);
  if (seq) f.set("seq", *seq);
  if (!state_version.is_null()) f.set("stateVersion", state_version);
  return f.dump();
}

void param_reader::problem(std::string_view key, std::string_view what) {
  if (error_) return;
  error_ = invalid_request("invalid " + method_ + " params: " + std::string(key) + " " +
                           std::string(what));
}

std::string param_reader::string(std::string_view key, bool required, bool non_empty) {
  const json* v = params_.find(key);
  if (v == nullptr || v->is_null()) {
    if (required) problem(key, "is required");
    return {};
  }
  if (!v->is_string()) {
    problem(key, "must be a string");
    return {};
  }
  if (non_empty && v->as_string().empty()) problem(key, "must not be empty");
  return v->as_string();
}

std::string param_reader::string_any(std::initializer_list<std::string_view> keys, bool required) {
  for (auto key : keys)
    if (const json* v = params_.find(key); v != nullptr && !v->is_null())
      return string(key, required, required);
  if (required && keys.size() > 0) problem(*keys.begin(), "is required");
  return {};
}

std::optional<std::int64_t> param_reader::integer(std::string_view key, std::int64_t min,
                                                  std::int64_t max) {
  const json* v = params_.find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  // Clients written in JavaScript send 50.0 as 50; accept whole reals too.
  auto range = "must be between " + std::to_string(min) + " and " + std::to_string(max);
  std::optional<std::int64_t> n;
  if (v->type() == json_type::integer) {
    n = v->as_int();
  } else if (v->type() == json_type::uinteger) {
    if (max < 0 || v->as_uint() > static_cast<std::uint64_t>(max)) {
      problem(key, range);
      return std::nullopt;
    }
    n = static_cast<std::int64_t>(v->as_uint());
  } else if (v->type() == json_type::real) {
    double d = v->as_double();
    // The range first: casting a real beyond int64 (or NaN) is undefined behaviour.
    if (d > -9e18 && d < 9e18 && d == std::trunc(d)) n = static_cast<std::int64_t>(d);
  }
  if (!n) {
    problem(key, "must be an integer");
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    problem(key, range);
    return std::nullopt;
  }
  return n;
}

bool param_reader::boolean(std::string_view key, bool fallback) {
  const json* v = params_.find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) {
    problem(key, "must be a boolean");
    return fallback;
  }
  return v->as_bool();
}

std::string control_uuid() { return detail::new_session_id(); }  // one UUID maker for all

}  // namespace durar::gateway_detail
