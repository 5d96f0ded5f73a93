// Gateway auth: constant-time comparison, bearer parsing, and the slow-down after
// repeated failures.
#include "gateway/gateway_auth.hpp"

#include <catch2/catch.hpp>

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
  for (int i = 0; i < 5; ++i) CHECK(a.check("wrong", "10.0.0.1", t0) == auth_outcome::mismatch);
  CHECK(a.check("wrong", "10.0.0.1", t0) == auth_outcome::mismatch);  // sixth: now blocked 1 s
  // While blocked even the right secret is refused without comparing.
  CHECK(a.check("right", "10.0.0.1", t0 + 500ms) == auth_outcome::throttled);
  // Another address is unaffected.
  CHECK(a.check("right", "10.0.0.2", t0 + 500ms) == auth_outcome::ok);
  // After the penalty the right secret works and clears the record.
  CHECK(a.check("right", "10.0.0.1", t0 + 1500ms) == auth_outcome::ok);
  CHECK(a.check("wrong", "10.0.0.1", t0 + 1600ms) == auth_outcome::mismatch);
}
