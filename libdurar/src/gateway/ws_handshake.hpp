// The WebSocket opening handshake's key arithmetic (RFC 6455 §4.2.2), shared by the
// server and the gateway client.
#pragma once

#include <string>
#include <string_view>

namespace durar::gateway_detail {

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")): Sec-WebSocket-Accept.
std::string websocket_accept(std::string_view client_key);
// A fresh random Sec-WebSocket-Key (16 random bytes, base64).
std::string websocket_key();

}  // namespace durar::gateway_detail
