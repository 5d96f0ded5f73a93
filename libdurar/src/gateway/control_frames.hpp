// The control protocol's frames: parsing and checking `req` frames, writing `res` and
// `event` frames, the error object and its codes, and a reader for method params that
// names the first bad field. Shapes as in CONTRACTS.md ("Gateway WebSocket protocol").
#pragma once

#include <durar/error.hpp>
#include <durar/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace durar::gateway_detail {

// Protocol versions this server speaks: 3 (the 2026.4 line), and 4 accepted from clients
// that only speak that.
inline constexpr int control_protocol_min = 3;
inline constexpr int control_protocol_max = 4;
// Frames before the handshake completed are small; a bigger one closes the socket.
inline constexpr std::size_t control_preconnect_max_bytes = 64 * 1024;

// Error codes of the original's protocol (error.code).
namespace control_code {
inline constexpr std::string_view invalid_request = "INVALID_REQUEST";
inline constexpr std::string_view forbidden = "FORBIDDEN";
inline constexpr std::string_view unavailable = "UNAVAILABLE";
inline constexpr std::string_view agent_timeout = "AGENT_TIMEOUT";
}  // namespace control_code

// The error object of a failed response.
struct control_error {
  std::string code = std::string(control_code::invalid_request);
  std::string message;
  json details;  // null: omitted
  bool retryable = false;
  std::optional<std::int64_t> retry_after_ms;
};

[[nodiscard]] json error_json(const control_error& e);
control_error invalid_request(std::string message, json details = nullptr);
// A library error as a protocol error: caller mistakes are INVALID_REQUEST, refusals
// FORBIDDEN, timeouts AGENT_TIMEOUT, everything else UNAVAILABLE (retryable when the
// error is).
control_error to_control_error(const durar::error& e);

struct control_request {
  std::string id;
  std::string method;
  json params;  // an object; {} when the frame had none
};

// One incoming text frame: a request, or why it is not one. `id` is the frame's id when it
// had a usable one, so an error can still answer it.
struct parsed_frame {
  std::optional<control_request> request;
  control_error error;
  std::string id;
};
parsed_frame parse_request_frame(std::string_view text);

// {"type":"res","id":..,"ok":true,"payload":..}
std::string response_frame(std::string_view id, const json& payload);
// {"type":"res","id":..,"ok":false,"error":{..}}, with a payload when one is given.
std::string error_frame(std::string_view id, const control_error& e, const json& payload = nullptr);
// {"type":"event","event":..,"payload":..,"seq":..}; no seq for connect.challenge.
std::string event_frame(std::string_view event, const json& payload,
                        std::optional<std::uint64_t> seq, const json& state_version = nullptr);

// Reads method params, remembering the first problem as an INVALID_REQUEST naming the
// method and the field ("invalid chat.send params: message must be a string").
class param_reader {
 public:
  param_reader(const json& params, std::string_view method) : params_(params), method_(method) {}

  // A string field; "" when absent (and an error when `required`).
  std::string string(std::string_view key, bool required = false, bool non_empty = false);
  // The first of several spellings that is present (e.g. "key" and "sessionKey").
  std::string string_any(std::initializer_list<std::string_view> keys, bool required = false);
  // An integer in [min, max]; nullopt when absent.
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  bool boolean(std::string_view key, bool fallback);

  [[nodiscard]] bool ok() const noexcept { return !error_.has_value(); }
  [[nodiscard]] const control_error& error() const { return *error_; }

 private:
  void problem(std::string_view key, std::string_view what);
  const json& params_;
  std::string method_;
  std::optional<control_error> error_;
};

// A random v4 UUID ("3f2b9c1e-...").
std::string control_uuid();

}  // namespace durar::gateway_detail
