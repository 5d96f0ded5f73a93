// Which hosts and addresses web_fetch refuses unless private fetches are allowed.
#include "tools/web_fetch.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace durar::detail {
namespace {

struct v4_range {
  std::uint32_t base;
  int bits;
};

constexpr std::uint32_t v4(int a, int b, int c, int d) {
  return (static_cast<std::uint32_t>(a) << 24) | (static_cast<std::uint32_t>(b) << 16) |
         (static_cast<std::uint32_t>(c) << 8) | static_cast<std::uint32_t>(d);
}

constexpr std::array<v4_range, 15> blocked_v4 = {{
    {v4(0, 0, 0, 0), 8},        // "this network", unspecified
    {v4(10, 0, 0, 0), 8},       // RFC 1918
    {v4(100, 64, 0, 0), 10},    // carrier-grade NAT
    {v4(127, 0, 0, 0), 8},      // loopback
    {v4(169, 254, 0, 0), 16},   // link-local (cloud metadata lives here)
    {v4(172, 16, 0, 0), 12},    // RFC 1918
    {v4(192, 0, 0, 0), 24},     // IETF protocol assignments
    {v4(192, 0, 2, 0), 24},     // documentation
    {v4(192, 88, 99, 0), 24},   // 6to4 relay anycast
    {v4(192, 168, 0, 0), 16},   // RFC 1918
    {v4(198, 18, 0, 0), 15},    // benchmarking
    {v4(198, 51, 100, 0), 24},  // documentation
    {v4(203, 0, 113, 0), 24},   // documentation
    {v4(224, 0, 0, 0), 4},      // multicast
    {v4(240, 0, 0, 0), 4},      // reserved, broadcast
}};

bool private_v4(std::uint32_t a) {
  for (const auto& r : blocked_v4) {
    const std::uint32_t mask = r.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - r.bits);
    if ((a & mask) == r.base) return true;
  }
  return false;
}

std::uint32_t v4_at(const asio::ip::address_v6::bytes_type& b, std::size_t i) {
  return (static_cast<std::uint32_t>(b[i]) << 24) | (static_cast<std::uint32_t>(b[i + 1]) << 16) |
         (static_cast<std::uint32_t>(b[i + 2]) << 8) | static_cast<std::uint32_t>(b[i + 3]);
}

bool private_v6(const asio::ip::address_v6& address) {
  const auto b = address.to_bytes();
  auto zero = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  // ::a.b.c.d (compatible, and :: and ::1) and ::ffff:a.b.c.d (mapped).
  if (zero(0, 10) && ((b[10] == 0 && b[11] == 0) || (b[10] == 0xff && b[11] == 0xff)))
    return private_v4(v4_at(b, 12));
  // NAT64 64:ff9b::/96 carries an IPv4 address at the end.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12))
    return private_v4(v4_at(b, 12));
  // Only global unicast (2000::/3) is public; the rest is reserved, local or multicast.
  if ((b[0] & 0xE0) != 0x20) return true;
  if (b[0] == 0x20 && b[1] == 0x02) return private_v4(v4_at(b, 2));  // 6to4
  if (b[0] == 0x20 && b[1] == 0x01) {
    if (b[2] == 0x00 && b[3] == 0x00)  // Teredo: the client's address, inverted
      return private_v4(~v4_at(b, 12));
    if (b[2] == 0x0d && b[3] == 0xb8) return true;           // documentation
    if (b[2] == 0x00 && (b[3] & 0xE0) == 0x00) return true;  // IETF assignments (orchid..)
    if (b[2] == 0x00 && b[3] == 0x02 && b[4] == 0 && b[5] == 0) return true;  // benchmarking
  }
  return false;
}

}  // namespace

bool is_private_address(const asio::ip::address& address) {
  if (address.is_v4()) return private_v4(address.to_v4().to_uint());
  return private_v6(address.to_v6());
}

bool is_private_hostname(std::string_view host) {
  std::string h;
  for (char c : host) h += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  while (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty()) return true;
  if (h == "localhost" || h == "localhost.localdomain") return true;
  for (std::string_view suffix : {".localhost", ".local", ".internal"})
    if (h.size() > suffix.size() && h.ends_with(suffix)) return true;
  return false;
}

}  // namespace durar::detail
