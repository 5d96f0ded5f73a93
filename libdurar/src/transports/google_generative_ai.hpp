// google-generative-ai: request building, stream decoding and tool-schema conversion.
#pragma once

#include <durar/provider.hpp>

#include <memory>
#include <string_view>

namespace durar::detail {

// POST <base>/models/<id>:streamGenerateContent?alt=sse with a GenerateContentRequest.
result<http_request> build_google_request(const call_spec& call);

// Decodes SSE GenerateContentResponse chunks (or a JSON array/object of them) into `out`.
std::unique_ptr<stream_decoder> make_google_decoder(stream_builder& out);

// An error from a Google error body ({"error":{"code","message","status","details"}}).
error classify_google_error(int http_status, std::string_view body);

// A tool's JSON Schema as a Gemini `Schema`: unsupported keywords dropped, $ref inlined,
// unions flattened, types in the API's upper-case enum. Null when the tool takes no arguments.
json gemini_parameters(const json& json_schema);

}  // namespace durar::detail
