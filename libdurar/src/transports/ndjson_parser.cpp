// Newline-delimited JSON: split on LF with memchr; only a line spanning two reads is copied.
#include "transports/stream_parsers.hpp"

#include <cstring>
#include <utility>

namespace durar::detail {

namespace {

bool blank(std::string_view l) noexcept {
  return l.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string_view strip_cr(std::string_view l) noexcept {
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

}  // namespace

ndjson_parser::ndjson_parser(handler on_line) : on_line_(std::move(on_line)) {}

void ndjson_parser::feed(std::string_view bytes) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p < end) {
    const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (hit == nullptr) {
      line_.append(p, static_cast<std::size_t>(end - p));
      return;
    }
    const char* lf = static_cast<const char*>(hit);
    std::string_view l(p, static_cast<std::size_t>(lf - p));
    p = lf + 1;
    if (line_.empty()) {
      if (!blank(l)) on_line_(strip_cr(l));
    } else {
      line_.append(l);
      std::string whole = std::move(line_);
      line_.clear();
      if (!blank(whole)) on_line_(strip_cr(whole));
    }
  }
}

void ndjson_parser::finish() {
  std::string last = std::move(line_);
  line_.clear();
  if (!blank(last)) on_line_(strip_cr(last));
}

}  // namespace durar::detail
