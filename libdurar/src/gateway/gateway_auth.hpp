// Gateway auth: a shared token or password, compared in constant time. Wrong secrets from
// one client address are slowed down: after 5 within a minute every attempt from there is
// refused, without even comparing, for 1 s; each wrong secret after a lockout doubles it (up
// to 60 s). The record is forgotten on success, or a minute after its last lockout ended. A
// request that presents no secret at all is refused but never counted: it is not a guess.
#pragma once

#include <durar/secret.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace durar::gateway_detail {

struct auth_settings {
  std::string mode = "none";  // token | password | none
  std::optional<secret> token;
  std::optional<secret> password;
};

enum class auth_outcome { ok, missing, mismatch, throttled };

class gateway_auth {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  explicit gateway_auth(auth_settings s) : settings_(std::move(s)) {}

  [[nodiscard]] bool required() const noexcept { return settings_.mode != "none"; }
  [[nodiscard]] const std::string& mode() const noexcept { return settings_.mode; }
  // Checks a presented secret (token or password, whichever the mode wants) from `remote`.
  // With mode none every check is ok. An empty `presented` is `missing` even while `remote`
  // is locked out, and is not counted. Without `now`, the clock (steady_clock by default).
  auth_outcome check(std::string_view presented, const std::string& remote);
  auth_outcome check(std::string_view presented, const std::string& remote,
                     std::chrono::steady_clock::time_point now);
  // How long `remote` stays locked out (zero when it is not), for Retry-After.
  [[nodiscard]] std::chrono::milliseconds lockout_left(std::string_view remote) const;
  [[nodiscard]] std::chrono::milliseconds lockout_left(
      std::string_view remote, std::chrono::steady_clock::time_point now) const;
  // Replaces the clock (tests); a reload that builds a new gateway_auth starts on steady_clock.
  void set_clock(clock_fn clock) { clock_ = std::move(clock); }
  // `Authorization: Bearer <secret>` of an HTTP request ("" when absent or another scheme).
  static std::string_view bearer(std::string_view authorization_header);
  // The OpenAI-shaped message for a failed outcome, e.g. "unauthorized: gateway token
  // mismatch" (never the secret).
  [[nodiscard]] std::string message(auth_outcome o) const;

 private:
  struct strikes {
    int count = 0;
    std::chrono::steady_clock::time_point first, blocked_until;
    std::chrono::seconds penalty{0};
  };
  [[nodiscard]] std::chrono::steady_clock::time_point clock_now() const {
    return clock_ ? clock_() : std::chrono::steady_clock::now();
  }
  auth_settings settings_;
  clock_fn clock_;
  std::map<std::string, strikes, std::less<>> failures_;
};

// Equal in time that depends only on the lengths, not on where the bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace durar::gateway_detail
