// Incremental parsers for streamed response bodies. Bytes may be split anywhere, including
// inside a line terminator or a UTF-8 character; nothing is lost or duplicated.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace durar::detail {

// Server-sent events per the WHATWG spec: lines end in LF, CR or CRLF; `data:` lines
// accumulate (joined by LF) until a blank line; `:` starts a comment; one leading space
// after the colon is dropped; `event:` names the event; `id:` sets the last event id, which
// every later event carries; `retry:` and unknown fields are ignored. A UTF-8 BOM at the
// start of the stream is skipped.
struct sse_event {
  std::string event;  // "" means "message"
  std::string data;
  std::string id;
};

class sse_parser {
 public:
  using handler = std::function<void(const sse_event&)>;
  explicit sse_parser(handler on_event);
  void feed(std::string_view bytes);
  // End of body: a final event without its blank line is dispatched (vendors do this).
  void finish();
  [[nodiscard]] std::size_t buffered() const noexcept { return line_.size(); }

 private:
  void line(std::string_view l);
  handler on_event_;
  std::string line_;
  sse_event pending_;
  bool has_data_ = false;
  bool last_was_cr_ = false;
  bool bom_checked_ = false;  // the BOM may only appear in the stream's first bytes
};

// A vendor body that is either an SSE stream or one JSON document (a non-streaming answer),
// told apart by its first non-blank byte; so one decoder serves both.
class sse_or_json_body {
 public:
  enum class kind { unknown, sse, json };
  // `json_starts`: the bytes that open a JSON body, "{" or "{[".
  sse_or_json_body(sse_parser::handler on_event, std::string_view json_starts = "{");
  void feed(std::string_view bytes);
  // Flushes a pending SSE event; returns what the body turned out to be.
  kind finish();
  [[nodiscard]] kind detected() const noexcept { return kind_; }
  [[nodiscard]] const std::string& json_text() const noexcept { return json_; }

 private:
  sse_parser sse_;
  std::string_view json_starts_;
  kind kind_ = kind::unknown;
  std::string json_;
};

// Newline-delimited JSON (Ollama): one document per LF- or CRLF-terminated line; blank lines
// are skipped; a last line without a terminator is delivered by finish().
class ndjson_parser {
 public:
  using handler = std::function<void(std::string_view line)>;
  explicit ndjson_parser(handler on_line);
  void feed(std::string_view bytes);
  void finish();

 private:
  handler on_line_;
  std::string line_;
};

}  // namespace durar::detail
