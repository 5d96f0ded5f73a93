// Gateway auth: constant-time comparison, bearer parsing, and the slow-down after
// repeated failures.
#include "gateway/gateway_auth.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace durar;
using namespace durar::gateway_detail;
using namespace std::chrono_literals;

namespace {
auth_settings token_mode(std::string t) {
  auth_settings s;
  s.mode = "token";
  s.token = secret(std::move(t));
  return s;
}
}  // namespace

TEST_CASE("constant_time_equal compares whole strings", "[gateway][auth]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK(constant_time_equal("", ""));
}

TEST_CASE("bearer takes the secret of an Authorization header", "[gateway][auth]") {
  CHECK(gateway_auth::bearer("Bearer s3cret") == "s3cret");
  CHECK(gateway_auth::bearer("bearer   s3cret  ") == "s3cret");
  CHECK(gateway_auth::bearer("Basic abc").empty());
  CHECK(gateway_auth::bearer("Bearer").empty());
  CHECK(gateway_auth::bearer("").empty());
}

TEST_CASE("auth none lets everyone in, token mode checks the token", "[gateway][auth]") {
  gateway_auth open(auth_settings{});
  CHECK_FALSE(open.required());
  CHECK(open.check("", "1.2.3.4") == auth_outcome::ok);

  gateway_auth a(token_mode("tok-canary-9"));
  CHECK(a.required());
  CHECK(a.check("tok-canary-9", "127.0.0.1") == auth_outcome::ok);
  CHECK(a.check("", "127.0.0.1") == auth_outcome::missing);
  CHECK(a.check("nope", "127.0.0.1") == auth_outcome::mismatch);
  CHECK(a.message(auth_outcome::mismatch) == "unauthorized: gateway token mismatch");
  CHECK(a.message(auth_outcome::mismatch).find("canary") == std::string::npos);
}

TEST_CASE("repeated failures from one address are slowed down, others are not", "[gateway][auth]") {
  gateway_auth a(token_mode("right"));
  auto t0 = std::chrono::steady_clock::now();
  // The docs: "after 5 failures in a minute from one address, further attempts from it are
  // refused for 1 s".
  for (int i = 0; i < 5; ++i) CHECK(a.check("wrong", "10.0.0.1", t0) == auth_outcome::mismatch);
  CHECK(a.lockout_left("10.0.0.1", t0) == 1000ms);
  // While blocked even the right secret is refused without comparing.
  CHECK(a.check("right", "10.0.0.1", t0) == auth_outcome::throttled);
  CHECK(a.check("right", "10.0.0.1", t0 + 500ms) == auth_outcome::throttled);
  CHECK(a.lockout_left("10.0.0.1", t0 + 500ms) == 500ms);
  // Another address is unaffected.
  CHECK(a.check("right", "10.0.0.2", t0 + 500ms) == auth_outcome::ok);
  CHECK(a.lockout_left("10.0.0.2", t0 + 500ms) == 0ms);
  // After the penalty the right secret works and clears the record.
  CHECK(a.lockout_left("10.0.0.1", t0 + 1000ms) == 0ms);
  CHECK(a.check("right", "10.0.0.1", t0 + 1000ms) == auth_outcome::ok);
  CHECK(a.check("wrong", "10.0.0.1", t0 + 1100ms) == auth_outcome::mismatch);
  CHECK(a.lockout_left("10.0.0.1", t0 + 1100ms) == 0ms);
}

TEST_CASE("a wrong secret after a lockout doubles it, up to 60 s", "[gateway][auth]") {
  gateway_auth a(token_mode("right"));
  auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) CHECK(a.check("wrong", "10.0.0.9", t) == auth_outcome::mismatch);
  std::vector<std::chrono::milliseconds> lockouts;
  for (int round = 0; round < 9; ++round) {
    auto left = a.lockout_left("10.0.0.9", t);
    lockouts.push_back(left);
    // Attempts during a lockout neither compare nor lengthen it.
    CHECK(a.check("wrong", "10.0.0.9", t + left / 2) == auth_outcome::throttled);
    CHECK(a.lockout_left("10.0.0.9", t + left / 2) == left - left / 2);
    t += left;
    CHECK(a.check("wrong", "10.0.0.9", t) == auth_outcome::mismatch);
  }
  using ms = std::chrono::milliseconds;
  CHECK(lockouts == std::vector<ms>{1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s});
  // A minute after the last lockout ended without another failure, the record is forgotten:
  // the next failures are free again.
  t += a.lockout_left("10.0.0.9", t) + 61s;
  CHECK(a.check("wrong", "10.0.0.9", t) == auth_outcome::mismatch);
  CHECK(a.lockout_left("10.0.0.9", t) == 0ms);
}

TEST_CASE("failures spread over more than a minute do not lock out", "[gateway][auth]") {
  gateway_auth a(token_mode("right"));
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) CHECK(a.check("wrong", "10.0.0.3", t0) == auth_outcome::mismatch);
  CHECK(a.check("wrong", "10.0.0.3", t0 + 61s) == auth_outcome::mismatch);
  CHECK(a.lockout_left("10.0.0.3", t0 + 61s) == 0ms);
  CHECK(a.check("right", "10.0.0.3", t0 + 61s) == auth_outcome::ok);
}

TEST_CASE("requests without any secret are refused but never lock anyone out", "[gateway][auth]") {
  gateway_auth a(token_mode("right"));
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) CHECK(a.check("", "127.0.0.1", t0) == auth_outcome::missing);
  CHECK(a.lockout_left("127.0.0.1", t0) == 0ms);
  CHECK(a.check("right", "127.0.0.1", t0) == auth_outcome::ok);
  // And during a lockout earned with wrong secrets they are still told "missing".
  for (int i = 0; i < 5; ++i) CHECK(a.check("wrong", "127.0.0.1", t0) == auth_outcome::mismatch);
  CHECK(a.check("", "127.0.0.1", t0) == auth_outcome::missing);
  CHECK(a.check("right", "127.0.0.1", t0) == auth_outcome::throttled);
}

TEST_CASE("the clock hook drives checks and lockout_left", "[gateway][auth]") {
  gateway_auth a(token_mode("right"));
  auto now = std::chrono::steady_clock::now();
  a.set_clock([&] { return now; });
  for (int i = 0; i < 5; ++i) CHECK(a.check("wrong", "10.0.0.4") == auth_outcome::mismatch);
  CHECK(a.lockout_left("10.0.0.4") == 1000ms);
  now += 999ms;
  CHECK(a.check("right", "10.0.0.4") == auth_outcome::throttled);
  CHECK(a.lockout_left("10.0.0.4") == 1ms);
  now += 1ms;
  CHECK(a.check("right", "10.0.0.4") == auth_outcome::ok);
}
