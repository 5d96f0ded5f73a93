// A compact line diff for tool results: what edit changed, shown to people and UIs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace durar::detail {

struct line_diff {
  // "-12 old", "+12 new" and " 11 same" lines, `context` unchanged lines around each change
  // and " ... " where more were skipped; numbers are old lines, new ones for added lines.
  std::string text;
  std::optional<std::size_t> first_changed_line;  // 1-based, in the new text
};

line_diff diff_lines(std::string_view before, std::string_view after, std::size_t context = 4);

}  // namespace durar::detail
