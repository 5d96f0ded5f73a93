// Gateway auth: a shared token or password, compared in constant time. Repeated failures
// from one address are slowed down: after 5 in a minute each further attempt from there
// is refused for a growing delay (1 s doubling to 60 s) without even comparing.
#pragma once

#include <durar/secret.hpp>

#include <chrono>
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
  explicit gateway_auth(auth_settings s) : settings_(std::move(s)) {}

  [[nodiscard]] bool required() const noexcept { return settings_.mode != "none"; }
  [[nodiscard]] const std::string& mode() const noexcept { return settings_.mode; }
  // Checks a presented secret (token or password, whichever the mode wants) from `remote`.
  // With mode none every check is ok.
  auth_outcome check(std::string_view presented, const std::string& remote,
                     std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
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
  auth_settings settings_;
  std::map<std::string, strikes, std::less<>> failures_;
};

// Equal in time that depends only on the lengths, not on where the bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace durar::gateway_detail
