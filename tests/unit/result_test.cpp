#include <durar/error.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

using durar::errc;
using durar::error;
using durar::fail;
using durar::result;

namespace {

result<int> half(int n) {
  if (n % 2 != 0) return fail(errc::invalid_argument, "odd number");
  return n / 2;
}

result<void> check_positive(int n) {
  if (n <= 0) return fail(error(errc::not_found, "not positive"));
  return {};
}

}  // namespace

TEST_CASE("result holds a value", "[result]") {
  result<int> r = half(8);
  REQUIRE(r.has_value());
  CHECK(static_cast<bool>(r));
  CHECK(*r == 4);
  CHECK(r.value() == 4);
  CHECK(r.value_or(-1) == 4);

  result<std::string> s = "converted";  // converting constructor
  REQUIRE(s);
  CHECK(s->size() == 9);
  CHECK(std::move(s).value() == "converted");

  result<std::string> d;  // default-constructible T gives a value
  CHECK(d.has_value());
  CHECK(d->empty());
}

TEST_CASE("result holds an error", "[result]") {
  result<int> r = half(7);
  REQUIRE_FALSE(r.has_value());
  CHECK_FALSE(static_cast<bool>(r));
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message == "odd number");
  CHECK(r.value_or(-1) == -1);
}

TEST_CASE("value() on an error throws bad_result_access carrying the error", "[result]") {
  result<int> r = half(3);
  CHECK_THROWS_AS(r.value(), durar::bad_result_access);
  CHECK_THROWS_WITH(r.value(), "invalid_argument: odd number");
  try {
    (void)r.value();
    FAIL("value() did not throw");
  } catch (const durar::bad_result_access& e) {
    CHECK(e.error().code == errc::invalid_argument);
    CHECK(e.error().message == "odd number");
  }
  const result<int>& cr = r;
  CHECK_THROWS_AS(cr.value(), durar::bad_result_access);
  CHECK_THROWS_AS(std::move(r).value(), durar::bad_result_access);
}

TEST_CASE("result works with move-only types", "[result]") {
  auto make = [](bool ok) -> result<std::unique_ptr<int>> {
    if (!ok) return fail(errc::internal, "no");
    return std::make_unique<int>(42);
  };
  auto r = make(true);
  REQUIRE(r);
  CHECK(**r == 42);
  std::unique_ptr<int> owned = std::move(r).value();
  REQUIRE(owned);
  CHECK(*owned == 42);

  auto e = make(false);
  REQUIRE_FALSE(e);
  error moved = std::move(e).error();
  CHECK(moved.code == errc::internal);
  CHECK(moved.message == "no");
}

TEST_CASE("result<void> reports success or failure", "[result]") {
  result<void> ok = check_positive(1);
  CHECK(ok.has_value());
  CHECK_NOTHROW(ok.value());

  result<void> bad = check_positive(0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::not_found);
  CHECK(bad.error().message == "not positive");
  CHECK_THROWS_AS(bad.value(), durar::bad_result_access);
  CHECK_THROWS_WITH(bad.value(), "not_found: not positive");
}

TEST_CASE("fail() builds an unexpected from a code or an error", "[result]") {
  auto u = fail(errc::unavailable, "down");
  CHECK(u.error().code == errc::unavailable);
  CHECK(u.error().message == "down");

  error e(errc::resource_exhausted, "slow down");
  e.http_status = 429;
  result<int> r = fail(e);
  REQUIRE_FALSE(r);
  CHECK(r.error().http_status == 429);
  CHECK(r.error().message == "slow down");
}

TEST_CASE("result<json> carries parse failures without throwing", "[result]") {
  auto r = durar::json::parse("{");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_argument);
  CHECK_FALSE(r.error().retryable());
  auto ok = durar::json::parse("[1]");
  REQUIRE(ok);
  CHECK(ok->size() == 1);
}

TEST_CASE("error::describe includes status, provider text and retry-after", "[result]") {
  CHECK(error(errc::not_found, "no such model").describe() == "not_found: no such model");

  error e(errc::resource_exhausted, "rate limited");
  e.http_status = 429;
  e.provider_message = "Too many requests";
  e.retry_after = std::chrono::milliseconds(1500);
  CHECK(e.describe() ==
        "resource_exhausted: rate limited (HTTP 429): Too many requests [retry after 1500 ms]");

  error same(errc::unavailable, "overloaded");
  same.provider_message = "overloaded";  // not repeated when identical
  CHECK(same.describe() == "unavailable: overloaded");

  // A message that already quotes the vendor (as the transports' messages do) says it once.
  error quoted(errc::unavailable,
               "openai-completions: provider error: Upstream error from OpenAI: Internal error");
  quoted.http_status = 502;
  quoted.provider_message = "Upstream error from OpenAI: Internal error";
  CHECK(quoted.describe() ==
        "unavailable: openai-completions: provider error: Upstream error from OpenAI: Internal "
        "error (HTTP 502)");

  CHECK(error().describe() == "internal: ");
}

TEST_CASE("every error code has a stable name and retry meaning", "[result]") {
  struct row {
    errc code;
    const char* name;
    bool retryable;
  };
  const row rows[] = {
      {errc::ok, "ok", false},
      {errc::cancelled, "cancelled", false},
      {errc::deadline_exceeded, "deadline_exceeded", true},
      {errc::unauthenticated, "unauthenticated", false},
      {errc::permission_denied, "permission_denied", false},
      {errc::resource_exhausted, "resource_exhausted", true},
      {errc::invalid_argument, "invalid_argument", false},
      {errc::context_overflow, "context_overflow", false},
      {errc::not_found, "not_found", false},
      {errc::unavailable, "unavailable", true},
      {errc::protocol_error, "protocol_error", false},
      {errc::tool_failed, "tool_failed", false},
      {errc::internal, "internal", false},
  };
  int expected_value = 0;
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(static_cast<int>(r.code) == expected_value++);  // codes are never renumbered
    CHECK(durar::to_string(r.code) == r.name);
    CHECK(error(r.code, "x").retryable() == r.retryable);
    CHECK(error(r.code, "x").describe() == std::string(r.name) + ": x");
  }
  CHECK(durar::to_string(static_cast<errc>(99)) == "unknown");
}
