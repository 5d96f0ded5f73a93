#include "tools/patch_parse.hpp"

#include <fmt/format.h>

#include "tools/fs_text.hpp"

#include <algorithm>
#include <functional>
#include <tuple>

namespace durar::detail {

namespace {

constexpr std::string_view begin_marker = "*** Begin Patch";
constexpr std::string_view end_marker = "*** End Patch";
constexpr std::string_view add_marker = "*** Add File: ";
constexpr std::string_view delete_marker = "*** Delete File: ";
constexpr std::string_view update_marker = "*** Update File: ";
constexpr std::string_view move_marker = "*** Move to: ";
constexpr std::string_view eof_marker = "*** End of File";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_end(s);
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

unexpected<error> bad_patch(std::size_t line, std::string what) {
  return fail(errc::invalid_argument, fmt::format("Invalid patch hunk at line {}: {}", line, what));
}

std::vector<std::string_view> split_patch_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (true) {
    std::size_t nl = s.find('\n', pos);
    std::string_view line = s.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return lines;
}

// Empty when the first and last lines are the markers, else what is wrong.
std::string boundary_problem(const std::vector<std::string_view>& lines) {
  if (lines.empty() || trim(lines.front()) != begin_marker)
    return "The first line of the patch must be '*** Begin Patch'";
  if (lines.size() < 2 || trim(lines.back()) != end_marker)
    return "The last line of the patch must be '*** End Patch'";
  return {};
}

// One "@@" chunk of an update; `first` allows the context marker to be left out.
result<std::size_t> parse_chunk(const std::vector<std::string_view>& lines, std::size_t at,
                                std::size_t end, bool first, patch_chunk& chunk) {
  std::size_t start = at;
  if (lines[at] == "@@") {
    ++at;
  } else if (starts_with(lines[at], "@@ ")) {
    chunk.context = std::string(lines[at].substr(3));
    ++at;
  } else if (!first) {
    return bad_patch(at + 1, fmt::format("Expected update hunk to start with a @@ context "
                                         "marker, got: '{}'",
                                         lines[at]));
  }
  if (at >= end) return bad_patch(at + 1, "Update hunk does not contain any lines");
  std::size_t parsed = 0;
  for (; at < end; ++at) {
    std::string_view line = lines[at];
    if (line == eof_marker) {
      if (parsed == 0) return bad_patch(at + 1, "Update hunk does not contain any lines");
      chunk.end_of_file = true;
      ++at;
      break;
    }
    if (line.empty()) {  // an editor ate the leading space of a blank context line
      chunk.old_lines.emplace_back();
      chunk.new_lines.emplace_back();
    } else if (line[0] == ' ') {
      chunk.old_lines.emplace_back(line.substr(1));
      chunk.new_lines.emplace_back(line.substr(1));
    } else if (line[0] == '+') {
      chunk.new_lines.emplace_back(line.substr(1));
    } else if (line[0] == '-') {
      chunk.old_lines.emplace_back(line.substr(1));
    } else if (parsed == 0) {
      return bad_patch(at + 1, fmt::format("Unexpected line found in update hunk: '{}'. Every "
                                           "line should start with ' ' (context line), '+' "
                                           "(added line), or '-' (removed line)",
                                           line));
    } else {
      break;
    }
    ++parsed;
  }
  return at - start;
}

// The index where `pattern` starts in `lines` at or after `from`, comparing lines through
// ever looser views of them.
std::optional<std::size_t> seek(const std::vector<std::string>& lines,
                                const std::vector<std::string>& pattern, std::size_t from,
                                bool at_end) {
  if (pattern.empty()) return from;
  if (pattern.size() > lines.size()) return std::nullopt;
  std::size_t last = lines.size() - pattern.size();
  std::size_t begin = at_end ? last : from;
  if (begin > last) return std::nullopt;
  using view_fn = std::function<std::string(std::string_view)>;
  const view_fn views[] = {
      [](std::string_view s) { return std::string(s); },
      [](std::string_view s) { return std::string(trim_end(s)); },
      [](std::string_view s) { return std::string(trim(s)); },
      [](std::string_view s) { return fold_lookalikes(trim(s)); },
  };
  for (const auto& view : views) {
    std::vector<std::string> want;
    want.reserve(pattern.size());
    for (const auto& p : pattern) want.push_back(view(p));
    for (std::size_t i = begin; i <= last; ++i) {
      bool match = true;
      for (std::size_t k = 0; k < want.size() && match; ++k) match = view(lines[i + k]) == want[k];
      if (match) return i;
    }
  }
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& lines) {
  return fmt::format("{}", fmt::join(lines, "\n"));
}

}  // namespace

result<std::vector<patch_op>> parse_patch(std::string_view input) {
  std::string_view trimmed = input;
  while (!trimmed.empty() && (is_space(trimmed.front()) || trimmed.front() == '\n'))
    trimmed.remove_prefix(1);
  while (!trimmed.empty() && (is_space(trimmed.back()) || trimmed.back() == '\n'))
    trimmed.remove_suffix(1);
  if (trimmed.empty()) return fail(errc::invalid_argument, "Invalid patch: input is empty.");
  auto lines = split_patch_lines(trimmed);
  if (std::string problem = boundary_problem(lines); !problem.empty()) {
    // Models sometimes pass the heredoc they would give a shell: <<'EOF' ... EOF.
    const std::string_view first = lines.front();
    bool heredoc =
        lines.size() >= 4 && (first == "<<EOF" || first == "<<'EOF'" || first == "<<\"EOF\"") &&
        lines.back().size() >= 3 && lines.back().substr(lines.back().size() - 3) == "EOF";
    if (!heredoc) return fail(errc::invalid_argument, problem);
    lines = std::vector<std::string_view>(lines.begin() + 1, lines.end() - 1);
    if (problem = boundary_problem(lines); !problem.empty())
      return fail(errc::invalid_argument, problem);
  }

  std::vector<patch_op> ops;
  const std::size_t end = lines.size() - 1;
  std::size_t at = 1;
  while (at < end) {
    std::string_view header = trim(lines[at]);
    patch_op op;
    op.line = at + 1;
    if (starts_with(header, add_marker)) {
      op.what = patch_op::kind::add;
      op.path = std::string(header.substr(add_marker.size()));
      for (++at; at < end && starts_with(lines[at], "+"); ++at) {
        op.contents += lines[at].substr(1);
        op.contents += '\n';
      }
    } else if (starts_with(header, delete_marker)) {
      op.what = patch_op::kind::remove;
      op.path = std::string(header.substr(delete_marker.size()));
      ++at;
    } else if (starts_with(header, update_marker)) {
      op.what = patch_op::kind::update;
      op.path = std::string(header.substr(update_marker.size()));
      ++at;
      if (at < end && starts_with(trim(lines[at]), move_marker)) {
        op.move_to = std::string(trim(lines[at]).substr(move_marker.size()));
        ++at;
      }
      while (at < end) {
        if (trim(lines[at]).empty()) {
          ++at;
          continue;
        }
        if (starts_with(lines[at], "***")) break;
        patch_chunk chunk;
        auto used = parse_chunk(lines, at, end, op.chunks.empty(), chunk);
        if (!used) return fail(used.error());
        op.chunks.push_back(std::move(chunk));
        at += *used;
      }
      if (op.chunks.empty())
        return bad_patch(op.line, fmt::format("Update file hunk for path '{}' is empty", op.path));
    } else {
      return bad_patch(at + 1, fmt::format("'{}' is not a valid hunk header. Valid hunk headers: "
                                           "'*** Add File: {{path}}', '*** Delete File: "
                                           "{{path}}', '*** Update File: {{path}}'",
                                           lines[at]));
    }
    if (trim(op.path).empty()) return bad_patch(op.line, "the file path is empty");
    ops.push_back(std::move(op));
  }
  return ops;
}

result<std::string> apply_chunks(std::string_view text, const std::vector<patch_chunk>& chunks,
                                 std::string_view label) {
  std::vector<std::string> lines;
  for (std::size_t pos = 0;;) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.emplace_back(text.substr(pos));
      break;
    }
    lines.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (!lines.empty() && lines.back().empty()) lines.pop_back();

  // (start, length, replacement), found in order against the original lines.
  std::vector<std::tuple<std::size_t, std::size_t, std::vector<std::string>>> edits;
  std::size_t from = 0;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    const patch_chunk& chunk = chunks[c];
    std::string where = chunks.size() == 1
                            ? std::string(label)
                            : fmt::format("{} (hunk {} of {})", label, c + 1, chunks.size());
    if (chunk.context) {
      auto at = seek(lines, {*chunk.context}, from, false);
      if (!at)
        return fail(errc::not_found,
                    fmt::format("Failed to find context '{}' in {}", *chunk.context, where));
      from = *at + 1;
    }
    if (chunk.old_lines.empty()) {  // a pure addition goes at the end of the file
      edits.emplace_back(lines.size(), 0, chunk.new_lines);
      continue;
    }
    std::vector<std::string> pattern = chunk.old_lines;
    std::vector<std::string> replacement = chunk.new_lines;
    auto at = seek(lines, pattern, from, chunk.end_of_file);
    if (!at && pattern.back().empty()) {  // a trailing blank line the file does not have
      pattern.pop_back();
      if (!replacement.empty() && replacement.back().empty()) replacement.pop_back();
      at = seek(lines, pattern, from, chunk.end_of_file);
    }
    if (!at)
      return fail(errc::not_found, fmt::format("Failed to find expected lines in {}:\n{}", where,
                                               joined(chunk.old_lines)));
    edits.emplace_back(*at, pattern.size(), std::move(replacement));
    from = *at + pattern.size();
  }
  std::stable_sort(edits.begin(), edits.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
    auto& [start, length, replacement] = *it;
    auto first = lines.begin() + static_cast<std::ptrdiff_t>(std::min(start, lines.size()));
    auto last = first + static_cast<std::ptrdiff_t>(
                            std::min(length, static_cast<std::size_t>(lines.end() - first)));
    first = lines.erase(first, last);
    lines.insert(first, replacement.begin(), replacement.end());
  }
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace durar::detail
