// google-generative-ai: decoding streamed GenerateContentResponse chunks and Google errors.
#include <fmt/format.h>

#include "transports/google_generative_ai.hpp"
#include "transports/stream_parsers.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string>

namespace durar::detail {

namespace {

using wire::lower;

// google.rpc.RetryInfo's retryDelay: a proto Duration such as "37s" or "1.5s".
std::optional<std::chrono::milliseconds> retry_delay(const json& details) {
  if (!details.is_array()) return std::nullopt;
  for (const auto& d : details.as_array()) {
    if (d.string_or("@type").find("RetryInfo") == std::string::npos) continue;
    std::string delay = d.string_or("retryDelay");
    if (delay.empty() || delay.back() != 's') continue;
    char* end = nullptr;
    double seconds = std::strtod(delay.c_str(), &end);
    if (end != delay.c_str() + delay.size() - 1 || seconds < 0 || seconds > 86400) continue;
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  }
  return std::nullopt;
}

bool has_reason(const json& details, std::string_view reason) {
  if (!details.is_array()) return false;
  return std::any_of(details.as_array().begin(), details.as_array().end(),
                     [&](const json& d) { return d.string_or("reason") == reason; });
}

}  // namespace

error classify_google_error(int http_status, std::string_view body) {
  std::string status, message;
  int code = http_status;
  json details;
  if (auto parsed = json::parse(body); parsed) {
    const json& root = parsed->is_array() ? (*parsed)[0] : *parsed;
    const json& err = root["error"];
    status = err.string_or("status");
    message = err.string_or("message");
    code = static_cast<int>(err.int_or("code", http_status));
    details = err["details"];
  } else {
    std::string_view text = body.substr(0, std::min<std::size_t>(body.size(), 500));
    message.assign(text.begin(), text.end());
  }
  std::string m = lower(message);
  errc c = wire::errc_for_http_status(code);
  std::string_view what = "request failed";
  if (status == "RESOURCE_EXHAUSTED")
    c = errc::resource_exhausted, what = "rate limit or quota";
  else if (status == "UNAVAILABLE")
    c = errc::unavailable, what = "unavailable";
  else if (status == "INTERNAL")
    c = errc::unavailable, what = "server error";
  else if (status == "DEADLINE_EXCEEDED")
    c = errc::deadline_exceeded, what = "timed out";
  else if (status == "PERMISSION_DENIED")
    c = errc::permission_denied, what = "permission denied";
  else if (status == "UNAUTHENTICATED")
    c = errc::unauthenticated, what = "authentication failed";
  else if (status == "NOT_FOUND")
    c = errc::not_found, what = "not found";
  else if (status == "FAILED_PRECONDITION")
    c = errc::permission_denied, what = "not available";
  else if (status == "INVALID_ARGUMENT")
    c = errc::invalid_argument, what = "invalid request";
  // Google answers a bad key with 400 INVALID_ARGUMENT.
  if (has_reason(details, "API_KEY_INVALID") || m.find("api key not valid") != std::string::npos ||
      m.find("api key expired") != std::string::npos) {
    c = errc::unauthenticated, what = "API key not valid";
  } else if ((m.find("input token count") != std::string::npos ||
              m.find("number of tokens") != std::string::npos) &&
             m.find("exceeds the maximum") != std::string::npos) {
    c = errc::context_overflow, what = "prompt is too long for the model";
  }
  error e(c, fmt::format("google: {}", what));
  if (!status.empty()) e.message += fmt::format(" ({})", status);
  e.http_status = http_status;
  e.provider_message = std::move(message);
  e.retry_after = retry_delay(details);
  return e;
}

namespace {

// Ids for calls the vendor sent without one; unique within the process.
std::atomic<std::uint64_t> id_salt{0};

bool policy_finish(std::string_view reason) {
  for (std::string_view r : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                             "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"})
    if (reason == r) return true;
  return false;
}

std::string id_token(std::string_view s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 && out.size() < 12) out.push_back(c);
  return out;
}

class google_decoder final : public stream_decoder {
 public:
  explicit google_decoder(stream_builder& out)
      : out_(out), body_([this](const sse_event& e) { on_sse(e); }, "{[") {}

  void feed(std::string_view bytes) override {
    if (out_.finished()) return;
    guarded([&] { body_.feed(bytes); });
  }

  void finish() override {
    if (out_.finished()) return;
    guarded([&] {
      if (body_.finish() == sse_or_json_body::kind::json) on_whole_body();
      if (!out_.finished()) complete();
    });
  }

 private:
  enum class kind { none, text, thinking };

  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& ex) {
      out_.fail(error(errc::internal, fmt::format("google: decoder failed: {}", ex.what())));
    } catch (...) {
      out_.fail(error(errc::internal, "google: decoder failed"));
    }
  }

  void protocol_failure(std::string message) {
    out_.fail(error(errc::protocol_error, std::move(message)));
  }

  void on_sse(const sse_event& e) {
    if (out_.finished() || e.data.empty()) return;
    auto parsed = json::parse(e.data);
    if (!parsed || !parsed->is_object()) {
      protocol_failure(fmt::format("google: invalid JSON in a stream chunk: {}",
                                   parsed ? "not an object" : parsed.error().message));
      return;
    }
    on_chunk(*parsed, e.data);
  }

  void on_whole_body() {
    auto parsed = json::parse(body_.json_text());
    if (!parsed) {
      protocol_failure(fmt::format("google: invalid JSON body: {}", parsed.error().message));
      return;
    }
    if (parsed->is_array()) {
      for (const auto& chunk : parsed->as_array()) {
        if (out_.finished()) return;
        on_chunk(chunk, chunk.dump());
      }
    } else {
      on_chunk(*parsed, body_.json_text());
    }
  }

  void close_current() {
    if (current_ != kind::none) out_.end_block(current_index_);
    current_ = kind::none;
  }

  void on_text(const json& part) {
    kind want = part.bool_or("thought", false) ? kind::thinking : kind::text;
    if (current_ != want) {
      close_current();
      current_index_ = want == kind::thinking ? out_.begin_thinking() : out_.begin_text();
      current_ = want;
    }
    out_.append(current_index_, part["text"].as_string());
    // Kept on the block whose part carried it; a later part without one does not erase it.
    std::string sig = part.string_or("thoughtSignature");
    if (!sig.empty()) out_.set_signature(current_index_, std::move(sig));
  }

  void on_function_call(const json& part) {
    close_current();
    const json& fc = part["functionCall"];
    std::string name = fc.string_or("name");
    std::string id = fc.string_or("id");
    if (id.empty() || ids_.count(id) != 0) {
      if (salt_.empty()) salt_ = fmt::format("{:x}", ++id_salt);
      id = fmt::format("{}_{}_{}", name, salt_, ++calls_made_);
    }
    ids_.insert(id);
    std::size_t index = out_.begin_tool_call(id, name);
    const json& args = fc["args"];
    out_.set_arguments(index, args.is_object() ? args : json::object());
    std::string sig = part.string_or("thoughtSignature");
    if (!sig.empty()) out_.set_thought_signature(index, std::move(sig));
    out_.end_block(index);
    ++tool_calls_;
  }

  void on_chunk(const json& chunk, std::string_view raw) {
    if (!chunk.is_object()) {
      protocol_failure("google: a stream chunk is not an object");
      return;
    }
    if (chunk.contains("error")) {
      out_.fail(classify_google_error(0, raw));
      return;
    }
    out_.start();
    std::string response_id = chunk.string_or("responseId");
    if (!response_id.empty() && !have_response_id_) {
      have_response_id_ = true;
      if (salt_.empty()) salt_ = id_token(response_id);
      out_.set_response_id(std::move(response_id));
    }
    const json& candidate = chunk["candidates"][0];
    const json& parts = candidate["content"]["parts"];
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const json& part = parts[i];
      if (part["text"].is_string()) on_text(part);
      if (part["functionCall"].is_object()) on_function_call(part);
    }
    std::string reason = candidate.string_or("finishReason");
    if (!reason.empty()) finish_reason_ = std::move(reason);
    if (const json* u = chunk.find("usageMetadata"); u != nullptr && u->is_object()) {
      std::int64_t prompt = u->int_or("promptTokenCount", 0);
      std::int64_t cached = u->int_or("cachedContentTokenCount", 0);
      std::int64_t thoughts = u->int_or("thoughtsTokenCount", 0);
      usage tokens;
      tokens.input = std::max<std::int64_t>(0, prompt - cached);
      tokens.output = u->int_or("candidatesTokenCount", 0) + thoughts;
      tokens.cache_read = cached;
      tokens.reasoning = thoughts;
      tokens.total_tokens = u->int_or("totalTokenCount", 0);
      if (tokens.total_tokens == 0) tokens.total_tokens = tokens.input + tokens.output + cached;
      out_.set_usage(tokens);
    }
    std::string blocked = chunk["promptFeedback"].string_or("blockReason");
    if (!blocked.empty() && candidate.is_null())
      out_.fail(
          error(errc::permission_denied, fmt::format("google: prompt blocked ({})", blocked)));
  }

  void complete() {
    close_current();
    const std::string& r = finish_reason_;
    if (r.empty()) {
      protocol_failure("google: stream ended without a finishReason");
    } else if (r == "STOP" || r == "MAX_TOKENS") {
      // Calls arrive whole, so a turn that made any is a tool turn whatever the reason.
      out_.done(tool_calls_ > 0     ? stop_reason::tool_use
                : r == "MAX_TOKENS" ? stop_reason::length
                                    : stop_reason::stop);
    } else if (policy_finish(r)) {
      out_.fail(error(errc::permission_denied,
                      fmt::format("google: response blocked (finishReason {})", r)));
    } else {
      out_.fail(error(errc::protocol_error,
                      fmt::format("google: generation failed (finishReason {})", r)));
    }
  }

  stream_builder& out_;
  sse_or_json_body body_;
  kind current_ = kind::none;
  std::size_t current_index_ = 0;
  std::set<std::string> ids_;
  std::string salt_;
  std::size_t calls_made_ = 0;
  std::size_t tool_calls_ = 0;
  bool have_response_id_ = false;
  std::string finish_reason_;
};

}  // namespace

std::unique_ptr<stream_decoder> make_google_decoder(stream_builder& out) {
  return std::make_unique<google_decoder>(out);
}

}  // namespace durar::detail
