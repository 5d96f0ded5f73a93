// ollama, private: the request builder and the NDJSON decoder live in two files.
#pragma once

#include <durar/error.hpp>
#include <durar/provider.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace durar::detail {

result<http_request> build_ollama_request(const call_spec& call);
std::unique_ptr<stream_decoder> make_ollama_decoder(const call_spec& call, stream_builder& out);

// The host root an Ollama base URL names: trailing slashes and a "/v1" (the OpenAI-compatible
// form users often paste) removed; the local default when empty.
std::string ollama_api_base(std::string_view base_url);

// "ollama/llama3.3" in a ref is "llama3.3" on the wire.
std::string ollama_wire_model_id(std::string_view provider_id, std::string_view model_id);

// Ollama reports errors as bare text ({"error":"..."}); this reads a code from it.
errc classify_ollama_error(std::string_view text);

}  // namespace durar::detail
