// The gateway's HTTP side: auth, health, the OpenAI-compatible API and /tools/invoke,
// routed by method and path. Errors are OpenAI's error JSON with the right status.
#pragma once

#include "gateway_state.hpp"
#include "http_types.hpp"

namespace durar::gateway_detail {

// The handler the http_server calls for every plain HTTP request.
http_handler make_http_routes(gateway_state& state);

}  // namespace durar::gateway_detail
