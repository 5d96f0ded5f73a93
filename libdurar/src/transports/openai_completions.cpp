// The openai-completions transport: OpenAI Chat Completions and the many servers that speak
// it (vLLM, llama.cpp, LM Studio, LiteLLM, OpenRouter, Groq, DeepSeek, ...). Requests are
// built in openai_completions_request.cpp, streams decoded in openai_completions_stream.cpp.
#include "transports/openai_completions.hpp"

#include <fmt/format.h>

#include "transports/transports.hpp"
#include "transports/wire_helpers.hpp"

namespace durar::detail {

namespace {

// OpenAI's error codes and types that say more than the HTTP status does.
std::optional<errc> code_from_openai(std::string_view code, std::string_view type,
                                     std::string_view message) {
  auto any = [&](std::initializer_list<std::string_view> names) {
    for (auto n : names)
      if (code == n || type == n) return true;
    return false;
  };
  if (any({"context_length_exceeded", "string_above_max_length"}) ||
      wire::icontains(message, "maximum context length") ||
      wire::icontains(message, "context length") || wire::icontains(message, "context window"))
    return errc::context_overflow;
  if (any({"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"}))
    return errc::resource_exhausted;
  if (any({"rate_limit_exceeded", "rate_limit_error", "tokens", "requests"}))
    return errc::resource_exhausted;
  if (any({"invalid_api_key", "authentication_error", "invalid_authentication"}))
    return errc::unauthenticated;
  if (any({"permission_denied", "permission_error", "unsupported_country_region_territory"}))
    return errc::permission_denied;
  if (any({"model_not_found"})) return errc::not_found;
  if (any({"server_error", "overloaded_error", "service_unavailable", "internal_error"}))
    return errc::unavailable;
  return std::nullopt;
}

bool billing(std::string_view code, std::string_view type) {
  return code == "insufficient_quota" || type == "insufficient_quota" ||
         code.starts_with("billing_");
}

constexpr std::string_view billing_note =
    " (billing: the account's quota or credit is used up; check its plan and billing details)";

errc code_from_status(int s) {
  if (s == 401) return errc::unauthenticated;
  if (s == 403) return errc::permission_denied;
  if (s == 404) return errc::not_found;
  if (s == 408 || s == 504) return errc::deadline_exceeded;
  if (s == 429 || s == 402) return errc::resource_exhausted;  // 402: OpenRouter out of credit
  if (s >= 500) return errc::unavailable;
  if (s >= 400) return errc::invalid_argument;
  return errc::unavailable;  // an error inside a 200 stream: the server gave up mid-answer
}

class openai_completions_transport final : public transport {
 public:
  [[nodiscard]] std::string_view api() const noexcept override { return "openai-completions"; }

  [[nodiscard]] result<http_request> build_request(const call_spec& call) const override {
    return build_openai_completions_request(call);
  }

  [[nodiscard]] std::unique_ptr<stream_decoder> make_decoder(const call_spec& call,
                                                             stream_builder& out) const override {
    return make_openai_completions_decoder(out, call.api_key);
  }

  [[nodiscard]] error classify_error(const http_head& head, std::string_view body) const override {
    error e = transport::classify_error(head, body);
    auto doc = json::parse(body);
    if (!doc || !doc->is_object()) return e;
    const json& err = (*doc)["error"];
    if (!err.is_object()) return e;
    const std::string code = err["code"].is_string() ? err["code"].as_string() : std::string();
    const std::string type = err.string_or("type");
    if (auto c = code_from_openai(code, type, e.provider_message)) e.code = *c;
    if (billing(code, type)) e.message += billing_note;
    return e;
  }
};

}  // namespace

error openai_error_from(const json& error_object, int http_status) {
  std::string said;
  std::string code;
  std::string type;
  int status = http_status;
  if (error_object.is_string()) {
    said = error_object.as_string();
  } else {
    said = error_object.string_or("message");
    type = error_object.string_or("type");
    const json& c = error_object["code"];
    if (c.is_string()) code = c.as_string();
    // OpenRouter reports the upstream HTTP status as a numeric code inside the stream.
    if (c.is_integer() && status == 0 && c.as_int() >= 400 && c.as_int() < 600)
      status = static_cast<int>(c.as_int());
  }
  error e(code_from_openai(code, type, said).value_or(code_from_status(status)),
          fmt::format("openai-completions: provider error{}: {}",
                      code.empty() ? std::string() : fmt::format(" ({})", code),
                      said.empty() ? "no message" : said));
  if (billing(code, type)) e.message += billing_note;
  e.http_status = http_status;
  e.provider_message = said;
  return e;
}

std::shared_ptr<const transport> make_openai_completions_transport() {
  static const auto instance = std::make_shared<const openai_completions_transport>();
  return instance;
}

}  // namespace durar::detail
