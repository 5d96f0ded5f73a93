#include <durar/suggest.hpp>

#include <algorithm>
#include <cctype>

namespace durar {

namespace {
char fold(char c, bool ignore_case) {
  return ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}
}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b, bool ignore_case) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions ("prot" -> "port").
  std::vector<std::size_t> before(b.size() + 1), prev(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      bool same = fold(a[i - 1], ignore_case) == fold(b[j - 1], ignore_case);
      row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && fold(a[i - 1], ignore_case) == fold(b[j - 2], ignore_case) &&
          fold(a[i - 2], ignore_case) == fold(b[j - 1], ignore_case))
        row[j] = std::min(row[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, row);
  }
  return prev[b.size()];
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    if (c == word) continue;
    if (edit_distance(word, c, true) == 0) return c;  // a case-only difference wins
    std::size_t d = edit_distance(word, c);
    if (d < best_distance && d < word.size()) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace durar
