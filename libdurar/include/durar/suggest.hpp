// "Did you mean ...?" for config keys, model refs and CLI words.
#pragma once

#include <durar/export.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

// Levenshtein distance, counting a case-only difference as 0 when ignore_case is set.
DURAR_API std::size_t edit_distance(std::string_view a, std::string_view b, bool ignore_case = false);

// The candidate nearest to `word` when it is close enough to be a plausible typo
// (distance <= max(1, min(2, word.size() / 3)), or a case-only difference), else "".
DURAR_API std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace durar
