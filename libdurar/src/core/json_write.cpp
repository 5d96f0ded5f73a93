#include <durar/json.hpp>

#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>

namespace durar {
namespace {

// What a byte needs when quoting: copy it, escape it, or check it as UTF-8.
enum : unsigned char { plain = 0, escape = 1, multibyte = 2 };

constexpr std::array<unsigned char, 256> make_byte_classes() {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = escape;
  t['"'] = escape;
  t['\\'] = escape;
  for (int c = 0x80; c < 0x100; ++c) t[c] = multibyte;
  return t;
}
constexpr auto byte_class = make_byte_classes();

// Length of the well-formed UTF-8 sequence at p, or 0 with `skip` set to the length of
// the maximal ill-formed prefix (Unicode's "U+FFFD substitution of maximal subparts").
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end, std::size_t& skip) {
  const unsigned char c = p[0];
  std::size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    skip = 1;
    return 0;
  }
  std::size_t got = 0;
  while (got < need && p + 1 + got < end) {
    const unsigned char b = p[1 + got];
    const bool ok = got == 0 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
    ++got;
  }
  if (got == need) return need + 1;
  skip = 1 + got;
  return 0;
}

// The bytes of the 8 in `w` (loaded little-endian) that need more than a copy: a control
// character, '"', '\\' or a byte of a multibyte sequence, each marked by its high bit. The
// borrow tricks can only over-report bytes above a real hit, so the lowest mark is exact: a
// word without marks is copied as it is, and one with marks is copied up to the first.
std::uint64_t bytes_needing_care(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  const std::uint64_t control = (w - ones * 0x20) & ~w;
  const std::uint64_t q = w ^ (ones * '"');
  const std::uint64_t quote = (q - ones) & ~q;
  const std::uint64_t b = w ^ (ones * '\\');
  const std::uint64_t backslash = (b - ones) & ~b;
  return (control | quote | backslash | w) & high;
}

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      static constexpr char hex[] = "0123456789abcdef";
      const char buf[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
      out.append(buf, sizeof buf);
    }
  }
}

void append_real(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[40];
  const auto* end = fmt::format_to(buf, "{}", d);
  const auto len = static_cast<std::size_t>(end - buf);
  out.append(buf, len);
  // Keep a real a real after re-parsing: "1" would come back as an integer.
  if (std::memchr(buf, '.', len) == nullptr && std::memchr(buf, 'e', len) == nullptr) out += ".0";
}

template <class Int>
void append_integer(std::string& out, Int i) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
}

void newline(std::string& out, int indent, int level) {
  out += '\n';
  out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(level), ' ');
}

void write(std::string& out, const json& v, int indent, int level) {
  switch (v.type()) {
    case json_type::null:
      out += "null";
      return;
    case json_type::boolean:
      out += v.as_bool() ? "true" : "false";
      return;
    case json_type::integer:
      append_integer(out, v.as_int());
      return;
    case json_type::uinteger:
      append_integer(out, v.as_uint());
      return;
    case json_type::real:
      append_real(out, v.as_double());
      return;
    case json_type::string:
      json_quote(out, v.as_string());
      return;
    case json_type::array: {
      const auto& arr = v.as_array();
      if (arr.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& item : arr) {
        if (!first) out += ',';
        first = false;
        if (indent >= 0) newline(out, indent, level + 1);
        write(out, item, indent, level + 1);
      }
      if (indent >= 0) newline(out, indent, level);
      out += ']';
      return;
    }
    case json_type::object: {
      const auto& obj = v.as_object();
      if (obj.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, value] : obj) {
        if (!first) out += ',';
        first = false;
        if (indent >= 0) newline(out, indent, level + 1);
        json_quote(out, key);
        out += indent >= 0 ? ": " : ":";
        write(out, value, indent, level + 1);
      }
      if (indent >= 0) newline(out, indent, level);
      out += '}';
      return;
    }
  }
}

}  // namespace

void json_quote(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto* run = p;  // start of bytes not yet copied
  while (p < end) {
    // Most text is plain ASCII: skip it a word at a time, and straight to the first byte of
    // a word that needs care.
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, sizeof w);
      if constexpr (std::endian::native == std::endian::little) {
        if (const std::uint64_t marks = bytes_needing_care(w); marks == 0) {
          p += 8;
          continue;
        } else {
          p += std::countr_zero(marks) / 8;
        }
      } else if (bytes_needing_care(w) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char cls = byte_class[*p];
    if (cls == plain) {
      ++p;
      continue;
    }
    if (cls == multibyte) {
      std::size_t skip = 0;
      if (const std::size_t n = utf8_sequence(p, end, skip); n != 0) {
        p += n;
        continue;
      }
      out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
      out += "\xEF\xBF\xBD";  // U+FFFD keeps the output valid UTF-8
      p += skip;
      run = p;
      continue;
    }
    out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
    append_escape(out, *p);
    ++p;
    run = p;
  }
  out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
  out += '"';
}

void json::dump_to(std::string& out, int indent) const { write(out, *this, indent, 0); }

std::string json::dump(int indent) const {
  std::string out;
  dump_to(out, indent);
  return out;
}

}  // namespace durar
