#include "transports/stream_parsers.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::literals;
using durar::detail::ndjson_parser;
using durar::detail::sse_event;
using durar::detail::sse_parser;

namespace {

struct seen {
  std::string event, data, id;
  friend bool operator==(const seen&, const seen&) = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
  return os << "{event=" << s.event << " data=" << s.data << " id=" << s.id << "}";
}

// Feeds `text` in pieces cut at `cuts` (ascending offsets), then finishes.
std::vector<seen> sse_events(std::string_view text, const std::vector<std::size_t>& cuts = {}) {
  std::vector<seen> out;
  sse_parser p([&](const sse_event& e) { out.push_back({e.event, e.data, e.id}); });
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    p.feed(text.substr(at, cut - at));
    at = cut;
  }
  p.feed(text.substr(at));
  p.finish();
  return out;
}

std::vector<seen> sse_bytewise(std::string_view text) {
  std::vector<seen> out;
  sse_parser p([&](const sse_event& e) { out.push_back({e.event, e.data, e.id}); });
  for (char c : text) p.feed(std::string_view(&c, 1));
  p.finish();
  return out;
}

std::vector<std::string> ndjson_lines(std::string_view text,
                                      const std::vector<std::size_t>& cuts = {}) {
  std::vector<std::string> out;
  ndjson_parser p([&](std::string_view l) { out.emplace_back(l); });
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    p.feed(text.substr(at, cut - at));
    at = cut;
  }
  p.feed(text.substr(at));
  p.finish();
  return out;
}

// CRLF, CR and LF endings, comments, a BOM, multi-byte UTF-8 (Arabic, emoji), multi-line
// data, event names and ids: everything a split can land inside.
const std::string mixed_stream =
    "\xEF\xBB\xBF"
    ": keep-alive\r\n"
    "event: message_start\r\n"
    "id: 7\r\n"
    "data: {\"text\":\"\xD8\xAF\xD9\x8F\xD8\xB1\xD9\x8E\xD8\xB1\"}\r\n"
    "\r\n"
    "data: first line\r"
    "data:second \xF0\x9F\xA6\xAA line\r"
    "\r"
    ": another comment \xE2\x9C\xA8\n"
    "event: delta\n"
    "data:  two spaces\n"
    "\n"
    "retry: 1000\r\n"
    "data\r\n"
    "\r\n"
    "event: ignored-without-data\n"
    "\n"
    "data: tail without blank line";

const std::vector<seen> mixed_expected = {
    {"message_start", "{\"text\":\"\xD8\xAF\xD9\x8F\xD8\xB1\xD9\x8E\xD8\xB1\"}", "7"},
    {"", "first line\nsecond \xF0\x9F\xA6\xAA line", "7"},
    {"delta", " two spaces", "7"},
    {"", "", "7"},
    {"", "tail without blank line", "7"},
};

}  // namespace

TEST_CASE("sse: one event per blank line", "[sse]") {
  auto ev = sse_events("data: hello\n\ndata: world\n\n");
  REQUIRE(ev.size() == 2);
  CHECK(ev[0] == seen{"", "hello", ""});
  CHECK(ev[1] == seen{"", "world", ""});
}

TEST_CASE("sse: data lines accumulate joined by LF", "[sse]") {
  auto ev = sse_events("data: a\ndata: b\ndata:\ndata: c\n\n");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].data == "a\nb\n\nc");
}

TEST_CASE("sse: only one leading space after the colon is dropped", "[sse]") {
  auto ev = sse_events("data:x\n\ndata:  y\n\ndata: \n\ndata\n\n");
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].data == "x");
  CHECK(ev[1].data == " y");
  CHECK(ev[2].data.empty());
  CHECK(ev[3].data.empty());  // a field name alone is the field with an empty value
}

TEST_CASE("sse: comments and unknown fields are ignored", "[sse]") {
  auto ev = sse_events(": OPENROUTER PROCESSING\n\n:\ndata: x\n: inside\nfoo: bar\nretry: 5\n\n");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].data == "x");
}

TEST_CASE("sse: event names reset after each dispatch, ids persist", "[sse]") {
  auto ev = sse_events(
      "event: ping\nid: 1\ndata: a\n\n"
      "data: b\n\n"
      "event: only-a-name\n\n"
      "id: 2\ndata: c\n\n"
      "id\ndata: d\n\n"
      "id: with\0nul\ndata: e\n\n"sv);
  REQUIRE(ev.size() == 5);
  CHECK(ev[0] == seen{"ping", "a", "1"});
  CHECK(ev[1] == seen{"", "b", "1"});
  CHECK(ev[2] == seen{"", "c", "2"});  // a name without data dispatches nothing and is reset
  CHECK(ev[3] == seen{"", "d", ""});   // an empty id clears it
  CHECK(ev[4] == seen{"", "e", ""});   // an id containing NUL is ignored
}

TEST_CASE("sse: LF, CR and CRLF line ends", "[sse]") {
  for (std::string_view eol : {"\n", "\r", "\r\n"}) {
    std::string s = "event: e";
    s.append(eol).append("data: 1").append(eol).append("data: 2").append(eol).append(eol);
    s.append("data: 3").append(eol).append(eol);
    auto ev = sse_events(s);
    INFO("eol bytes: " << eol.size());
    REQUIRE(ev.size() == 2);
    CHECK(ev[0] == seen{"e", "1\n2", ""});
    CHECK(ev[1] == seen{"", "3", ""});
  }
}

TEST_CASE("sse: a CR ending one read and an LF starting the next are one line end", "[sse]") {
  std::vector<seen> out;
  sse_parser p([&](const sse_event& e) { out.push_back({e.event, e.data, e.id}); });
  p.feed("data: a\r");
  p.feed("\ndata: b\r");
  p.feed("\n\r");
  CHECK(out.empty() == false);
  p.feed("\n");
  p.finish();
  REQUIRE(out.size() == 1);
  CHECK(out[0].data == "a\nb");
}

TEST_CASE("sse: a BOM is skipped only at the start of the stream", "[sse]") {
  CHECK(sse_events("\xEF\xBB\xBF"
                   "data: x\n\n") == std::vector<seen>{{"", "x", ""}});
  CHECK(sse_events("\xEF\xBB\xBF"
                   "data: x\n\n",
                   {1}) == std::vector<seen>{{"", "x", ""}});
  CHECK(sse_events("\xEF\xBB\xBF"
                   "data: x\n\n",
                   {1, 2}) == std::vector<seen>{{"", "x", ""}});
  // Later, the same bytes are part of a field name, which is then unknown.
  CHECK(sse_events("data: x\n\n\xEF\xBB\xBF"
                   "data: y\n\n") == std::vector<seen>{{"", "x", ""}});
  // A lone 0xEF is not a BOM: it stays in the first line (an unknown field here).
  CHECK(sse_events("\xEF"
                   "data: x\n\ndata: y\n\n",
                   {1}) == std::vector<seen>{{"", "y", ""}});
}

TEST_CASE("sse: finish dispatches an unterminated event, and only once", "[sse]") {
  CHECK(sse_events("data: a\n") == std::vector<seen>{{"", "a", ""}});
  CHECK(sse_events("data: a") == std::vector<seen>{{"", "a", ""}});
  CHECK(sse_events("data: a\n\n").size() == 1);
  CHECK(sse_events("").empty());
  CHECK(sse_events(": only a comment").empty());
}

TEST_CASE("sse: buffered() reports a partial line", "[sse]") {
  sse_parser p([](const sse_event&) {});
  p.feed("data: par");
  CHECK(p.buffered() == 9);
  p.feed("tial\n");
  CHECK(p.buffered() == 0);
}

TEST_CASE("sse: every split of a mixed stream gives the same events", "[sse]") {
  REQUIRE(sse_events(mixed_stream) == mixed_expected);
  CHECK(sse_bytewise(mixed_stream) == mixed_expected);
  for (std::size_t cut = 0; cut <= mixed_stream.size(); ++cut) {
    INFO("split at " << cut);
    REQUIRE(sse_events(mixed_stream, {cut}) == mixed_expected);
  }
  // Every pair of cuts: three reads, so a line can start in one and end in a third.
  for (std::size_t a = 0; a <= mixed_stream.size(); a += 3) {
    for (std::size_t b = a; b <= mixed_stream.size(); ++b) {
      INFO("splits at " << a << ", " << b);
      REQUIRE(sse_events(mixed_stream, {a, b}) == mixed_expected);
    }
  }
  std::mt19937 rng(20260422);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    while (true) {
      at += std::uniform_int_distribution<std::size_t>(0, 12)(rng);
      if (at > mixed_stream.size()) break;
      cuts.push_back(at);
    }
    REQUIRE(sse_events(mixed_stream, cuts) == mixed_expected);
  }
}

TEST_CASE("sse: a throwing handler leaves the parser usable", "[sse]") {
  int calls = 0;
  std::vector<std::string> got;
  sse_parser p([&](const sse_event& e) {
    if (++calls == 1) throw std::runtime_error("boom");
    got.push_back(e.data);
  });
  CHECK_THROWS(p.feed("data: a\n\n"));
  p.feed("data: b\n\n");
  p.finish();
  CHECK(got == std::vector<std::string>{"b"});
}

TEST_CASE("ndjson: one document per line, CRLF and blank lines", "[sse][ndjson]") {
  auto lines = ndjson_lines("{\"a\":1}\n\r\n{\"b\":2}\r\n   \n{\"c\":3}");
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
  CHECK(ndjson_lines("").empty());
  CHECK(ndjson_lines("\n\n").empty());
}

TEST_CASE("ndjson: every split gives the same lines", "[sse][ndjson]") {
  const std::string text =
      "{\"message\":{\"content\":\"\xD8\xAF\xD9\x8F\xD8\xB1\xD9\x8E\xD8\xB1\"},\"done\":false}\r\n"
      "\n"
      "{\"message\":{\"content\":\"\xF0\x9F\xA6\xAA\"},\"done\":false}\n"
      "{\"done\":true,\"eval_count\":12}";
  const std::vector<std::string> expected = {
      "{\"message\":{\"content\":\"\xD8\xAF\xD9\x8F\xD8\xB1\xD9\x8E\xD8\xB1\"},\"done\":false}",
      "{\"message\":{\"content\":\"\xF0\x9F\xA6\xAA\"},\"done\":false}",
      "{\"done\":true,\"eval_count\":12}"};
  REQUIRE(ndjson_lines(text) == expected);
  for (std::size_t a = 0; a <= text.size(); ++a) {
    for (std::size_t b = a; b <= text.size(); b += 5) {
      INFO("splits at " << a << ", " << b);
      REQUIRE(ndjson_lines(text, {a, b}) == expected);
    }
  }
  std::vector<std::string> bytewise;
  ndjson_parser p([&](std::string_view l) { bytewise.emplace_back(l); });
  for (char c : text) p.feed(std::string_view(&c, 1));
  p.finish();
  CHECK(bytewise == expected);
}
