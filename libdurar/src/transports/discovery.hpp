// Local-server discovery, pure: the listing request for a local provider and its answer
// turned into catalog entries. The HTTP engine sends the request; `durar models list` and
// the catalog use the result.
#pragma once

#include <durar/catalog.hpp>
#include <durar/provider.hpp>

#include <string_view>
#include <vector>

namespace durar::detail {

// What the original assumes for a discovered model it knows nothing more about.
inline constexpr std::int64_t discovered_context_window = 128000;
inline constexpr std::int64_t discovered_max_tokens = 8192;

// GET {host}/api/tags for ollama; GET {baseUrl}/models for OpenAI-compatible servers (vLLM,
// SGLang, LM Studio, LiteLLM). Bearer auth only when a key is given.
http_request build_listing_request(const provider_info& provider, const secret* api_key);

// The models a listing body names, as catalog entries of `provider` (ids, names, api;
// reasoning and image input from Ollama capabilities when listed, else guessed from the id;
// vLLM's max_model_len as the context window). Not JSON or not a listing: protocol_error.
result<std::vector<model_info>> parse_listing(const provider_info& provider, std::string_view body);

// Ollama's per-model details: POST {host}/api/show {"model": id}.
http_request build_ollama_show_request(const provider_info& provider, std::string_view model_id,
                                       const secret* api_key);
// Applies /api/show's context length (model_info "*.context_length", or a larger num_ctx
// parameter) and capabilities (thinking, vision) to a discovered model.
result<void> apply_ollama_show(model_info& model, std::string_view body);

}  // namespace durar::detail
