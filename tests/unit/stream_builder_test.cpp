#include <durar/provider.hpp>

#include "transports/partial_json.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace durar;

namespace {

// Records every event as (kind, index, delta) and folds them.
struct recorder {
  std::vector<std::tuple<event_kind, std::size_t, std::string>> events;
  event_fold fold;
  std::vector<errc> failures;
  event_callback sink() {
    return [this](const stream_event& e) {
      events.emplace_back(e.kind, e.content_index, std::string(e.delta));
      if (e.failure != nullptr) failures.push_back(e.failure->code);
      fold.apply(e);
    };
  }
  std::size_t count(event_kind k) const {
    std::size_t n = 0;
    for (const auto& e : events) n += std::get<0>(e) == k;
    return n;
  }
};

assistant_message fresh() {
  assistant_message m;
  m.api = "openai-completions";
  m.provider = "openai";
  m.model = "gpt-5.4";
  return m;
}

bool same(const assistant_message& a, const assistant_message& b) {
  return to_json(message(a)) == to_json(message(b));
}

}  // namespace

TEST_CASE("text streams as deltas, start once, one terminal event", "[stream]") {
  recorder r;
  stream_builder b(fresh(), {}, r.sink());
  auto i = b.begin_text();
  b.append(i, "Hel");
  b.append(i, "lo");
  b.done(stop_reason::stop);
  b.done(stop_reason::length);  // ignored: already finished
  b.append(i, "late");          // ignored
  CHECK(r.count(event_kind::start) == 1);
  CHECK(r.count(event_kind::text_delta) == 2);
  CHECK(r.count(event_kind::text_end) == 1);
  CHECK(r.count(event_kind::done) == 1);
  CHECK(std::get<0>(r.events.back()) == event_kind::done);
  CHECK(text_of(b.message()) == "Hello");
  CHECK(b.message().stop == stop_reason::stop);
  CHECK(same(r.fold.message(), b.message()));
}

TEST_CASE("a UTF-8 character split across appends is delivered whole", "[stream]") {
  recorder r;
  stream_builder b(fresh(), {}, r.sink());
  auto i = b.begin_text();
  const std::string text = "caf\xC3\xA9 \xF0\x9F\x98\x80!";  // "café 😀!"
  for (char c : text) b.append(i, std::string_view(&c, 1));
  b.done(stop_reason::stop);
  std::string joined;
  for (const auto& [kind, index, delta] : r.events) {
    if (kind != event_kind::text_delta) continue;
    auto first = static_cast<unsigned char>(delta.front());
    CHECK((first & 0xC0) != 0x80);  // never starts mid-character
    joined += delta;
  }
  CHECK(joined == text);
  CHECK(text_of(b.message()) == text);
}

TEST_CASE("bytes of an unfinished character are not lost at the end", "[stream]") {
  stream_builder b(fresh(), {}, nullptr);
  auto i = b.begin_text();
  b.append(i, "ok\xE2\x82");  // the start of "€", then the stream ends
  b.done(stop_reason::stop);
  CHECK(text_of(b.message()) == "ok\xE2\x82");
}

TEST_CASE("interleaved tool calls accumulate by block, never by recency", "[stream]") {
  recorder r;
  stream_builder b(fresh(), {}, r.sink());
  auto a = b.begin_tool_call("call_a", "read");
  auto c = b.begin_tool_call("call_b", "write");
  b.append(a, "{\"path\":");
  b.append(c, "{\"path\":\"b.txt\",");
  CHECK(std::get<tool_call_block>(b.message().content[c]).arguments["path"].as_string() ==
        "b.txt");  // partial parse while streaming
  b.append(a, "\"a.txt\"}");
  b.append(c, "\"text\":\"hi\"}");
  b.done(stop_reason::tool_use);
  auto calls = tool_calls_of(b.message());
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]->arguments == json::object({{"path", "a.txt"}}));
  CHECK(calls[1]->arguments == json::object({{"path", "b.txt"}, {"text", "hi"}}));
  CHECK(r.count(event_kind::toolcall_end) == 2);
  CHECK(same(r.fold.message(), b.message()));
}

TEST_CASE("arguments sent whole stream as one fragment", "[stream]") {
  recorder r;
  stream_builder b(fresh(), {}, r.sink());
  auto i = b.begin_tool_call("1", "exec");
  b.set_arguments(i, json::object({{"cmd", "ls"}}));
  b.done(stop_reason::tool_use);
  CHECK(r.count(event_kind::toolcall_delta) == 1);
  CHECK(same(r.fold.message(), b.message()));
}

TEST_CASE("usage is costed from the catalog prices", "[stream]") {
  stream_builder b(fresh(), model_cost{3.0, 15.0, 0.3, 3.75}, nullptr);
  usage u;
  u.input = 1'000'000;
  u.output = 200'000;
  u.cache_read = 500'000;
  u.cache_write = 100'000;
  b.set_usage(u);
  b.done(stop_reason::stop);
  const auto& got = b.message().usage;
  CHECK(got.cost.input == Approx(3.0));
  CHECK(got.cost.output == Approx(3.0));
  CHECK(got.cost.cache_read == Approx(0.15));
  CHECK(got.cost.cache_write == Approx(0.375));
  CHECK(got.cost.total == Approx(6.525));
  CHECK(got.total_tokens == 1'800'000);
}

TEST_CASE("failure keeps the partial message and says why", "[stream]") {
  recorder r;
  stream_builder b(fresh(), {}, r.sink());
  auto i = b.begin_text();
  b.append(i, "partial");
  b.fail(error(errc::unavailable, "connection reset"));
  CHECK(b.message().stop == stop_reason::error);
  CHECK(b.message().error_message == "connection reset");
  CHECK(text_of(b.message()) == "partial");
  REQUIRE(r.failures.size() == 1);
  CHECK(r.failures[0] == errc::unavailable);
  CHECK(r.count(event_kind::text_end) == 1);  // open blocks are closed first

  stream_builder cancelled(fresh(), {}, nullptr);
  cancelled.fail(error(errc::cancelled, "aborted by caller"));
  CHECK(cancelled.message().stop == stop_reason::aborted);
  CHECK(cancelled.started());
}

TEST_CASE("event JSON carries what a client needs", "[stream]") {
  std::vector<json> out;
  stream_builder b(fresh(), {}, [&](const stream_event& e) { out.push_back(to_json(e)); });
  auto i = b.begin_text();
  b.append(i, "hi");
  b.done(stop_reason::stop);
  REQUIRE(out.size() == 5);
  CHECK(out[0]["type"].as_string() == "start");
  CHECK(out[2] == json::object({{"type", "text_delta"}, {"contentIndex", 0}, {"delta", "hi"}}));
  CHECK(out[4]["type"].as_string() == "done");
  CHECK(out[4]["reason"].as_string() == "stop");
  CHECK(out[4]["message"]["role"].as_string() == "assistant");
}

TEST_CASE("partial JSON closes what is open", "[stream]") {
  using detail::parse_partial_json;
  CHECK(parse_partial_json("") == json::object());
  CHECK(parse_partial_json("{") == json::object());
  CHECK(parse_partial_json("{\"a\": 1") == json::object({{"a", 1}}));
  CHECK(parse_partial_json("{\"a\": \"x") == json::object({{"a", "x"}}));
  CHECK(parse_partial_json("{\"a\": \"x\", \"b") == json::object({{"a", "x"}}));
  CHECK(parse_partial_json("{\"a\": \"x\",") == json::object({{"a", "x"}}));
  CHECK(parse_partial_json("{\"a\": [1, 2") == json::object({{"a", json::array({1, 2})}}));
  CHECK(parse_partial_json("{\"a\": \"\\u00") == json::object({{"a", ""}}));
  CHECK(parse_partial_json("{\"a\": \"q\\") == json::object({{"a", "q"}}));
  CHECK(parse_partial_json("{\"a\": {\"b\": tr") == json::object({{"a", json::object()}}));
  CHECK(parse_partial_json("{\"a\": 1}") == json::object({{"a", 1}}));
}

TEST_CASE("Retry-After is read as seconds, milliseconds or a date", "[stream]") {
  http_head h;
  h.headers = {{"retry-after", "7"}};
  CHECK(parse_retry_after(h) == std::chrono::milliseconds(7000));
  h.headers = {{"retry-after-ms", "250"}, {"retry-after", "7"}};
  CHECK(parse_retry_after(h) == std::chrono::milliseconds(250));
  h.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};  // in the past
  CHECK(parse_retry_after(h) == std::chrono::milliseconds(0));
  h.headers = {{"retry-after", "soon"}};
  CHECK_FALSE(parse_retry_after(h).has_value());
  h.headers = {{"retry-after", "99999999"}};
  CHECK(parse_retry_after(h) == std::chrono::milliseconds(24LL * 3600 * 1000));
}

TEST_CASE("the default classification maps status and vendor words to codes", "[stream]") {
  struct plain : transport {
    std::string_view api() const noexcept override { return "test"; }
    result<http_request> build_request(const call_spec&) const override { return http_request{}; }
    std::unique_ptr<stream_decoder> make_decoder(const call_spec&, stream_builder&) const override {
      return nullptr;
    }
  } t;
  http_head h;
  h.status = 429;
  h.headers = {{"retry-after", "3"}};
  auto e = t.classify_error(h, R"({"error":{"message":"Rate limit reached","type":"requests"}})");
  CHECK(e.code == errc::resource_exhausted);
  CHECK(e.retry_after == std::chrono::milliseconds(3000));
  CHECK(e.provider_message == "Rate limit reached");
  CHECK(e.http_status == 429);
  CHECK(e.retryable());

  h = {};
  h.status = 400;
  CHECK(t.classify_error(h, R"({"error":{"message":"This model's maximum context length is 8192"}})")
            .code == errc::context_overflow);
  CHECK(t.classify_error(h, R"({"error":{"message":"bad field"}})").code == errc::invalid_argument);
  h.status = 529;
  CHECK(t.classify_error(h, "overloaded").code == errc::unavailable);
  h.status = 401;
  CHECK(t.classify_error(h, "").code == errc::unauthenticated);
}
