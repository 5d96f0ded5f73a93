// anthropic-messages: the request builder and the stream decoder, split along the HTTP seam.
#pragma once

#include <durar/provider.hpp>

#include <memory>
#include <string_view>

namespace durar::detail {

// POST <base>/v1/messages with a streaming Messages API body.
result<http_request> build_anthropic_request(const call_spec& call);

// Decodes an SSE stream or a whole JSON message body into `out`.
std::unique_ptr<stream_decoder> make_anthropic_decoder(stream_builder& out);

// An error from an Anthropic error object ({"type":"error","error":{"type","message"}}),
// a non-2xx body or a mid-stream `error` event (status 0).
error classify_anthropic_error(int http_status, std::string_view body);

}  // namespace durar::detail
