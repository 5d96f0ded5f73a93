// web_fetch's address guard, and the tool with it replaceable (tests serve from 127.0.0.1).
#pragma once

#include <durar/tools.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>

#include <functional>
#include <memory>
#include <string_view>

namespace durar::detail {

// Loopback, unspecified, RFC 1918, carrier-grade NAT, link-local, ULA, site-local, multicast,
// broadcast, benchmarking, documentation and other reserved ranges, and IPv6 forms that
// embed such an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo).
bool is_private_address(const asio::ip::address& address);

// localhost and names under .localhost, .local and .internal (cloud metadata hosts).
bool is_private_hostname(std::string_view host);

// What web_fetch may connect to when allow_private is off.
struct web_fetch_guard {
  std::function<bool(std::string_view host)> host_allowed;        // default: not private
  std::function<bool(const asio::ip::address&)> address_allowed;  // default: not private
};

std::shared_ptr<tool> make_web_fetch_tool(asio::io_context& io, web_fetch_options options,
                                          web_fetch_guard guard);

}  // namespace durar::detail
