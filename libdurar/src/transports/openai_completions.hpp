// openai-completions, private: the request builder and the stream decoder live in two files.
#pragma once

#include <durar/provider.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace durar::detail {

// What the endpoint accepts. Defaults come from the base URL (native api.openai.com vs any
// other host, "proxy-style"); the model's `compat` object (the original's keys) overrides.
struct openai_compat {
  bool native = false;                   // host is api.openai.com
  bool supports_store = false;           // store: false
  bool supports_developer_role = false;  // system prompt as "developer" for reasoning models
  bool supports_reasoning_effort = true;
  bool supports_usage_in_streaming = true;  // stream_options.include_usage
  bool supports_prompt_cache_key = false;
  bool max_tokens_field = true;  // "max_tokens" rather than "max_completion_tokens"
  bool requires_tool_result_name = false;
  bool requires_thinking_as_text = false;
  bool requires_reasoning_content = false;  // reasoning_content on every assistant message
  bool requires_string_content = false;     // user content flattened to a string
  bool openrouter_reasoning = false;        // reasoning: {effort} instead of reasoning_effort
  bool mistral_tool_ids = false;            // tool-call ids of exactly 9 [A-Za-z0-9]
};
openai_compat resolve_openai_compat(const model_info& model, const provider_info& provider);

// A tool-call id OpenAI accepts (1-40 of [A-Za-z0-9_-]); valid ids pass unchanged, others map
// deterministically (a readable prefix plus a hash), so a call and its result stay paired.
std::string openai_tool_call_id(std::string_view id);

// Mistral accepts only 9-character alphanumeric tool-call ids. One mapper per request: an id
// keeps its alphanumerics when there are exactly 9, else becomes a 9-character hash, and two
// ids never share a result.
class mistral_tool_ids {
 public:
  std::string operator()(const std::string& id);

 private:
  std::map<std::string, std::string, std::less<>> ids_;     // original -> sent
  std::map<std::string, std::string, std::less<>> owners_;  // sent -> original
};

// POST <base>/chat/completions with a streaming body.
result<http_request> build_openai_completions_request(const call_spec& call);

// Decodes an SSE stream of chat.completion.chunk objects, or one whole chat.completion JSON
// body, into `out`. `key` (may be null) is scrubbed from any vendor text that reaches an error.
std::unique_ptr<stream_decoder> make_openai_completions_decoder(stream_builder& out,
                                                                const secret* key);

// An error from an OpenAI error object ({"error":{"message","type","code"}}), from a non-2xx
// body (status set) or from inside a stream (status 0).
error openai_error_from(const json& error_object, int http_status);

}  // namespace durar::detail
