// Conversation data every module shares: content blocks, the three message roles, usage and
// cost, tool definitions. The JSON forms are the transcript shapes of CONTRACTS.md, so a
// message written by the original reads back unchanged.
#pragma once

#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace durar {

struct text_block {
  std::string text;
  std::string signature;  // OpenAI Responses message id/phase, replayed as given
};

struct thinking_block {
  std::string thinking;
  std::string signature;  // Anthropic thinking signature / Responses reasoning item; byte-exact
  bool redacted = false;  // Anthropic redacted_thinking: `signature` holds the opaque data
};

struct image_block {
  std::string mime_type;  // "image/png"
  std::string data;       // base64
};

struct tool_call_block {
  std::string id;
  std::string name;
  json arguments = json::object();  // parsed; {} while streaming starts
  std::string thought_signature;    // Gemini thoughtSignature, kept for replay
};

using content_block = std::variant<text_block, thinking_block, image_block, tool_call_block>;

struct cost_breakdown {
  double input = 0, output = 0, cache_read = 0, cache_write = 0, total = 0;  // USD
  friend bool operator==(const cost_breakdown&, const cost_breakdown&) = default;
};

// Token counts normalised across vendors: `input` excludes cached tokens.
struct usage {
  std::int64_t input = 0;
  std::int64_t output = 0;  // includes reasoning tokens
  std::int64_t cache_read = 0;
  std::int64_t cache_write = 0;
  std::int64_t reasoning = 0;  // the part of `output` spent thinking, when reported
  std::int64_t total_tokens = 0;
  cost_breakdown cost;
  friend bool operator==(const usage&, const usage&) = default;
};

enum class stop_reason { stop, length, tool_use, error, aborted };
DURAR_API std::string_view to_string(stop_reason r) noexcept;  // "stop", "length", "toolUse", ...

struct user_message {
  std::vector<content_block> content;  // text and image blocks
  std::int64_t timestamp = 0;          // ms since the epoch
};

struct assistant_message {
  std::vector<content_block> content;  // text, thinking and tool-call blocks
  std::string api;                     // "openai-completions", ...
  std::string provider;
  std::string model;
  std::string response_id;
  durar::usage usage;
  stop_reason stop = stop_reason::stop;
  std::string error_message;  // set when stop is error or aborted; never holds secrets
  std::int64_t timestamp = 0;
};

struct tool_result_message {
  std::string tool_call_id;
  std::string tool_name;
  std::vector<content_block> content;  // text and image blocks
  json details;
  bool is_error = false;
  std::int64_t timestamp = 0;
};

using message = std::variant<user_message, assistant_message, tool_result_message>;

struct tool_definition {
  std::string name;
  std::string description;
  json parameters = json::object({{"type", "object"}, {"properties", json::object()}});
};

// The tools of a model call: a list that copies share, so that every call of an agent
// carries its tools' schemas without copying them, and a transport can tell a list it has
// rendered before by identity instead of comparing schemas. Reads like a const vector;
// push_back() gives this copy a list of its own first when others share it.
class DURAR_API tool_list {
 public:
  tool_list() noexcept = default;
  tool_list(std::vector<tool_definition> tools);            // NOLINT(implicit)
  tool_list(std::initializer_list<tool_definition> tools);  // NOLINT(implicit)

  [[nodiscard]] const std::vector<tool_definition>& items() const noexcept;
  operator const std::vector<tool_definition>&() const noexcept { return items(); }  // NOLINT
  [[nodiscard]] auto begin() const noexcept { return items().begin(); }
  [[nodiscard]] auto end() const noexcept { return items().end(); }
  [[nodiscard]] std::size_t size() const noexcept { return items().size(); }
  [[nodiscard]] bool empty() const noexcept { return items().empty(); }
  [[nodiscard]] const tool_definition& operator[](std::size_t i) const { return items()[i]; }
  [[nodiscard]] const tool_definition& front() const { return items().front(); }
  [[nodiscard]] const tool_definition& back() const { return items().back(); }

  void push_back(tool_definition tool);
  void clear() noexcept { list_.reset(); }

  // True when both are copies of one list (two empty lists count as one).
  [[nodiscard]] bool shares(const tool_list& other) const noexcept { return list_ == other.list_; }

 private:
  std::shared_ptr<const std::vector<tool_definition>> list_;  // null when empty
};

// What a model is asked: the system prompt, the history, the tools it may call.
struct conversation {
  std::string system_prompt;
  std::vector<message> messages;
  tool_list tools;
};

// A user message holding one text block, stamped now.
DURAR_API user_message user_text(std::string text);
// All text blocks of a message joined, without thinking or tool calls.
DURAR_API std::string text_of(const assistant_message& m);
DURAR_API std::vector<const tool_call_block*> tool_calls_of(const assistant_message& m);

// Transcript JSON: {"role":"user"|"assistant"|"toolResult", ...} as in CONTRACTS.md.
DURAR_API json to_json(const message& m);
DURAR_API json to_json(const content_block& b);
DURAR_API json to_json(const usage& u);
// Reads a message; a user message's content may be a plain string. Unknown block types are
// an invalid_argument error naming them.
DURAR_API result<message> message_from_json(const json& j);

// Milliseconds since the epoch, the unit of every timestamp above.
DURAR_API std::int64_t now_ms() noexcept;

}  // namespace durar
