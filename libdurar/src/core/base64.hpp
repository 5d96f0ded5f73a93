// Base64 (RFC 4648, standard alphabet, padded): images to the wire, embeddings as
// base64 float32, WebSocket accept keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace durar::detail {

std::string base64_encode(std::string_view bytes);
// nullopt on characters outside the alphabet or bad padding; whitespace is not allowed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace durar::detail
