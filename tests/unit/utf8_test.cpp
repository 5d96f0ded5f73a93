// The one UTF-8 encoder: each length at both ends of its range, and what it does with code
// points UTF-8 cannot carry.
#include "core/utf8.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

std::string utf8(char32_t cp) {
  std::string out;
  durar::detail::append_utf8(out, cp);
  return out;
}

const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

TEST_CASE("append_utf8 encodes each length at its boundaries", "[utf8]") {
  CHECK(utf8(0x00) == std::string(1, '\0'));  // JSON's \u0000 is a NUL byte
  CHECK(utf8(0x41) == "A");
  CHECK(utf8(0x7F) == "\x7F");
  CHECK(utf8(0x80) == "\xC2\x80");
  CHECK(utf8(0xE9) == "\xC3\xA9");
  CHECK(utf8(0x7FF) == "\xDF\xBF");
  CHECK(utf8(0x800) == "\xE0\xA0\x80");
  CHECK(utf8(0x20AC) == "\xE2\x82\xAC");
  CHECK(utf8(0xD7FF) == "\xED\x9F\xBF");
  CHECK(utf8(0xE000) == "\xEE\x80\x80");
  CHECK(utf8(0xFFFF) == "\xEF\xBF\xBF");
  CHECK(utf8(0x10000) == "\xF0\x90\x80\x80");
  CHECK(utf8(0x1F600) == "\xF0\x9F\x98\x80");
  CHECK(utf8(0x10FFFF) == "\xF4\x8F\xBF\xBF");
}

TEST_CASE("append_utf8 writes U+FFFD for surrogates and code points past U+10FFFF", "[utf8]") {
  for (char32_t cp : {0xD800u, 0xDBFFu, 0xDC00u, 0xDFFFu, 0x110000u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    INFO(static_cast<unsigned long>(cp));
    CHECK(utf8(cp) == replacement);
  }
  CHECK(utf8(0xFFFD) == replacement);
}

TEST_CASE("append_utf8 appends to what is already there", "[utf8]") {
  std::string out = "a";
  durar::detail::append_utf8(out, 0xE9);
  durar::detail::append_utf8(out, 0x1F600);
  durar::detail::append_utf8(out, 'z');
  CHECK(out == "a\xC3\xA9\xF0\x9F\x98\x80z");
}
