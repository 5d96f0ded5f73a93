// anthropic-messages: the decoding of recorded streams and whole messages, and errors.
#include "anthropic_messages_fixture.hpp"

#include <string>

using namespace anthropic_test;

TEST_CASE("anthropic stream: text with usage and cost", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "text.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 1);
  CHECK(text_at(m, 0).text == "Bonjour! Ça va? Here is a globe: 🌍 and 日本語.");
  CHECK(m.stop == stop_reason::stop);
  CHECK(m.response_id == "msg_01TextA1b2C3");
  CHECK(m.model == "claude-sonnet-4-5");  // the catalog id, so replay recognises its own model
  CHECK(m.usage.input == 21);
  CHECK(m.usage.output == 17);
  CHECK(m.usage.total_tokens == 38);
  CHECK(m.usage.cost.input == Approx(21 * 3.0 / 1e6));
  CHECK(m.usage.cost.output == Approx(17 * 15.0 / 1e6));
  CHECK(m.usage.cost.total == Approx((21 * 3.0 + 17 * 15.0) / 1e6));
}

TEST_CASE("anthropic stream: thinking with its signature", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "thinking.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  CHECK(thinking_at(m, 0).thinking == "The user asks for 27 * 453. 27 * 453 = 12231.");
  CHECK(thinking_at(m, 0).signature.size() == 212);
  CHECK(thinking_at(m, 0).signature.rfind("EqQBCkgIBxAB", 0) == 0);
  CHECK_FALSE(thinking_at(m, 0).redacted);
  CHECK(text_at(m, 1).text == "27 × 453 = 12,231.");
}

TEST_CASE("anthropic stream: redacted thinking keeps its data", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "redacted_thinking.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 3);
  CHECK(thinking_at(m, 0).redacted);
  CHECK(thinking_at(m, 0).signature.rfind("EmwKAhgBEgy3va3pzix/", 0) == 0);
  CHECK(thinking_at(m, 0).thinking == "[Reasoning redacted]");
  CHECK(thinking_at(m, 1).signature == "ErUBCkYIBRgCKkA1c2lnbmF0dXJl");
  CHECK(text_at(m, 2).text == "Done.");
}

TEST_CASE("anthropic stream: tool_use arguments from fragments", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "tool_use.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  CHECK(text_at(m, 0).text == "Let me check the weather.");
  CHECK(call_at(m, 1).id == "toolu_01A09q90qw90lq917835lq9");
  CHECK(call_at(m, 1).name == "get_weather");
  CHECK(call_at(m, 1).arguments ==
        json::object({{"location", "São Paulo, BR"}, {"unit", "celsius"}, {"days", 3}}));
  CHECK(m.stop == stop_reason::tool_use);
}

TEST_CASE("anthropic stream: interleaved tool calls follow the vendor index",
          "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "two_tools.response.sse");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 2);
  CHECK(call_at(m, 0).name == "get_weather");
  CHECK(call_at(m, 0).arguments == json::object({{"location", "Paris"}}));
  CHECK(call_at(m, 1).name == "get_time");
  CHECK(call_at(m, 1).arguments == json::object({{"tz", "Asia/Tokyo"}}));
}

TEST_CASE("anthropic stream: cache usage (CRLF framing)", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "cache_usage.response.sse");
  const auto& u = r.final.usage;
  CHECK(u.input == 12);
  CHECK(u.cache_read == 20480);
  CHECK(u.cache_write == 1500);
  CHECK(u.output == 250);
  CHECK(u.total_tokens == 12 + 20480 + 1500 + 250);
  CHECK(u.cost.cache_read == Approx(20480 * 0.3 / 1e6));
  CHECK(u.cost.cache_write == Approx(1500 * 3.75 / 1e6));
}

TEST_CASE("anthropic stream: stop reasons", "[anthropic-messages]") {
  fixture f;
  CHECK(decode_file(f, "max_tokens.response.sse").final.stop == stop_reason::length);
  auto refusal = decode_file(f, "refusal.response.sse");
  CHECK(refusal.final.stop == stop_reason::error);
  CHECK(refusal.failures == std::vector<errc>{errc::permission_denied});
  CHECK(text_at(refusal.final, 0).text == "I can't help with that.");
}

TEST_CASE("anthropic stream: failures are events, never crashes", "[anthropic-messages]") {
  fixture f;
  auto overloaded = decode_file(f, "error_midstream.response.sse");
  CHECK(overloaded.final.stop == stop_reason::error);
  CHECK(overloaded.failures == std::vector<errc>{errc::unavailable});
  CHECK(text_at(overloaded.final, 0).text == "Partial answ");  // what arrived is kept

  auto truncated = decode_file(f, "truncated.response.sse");
  CHECK(truncated.failures == std::vector<errc>{errc::protocol_error});
  CHECK(text_at(truncated.final, 0).text == "Cut off");

  auto bad = decode_file(f, "invalid_json.response.sse");
  CHECK(bad.failures == std::vector<errc>{errc::protocol_error});
  CHECK(bad.final.error_message.find("invalid JSON") != std::string::npos);

  auto t = detail::make_anthropic_messages_transport();
  auto empty = wire_replay::decode_whole(*t, f.call(), "");
  wire_replay::check_invariants(empty);
  CHECK(empty.failures == std::vector<errc>{errc::protocol_error});
  auto garbage = wire_replay::decode_whole(*t, f.call(), "data: \x01\xff{{\n\n");
  wire_replay::check_invariants(garbage);
  CHECK(garbage.failures == std::vector<errc>{errc::protocol_error});
}

TEST_CASE("anthropic: a whole JSON message decodes like a stream", "[anthropic-messages]") {
  fixture f;
  auto r = decode_file(f, "message.response.json");
  const auto& m = r.final;
  REQUIRE(m.content.size() == 3);
  CHECK(thinking_at(m, 0).signature == "ErUBCkYIBRgCKkBzaWc=");
  CHECK(text_at(m, 1).text == "Checking.");
  CHECK(call_at(m, 2).arguments == json::object({{"location", "Paris"}}));
  CHECK(m.stop == stop_reason::tool_use);
  CHECK(m.usage.cache_read == 100);
  CHECK(m.response_id == "msg_01WholeX4y5");
}

// ---- errors --------------------------------------------------------------------------

TEST_CASE("anthropic errors are classified", "[anthropic-messages]") {
  auto t = detail::make_anthropic_messages_transport();
  auto classify = [&](int status, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http_head head;
    head.status = status;
    head.headers = std::move(headers);
    return t->classify_error(head, body);
  };
  auto body = [](std::string type, std::string message) {
    return json::object(
               {{"type", "error"}, {"error", json::object({{"type", type}, {"message", message}})}})
        .dump();
  };
  error e = classify(529, body("overloaded_error", "Overloaded"));
  CHECK(e.code == errc::unavailable);
  CHECK(e.retryable());
  CHECK(e.http_status == 529);
  CHECK(e.provider_message == "Overloaded");

  e = classify(429,
               body("rate_limit_error", "Number of request tokens has exceeded your rate limit"),
               {{"retry-after", "30"}});
  CHECK(e.code == errc::resource_exhausted);
  REQUIRE(e.retry_after.has_value());
  CHECK(e.retry_after->count() == 30000);

  CHECK(classify(400, body("invalid_request_error",
                           "prompt is too long: 213462 tokens > 200000 maximum"))
            .code == errc::context_overflow);
  CHECK(classify(413, body("request_too_large", "Request exceeds the maximum size")).code ==
        errc::context_overflow);
  CHECK(classify(401, body("authentication_error", "invalid x-api-key")).code ==
        errc::unauthenticated);
  CHECK(classify(403, body("permission_error", "no access")).code == errc::permission_denied);
  CHECK(classify(404, body("not_found_error", "model: claude-9")).code == errc::not_found);
  CHECK(classify(400, body("invalid_request_error", "messages: field required")).code ==
        errc::invalid_argument);
  e = classify(400, body("invalid_request_error",
                         "Your credit balance is too low to access the Anthropic API."));
  CHECK(e.code == errc::resource_exhausted);
  CHECK(e.message.find("billing") != std::string::npos);
  CHECK(classify(502, "<html>Bad Gateway</html>").code == errc::unavailable);
  CHECK(classify(500, body("api_error", "Internal server error")).code == errc::unavailable);
  // A type this code does not know falls back on the status, as for every vendor: a 4xx the
  // vendor will not take is not worth another model, a 402 is.
  CHECK(classify(409, body("conflict_error", "busy")).code == errc::invalid_argument);
  CHECK(classify(402, "").code == errc::resource_exhausted);
  CHECK(e.describe().find(canary) == std::string::npos);
}
