// WebSocket frames from a client (RFC 6455, decoded by wslay) into the gateway's ws_session,
// in chunks split at fuzzer-chosen points. Input: [split seed][bytes after the 101...].
// Invariants: nothing crashes; every message handed to the handler is valid UTF-8 and within
// the message limit.
#include "gateway/http_connection.hpp"
#include "gateway/ws_connection.hpp"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace durar::gateway_detail;

constexpr std::size_t max_message = 64 * 1024;

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static asio::io_context io;
  http_server_options options;
  options.max_ws_message_bytes = max_message;
  ws_handlers handlers;
  handlers.on_text = [](const std::shared_ptr<ws_connection>& ws, std::string text) {
    if (!valid_utf8(text) || text.size() > max_message) std::abort();
    ws->send_text(std::move(text));  // the echo path, as the control server answers
  };
  auto shared = std::make_shared<server_shared>(io, options, nullptr, handlers);
  http_request upgrade;
  upgrade.method = "GET";
  upgrade.path = "/";
  auto session = std::make_shared<ws_session>(shared, std::weak_ptr<http_connection>(), 1, upgrade);

  std::uint32_t seed = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  session->start({});
  if (seed == 0) {
    session->on_bytes(bytes);
  } else {
    while (!bytes.empty()) {
      seed = seed * 1103515245u + 12345u;
      const std::size_t n = 1 + (seed >> 16) % 32;
      auto chunk = bytes.substr(0, n);
      bytes.remove_prefix(chunk.size());
      session->on_bytes(chunk);
    }
  }
  session->transport_closed();
  return 0;
}
