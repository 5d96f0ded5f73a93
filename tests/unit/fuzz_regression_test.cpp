// Inputs the fuzzers (fuzz/) found, byte for byte, each with what it must do instead of what
// it did. Run under the sanitizers too (DURAR_SANITIZE=address,undefined): some findings are
// undefined behaviour that a plain build does not show.
#include <durar/catalog.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "gateway/control_frames.hpp"
#include "session/session_internal.hpp"

#include <optional>
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

TEST_CASE("fuzz control: a huge real as an integer param is refused, not undefined behaviour",
          "[fuzz][gateway]") {
  // durar_fuzz_control, 2026-12-06: UBSan "5.66667e+71 is outside the range of representable
  // values of type 'long'" in param_reader::integer, from sessions.list {"limit": 5.67e71
  // written out in digits}: the real was cast to int64 before its range was checked.
  for (const char* big :
       {"566666666666666666666666666666666666666666666666666666666666666666666666", "1e300",
        "-9.3e18", "9223372036854775808.0", "-1e19"}) {
    INFO(big);
    auto params = json::parse(std::string("{\"limit\":") + big + "}");
    REQUIRE(params.has_value());
    gateway_detail::param_reader read(*params, "sessions.list");
    CHECK_FALSE(read.integer("limit", 1, 1000));
    REQUIRE_FALSE(read.ok());
    CHECK_THAT(read.error().message, Catch::Contains("limit must be"));
  }
  auto whole = json::parse("{\"limit\":50.0}");
  REQUIRE(whole.has_value());
  gateway_detail::param_reader read(*whole, "sessions.list");
  CHECK(read.integer("limit", 1, 1000) == 50);
}

TEST_CASE("review of the same cast: huge reals in usage and in the index read as 0",
          "[fuzz][providers][sessions]") {
  // Found looking for the control finding's pattern elsewhere: openai-completions usage
  // counts and sessions.json numbers were cast from double after only a sign or isfinite
  // check.
  model_info model;
  model.provider = "p";
  model.id = "m";
  model.api = api_kind::openai_completions;
  provider_info provider;
  provider.id = "p";
  provider.api = model.api;
  conversation conv;
  request_options options;
  call_spec call{model, provider, nullptr, conv, options};
  auto t = builtin_transport(model.api);
  REQUIRE(t != nullptr);
  std::optional<assistant_message> final_message;
  stream_builder out(assistant_message{}, model.cost, [&](const stream_event& e) {
    if (e.kind == event_kind::done || e.kind == event_kind::error) final_message = *e.message;
  });
  auto decoder = t->make_decoder(call, out);
  decoder->feed(
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":"
      "\"stop\"}],\"usage\":{\"prompt_tokens\":1e300,\"completion_tokens\":9.3e18,"
      "\"prompt_tokens_details\":{\"cached_tokens\":1e300}}}\n\ndata: [DONE]\n\n");
  decoder->finish();
  REQUIRE(final_message);
  CHECK(final_message->usage.output == 0);

  auto index = json::parse(
      "{\"agent:main:main\":{\"sessionId\":\"s\",\"updatedAt\":1e300,\"inputTokens\":-1e300}}");
  REQUIRE(index.has_value());
  session_info info = detail::info_from_json("agent:main:main", (*index)["agent:main:main"]);
  CHECK(info.updated_at == 0);
  CHECK(info.input_tokens == 0);
}

TEST_CASE("fuzz json: an exponent at the edge of int64 is out of range, not undefined behaviour",
          "[fuzz][json]") {
  // durar_fuzz_json in the CI smoke, 2026-12-06: UBSan "signed integer overflow: 2 +
  // 9223372036854775807" in json_parse.cpp's error_locator::number, which adds the digits
  // before the point to the exponent to decide between overflow and underflow.
  constexpr std::string_view input =
      "103e0000000000000009223372036854775807\324\317\317\317\317\317\317\317"
      "00000000000008";
  auto found = json::parse(input);
  REQUIRE_FALSE(found.has_value());
  CHECK(found.error().message.find("line 1, column 1") != std::string::npos);

  auto error_of = [](std::string_view text) {
    auto r = json::parse(text);
    return r.has_value() ? std::string("parsed") : r.error().message;
  };
  CHECK(error_of("103e9223372036854775807") == "line 1, column 1: number out of range");
  CHECK(error_of("[-1e9223372036854775807]") == "line 1, column 2: number out of range");
  CHECK(error_of("103e+99999999999999999999") == "line 1, column 1: number out of range");
  for (std::string_view tiny :
       {"0.001e-9223372036854775807", "-0.001e-9223372036854775808", "1e-99999999999999999999"}) {
    auto r = json::parse(tiny);
    REQUIRE(r.has_value());
    CHECK(r->as_double() == 0.0);
  }
}
