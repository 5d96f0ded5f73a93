// openai-responses, private: the request builder and the stream decoder live in two files.
#pragma once

#include <durar/provider.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace durar::detail {

result<http_request> build_openai_responses_request(const call_spec& call);
// Applies the model's `params` (service tier, fast mode, text verbosity, parallel tool calls,
// cache retention, server compaction) to a built body.
void apply_responses_params(json& body, const call_spec& call);
std::unique_ptr<stream_decoder> make_openai_responses_decoder(stream_builder& out);

// Tool-call ids are "call_id|item_id" (the original's transcript form): Responses needs both.
std::string responses_tool_call_id(std::string_view call_id, std::string_view item_id);
// A text block's signature: {"v":1,"id":"msg_...","phase":"..."}, as the original writes it.
std::string responses_text_signature(std::string_view item_id, std::string_view phase);

}  // namespace durar::detail
