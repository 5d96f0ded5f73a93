// Providers: one streaming event protocol for every wire API, and the interface a wire API
// (a "transport") implements. Built-in transports: openai-completions, openai-responses,
// anthropic-messages, google-generative-ai, ollama. Hosts add their own the same way.
//
// A transport is two pure pieces: build_request() turns a call into HTTP, and a decoder
// turns response bytes (split anywhere) into events through a stream_builder. The HTTP
// engine, retries, failover and cancellation live in the router, shared by all.
#pragma once

#include <durar/catalog.hpp>
#include <durar/error.hpp>
#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/message.hpp>
#include <durar/result.hpp>
#include <durar/secret.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace durar {

// ---- the event protocol --------------------------------------------------------------

enum class event_kind {
  start,
  text_start,
  text_delta,
  text_end,
  thinking_start,
  thinking_delta,
  thinking_end,
  toolcall_start,
  toolcall_delta,
  toolcall_end,
  done,   // terminal: message.stop is stop, length or tool_use
  error,  // terminal: message.stop is error or aborted; `failure` says why
};
DURAR_API std::string_view to_string(event_kind k) noexcept;  // "text_delta", ...

struct stream_event {
  event_kind kind = event_kind::start;
  std::size_t content_index = 0;  // the block in message.content, for block events
  std::string_view delta;         // text, thinking, or a raw JSON fragment of tool arguments;
                                  // whole UTF-8 characters only
  // The message so far (the final one for done/error). Valid during the callback only.
  const assistant_message* message = nullptr;
  const durar::error* failure = nullptr;  // error events only
};

using event_callback = std::function<void(const stream_event&)>;

// Event JSON for `durar complete --json` and the gateway: {"type":"text_delta",
// "contentIndex":0,"delta":"..."}; terminal events carry the whole message.
DURAR_API json to_json(const stream_event& e);

// Rebuilds the message from events alone: what a client that only saw the stream knows.
// Equal to the terminal event's message (the non-streaming result is this fold).
class DURAR_API event_fold {
 public:
  void apply(const stream_event& e);
  [[nodiscard]] const assistant_message& message() const noexcept { return message_; }
  [[nodiscard]] bool finished() const noexcept { return finished_; }

 private:
  assistant_message message_;
  std::vector<std::string> raw_args_;
  bool finished_ = false;
};

// ---- what a call asks for ------------------------------------------------------------

enum class thinking_level { off, minimal, low, medium, high, xhigh };
DURAR_API std::string_view to_string(thinking_level t) noexcept;
DURAR_API std::optional<thinking_level> parse_thinking_level(std::string_view s) noexcept;

// Whether the model may, must or must not call one of the call's tools: each transport's
// `tool_choice` (Google: toolConfig.functionCallingConfig). Sent only when the call offers
// tools; `automatic` sends nothing (the vendors' default). Ollama has no such field (`none`
// leaves the tools out, a forced choice is not sent), and Anthropic takes no forced choice
// with extended thinking on (not sent either): say it in the prompt as well where it matters.
enum class tool_choice_mode {
  automatic,  // the model decides
  none,       // no tool calls
  required,   // at least one call, to any tool
  named,      // a call to the tool `name`
};

struct tool_choice {
  tool_choice_mode mode = tool_choice_mode::automatic;
  std::string name;  // named only
  [[nodiscard]] bool forced() const noexcept {
    return mode == tool_choice_mode::required || mode == tool_choice_mode::named;
  }
};

struct request_options {
  std::optional<double> temperature;
  std::optional<double> top_p;             // nucleus sampling, 0..1
  std::optional<std::int64_t> max_tokens;  // default: the model's max_tokens
  thinking_level thinking = thinking_level::off;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{120'000};           // no byte for this long
  std::chrono::milliseconds total_timeout{0};                // 0: none
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::string session_id;          // cache affinity where the vendor supports it
  json params;                     // agents.defaults.models[ref].params, passed to the transport
  durar::tool_choice tool_choice;  // over conversation::tools
};

// Everything a transport sees for one attempt.
struct call_spec {
  const model_info& model;
  const provider_info& provider;
  const secret* api_key;  // nullptr when the provider needs none
  const conversation& conv;
  const request_options& options;
};

// ---- building a stream ---------------------------------------------------------------

// Transports report what the vendor sent; the builder keeps the invariants: one `start`,
// content indices in order, deltas cut at UTF-8 character boundaries, tool arguments
// accumulated per block (never by recency), usage costed from the catalog prices, open
// blocks closed before the end, and exactly one terminal event.
class DURAR_API stream_builder {
 public:
  stream_builder(assistant_message initial, model_cost prices, event_callback sink);
  ~stream_builder();
  stream_builder(const stream_builder&) = delete;
  stream_builder& operator=(const stream_builder&) = delete;

  void start();  // emitted at most once; block calls start implicitly
  std::size_t begin_text();
  std::size_t begin_thinking();
  std::size_t begin_tool_call(std::string id, std::string name);
  // Appends bytes to a block; a UTF-8 character split across calls is held until whole.
  void append(std::size_t index, std::string_view bytes);
  void set_signature(std::size_t index, std::string signature);          // text or thinking
  void set_thought_signature(std::size_t index, std::string signature);  // tool call
  void set_redacted(std::size_t index, std::string data);                // redacted thinking
  // Replaces a tool call's arguments outright (vendors that send them whole).
  void set_arguments(std::size_t index, json arguments);
  void end_block(std::size_t index);  // no-op when already ended

  void set_usage(const usage& tokens);  // tokens only; cost is computed here
  void set_response_id(std::string id);
  void set_model(std::string model);  // the vendor's echo, when it differs

  // Terminal. done() closes open blocks; stop_reason::tool_use when tool calls exist and
  // the vendor said "stop" is the transport's call, not the builder's.
  void done(stop_reason reason);
  void fail(const durar::error& e);  // cancelled -> stop_reason::aborted, else error

  [[nodiscard]] bool started() const noexcept;
  [[nodiscard]] bool finished() const noexcept;
  [[nodiscard]] std::size_t block_count() const noexcept;
  [[nodiscard]] const assistant_message& message() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// ---- transports ----------------------------------------------------------------------

struct http_request {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct http_head {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;                 // names lower-cased
  [[nodiscard]] DURAR_API std::string header(std::string_view name) const;  // "" when absent
};

// Turns a 2xx response body into events. One per attempt; not thread-safe.
class DURAR_API stream_decoder {
 public:
  virtual ~stream_decoder() = default;
  virtual void feed(std::string_view bytes) = 0;  // any split, including mid-character
  // The body ended cleanly. A decoder whose stream never said it was complete reports a
  // protocol_error through the builder.
  virtual void finish() = 0;
};

class DURAR_API transport {
 public:
  virtual ~transport() = default;
  [[nodiscard]] virtual std::string_view api() const noexcept = 0;
  [[nodiscard]] virtual result<http_request> build_request(const call_spec& call) const = 0;
  [[nodiscard]] virtual std::unique_ptr<stream_decoder> make_decoder(const call_spec& call,
                                                                     stream_builder& out) const = 0;
  // A non-2xx answer as an error: code from the status and the vendor's body (rate limit,
  // overloaded, context overflow, auth, ...), provider_message from the body, Retry-After.
  [[nodiscard]] virtual error classify_error(const http_head& head, std::string_view body) const;
};

// The built-in transport for an api, or nullptr.
DURAR_API std::shared_ptr<const transport> builtin_transport(api_kind api);

// Seconds or an HTTP date in Retry-After (also retry-after-ms), capped at one day.
DURAR_API std::optional<std::chrono::milliseconds> parse_retry_after(const http_head& head);

}  // namespace durar
