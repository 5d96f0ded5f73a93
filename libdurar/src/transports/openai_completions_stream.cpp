// openai-completions decoding: chat.completion.chunk events (or one whole chat.completion
// body, mapped through the same code) into builder events. Tool-call deltas are routed by
// their `index` (then `id`), never by recency, so interleaved parallel calls stay apart.
#include <fmt/format.h>

#include "transports/openai_completions.hpp"
#include "transports/stream_parsers.hpp"

#include <optional>
#include <vector>

namespace durar::detail {

namespace {

std::int64_t tokens(const json& obj, std::string_view key) {
  const json* v = obj.find(key);
  if (v == nullptr || !v->is_number()) return 0;
  double d = v->as_double();
  // Beyond int64 (1e300 from a broken or hostile upstream) the cast would be undefined.
  return d > 0 && d < 9223372036854775808.0 ? static_cast<std::int64_t>(d) : 0;
}

const json* non_empty_string(const json& obj, std::string_view key) {
  const json* v = obj.find(key);
  return v != nullptr && v->is_string() && !v->as_string().empty() ? v : nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

class decoder final : public stream_decoder {
 public:
  decoder(stream_builder& out, const secret* key)
      : out_(out), sse_([this](const sse_event& e) { on_event(e); }) {
    if (key != nullptr) key_ = key->reveal();
  }

  void feed(std::string_view bytes) override {
    if (out_.finished()) return;
    guarded([&] {
      if (mode_ == mode::sse) {
        sse_.feed(bytes);
      } else {
        body_.append(bytes);
        if (mode_ == mode::unknown) detect();
      }
    });
  }

  void finish() override {
    if (out_.finished()) return;
    guarded([&] {
      if (mode_ == mode::sse) sse_.finish();
      if (mode_ == mode::whole) on_whole_body();
      if (out_.finished()) return;
      if (mode_ == mode::unknown)
        return fail(errc::protocol_error, "openai-completions: empty response body");
      if (finish_reason_) return complete();
      fail(errc::protocol_error,
           "openai-completions: stream ended early (no finish_reason and no [DONE])");
    });
  }

 private:
  enum class mode { unknown, sse, whole };
  enum class open_kind { none, text, thinking };

  struct tool_slot {
    std::optional<std::int64_t> index;
    std::string id, name, args, thought_signature;
    std::optional<json> whole_args;  // arguments sent as an object, not a string
    std::optional<std::size_t> block;
  };

  // Nothing thrown below (a bad chunk, a throwing event callback) may escape into the HTTP
  // engine: it becomes the stream's error instead.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      fail(errc::internal, fmt::format("openai-completions: {}", e.what()));
    } catch (...) {
      fail(errc::internal, "openai-completions: unknown exception while decoding");
    }
  }

  void fail(errc code, std::string message) { fail(error(code, std::move(message))); }
  void fail(error e) {
    if (out_.finished()) return;
    try {
      out_.fail(e);
    } catch (...) {  // the sink threw while reporting: nothing more can be told
    }
  }

  std::string scrub(std::string text) const {
    if (key_.empty()) return text;
    for (auto at = text.find(key_); at != std::string::npos; at = text.find(key_, at))
      text.replace(at, key_.size(), "***");
    return text;
  }

  // SSE or one JSON document? Decided by the first byte that is not a BOM or whitespace.
  void detect() {
    std::string_view b = body_;
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (b.size() < bom.size() && bom.substr(0, b.size()) == b) return;
    if (b.substr(0, bom.size()) == bom) b.remove_prefix(bom.size());
    auto first = b.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return;
    if (b[first] == '{') {
      mode_ = mode::whole;
      return;
    }
    mode_ = mode::sse;
    std::string pending = std::move(body_);
    body_.clear();
    sse_.feed(pending);
  }

  void on_event(const sse_event& e) {
    if (out_.finished()) return;
    std::string_view data = trim(e.data);
    if (data.empty()) return;
    if (data == "[DONE]") return complete();
    auto chunk = json::parse(data);
    if (!chunk) {
      if (e.event == "error") return fail(errc::unavailable, scrub(std::string(data)));
      return fail(errc::protocol_error,
                  fmt::format("openai-completions: invalid JSON in stream event: {}",
                              chunk.error().message));
    }
    if (!chunk->is_object())
      return fail(errc::protocol_error, "openai-completions: stream event is not a JSON object");
    on_chunk(*chunk, false);
  }

  void on_whole_body() {
    std::string_view b = body_;
    if (b.substr(0, 3) == "\xEF\xBB\xBF") b.remove_prefix(3);
    auto doc = json::parse(b);
    if (!doc || !doc->is_object())
      return fail(errc::protocol_error,
                  fmt::format("openai-completions: response body is not a chat completion: {}",
                              doc ? "not an object" : doc.error().message));
    on_chunk(*doc, true);
    if (!out_.finished()) complete();
  }

  void on_chunk(const json& chunk, bool whole) {
    if (const json* err = chunk.find("error"); err != nullptr && !err->is_null()) {
      error e = openai_error_from(*err, 0);
      e.message = scrub(std::move(e.message));
      e.provider_message = scrub(std::move(e.provider_message));
      return fail(std::move(e));
    }
    out_.start();
    if (!have_id_) {
      if (const json* id = non_empty_string(chunk, "id")) {
        out_.set_response_id(id->as_string());
        have_id_ = true;
      }
    }
    const json* usage_obj = chunk.find("usage");
    const bool chunk_usage = usage_obj != nullptr && usage_obj->is_object();
    if (chunk_usage) on_usage(*usage_obj);
    const json& choices = chunk["choices"];
    if (!choices.is_array()) return;
    const json* choice = nullptr;
    for (const auto& c : choices.as_array())
      if (c.is_object() && c.int_or("index", 0) == 0) choice = &c;
    if (choice == nullptr) return;
    // Moonshot and some proxies put usage on the choice.
    if (const json* u = choice->find("usage"); !chunk_usage && u != nullptr && u->is_object())
      on_usage(*u);
    if (const json* d = choice->find(whole ? "message" : "delta"); d != nullptr && d->is_object())
      on_delta(*d, whole);
    if (const json* fr = non_empty_string(*choice, "finish_reason"))
      finish_reason_ = fr->as_string();
  }

  void on_delta(const json& d, bool whole) {
    bool thought = false;
    if (const json& details = d["reasoning_details"]; details.is_array()) {
      for (const auto& item : details.as_array()) {
        const std::string type = item.string_or("type");
        if (type == "reasoning.text" && non_empty_string(item, "text")) {
          append_thinking(item["text"].as_string(), "reasoning_details");
          thought = true;
        } else if (type == "reasoning.encrypted" && non_empty_string(item, "id")) {
          encrypted_.emplace_back(item.string_or("id"), item.dump());  // matched to its call later
        }
      }
    }
    if (!thought) {
      for (std::string_view field : {"reasoning_content", "reasoning", "reasoning_text"}) {
        if (const json* r = non_empty_string(d, field)) {
          append_thinking(r->as_string(), field);
          break;
        }
      }
    }
    if (const json* c = non_empty_string(d, "content")) append_text(c->as_string());
    if (const json* r = non_empty_string(d, "refusal")) append_text(r->as_string());
    if (const json& calls = d["tool_calls"]; calls.is_array()) {
      std::int64_t position = 0;
      for (const auto& tc : calls.as_array()) {
        if (tc.is_object()) on_tool_call(tc, whole ? std::optional(position) : std::nullopt);
        ++position;
      }
    }
  }

  void close_open() {
    if (open_ != open_kind::none) out_.end_block(open_index_);
    open_ = open_kind::none;
  }

  void append_text(const std::string& s) {
    if (open_ != open_kind::text) {
      close_open();
      open_index_ = out_.begin_text();
      open_ = open_kind::text;
    }
    out_.append(open_index_, s);
  }

  void append_thinking(const std::string& s, std::string_view field) {
    if (open_ != open_kind::thinking || open_field_ != field) {
      close_open();
      open_index_ = out_.begin_thinking();
      out_.set_signature(open_index_, std::string(field));  // replayed in the same field
      open_ = open_kind::thinking;
      open_field_ = field;
    }
    out_.append(open_index_, s);
  }

  tool_slot& slot_for(std::optional<std::int64_t> index, const std::string& id) {
    // Latest first: a server that reuses index 0 for every call still gives each a new id.
    for (auto it = tools_.rbegin(); it != tools_.rend(); ++it) {
      if (index && it->index == index) {
        if (!id.empty() && !it->id.empty() && it->id != id) break;
        return *it;
      }
      if (!index && !id.empty() && it->id == id) return *it;
    }
    if (!index && id.empty() && !tools_.empty()) return tools_.back();  // nothing to route by
    close_open();
    tools_.push_back(tool_slot{index, {}, {}, {}, {}, std::nullopt, std::nullopt});
    return tools_.back();
  }

  void on_tool_call(const json& tc, std::optional<std::int64_t> position) {
    std::optional<std::int64_t> index = position;
    if (const json* i = tc.find("index"); i != nullptr && i->is_integer()) index = i->as_int();
    std::string id = tc.string_or("id");
    tool_slot& slot = slot_for(index, id);
    if (slot.id.empty()) slot.id = id;
    const json& fn = tc["function"];
    if (slot.name.empty()) slot.name = fn.string_or("name");
    std::string sig = tc["extra_content"]["google"].string_or("thought_signature");
    if (sig.empty()) sig = fn.string_or("thought_signature");
    if (!sig.empty()) slot.thought_signature = sig;
    const json& args = fn["arguments"];
    if (args.is_object()) slot.whole_args = args;
    // The block opens once id and name are known; fragments before that wait in the slot.
    if (!slot.block && !slot.id.empty() && !slot.name.empty()) open_slot(slot);
    if (args.is_string() && !args.as_string().empty()) {
      if (slot.block)
        out_.append(*slot.block, args.as_string());
      else
        slot.args += args.as_string();
    }
  }

  void open_slot(tool_slot& slot) {
    if (slot.id.empty()) slot.id = fmt::format("call_{}", &slot - tools_.data());
    slot.block = out_.begin_tool_call(slot.id, slot.name);
    if (!slot.args.empty()) out_.append(*slot.block, std::exchange(slot.args, {}));
  }

  void on_usage(const json& u) {
    usage t;
    const std::int64_t prompt = tokens(u, "prompt_tokens");
    const json& details = u["prompt_tokens_details"];
    const std::int64_t cached = tokens(details, "cached_tokens");
    t.cache_write = tokens(details, "cache_write_tokens");
    // OpenRouter counts this request's cache writes inside cached_tokens.
    t.cache_read = t.cache_write > 0 ? std::max<std::int64_t>(0, cached - t.cache_write) : cached;
    t.input = std::max<std::int64_t>(0, prompt - t.cache_read - t.cache_write);
    t.output = tokens(u, "completion_tokens");
    t.reasoning = tokens(u["completion_tokens_details"], "reasoning_tokens");
    t.total_tokens = t.input + t.output + t.cache_read + t.cache_write;
    out_.set_usage(t);
  }

  void complete() {
    close_open();
    for (auto& slot : tools_) {
      if (!slot.block) open_slot(slot);
      if (slot.whole_args) out_.set_arguments(*slot.block, *slot.whole_args);
      for (const auto& [id, detail] : encrypted_)
        if (id == slot.id) out_.set_thought_signature(*slot.block, detail);
      if (!slot.thought_signature.empty())
        out_.set_thought_signature(*slot.block, slot.thought_signature);
      out_.end_block(*slot.block);
    }
    const std::string reason = finish_reason_.value_or("stop");
    const bool has_calls = !tools_.empty();
    if (reason == "stop" || reason == "end" || reason == "eos" || reason == "end_turn" ||
        reason == "stop_sequence")
      return out_.done(has_calls ? stop_reason::tool_use : stop_reason::stop);
    if (reason == "length" || reason == "max_tokens") return out_.done(stop_reason::length);
    if (reason == "tool_calls" || reason == "function_call" || reason == "tool_call" ||
        reason == "tool_use")
      return out_.done(has_calls ? stop_reason::tool_use : stop_reason::stop);
    if (reason == "content_filter")
      return fail(errc::permission_denied,
                  "openai-completions: the provider's content filter stopped the response "
                  "(finish_reason: content_filter)");
    if (reason == "network_error")
      return fail(errc::unavailable, "openai-completions: finish_reason: network_error");
    fail(errc::protocol_error,
         fmt::format("openai-completions: unexpected finish_reason \"{}\"", reason));
  }

  stream_builder& out_;
  sse_parser sse_;
  std::string key_;
  mode mode_ = mode::unknown;
  std::string body_;
  open_kind open_ = open_kind::none;
  std::size_t open_index_ = 0;
  std::string_view open_field_;  // points at a string literal
  std::vector<tool_slot> tools_;
  std::vector<std::pair<std::string, std::string>> encrypted_;  // call id -> reasoning detail
  std::optional<std::string> finish_reason_;
  bool have_id_ = false;
};

}  // namespace

std::unique_ptr<stream_decoder> make_openai_completions_decoder(stream_builder& out,
                                                                const secret* key) {
  return std::make_unique<decoder>(out, key);
}

}  // namespace durar::detail
