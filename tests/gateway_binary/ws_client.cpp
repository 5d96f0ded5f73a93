#include "ws_client.hpp"

#include <stdexcept>

namespace durar::test {

std::uint16_t ws_frame::close_code() const {
  if (payload.size() < 2) return 1005;
  return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                    static_cast<unsigned char>(payload[1]));
}

ws_client::ws_client(std::uint16_t port) : tcp(port) {
  tcp.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  if (!tcp.read_until("\r\n\r\n") || tcp.received.rfind("HTTP/1.1 101", 0) != 0)
    throw std::runtime_error("no WebSocket upgrade: " + tcp.received);
  tcp.received.erase(0, tcp.received.find("\r\n\r\n") + 4);
  auto c = wait_json([](const json& j) { return j.string_or("event") == "connect.challenge"; });
  if (!c) throw std::runtime_error("no connect.challenge");
  challenge = *c;
}

void ws_client::send_frame(std::uint8_t opcode, const std::string& payload, bool masked,
                           std::uint8_t first_byte_extra) {
  std::string f;
  f += static_cast<char>(first_byte_extra | opcode);
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() < 65536) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  tcp.send(f);
}

std::optional<ws_frame> ws_client::next_frame(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto left = [&] {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return d.count() > 0 ? d : std::chrono::milliseconds(0);
  };
  if (!tcp.read_at_least(2, left())) return std::nullopt;
  const auto b0 = static_cast<unsigned char>(tcp.received[0]);
  const auto b1 = static_cast<unsigned char>(tcp.received[1]);
  std::uint64_t len = b1 & 0x7f;
  const std::size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
  // Servers do not mask, but a masked frame is still read right.
  const std::size_t header = 2 + ext + ((b1 & 0x80) ? 4 : 0);
  if (!tcp.read_at_least(header, left())) return std::nullopt;
  if (ext > 0) {
    len = 0;
    for (std::size_t i = 0; i < ext; ++i)
      len = (len << 8) | static_cast<unsigned char>(tcp.received[2 + i]);
  }
  if (!tcp.read_at_least(header + len, left())) return std::nullopt;
  ws_frame f;
  f.fin = (b0 & 0x80) != 0;
  f.opcode = b0 & 0x0f;
  f.payload = tcp.received.substr(header, len);
  if (b1 & 0x80) {
    const std::string key = tcp.received.substr(header - 4, 4);
    for (std::size_t i = 0; i < f.payload.size(); ++i) f.payload[i] ^= key[i % 4];
  }
  tcp.received.erase(0, header + len);
  return f;
}

std::optional<json> ws_client::response(const std::string& id, std::chrono::milliseconds limit) {
  return wait_json(
      [&](const json& j) { return j.string_or("type") == "res" && j.string_or("id") == id; },
      limit);
}

bool ws_client::handshake(const std::string& token) {
  send_json(
      json::object({{"type", "req"},
                    {"id", "c1"},
                    {"method", "connect"},
                    {"params", json::object({{"minProtocol", 3},
                                             {"maxProtocol", 3},
                                             {"client", json::object({{"id", "gateway-binary-test"},
                                                                      {"version", "1"},
                                                                      {"platform", "linux"},
                                                                      {"mode", "test"}})},
                                             {"role", "operator"},
                                             {"auth", json::object({{"token", token}})}})}}));
  auto r = response("c1");
  return r && (*r)["ok"] == json(true) && (*r)["payload"].string_or("type") == "hello-ok";
}

std::optional<std::uint16_t> ws_client::wait_close(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = next_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!f) break;
    if (f->opcode != 8) continue;
    last_close = f->close_code();
    send_frame(8, f->payload.substr(0, 2));
    break;
  }
  // As RFC 6455 asks: the server closes TCP first, then the client.
  if (last_close)
    tcp.wait_closed(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
  tcp.close();
  return last_close;
}

}  // namespace durar::test
