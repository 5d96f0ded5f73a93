#include "config/duration.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
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

namespace {

std::optional<double> unit_bytes(std::string_view unit) {
  constexpr double k = 1024;
  if (unit == "b") return 1.0;
  if (unit == "k" || unit == "kb") return k;
  if (unit == "m" || unit == "mb") return k * k;
  if (unit == "g" || unit == "gb") return k * k * k;
  if (unit == "t" || unit == "tb") return k * k * k * k;
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> byte_size_of(double bytes) {
  // Past 2^62 bytes a sum of sizes could overflow; no disk is that large.
  if (!std::isfinite(bytes) || bytes < 0 || bytes > 4.6e18) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(bytes));
}

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  std::string s;
  for (char c : text) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    std::size_t frac = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == frac) return std::nullopt;
  }
  double value = std::strtod(s.substr(0, i).c_str(), nullptr);  // HUGE_VAL when out of range
  std::string_view unit = std::string_view(s).substr(i);
  if (unit.empty()) unit = "b";
  if (!std::all_of(unit.begin(), unit.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    return std::nullopt;
  auto per = unit_bytes(unit);
  if (!per) return std::nullopt;
  return byte_size_of(value * *per);
}

std::int64_t disk_budget_high_water(std::int64_t max_bytes,
                                    std::optional<std::int64_t> configured) {
  if (configured) return std::min(*configured, max_bytes);
  if (max_bytes <= 0) return 0;
  auto eighty = static_cast<std::int64_t>(std::floor(static_cast<double>(max_bytes) * 0.8));
  return std::max<std::int64_t>(1, std::min(max_bytes, eighty));
}

}  // namespace durar::detail
