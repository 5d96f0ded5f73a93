// ollama stream decoding: NDJSON chunks ({"message":{...},"done":false}) into the event
// protocol; a stream:false body is the same thing on one line.
#include "transports/ollama.hpp"

#include <fmt/format.h>

#include "transports/stream_parsers.hpp"
#include "transports/transports.hpp"
#include "transports/wire_helpers.hpp"

#include <optional>
#include <set>
#include <string>
#include <utility>

namespace durar::detail {

namespace {

// FNV-1a, to derive call ids that differ between responses but not between replays of one.
std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

class ollama_decoder final : public stream_decoder {
 public:
  ollama_decoder(std::set<std::string, std::less<>> tool_names, stream_builder& out)
      : out_(out),
        tool_names_(std::move(tool_names)),
        lines_([this](std::string_view line) { on_line(line); }) {}

  void feed(std::string_view bytes) override {
    if (!out_.finished()) guarded([&] { lines_.feed(bytes); });
  }

  void finish() override {
    if (out_.finished()) return;
    guarded([&] { lines_.finish(); });
    if (!out_.finished())
      out_.fail(error(errc::protocol_error, "the Ollama stream ended without done:true"));
  }

 private:
  // A throw from a handler becomes a failed stream, never an escaped exception.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& ex) {
      out_.fail(error(errc::protocol_error, std::string("malformed Ollama chunk: ") + ex.what()));
    }
  }

  void on_line(std::string_view line) {
    if (out_.finished()) return;
    auto parsed = json::parse(line);
    if (!parsed || !parsed->is_object())
      return out_.fail(error(errc::protocol_error, "invalid JSON line in the Ollama stream"));
    const json& j = *parsed;
    if (const json* err = j.find("error"); err != nullptr && !err->is_null()) {
      std::string text =
          err->is_string() ? err->as_string() : err->string_or("message", err->dump());
      error e(classify_ollama_error(text), "Ollama: " + text);
      e.provider_message = text;
      return out_.fail(e);
    }
    const json& m = j["message"];
    std::string thinking = m.string_or("thinking");
    if (thinking.empty()) thinking = m.string_or("reasoning");
    if (!thinking.empty()) {
      close(text_);
      if (!thinking_) thinking_ = out_.begin_thinking();
      out_.append(*thinking_, thinking);
    }
    if (std::string content = m.string_or("content"); !content.empty()) {
      close(thinking_);
      if (!text_) text_ = out_.begin_text();
      out_.append(*text_, content);
    }
    if (const json& calls = m["tool_calls"]; calls.is_array() && !calls.empty()) {
      close(thinking_);
      close(text_);
      for (const auto& call : calls.as_array()) add_call(call, j.string_or("created_at"));
    }
    if (j.bool_or("done", false)) finish_done(j);
  }

  void add_call(const json& call, const std::string& created_at) {
    const json& fn = call["function"];
    std::string id = call.string_or("id");
    if (id.empty()) id = fmt::format("call_{:08x}_{}", fnv1a(created_at), calls_);
    ++calls_;
    std::size_t index = out_.begin_tool_call(std::move(id), tool_name(fn.string_or("name")));
    const json& raw = fn["arguments"];
    json args = json::object();
    if (raw.is_object()) {
      args = raw;
    } else if (raw.is_string()) {  // some models' templates hand back a JSON string
      if (auto p = json::parse(raw.as_string()); p && p->is_object()) args = std::move(*p);
    }
    out_.set_arguments(index, std::move(args));
    out_.end_block(index);
  }

  // Models often say "functions.read" for "read"; keep the name the tools list uses.
  std::string tool_name(const std::string& raw) const {
    std::string name = wire::trim_base(raw);
    if (tool_names_.count(name) != 0) return name;
    if (tool_names_.empty()) return strip_namespace(name, "./");
    std::string stripped = strip_namespace(name, "./_-");
    return tool_names_.count(stripped) != 0 ? stripped : name;
  }

  // "functions" / "function" / "tools" / "tool" followed by separators, removed.
  static std::string strip_namespace(const std::string& name, std::string_view separators) {
    const std::string low = wire::lower(name);
    for (std::string_view word : {"functions", "function", "tools", "tool"}) {
      if (!low.starts_with(word)) continue;
      std::size_t end = word.size();
      while (end < name.size() && separators.find(name[end]) != std::string_view::npos) ++end;
      if (end > word.size()) return wire::trim_base(name.substr(end));
    }
    return name;
  }

  void finish_done(const json& j) {
    usage tokens;
    tokens.input = j.int_or("prompt_eval_count", 0);
    tokens.output = j.int_or("eval_count", 0);
    tokens.total_tokens = tokens.input + tokens.output;
    out_.set_usage(tokens);
    std::string reason = j.string_or("done_reason");
    if (reason == "length") return out_.done(stop_reason::length);
    out_.done(calls_ > 0 ? stop_reason::tool_use : stop_reason::stop);
  }

  void close(std::optional<std::size_t>& block) {
    if (block) out_.end_block(*block);
    block.reset();
  }

  stream_builder& out_;
  std::set<std::string, std::less<>> tool_names_;
  ndjson_parser lines_;
  std::optional<std::size_t> thinking_;
  std::optional<std::size_t> text_;
  std::size_t calls_ = 0;
};

class ollama_transport final : public transport {
 public:
  [[nodiscard]] std::string_view api() const noexcept override { return "ollama"; }
  [[nodiscard]] result<http_request> build_request(const call_spec& call) const override {
    return build_ollama_request(call);
  }
  [[nodiscard]] std::unique_ptr<stream_decoder> make_decoder(const call_spec& call,
                                                             stream_builder& out) const override {
    return make_ollama_decoder(call, out);
  }
  [[nodiscard]] error classify_error(const http_head& head, std::string_view body) const override {
    error e = transport::classify_error(head, body);
    // Ollama says "model not found" with 400 on some routes and "context" overflows with 500.
    errc said = classify_ollama_error(e.provider_message);
    if (said == errc::not_found || said == errc::context_overflow) e.code = said;
    return e;
  }
};

}  // namespace

errc classify_ollama_error(std::string_view text) {
  if (wire::icontains(text, "context canceled")) return errc::unavailable;
  if (wire::icontains(text, "deadline exceeded")) return errc::deadline_exceeded;
  if (wire::icontains(text, "not found")) return errc::not_found;
  if (wire::icontains(text, "context")) return errc::context_overflow;  // "exceeds the context"
  if (wire::icontains(text, "does not support") || wire::icontains(text, "invalid"))
    return errc::invalid_argument;
  if (wire::icontains(text, "unauthorized")) return errc::unauthenticated;
  if (wire::icontains(text, "rate limit") || wire::icontains(text, "too many requests"))
    return errc::resource_exhausted;
  return errc::unavailable;
}

std::unique_ptr<stream_decoder> make_ollama_decoder(const call_spec& call, stream_builder& out) {
  std::set<std::string, std::less<>> names;
  for (const auto& t : call.conv.tools)
    if (!t.name.empty()) names.insert(t.name);
  return std::make_unique<ollama_decoder>(std::move(names), out);
}

std::shared_ptr<const transport> make_ollama_transport() {
  static const auto instance = std::make_shared<const ollama_transport>();
  return instance;
}

}  // namespace durar::detail
