#include "ws_handshake.hpp"

#include "core/base64.hpp"

#include <array>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <random>

namespace durar::gateway_detail {

std::string websocket_accept(std::string_view client_key) {
  std::string input(client_key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  return detail::base64_encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string websocket_key() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    std::random_device rd;  // the key only needs to be unpredictable enough to not be cached
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  }
  return detail::base64_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace durar::gateway_detail
