// anthropic-messages: decoding the SSE stream (or a whole JSON message) and vendor errors.
#include <fmt/format.h>

#include "transports/anthropic_messages.hpp"
#include "transports/stream_parsers.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>

namespace durar::detail {

namespace {

constexpr std::string_view redacted_text = "[Reasoning redacted]";

using wire::lower;

// Anthropic's own wording, plus the Anthropic-compatible vendors the original recognises.
bool overflow_message(std::string_view message) {
  std::string m = lower(message);
  for (std::string_view p :
       {"prompt is too long", "request_too_large", "context window exceeds limit",
        "exceeded model token limit", "model_context_window_exceeded", "context_length_exceeded",
        "context length exceeded"})
    if (m.find(p) != std::string::npos) return true;
  return false;
}

struct error_kind {
  errc code;
  std::string_view what;
};

error_kind kind_for_type(std::string_view type, int status) {
  if (type == "overloaded_error") return {errc::unavailable, "overloaded"};
  if (type == "rate_limit_error") return {errc::resource_exhausted, "rate limited"};
  if (type == "authentication_error") return {errc::unauthenticated, "authentication failed"};
  if (type == "permission_error") return {errc::permission_denied, "permission denied"};
  if (type == "not_found_error") return {errc::not_found, "not found"};
  if (type == "invalid_request_error") return {errc::invalid_argument, "invalid request"};
  if (type == "request_too_large") return {errc::context_overflow, "request too large"};
  if (type == "billing_error") return {errc::resource_exhausted, "billing: out of credit"};
  if (type == "timeout_error") return {errc::deadline_exceeded, "timed out"};
  if (type == "api_error") return {errc::unavailable, "server error"};
  if (status == 0) return {errc::unavailable, "stream error"};
  return {wire::errc_for_http_status(status), "request failed"};
}

}  // namespace

error classify_anthropic_error(int http_status, std::string_view body) {
  std::string type, message;
  if (auto parsed = json::parse(body); parsed && parsed->is_object()) {
    const json& err = (*parsed)["error"];
    type = err.string_or("type");
    message = err.string_or("message");
    if (message.empty() && err.is_string()) message = err.as_string();
    if (message.empty()) message = parsed->string_or("message");
  } else {
    std::string_view text = body.substr(0, std::min<std::size_t>(body.size(), 500));
    message.assign(text.begin(), text.end());
  }
  error_kind kind = kind_for_type(type, http_status);
  std::string lowered = lower(message);
  if (overflow_message(message) || overflow_message(type)) {
    kind = {errc::context_overflow, "prompt is too long for the model"};
  } else if (lowered.find("credit balance") != std::string::npos ||
             lowered.find("billing") != std::string::npos) {
    // Out of credit is a quota problem: another key or provider may still work.
    kind = {errc::resource_exhausted, "billing: credit balance too low"};
  }
  error e(kind.code, fmt::format("anthropic: {}", kind.what));
  if (!type.empty()) e.message += fmt::format(" ({})", type);
  e.http_status = http_status;
  e.provider_message = std::move(message);
  return e;
}

namespace {

struct open_block {
  std::size_t index;
  enum { text, thinking, tool_call } kind;
  std::string signature;
};

stop_reason map_stop(std::string_view reason, bool& refused) {
  refused = false;
  if (reason == "max_tokens" || reason == "model_context_window_exceeded")
    return stop_reason::length;
  if (reason == "tool_use") return stop_reason::tool_use;
  if (reason == "refusal" || reason == "sensitive") {
    refused = true;
    return stop_reason::error;
  }
  return stop_reason::stop;  // end_turn, stop_sequence, pause_turn (resubmit), future values
}

void read_usage(const json& u, usage& into) {
  auto take = [&](std::string_view key, std::int64_t& field) {
    const json* v = u.find(key);
    if (v != nullptr && v->is_integer()) field = v->as_int();
  };
  take("input_tokens", into.input);
  take("output_tokens", into.output);
  take("cache_read_input_tokens", into.cache_read);
  take("cache_creation_input_tokens", into.cache_write);
  into.total_tokens = into.input + into.output + into.cache_read + into.cache_write;
}

class anthropic_decoder final : public stream_decoder {
 public:
  explicit anthropic_decoder(stream_builder& out)
      : out_(out), body_([this](const sse_event& e) { on_sse(e); }, "{") {}

  void feed(std::string_view bytes) override {
    if (out_.finished()) return;
    guarded([&] { body_.feed(bytes); });
  }

  void finish() override {
    if (out_.finished()) return;
    guarded([&] {
      if (body_.finish() == sse_or_json_body::kind::json) on_whole_body();
    });
    if (!out_.finished())
      protocol_failure(body_.detected() == sse_or_json_body::kind::unknown
                           ? "anthropic: empty response body"
                           : "anthropic: stream ended before message_stop");
  }

 private:
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& ex) {
      error e(errc::internal, fmt::format("anthropic: decoder failed: {}", ex.what()));
      out_.fail(e);
    } catch (...) {
      out_.fail(error(errc::internal, "anthropic: decoder failed"));
    }
  }

  void protocol_failure(std::string message) {
    out_.fail(error(errc::protocol_error, std::move(message)));
  }

  void on_sse(const sse_event& e) {
    if (out_.finished() || e.data.empty()) return;
    auto parsed = json::parse(e.data);
    if (e.event == "error" && (!parsed || parsed->string_or("type") != "error")) {
      out_.fail(classify_anthropic_error(0, e.data));  // an error, however it is worded
      return;
    }
    if (!parsed || !parsed->is_object()) {
      protocol_failure(fmt::format("anthropic: invalid JSON in {} event: {}",
                                   e.event.empty() ? "an" : e.event,
                                   parsed ? "not an object" : parsed.error().message));
      return;
    }
    on_event(*parsed, e.data);
  }

  void on_event(const json& ev, std::string_view raw) {
    std::string type = ev.string_or("type");
    if (type == "message_start") {
      out_.start();
      const json& m = ev["message"];
      std::string id = m.string_or("id");
      if (!id.empty()) out_.set_response_id(std::move(id));
      read_usage(m["usage"], usage_);
      out_.set_usage(usage_);
    } else if (type == "content_block_start") {
      start_block(ev.int_or("index", -1), ev["content_block"], false);
    } else if (type == "content_block_delta") {
      on_delta(ev.int_or("index", -1), ev["delta"]);
    } else if (type == "content_block_stop") {
      auto it = blocks_.find(ev.int_or("index", -1));
      if (it == blocks_.end()) return;
      out_.end_block(it->second.index);
      blocks_.erase(it);
    } else if (type == "message_delta") {
      std::string reason = ev["delta"].string_or("stop_reason");
      if (!reason.empty()) stop_ = std::move(reason);
      read_usage(ev["usage"], usage_);
      out_.set_usage(usage_);
    } else if (type == "message_stop") {
      complete();
    } else if (type == "error") {
      out_.fail(classify_anthropic_error(0, raw));
    }
    // ping and event types added later carry nothing a message needs.
  }

  void start_block(std::int64_t vendor_index, const json& block, bool whole) {
    if (auto it = blocks_.find(vendor_index); it != blocks_.end()) {
      out_.end_block(it->second.index);  // a reused index starts a new block
      blocks_.erase(it);
    }
    std::string type = block.string_or("type");
    open_block b{};
    if (type == "text") {
      b = {out_.begin_text(), open_block::text, {}};
      out_.append(b.index, block.string_or("text"));
    } else if (type == "thinking") {
      b = {out_.begin_thinking(), open_block::thinking, block.string_or("signature")};
      out_.append(b.index, block.string_or("thinking"));
      if (!b.signature.empty()) out_.set_signature(b.index, b.signature);
    } else if (type == "redacted_thinking") {
      b = {out_.begin_thinking(), open_block::thinking, {}};
      out_.set_redacted(b.index, block.string_or("data"));
      out_.append(b.index, redacted_text);
    } else if (type == "tool_use") {
      b = {out_.begin_tool_call(block.string_or("id"), block.string_or("name")),
           open_block::tool_call,
           {}};
      const json& input = block["input"];
      // A stream starts with input {} and sends the arguments as deltas.
      if (input.is_object() && (whole || !input.empty())) out_.set_arguments(b.index, input);
    } else {
      return;  // server tools and future block types are not part of the message
    }
    blocks_[vendor_index] = std::move(b);
  }

  void on_delta(std::int64_t vendor_index, const json& delta) {
    auto it = blocks_.find(vendor_index);
    if (it == blocks_.end()) return;
    open_block& b = it->second;
    std::string type = delta.string_or("type");
    if (type == "text_delta" && b.kind == open_block::text) {
      out_.append(b.index, delta.string_or("text"));
    } else if (type == "thinking_delta" && b.kind == open_block::thinking) {
      out_.append(b.index, delta.string_or("thinking"));
    } else if (type == "signature_delta" && b.kind == open_block::thinking) {
      b.signature += delta.string_or("signature");
      out_.set_signature(b.index, b.signature);
    } else if (type == "input_json_delta" && b.kind == open_block::tool_call) {
      out_.append(b.index, delta.string_or("partial_json"));
    }
  }

  void complete() {
    bool refused = false;
    stop_reason reason = map_stop(stop_, refused);
    if (refused) {
      error e(errc::permission_denied,
              fmt::format("anthropic: the model declined to answer (stop_reason {})", stop_));
      out_.fail(e);
      return;
    }
    out_.done(reason);
  }

  // A non-streaming Messages API answer, folded through the same builder calls.
  void on_whole_body() {
    auto parsed = json::parse(body_.json_text());
    if (!parsed || !parsed->is_object()) {
      protocol_failure("anthropic: response body is not a JSON object");
      return;
    }
    const json& m = *parsed;
    std::string type = m.string_or("type");
    if (type == "error") {
      out_.fail(classify_anthropic_error(0, body_.json_text()));
      return;
    }
    if (type != "message") {
      protocol_failure(fmt::format("anthropic: unexpected response type \"{}\"", type));
      return;
    }
    out_.start();
    std::string id = m.string_or("id");
    if (!id.empty()) out_.set_response_id(std::move(id));
    const json& content = m["content"];
    for (std::size_t i = 0; i < content.size(); ++i) {
      start_block(static_cast<std::int64_t>(i), content[i], true);
      if (auto it = blocks_.find(static_cast<std::int64_t>(i)); it != blocks_.end()) {
        out_.end_block(it->second.index);
        blocks_.erase(it);
      }
    }
    read_usage(m["usage"], usage_);
    out_.set_usage(usage_);
    stop_ = m.string_or("stop_reason");
    complete();
  }

  stream_builder& out_;
  sse_or_json_body body_;
  std::map<std::int64_t, open_block> blocks_;  // by the vendor's index, never by recency
  usage usage_;
  std::string stop_;
};

}  // namespace

std::unique_ptr<stream_decoder> make_anthropic_decoder(stream_builder& out) {
  return std::make_unique<anthropic_decoder>(out);
}

}  // namespace durar::detail
