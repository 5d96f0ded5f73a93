#include "config/duration.hpp"

#include <cctype>
#include <cmath>
#include <string>

namespace durar::detail {
namespace {

std::optional<double> unit_ms(std::string_view unit) {
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1e3;
  if (unit == "m") return 6e4;
  if (unit == "h") return 36e5;
  if (unit == "d") return 864e5;
  return std::nullopt;
}

// 2^62 ms is about 146 million years: beyond it the sum would not fit.
std::optional<std::chrono::milliseconds> checked(double ms) {
  if (!std::isfinite(ms) || ms < 0 || ms > 4.6e18) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

}  // namespace

std::optional<std::chrono::milliseconds> duration_of(double count, std::string_view default_unit) {
  auto unit = unit_ms(default_unit);
  if (!unit) return std::nullopt;
  return checked(count * *unit);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string_view default_unit) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c)))
      s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty()) return std::nullopt;
  double total = 0;
  std::size_t i = 0;
  int parts = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return std::nullopt;
    if (i < s.size() && s[i] == '.') {
      ++i;
      std::size_t frac = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i == frac) return std::nullopt;
    }
    double value = std::stod(s.substr(start, i - start));
    std::size_t unit_start = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string_view unit = std::string_view(s).substr(unit_start, i - unit_start);
    if (unit.empty()) {
      if (parts > 0 || i != s.size()) return std::nullopt;  // a bare number stands alone
      unit = default_unit;
    }
    auto ms = unit_ms(unit);
    if (!ms) return std::nullopt;
    total += value * *ms;
    ++parts;
  }
  return checked(total);
}

}  // namespace durar::detail
