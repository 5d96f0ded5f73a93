#include "tools/line_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace durar::detail {

namespace {

// Past this many differences the exact script is not worth its quadratic memory; the
// changed middle is then shown as removed and re-added.
constexpr std::ptrdiff_t max_edit_distance = 1000;

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  if (s.empty()) return lines;
  std::size_t pos = 0;
  while (true) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (pos < s.size()) lines.push_back(s.substr(pos));
      break;
    }
    lines.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

enum class op : char { same = ' ', removed = '-', added = '+' };

// Myers' O(ND) shortest edit script between a and b.
bool myers(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
           std::vector<op>& script) {
  const auto n = static_cast<std::ptrdiff_t>(a.size());
  const auto m = static_cast<std::ptrdiff_t>(b.size());
  const std::ptrdiff_t limit = std::min(n + m, max_edit_distance);
  const std::ptrdiff_t offset = limit + 1;
  std::vector<std::ptrdiff_t> v(static_cast<std::size_t>(2 * offset + 1), 0);
  std::vector<std::vector<std::ptrdiff_t>> trace;  // v[-d-1 .. d+1] before step d
  auto at = [&](std::vector<std::ptrdiff_t>& vec, std::ptrdiff_t k) -> std::ptrdiff_t& {
    return vec[static_cast<std::size_t>(k + offset)];
  };
  std::ptrdiff_t found = -1;
  for (std::ptrdiff_t d = 0; d <= limit && found < 0; ++d) {
    trace.emplace_back(v.begin() + (offset - d - 1), v.begin() + (offset + d + 2));
    for (std::ptrdiff_t k = -d; k <= d; k += 2) {
      std::ptrdiff_t x =
          (k == -d || (k != d && at(v, k - 1) < at(v, k + 1))) ? at(v, k + 1) : at(v, k - 1) + 1;
      std::ptrdiff_t y = x - k;
      while (x < n && y < m && a[static_cast<std::size_t>(x)] == b[static_cast<std::size_t>(y)]) {
        ++x;
        ++y;
      }
      at(v, k) = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return false;

  std::vector<op> reversed;
  std::ptrdiff_t x = n, y = m;
  for (std::ptrdiff_t d = found; d > 0; --d) {
    const auto& saved = trace[static_cast<std::size_t>(d)];
    auto prev = [&](std::ptrdiff_t k) { return saved[static_cast<std::size_t>(k + d + 1)]; };
    std::ptrdiff_t k = x - y;
    std::ptrdiff_t prev_k = (k == -d || (k != d && prev(k - 1) < prev(k + 1))) ? k + 1 : k - 1;
    std::ptrdiff_t prev_x = prev(prev_k);
    std::ptrdiff_t prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      reversed.push_back(op::same);
      --x;
      --y;
    }
    reversed.push_back(x == prev_x ? op::added : op::removed);
    x = prev_x;
    y = prev_y;
  }
  for (; x > 0 && y > 0; --x, --y) reversed.push_back(op::same);
  script.insert(script.end(), reversed.rbegin(), reversed.rend());
  return true;
}

// Within each run of changes, removals first: the order people read diffs in.
void group_changes(std::vector<op>& script) {
  std::size_t i = 0;
  while (i < script.size()) {
    if (script[i] == op::same) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < script.size() && script[j] != op::same) ++j;
    std::stable_partition(script.begin() + static_cast<std::ptrdiff_t>(i),
                          script.begin() + static_cast<std::ptrdiff_t>(j),
                          [](op o) { return o == op::removed; });
    i = j;
  }
}

}  // namespace

line_diff diff_lines(std::string_view before, std::string_view after, std::size_t context) {
  auto a = split_lines(before);
  auto b = split_lines(after);
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix])
    ++suffix;

  std::vector<op> script(prefix, op::same);
  std::vector<std::string_view> mid_a(a.begin() + static_cast<std::ptrdiff_t>(prefix),
                                      a.end() - static_cast<std::ptrdiff_t>(suffix));
  std::vector<std::string_view> mid_b(b.begin() + static_cast<std::ptrdiff_t>(prefix),
                                      b.end() - static_cast<std::ptrdiff_t>(suffix));
  if (!myers(mid_a, mid_b, script)) {
    script.insert(script.end(), mid_a.size(), op::removed);
    script.insert(script.end(), mid_b.size(), op::added);
  }
  script.insert(script.end(), suffix, op::same);
  group_changes(script);

  line_diff out;
  std::size_t width = fmt::formatted_size("{}", std::max(a.size(), b.size()));
  std::vector<std::string> lines;
  std::size_t old_no = 1, new_no = 1;
  auto emit = [&](char mark, std::size_t no, std::string_view text) {
    lines.push_back(fmt::format("{}{:>{}} {}", mark, no, width, text));
  };
  auto skip_note = [&] { lines.push_back(fmt::format(" {:>{}} ...", "", width)); };
  auto emit_same = [&](std::size_t count) {
    for (std::size_t c = 0; c < count; ++c) {
      emit(' ', old_no, a[old_no - 1]);
      ++old_no;
      ++new_no;
    }
  };
  auto skip_same = [&](std::size_t count) {
    if (count == 0) return;
    skip_note();
    old_no += count;
    new_no += count;
  };

  std::size_t i = 0;
  bool changed_before = false;
  while (i < script.size()) {
    std::size_t j = i;
    if (script[i] == op::same) {
      while (j < script.size() && script[j] == op::same) ++j;
      std::size_t run = j - i;
      bool changed_after = j < script.size();
      if (changed_before && changed_after) {
        if (run <= 2 * context) {
          emit_same(run);
        } else {
          emit_same(context);
          skip_same(run - 2 * context);
          emit_same(context);
        }
      } else if (changed_before) {
        std::size_t shown = std::min(run, context);
        emit_same(shown);
        skip_same(run - shown);
      } else if (changed_after) {
        std::size_t shown = std::min(run, context);
        skip_same(run - shown);
        emit_same(shown);
      } else {
        old_no += run;
        new_no += run;
      }
    } else {
      if (!out.first_changed_line) out.first_changed_line = new_no;
      while (j < script.size() && script[j] != op::same) {
        if (script[j] == op::removed) {
          emit('-', old_no, a[old_no - 1]);
          ++old_no;
        } else {
          emit('+', new_no, b[new_no - 1]);
          ++new_no;
        }
        ++j;
      }
      changed_before = true;
    }
    i = j;
  }
  out.text = fmt::format("{}", fmt::join(lines, "\n"));
  return out;
}

}  // namespace durar::detail
