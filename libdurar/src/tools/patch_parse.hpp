// The apply_patch format: parsing "*** Begin Patch" text into per-file operations, and
// applying an update's chunks to a file's lines.
#pragma once

#include <durar/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

struct patch_chunk {
  std::optional<std::string> context;  // "@@ text": a line to find before the change
  std::vector<std::string> old_lines;  // context and removed lines, in order
  std::vector<std::string> new_lines;  // context and added lines, in order
  bool end_of_file = false;            // "*** End of File": matches at the end only
};

struct patch_op {
  enum class kind { add, remove, update } what = kind::add;
  std::string path;
  std::string move_to;              // update only; "" when not moved
  std::string contents;             // add only
  std::vector<patch_chunk> chunks;  // update only
  std::size_t line = 0;             // of its header in the patch, 1-based
};

// Errors (invalid_argument) name the patch line and what was expected there.
result<std::vector<patch_op>> parse_patch(std::string_view input);

// `text` with the chunks applied; `label` names the file in errors, which also name the
// chunk ("hunk 2 of 3"). Lines match exactly, else ignoring trailing then surrounding
// whitespace, else with typographic look-alikes folded too.
result<std::string> apply_chunks(std::string_view text, const std::vector<patch_chunk>& chunks,
                                 std::string_view label);

}  // namespace durar::detail
