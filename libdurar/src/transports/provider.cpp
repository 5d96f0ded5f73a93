#include <durar/provider.hpp>

#include <fmt/format.h>

#include "transports/transports.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace durar {

std::string_view to_string(event_kind k) noexcept {
  switch (k) {
    case event_kind::start:
      return "start";
    case event_kind::text_start:
      return "text_start";
    case event_kind::text_delta:
      return "text_delta";
    case event_kind::text_end:
      return "text_end";
    case event_kind::thinking_start:
      return "thinking_start";
    case event_kind::thinking_delta:
      return "thinking_delta";
    case event_kind::thinking_end:
      return "thinking_end";
    case event_kind::toolcall_start:
      return "toolcall_start";
    case event_kind::toolcall_delta:
      return "toolcall_delta";
    case event_kind::toolcall_end:
      return "toolcall_end";
    case event_kind::done:
      return "done";
    case event_kind::error:
      return "error";
  }
  return "unknown";
}

std::string_view to_string(thinking_level t) noexcept {
  constexpr std::array<std::string_view, 6> names = {"off",    "minimal", "low",
                                                     "medium", "high",    "xhigh"};
  return names[static_cast<std::size_t>(t)];
}

std::optional<thinking_level> parse_thinking_level(std::string_view s) noexcept {
  for (int i = 0; i <= static_cast<int>(thinking_level::xhigh); ++i)
    if (to_string(static_cast<thinking_level>(i)) == s) return static_cast<thinking_level>(i);
  return std::nullopt;
}

json to_json(const stream_event& e) {
  json j = json::object({{"type", std::string(to_string(e.kind))}});
  const assistant_message* m = e.message;
  switch (e.kind) {
    case event_kind::start:
      if (m != nullptr) {
        j.set("provider", m->provider);
        j.set("model", m->model);
      }
      break;
    case event_kind::text_start:
    case event_kind::thinking_start:
    case event_kind::toolcall_start:
      j.set("contentIndex", e.content_index);
      break;
    case event_kind::text_delta:
    case event_kind::thinking_delta:
    case event_kind::toolcall_delta:
      j.set("contentIndex", e.content_index);
      j.set("delta", std::string(e.delta));
      break;
    case event_kind::text_end:
    case event_kind::thinking_end:
    case event_kind::toolcall_end:
      j.set("contentIndex", e.content_index);
      if (m != nullptr && e.content_index < m->content.size()) {
        const auto& block = m->content[e.content_index];
        if (e.kind == event_kind::toolcall_end)
          j.set("toolCall", to_json(block));
        else
          j.set("content", to_json(block));
      }
      break;
    case event_kind::done:
      if (m != nullptr) {
        j.set("reason", std::string(to_string(m->stop)));
        j.set("message", to_json(message(*m)));
      }
      break;
    case event_kind::error:
      if (m != nullptr) {
        j.set("reason", std::string(to_string(m->stop)));
        j.set("error", to_json(message(*m)));
      }
      if (e.failure != nullptr) j.set("code", std::string(to_string(e.failure->code)));
      break;
  }
  return j;
}

std::string http_head::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  }
  return {};
}

std::optional<std::chrono::milliseconds> parse_retry_after(const http_head& head) {
  constexpr std::int64_t cap_ms = 24LL * 3600 * 1000;
  auto clamp = [&](std::int64_t ms) {
    return std::chrono::milliseconds(std::clamp<std::int64_t>(ms, 0, cap_ms));
  };
  if (auto ms = head.header("retry-after-ms"); !ms.empty()) {
    char* end = nullptr;
    double v = std::strtod(ms.c_str(), &end);
    // Capped before the cast: a double beyond int64 (1e300, inf) would make it undefined.
    if (end != ms.c_str() && v >= 0) return clamp(static_cast<std::int64_t>(std::min(v, 1e12)));
  }
  std::string value = head.header("retry-after");
  if (value.empty()) return std::nullopt;
  char* end = nullptr;
  double seconds = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '\0' && seconds >= 0)
    return clamp(static_cast<std::int64_t>(std::min(seconds, 1e9) * 1000));
  std::tm tm{};  // an HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT"
  if (strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
    auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(
        at - std::chrono::system_clock::now());
    return clamp(delta.count());
  }
  return std::nullopt;
}

namespace {

bool mentions(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  std::string lower(haystack);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return lower.find(n) != std::string::npos; });
}

// The vendor's own words from the common error body shapes, else the body itself, bounded.
std::string vendor_message(std::string_view body) {
  if (auto j = json::parse(body); j) {
    // Read-only: the mutable [] throws on a body that is a number, string or array.
    const json& doc = *j;
    const json& e = doc["error"];
    if (e.is_string()) return e.as_string();
    if (e.is_object() && e["message"].is_string()) return e["message"].as_string();
    if (doc["message"].is_string()) return doc["message"].as_string();
  }
  std::string s(body.substr(0, 2048));
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

error transport::classify_error(const http_head& head, std::string_view body) const {
  error e;
  e.http_status = head.status;
  e.provider_message = vendor_message(body);
  e.retry_after = parse_retry_after(head);
  const std::string& said = e.provider_message;
  const int s = head.status;
  if (mentions(said, {"context length", "context_length", "context window", "prompt is too long",
                      "maximum context", "too many tokens", "input is too long",
                      "exceeds the maximum number of tokens"})) {
    e.code = errc::context_overflow;
  } else if (mentions(said, {"rate limit", "rate_limit", "quota", "resource exhausted",
                             "resource_exhausted", "too many requests"})) {
    e.code = errc::resource_exhausted;
  } else {
    e.code = detail::wire::errc_for_http_status(s);  // 529 (overloaded) is a 5xx
  }
  e.message = fmt::format("HTTP {}: {}", s, said.empty() ? "no error message" : said);
  return e;
}

std::shared_ptr<const transport> builtin_transport(api_kind api) {
  switch (api) {
    case api_kind::openai_completions:
      return detail::make_openai_completions_transport();
    case api_kind::openai_responses:
      return detail::make_openai_responses_transport();
    case api_kind::anthropic_messages:
      return detail::make_anthropic_messages_transport();
    case api_kind::google_generative_ai:
      return detail::make_google_generative_ai_transport();
    case api_kind::ollama:
      return detail::make_ollama_transport();
  }
  return nullptr;
}

}  // namespace durar
