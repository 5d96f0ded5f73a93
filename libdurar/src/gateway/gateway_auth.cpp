#include "gateway_auth.hpp"

#include <algorithm>
#include <cctype>

namespace durar::gateway_detail {

namespace {
constexpr int free_failures = 5;  // per window, before each attempt is refused for a while
constexpr std::chrono::seconds window{60};
constexpr std::chrono::seconds first_penalty{1};
constexpr std::chrono::seconds max_penalty{60};
}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Compare over the longer length so the time does not reveal a common prefix.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string_view gateway_auth::bearer(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(header[i]))) != scheme[i])
      return {};
  std::string_view rest = header.substr(scheme.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  return rest;
}

auth_outcome gateway_auth::check(std::string_view presented, const std::string& remote,
                                 std::chrono::steady_clock::time_point now) {
  if (!required()) return auth_outcome::ok;
  auto it = failures_.find(remote);
  if (it != failures_.end() && now < it->second.blocked_until) return auth_outcome::throttled;

  const std::optional<secret>& expected =
      settings_.mode == "password" ? settings_.password : settings_.token;
  bool ok = !presented.empty() && expected.has_value() &&
            constant_time_equal(presented, expected->reveal());
  if (ok) {
    if (it != failures_.end()) failures_.erase(it);
    return auth_outcome::ok;
  }
  if (it == failures_.end() || now - it->second.first > window) {
    strikes fresh;
    fresh.first = now;
    it = failures_.insert_or_assign(remote, fresh).first;
  }
  strikes& s = it->second;
  if (++s.count > free_failures) {
    s.penalty = s.penalty.count() == 0 ? first_penalty : std::min(s.penalty * 2, max_penalty);
    s.blocked_until = now + s.penalty;
  }
  // Bounded memory: forget the oldest record when too many addresses have failed.
  if (failures_.size() > 10'000) failures_.erase(failures_.begin());
  return presented.empty() ? auth_outcome::missing : auth_outcome::mismatch;
}

std::string gateway_auth::message(auth_outcome o) const {
  const char* what = settings_.mode == "password" ? "password" : "token";
  switch (o) {
    case auth_outcome::ok:
      return "ok";
    case auth_outcome::missing:
      return std::string("unauthorized: gateway ") + what + " missing";
    case auth_outcome::mismatch:
      return std::string("unauthorized: gateway ") + what + " mismatch";
    case auth_outcome::throttled:
      return "unauthorized: too many failed attempts, try again later";
  }
  return "unauthorized";
}

}  // namespace durar::gateway_detail
