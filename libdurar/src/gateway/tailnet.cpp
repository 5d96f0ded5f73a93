// Finding the Tailscale address among the interfaces' addresses (getifaddrs).
#include "tailnet.hpp"

#include <asio/ip/address.hpp>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

namespace durar::gateway_detail {

namespace {

bool in_tailnet(const asio::ip::address& a) {
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return b[0] == 100 && (b[1] & 0xC0) == 64;  // 100.64.0.0/10 (carrier-grade NAT space)
  }
  auto b = a.to_v6().to_bytes();
  return b[0] == 0xfd && b[1] == 0x7a && b[2] == 0x11 && b[3] == 0x5c && b[4] == 0xa1 &&
         b[5] == 0xe0;  // fd7a:115c:a1e0::/48
}

}  // namespace

std::string pick_tailnet_address(const std::vector<std::string>& candidates) {
  std::string v6;
  for (const auto& text : candidates) {
    std::error_code ec;
    auto a = asio::ip::make_address(text, ec);
    if (ec || !in_tailnet(a)) continue;
    if (a.is_v4()) return a.to_string();
    if (v6.empty()) v6 = a.to_string();
  }
  return v6;
}

result<std::string> tailnet_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return fail(errc::unavailable, "gateway.bind tailnet: cannot list network interfaces");
  std::vector<std::string> found;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) found.emplace_back(text);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text)) found.emplace_back(text);
    }
  }
  ::freeifaddrs(list);
  std::string pick = pick_tailnet_address(found);
  if (pick.empty())
    return fail(errc::not_found,
                "gateway.bind tailnet: no Tailscale address (100.64.0.0/10 or fd7a:115c:a1e0::/48) "
                "on this machine; is tailscale up? Use loopback, lan or custom otherwise");
  return pick;
}

}  // namespace durar::gateway_detail
