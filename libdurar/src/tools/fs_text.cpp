#include "tools/fs_text.hpp"

namespace durar::detail {

std::string to_lf(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\r') {
      out += s[i];
    } else {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    }
  }
  return out;
}

bool uses_crlf(std::string_view s) noexcept {
  std::size_t lf = s.find('\n');
  return lf != std::string_view::npos && lf > 0 && s[lf - 1] == '\r';
}

std::string to_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

char lookalike_ascii(char32_t c) noexcept {
  if (c >= 0x2018 && c <= 0x201B) return '\'';
  if (c >= 0x201C && c <= 0x201F) return '"';
  if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212) return '-';
  if (c == 0xA0 || (c >= 0x2002 && c <= 0x200A) || c == 0x202F || c == 0x205F || c == 0x3000)
    return ' ';
  return 0;
}

std::string fold_lookalikes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    // Every look-alike is a 2- or 3-byte sequence.
    std::size_t len = c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : 0;
    if (len != 0 && i + len <= s.size()) {
      char32_t cp = len == 2 ? (c & 0x1Fu) : (c & 0x0Fu);
      bool ok = true;
      for (std::size_t k = 1; k < len; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        ok = ok && (cc & 0xC0) == 0x80;
        cp = (cp << 6) | (cc & 0x3Fu);
      }
      if (char a = ok ? lookalike_ascii(cp) : 0; a != 0) {
        out += a;
        i += len;
        continue;
      }
    }
    out += s[i];
    ++i;
  }
  return out;
}

}  // namespace durar::detail
