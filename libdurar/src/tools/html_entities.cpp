#include "tools/html_entities.hpp"

#include "core/utf8.hpp"

#include <array>
#include <cstdint>
#include <unordered_map>

namespace durar::detail {
namespace {

// U+00A0..U+00FF in order, as HTML names them.
constexpr std::array<std::string_view, 96> latin1_names = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",
    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn",
    "sup2",   "sup3",   "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",
    "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde",
    "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave",
    "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde",
    "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
    "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",   "eth",
    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml",
};

const std::unordered_map<std::string_view, char32_t>& entity_table() {
  static const auto table = [] {
    std::unordered_map<std::string_view, char32_t> t = {
        {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
        {"apos", '\''},     {"ndash", 0x2013},  {"mdash", 0x2014},  {"lsquo", 0x2018},
        {"rsquo", 0x2019},  {"sbquo", 0x201A},  {"ldquo", 0x201C},  {"rdquo", 0x201D},
        {"bdquo", 0x201E},  {"dagger", 0x2020}, {"Dagger", 0x2021}, {"bull", 0x2022},
        {"hellip", 0x2026}, {"permil", 0x2030}, {"prime", 0x2032},  {"Prime", 0x2033},
        {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"euro", 0x20AC},   {"trade", 0x2122},
        {"larr", 0x2190},   {"uarr", 0x2191},   {"rarr", 0x2192},   {"darr", 0x2193},
        {"harr", 0x2194},   {"ensp", 0x2002},   {"emsp", 0x2003},   {"thinsp", 0x2009},
        {"zwnj", 0x200C},   {"zwj", 0x200D},    {"lrm", 0x200E},    {"rlm", 0x200F},
        {"minus", 0x2212},  {"le", 0x2264},     {"ge", 0x2265},     {"ne", 0x2260},
        {"infin", 0x221E},  {"asymp", 0x2248},  {"OElig", 0x152},   {"oelig", 0x153},
        {"Scaron", 0x160},  {"scaron", 0x161},  {"Yuml", 0x178},    {"fnof", 0x192},
        {"circ", 0x2C6},    {"tilde", 0x2DC},   {"alpha", 0x3B1},   {"beta", 0x3B2},
        {"gamma", 0x3B3},   {"delta", 0x3B4},   {"pi", 0x3C0},      {"mu", 0x3BC},
        {"sigma", 0x3C3},   {"omega", 0x3C9},   {"Omega", 0x3A9},   {"hearts", 0x2665},
        {"check", 0x2713},  {"star", 0x2606},   {"nbsp", 0xA0},
    };
    for (std::size_t i = 0; i < latin1_names.size(); ++i)
      t.emplace(latin1_names[i], static_cast<char32_t>(0xA0 + i));
    return t;
  }();
  return table;
}

// Numeric references in 0x80..0x9F mean Windows-1252 to every browser.
constexpr std::array<char32_t, 32> cp1252 = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

// Decodes one reference at s[i] == '&' into `out`; returns the index after it, or i + 1
// with a literal '&' when it is not one.
std::size_t decode_entity(std::string_view s, std::size_t i, std::string& out, bool in_attribute) {
  std::size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    const std::size_t digits_start = j;
    std::uint32_t cp = 0;
    for (; j < s.size() && j - digits_start < 8; ++j) {
      const char c = s[j];
      int d = -1;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      if (d < 0) break;
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
    }
    if (j == digits_start) {
      out += '&';
      return i + 1;
    }
    while (j < s.size() && ascii_alnum(s[j]) && j - digits_start < 16) ++j;  // overlong: ignored
    if (j < s.size() && s[j] == ';') ++j;
    if (cp == 0) cp = 0xFFFD;  // as browsers read &#0;
    if (cp >= 0x80 && cp <= 0x9F) cp = cp1252[cp - 0x80];
    append_utf8(out, cp == 0xA0 ? U' ' : cp);
    return j;
  }
  while (j < s.size() && ascii_alnum(s[j]) && j - i <= 32) ++j;
  std::string_view name = s.substr(i + 1, j - i - 1);
  const bool terminated = j < s.size() && s[j] == ';';
  const auto& table = entity_table();
  auto it = name.empty() ? table.end() : table.find(name);
  // Without ';' only the common legacy names count, and never inside a URL-like attribute
  // value where "&copy=2" is a query parameter.
  const bool legacy = name == "amp" || name == "lt" || name == "gt" || name == "quot" ||
                      name == "nbsp" || name == "copy" || name == "reg";
  if (it == table.end() || (!terminated && (!legacy || in_attribute))) {
    out += '&';
    return i + 1;
  }
  append_utf8(out, it->second == 0xA0 ? U' ' : it->second);  // nbsp reads as a space
  return terminated ? j + 1 : j;
}

}  // namespace

bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string decode_entities(std::string_view s, bool in_attribute) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      i = decode_entity(s, i, out, in_attribute);
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace durar::detail
