// Inputs the fuzzers (fuzz/) found, byte for byte, each with what it must do instead of what
// it did. Run under the sanitizers too (DURAR_SANITIZE=address,undefined): some findings are
// undefined behaviour that a plain build does not show.
#include <durar/catalog.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "session/session_internal.hpp"

#include <string_view>
#include <variant>

using namespace durar;

TEST_CASE("fuzz transcript: a timestamp beyond int64 reads as 0, not undefined behaviour",
          "[fuzz][sessions]") {
  // durar_fuzz_transcript, 2026-12-06: UBSan "7.76763e+19 is outside the range of
  // representable values of type 'long'" in message.cpp's int_of (a real cast to int64).
  constexpr std::string_view input =
      "{\"type\":\"session\",\"id\":\"\"}\n"
      "{\"type\":\"message\",\"id\":\"7\",\"message\":{\"role\":\"user\",\"timestamp\":"
      "77676284506762842000}}";
  auto parsed = detail::parse_transcript(input, "/fuzz/session.jsonl");
  REQUIRE(parsed.has_value());

  for (const char* big : {"77676284506762842000", "-9.3e18", "1e300", "9223372036854775808.0"}) {
    auto doc = json::parse(std::string("{\"role\":\"user\",\"content\":\"hi\",\"timestamp\":") +
                           big + "}");
    REQUIRE(doc.has_value());
    auto m = message_from_json(*doc);
    REQUIRE(m.has_value());
    REQUIRE(std::holds_alternative<user_message>(*m));
    CHECK(std::get<user_message>(*m).timestamp == 0);
  }
}

TEST_CASE("fuzz retry-after: huge or infinite delays cap at a day, not undefined behaviour",
          "[fuzz][providers]") {
  // Found reviewing the same cast after the transcript finding: a vendor's Retry-After of
  // 1e300 seconds (or "inf") went through a double-to-int64 cast out of range.
  const auto day = std::chrono::milliseconds(24LL * 3600 * 1000);
  for (const char* name : {"retry-after", "retry-after-ms"}) {
    for (const char* value : {"1e300", "inf", "9223372036854775808"}) {
      http_head head;
      head.status = 429;
      head.headers = {{name, value}};
      INFO(name << ": " << value);
      CHECK(parse_retry_after(head) == std::optional<std::chrono::milliseconds>(day));
    }
  }
}

TEST_CASE("fuzz classify_error: an error body that is JSON but not an object is kept as text",
          "[fuzz][providers]") {
  // durar_fuzz_stream, 2026-12-06: a body of " 1e300\n" made classify_error throw
  // std::logic_error ("json: expected object, got number") out of vendor_message.
  auto t = builtin_transport(api_kind::openai_completions);
  REQUIRE(t != nullptr);
  http_head head;
  head.status = 500;
  for (std::string_view body : {" 1e300\n", "[1,2]", "\"overloaded\"", "true", "null"}) {
    INFO(body);
    error e;
    REQUIRE_NOTHROW(e = t->classify_error(head, body));
    CHECK_FALSE(e.provider_message.empty());
  }
}
