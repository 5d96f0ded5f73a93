#include "gateway_auth.hpp"

#include <algorithm>
#include <cctype>

namespace durar::gateway_detail {

namespace {
constexpr int free_failures = 5;  // per window, before each attempt is refused for a while
constexpr std::chrono::seconds window{60};
constexpr std::chrono::seconds first_penalty{1};
constexpr std::chrono::seconds max_penalty{60};
constexpr std::size_t max_records = 10'000;
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

auth_outcome gateway_auth::check(std::string_view presented, const std::string& remote) {
  return check(presented, remote, clock_now());
}

auth_outcome gateway_auth::check(std::string_view presented, const std::string& remote,
                                 std::chrono::steady_clock::time_point now) {
  if (!required()) return auth_outcome::ok;
  // No secret at all is a client that was not given one (a probe, a misconfigured tool), not
  // a guess: it is told so, and counts toward nobody's lockout.
  if (presented.empty()) return auth_outcome::missing;
  auto it = failures_.find(remote);
  if (it != failures_.end() && now < it->second.blocked_until) return auth_outcome::throttled;

  const std::optional<secret>& expected =
      settings_.mode == "password" ? settings_.password : settings_.token;
  bool ok = expected.has_value() && constant_time_equal(presented, expected->reveal());
  if (ok) {
    if (it != failures_.end()) failures_.erase(it);
    return auth_outcome::ok;
  }
  // A record is stale a window after its first failure; once it has locked the address out,
  // a window after the lockout ended (so the penalty can keep doubling).
  if (it != failures_.end()) {
    const strikes& old = it->second;
    const bool stale =
        old.penalty.count() == 0 ? now - old.first > window : now - old.blocked_until > window;
    if (stale) {
      failures_.erase(it);
      it = failures_.end();
    }
  }
  if (it == failures_.end()) {
    strikes fresh;
    fresh.first = now;
    it = failures_.emplace(remote, fresh).first;
  }
  strikes& s = it->second;
  // The 5th failure locks the address out: "after 5 failures" the 6th attempt is refused.
  if (++s.count >= free_failures) {
    s.penalty = s.penalty.count() == 0 ? first_penalty : std::min(s.penalty * 2, max_penalty);
    s.blocked_until = now + s.penalty;
  }
  // Bounded memory: forget a record when too many addresses have failed, preferring one
  // that is not locked out (so a flood of fresh addresses cannot free a locked one).
  if (failures_.size() > max_records) {
    auto victim = std::find_if(failures_.begin(), failures_.end(), [&](const auto& kv) {
      return kv.first != remote && now >= kv.second.blocked_until;
    });
    if (victim == failures_.end()) victim = failures_.begin();
    failures_.erase(victim);
  }
  return auth_outcome::mismatch;
}

std::chrono::milliseconds gateway_auth::lockout_left(std::string_view remote) const {
  return lockout_left(remote, clock_now());
}

std::chrono::milliseconds gateway_auth::lockout_left(
    std::string_view remote, std::chrono::steady_clock::time_point now) const {
  auto it = failures_.find(remote);
  if (it == failures_.end() || now >= it->second.blocked_until) return std::chrono::milliseconds(0);
  // Rounded up: a client that waits this long is never refused again for this lockout.
  return std::chrono::ceil<std::chrono::milliseconds>(it->second.blocked_until - now);
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
