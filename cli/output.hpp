// How the durar tool talks to people and scripts: colors, tables, JSON, errors.
#pragma once

#include <durar/config.hpp>
#include <durar/json.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace durar::cli {

struct context;

// Colors only for a terminal, never with NO_COLOR set or --no-color.
class style {
 public:
  explicit style(bool enabled) : enabled_(enabled) {}
  [[nodiscard]] std::string bold(std::string_view s) const { return wrap("1", s); }
  [[nodiscard]] std::string dim(std::string_view s) const { return wrap("2", s); }
  [[nodiscard]] std::string red(std::string_view s) const { return wrap("31", s); }
  [[nodiscard]] std::string green(std::string_view s) const { return wrap("32", s); }
  [[nodiscard]] std::string yellow(std::string_view s) const { return wrap("33", s); }
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

 private:
  [[nodiscard]] std::string wrap(std::string_view code, std::string_view s) const;
  bool enabled_;
};

// Left-aligned columns sized to their widest cell, capped at `max_width` with "...".
std::string format_table(const std::vector<std::vector<std::string>>& rows,
                         std::size_t max_width = 44);

void print(std::FILE* to, std::string_view text);
void print_json(const json& value);

// "error: <message>" on stderr; returns `code` so callers can `return fail_with(...)`.
// Messages are for people: an error's detail(), not its describe() with the code name.
int fail_with(const context& ctx, int code, std::string_view message);

// Prints each issue as "file:line:col: error: path: message", colored by severity.
void print_issues(const context& ctx, const std::vector<config_issue>& issues);

// JSON for an issue list: [{level, path, file, line, column, message}].
json issues_json(const std::vector<config_issue>& issues);

}  // namespace durar::cli
