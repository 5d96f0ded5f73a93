#include "output.hpp"

#include "context.hpp"

#include <algorithm>

namespace durar::cli {

std::string style::wrap(std::string_view code, std::string_view s) const {
  if (!enabled_) return std::string(s);
  return "\x1b[" + std::string(code) + "m" + std::string(s) + "\x1b[0m";
}

std::string format_table(const std::vector<std::vector<std::string>>& rows, std::size_t max_width) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::min(max_width, std::max(widths[i], row[i].size()));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string cell = row[i];
      if (cell.size() > widths[i]) cell = cell.substr(0, widths[i] - 3) + "...";
      bool last = i + 1 == row.size();
      if (!last) cell.resize(widths[i] + 1, ' ');
      line += cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

void print(std::FILE* to, std::string_view text) { std::fwrite(text.data(), 1, text.size(), to); }

void print_json(const json& value) { print(stdout, value.dump(2) + "\n"); }

int fail_with(const context& ctx, int code, std::string_view message) {
  print(stderr, ctx.styles.red("error:") + " " + std::string(message) + "\n");
  return code;
}

void print_issues(const context& ctx, const std::vector<config_issue>& issues) {
  for (const auto& issue : issues) {
    std::string text = issue.describe();
    bool is_error = issue.level == config_issue::severity::error;
    print(stderr, (is_error ? ctx.styles.red(text) : ctx.styles.yellow(text)) + "\n");
  }
}

json issues_json(const std::vector<config_issue>& issues) {
  json out = json::array();
  for (const auto& issue : issues) {
    out.push_back(json::object({
        {"level", issue.level == config_issue::severity::error ? "error" : "warning"},
        {"path", issue.path},
        {"file", issue.file},
        {"line", issue.line},
        {"column", issue.column},
        {"message", issue.message},
    }));
  }
  return out;
}

}  // namespace durar::cli
