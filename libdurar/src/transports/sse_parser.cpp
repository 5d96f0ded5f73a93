// Server-sent events, WHATWG framing. Lines are found with memchr over whole network reads;
// only a line that straddles two reads is copied, so large streams parse at memory speed.
#include "transports/stream_parsers.hpp"

#include <cctype>
#include <cstring>
#include <utility>

namespace durar::detail {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// The next occurrence of c in [p, end), or end.
const char* find_byte(const char* p, const char* end, char c) noexcept {
  const void* hit = std::memchr(p, c, static_cast<std::size_t>(end - p));
  return hit != nullptr ? static_cast<const char*>(hit) : end;
}

}  // namespace

sse_parser::sse_parser(handler on_event) : on_event_(std::move(on_event)) {}

void sse_parser::feed(std::string_view bytes) {
  if (!bom_checked_) {
    // Held in line_ until three bytes say whether they are a BOM; a mismatch starts line 1.
    while (!bytes.empty() && line_.size() < utf8_bom.size() && bytes[0] == utf8_bom[line_.size()]) {
      line_.push_back(bytes[0]);
      bytes.remove_prefix(1);
    }
    if (line_.size() == utf8_bom.size()) {
      line_.clear();
      bom_checked_ = true;
    } else if (bytes.empty()) {
      return;
    } else {
      bom_checked_ = true;
    }
  }
  if (bytes.empty()) return;
  if (last_was_cr_) {
    // The LF of a CRLF split across two reads.
    last_was_cr_ = false;
    if (bytes[0] == '\n') bytes.remove_prefix(1);
  }

  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  // Cached positions keep CR-only or LF-only streams linear: each byte is scanned once per kind.
  const char* next_lf = p;
  const char* next_cr = p;
  bool lf_valid = false;
  bool cr_valid = false;
  while (p < end) {
    if (!lf_valid || next_lf < p) {
      next_lf = find_byte(p, end, '\n');
      lf_valid = true;
    }
    if (!cr_valid || next_cr < p) {
      next_cr = find_byte(p, end, '\r');
      cr_valid = true;
    }
    const char* term = next_lf < next_cr ? next_lf : next_cr;
    if (term == end) {
      line_.append(p, static_cast<std::size_t>(end - p));
      return;
    }
    std::string_view l(p, static_cast<std::size_t>(term - p));
    p = term + 1;
    if (*term == '\r') {
      if (p == end) {
        last_was_cr_ = true;
      } else if (*p == '\n') {
        ++p;
      }
    }
    if (line_.empty()) {
      line(l);
    } else {
      line_.append(l);
      line(line_);
      line_.clear();
    }
  }
}

void sse_parser::finish() {
  bom_checked_ = true;
  last_was_cr_ = false;
  if (!line_.empty()) {
    std::string last = std::move(line_);
    line_.clear();
    line(last);
  }
  if (has_data_) line({});  // a blank line dispatches what the server never terminated
  pending_.event.clear();
}

void sse_parser::line(std::string_view l) {
  if (l.empty()) {
    if (has_data_) {
      has_data_ = false;
      try {
        on_event_(pending_);
      } catch (...) {
        pending_.data.clear();
        pending_.event.clear();
        throw;
      }
      pending_.data.clear();
    }
    pending_.event.clear();
    return;
  }
  if (l[0] == ':') return;  // comment (keep-alive)

  std::string_view field = l;
  std::string_view value;
  if (auto colon = l.find(':'); colon != std::string_view::npos) {
    field = l.substr(0, colon);
    value = l.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) pending_.id.assign(value);
  }
  // `retry` and unknown fields: nothing a body decoder needs.
}

sse_or_json_body::sse_or_json_body(sse_parser::handler on_event, std::string_view json_starts)
    : sse_(std::move(on_event)), json_starts_(json_starts) {}

void sse_or_json_body::feed(std::string_view bytes) {
  if (kind_ == kind::unknown) {
    std::size_t skip = 0;
    while (skip < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[skip])) != 0)
      ++skip;
    if (skip == bytes.size()) return;  // blank so far: undecided
    kind_ = json_starts_.find(bytes[skip]) != std::string_view::npos ? kind::json : kind::sse;
    bytes.remove_prefix(skip);
  }
  if (kind_ == kind::json)
    json_.append(bytes);
  else
    sse_.feed(bytes);
}

sse_or_json_body::kind sse_or_json_body::finish() {
  if (kind_ == kind::sse) sse_.finish();
  return kind_;
}

}  // namespace durar::detail
