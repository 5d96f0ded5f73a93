// "Did you mean ...?" for config keys, model refs and CLI words.
#pragma once

#include <durar/export.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

// Edit distance (insertions, deletions, substitutions and swaps of neighbours each count 1);
// with ignore_case, letters differing only in case are equal.
DURAR_API std::size_t edit_distance(std::string_view a, std::string_view b,
                                    bool ignore_case = false);

// The candidate nearest to `word` when it is a plausible typo (a case-only difference, or at
// most two edits and fewer edits than the word has letters), else "".
DURAR_API std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace durar
