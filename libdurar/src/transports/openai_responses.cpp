// openai-responses stream decoding: SSE events (or one whole response object) into the
// event protocol. Output items are tracked by output_index / item_id, never by recency.
#include "transports/openai_responses.hpp"

#include <fmt/format.h>

#include "transports/stream_parsers.hpp"
#include "transports/transports.hpp"
#include "transports/wire_helpers.hpp"

#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace durar::detail {

namespace {

enum class item_kind { reasoning, message, function_call };

struct item_state {
  item_kind kind = item_kind::message;
  std::size_t block = 0;
  std::string streamed;  // what was appended so far, to add only the rest at the end
  int summary_parts = 0;
  bool closed = false;
};

// Maps the vendor's error codes (stream `error` events, failed responses) to ours.
errc classify_code(std::string_view code, std::string_view text) {
  if (code == "context_length_exceeded" || wire::icontains(text, "context window") ||
      wire::icontains(text, "context length") || wire::icontains(text, "maximum context"))
    return errc::context_overflow;
  if (code == "rate_limit_exceeded" || code == "insufficient_quota" ||
      wire::icontains(code, "rate_limit") || wire::icontains(text, "rate limit"))
    return errc::resource_exhausted;
  if (code == "invalid_api_key" || code == "unauthorized") return errc::unauthenticated;
  if (code == "model_not_found") return errc::not_found;
  if (code == "invalid_prompt" || code.starts_with("invalid_") || code == "bad_request")
    return errc::invalid_argument;
  return errc::unavailable;  // server_error, overloaded, vector_store_timeout, unknown
}

error vendor_error(std::string_view code, std::string_view text) {
  error e(classify_code(code, text), fmt::format("{}: {}", code.empty() ? "unknown" : code,
                                                 text.empty() ? "no message" : text));
  e.provider_message = std::string(text);
  return e;
}

class responses_decoder final : public stream_decoder {
 public:
  explicit responses_decoder(stream_builder& out)
      : out_(out), body_([this](const sse_event& e) { on_event(e); }) {}

  void feed(std::string_view bytes) override {
    if (out_.finished()) return;
    guarded([&] { body_.feed(bytes); });
  }

  void finish() override {
    if (out_.finished()) return;
    guarded([&] {
      if (body_.finish() == sse_or_json_body::kind::json) return on_whole_body();
      if (!out_.finished())
        out_.fail(
            error(errc::protocol_error, "the response stream ended before response.completed"));
    });
  }

 private:
  // A throw from a handler becomes a failed stream, never an escaped exception.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& ex) {
      out_.fail(error(errc::protocol_error, std::string("malformed response event: ") + ex.what()));
    }
  }

  void on_event(const sse_event& e) {
    if (out_.finished() || e.data.empty() || e.data == "[DONE]") return;
    auto j = json::parse(e.data);
    if (!j || !j->is_object()) {
      std::string name = e.event.empty() ? "message" : e.event;
      return out_.fail(error(errc::protocol_error, "invalid JSON in a \"" + name + "\" event"));
    }
    std::string type = j->string_or("type", e.event);
    dispatch(type, *j);
  }

  void on_whole_body() {
    auto j = json::parse(body_.json_text());
    if (!j || !j->is_object())
      return out_.fail(error(errc::protocol_error, "the response body is not a JSON object"));
    const json& r = *j;
    if (r["error"].is_object() && !r.contains("output")) return fail_response(r);
    out_.set_response_id(r.string_or("id"));
    const json& output = r["output"];
    for (std::size_t i = 0; i < output.size(); ++i) {
      auto index = static_cast<std::int64_t>(i);
      open_item(index, output[i]);
      close_item(index, output[i]);
    }
    finish_response(r, r.string_or("status", "completed"));
  }

  void dispatch(const std::string& type, const json& j) {
    if (type == "response.created" || type == "response.in_progress") {
      if (auto id = j["response"].string_or("id"); !id.empty()) out_.set_response_id(id);
    } else if (type == "response.output_item.added") {
      open_item(j.int_or("output_index", -1), j["item"]);
    } else if (type == "response.reasoning_summary_part.added") {
      if (auto* s = find(j, item_kind::reasoning)) {
        // Summary parts read as paragraphs, as the item's summary joins them.
        if (s->summary_parts++ > 0) append(*s, "\n\n");
      }
    } else if (type == "response.reasoning_summary_text.delta") {
      if (auto* s = find(j, item_kind::reasoning)) {
        if (s->summary_parts == 0) s->summary_parts = 1;
        append(*s, j.string_or("delta"));
      }
    } else if (type == "response.output_text.delta" || type == "response.refusal.delta") {
      if (auto* s = find(j, item_kind::message)) append(*s, j.string_or("delta"));
    } else if (type == "response.function_call_arguments.delta") {
      if (auto* s = find(j, item_kind::function_call)) append(*s, j.string_or("delta"));
    } else if (type == "response.function_call_arguments.done") {
      if (auto* s = find(j, item_kind::function_call)) complete(*s, j.string_or("arguments"));
    } else if (type == "response.output_item.done") {
      close_item(j.int_or("output_index", -1), j["item"]);
    } else if (type == "response.completed" || type == "response.incomplete") {
      const json& r = j["response"];
      finish_response(
          r, r.string_or("status", type == "response.completed" ? "completed" : "incomplete"));
    } else if (type == "response.failed") {
      fail_response(j["response"]);
    } else if (type == "error") {
      const json& e = j["error"].is_object() ? j["error"] : j;
      out_.fail(vendor_error(e.string_or("code", e.string_or("type")), e.string_or("message")));
    }
  }

  void open_item(std::int64_t index, const json& item) {
    if (index < 0) index = --unindexed_;  // keyed apart; found again by item id
    if (items_.count(index) != 0) return;
    std::string type = item.string_or("type");
    item_state s;
    if (type == "reasoning") {
      s.kind = item_kind::reasoning;
      s.block = out_.begin_thinking();
    } else if (type == "message") {
      s.block = out_.begin_text();
    } else if (type == "function_call") {
      s.kind = item_kind::function_call;
      s.block = out_.begin_tool_call(
          responses_tool_call_id(item.string_or("call_id"), item.string_or("id")),
          item.string_or("name"));
      has_tool_calls_ = true;
    } else {
      return;  // hosted tools (web search, ...) are not part of the message
    }
    auto [it, added] = items_.emplace(index, std::move(s));
    if (auto id = item.string_or("id"); !id.empty()) by_item_id_[id] = index;
    if (it->second.kind == item_kind::function_call)
      append(it->second, item.string_or("arguments"));
  }

  void close_item(std::int64_t index, const json& item) {
    auto* s = lookup(index, item.string_or("id"));
    if (s == nullptr) {
      open_item(index, item);  // a done without its added: the item arrives whole
      s = lookup(index, item.string_or("id"));
      if (s == nullptr) return;
    }
    if (s->closed) return;
    switch (s->kind) {
      case item_kind::reasoning: {
        std::string full;
        const json& summary = item["summary"];
        for (std::size_t i = 0; i < summary.size(); ++i) {
          if (i > 0) full += "\n\n";
          full += summary[i].string_or("text");
        }
        complete(*s, full);
        out_.set_signature(s->block, item.dump());  // replayed as-is, encrypted_content too
        break;
      }
      case item_kind::message: {
        std::string full;
        const json& content = item["content"];
        for (std::size_t i = 0; i < content.size(); ++i)
          full += content[i].string_or("type") == "refusal" ? content[i].string_or("refusal")
                                                            : content[i].string_or("text");
        complete(*s, full);
        out_.set_signature(s->block,
                           responses_text_signature(item.string_or("id"), item.string_or("phase")));
        break;
      }
      case item_kind::function_call:
        complete(*s, item.string_or("arguments"));
        break;
    }
    s->closed = true;
    out_.end_block(s->block);
  }

  void finish_response(const json& r, const std::string& status) {
    if (auto id = r.string_or("id"); !id.empty()) out_.set_response_id(id);
    if (const json& u = r["usage"]; u.is_object()) {
      usage tokens;
      std::int64_t cached = u["input_tokens_details"].int_or("cached_tokens", 0);
      tokens.input = u.int_or("input_tokens", 0) - cached;  // OpenAI counts cached in input
      tokens.cache_read = cached;
      tokens.output = u.int_or("output_tokens", 0);
      tokens.reasoning = u["output_tokens_details"].int_or("reasoning_tokens", 0);
      tokens.total_tokens = u.int_or("total_tokens", 0);
      out_.set_usage(tokens);
    }
    if (status == "failed") return fail_response(r);
    if (status == "cancelled")
      return out_.fail(error(errc::unavailable, "the response was cancelled by the server"));
    if (status == "incomplete") {
      std::string reason = r["incomplete_details"].string_or("reason");
      if (reason.empty() || reason == "max_output_tokens") return out_.done(stop_reason::length);
      error e(errc::permission_denied, "response incomplete: " + reason);  // content_filter
      e.provider_message = reason;
      return out_.fail(e);
    }
    out_.done(has_tool_calls_ ? stop_reason::tool_use : stop_reason::stop);
  }

  void fail_response(const json& r) {
    const json& e = r["error"];
    if (e.is_object()) return out_.fail(vendor_error(e.string_or("code"), e.string_or("message")));
    if (auto reason = r["incomplete_details"].string_or("reason"); !reason.empty())
      return out_.fail(error(errc::unavailable, "incomplete: " + reason));
    out_.fail(error(errc::unavailable, "the response failed without error details"));
  }

  item_state* lookup(std::int64_t index, const std::string& item_id) {
    if (auto it = items_.find(index); index >= 0 && it != items_.end()) return &it->second;
    if (auto id = by_item_id_.find(item_id); !item_id.empty() && id != by_item_id_.end())
      return &items_.at(id->second);
    return nullptr;
  }

  // The item a delta names; without index or id, only an unambiguous open item will do.
  item_state* find(const json& j, item_kind kind) {
    item_state* s = lookup(j.int_or("output_index", -1), j.string_or("item_id"));
    if (s == nullptr && !j.contains("output_index") && !j.contains("item_id")) {
      for (auto& [index, candidate] : items_) {
        if (candidate.closed || candidate.kind != kind) continue;
        if (s != nullptr) return nullptr;
        s = &candidate;
      }
    }
    return s != nullptr && s->kind == kind && !s->closed ? s : nullptr;
  }

  void append(item_state& s, std::string_view piece) {
    if (piece.empty()) return;
    s.streamed.append(piece);
    out_.append(s.block, piece);
  }

  // The final text names the whole: stream whatever the deltas did not carry.
  void complete(item_state& s, const std::string& full) {
    if (full.size() > s.streamed.size() && full.starts_with(s.streamed))
      append(s, std::string_view(full).substr(s.streamed.size()));
  }

  stream_builder& out_;
  sse_or_json_body body_;                     // SSE, or the whole JSON body (non-streaming)
  std::map<std::int64_t, item_state> items_;  // by output_index
  std::map<std::string, std::int64_t> by_item_id_;
  std::int64_t unindexed_ = -1;
  bool has_tool_calls_ = false;
};

class openai_responses_transport final : public transport {
 public:
  [[nodiscard]] std::string_view api() const noexcept override { return "openai-responses"; }
  [[nodiscard]] result<http_request> build_request(const call_spec& call) const override {
    return build_openai_responses_request(call);
  }
  [[nodiscard]] std::unique_ptr<stream_decoder> make_decoder(const call_spec&,
                                                             stream_builder& out) const override {
    return make_openai_responses_decoder(out);
  }
};

}  // namespace

std::unique_ptr<stream_decoder> make_openai_responses_decoder(stream_builder& out) {
  return std::make_unique<responses_decoder>(out);
}

std::shared_ptr<const transport> make_openai_responses_transport() {
  static const auto instance = std::make_shared<const openai_responses_transport>();
  return instance;
}

}  // namespace durar::detail
