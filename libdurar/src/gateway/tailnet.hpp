// gateway.bind "tailnet": the machine's Tailscale address, so the gateway is reachable from
// the user's tailnet and nowhere else.
#pragma once

#include <durar/result.hpp>

#include <string>
#include <vector>

namespace durar::gateway_detail {

// The first address in Tailscale's ranges (IPv4 100.64.0.0/10, IPv6 fd7a:115c:a1e0::/48),
// IPv4 first, from `candidates` (textual addresses); "" when none is.
std::string pick_tailnet_address(const std::vector<std::string>& candidates);

// pick_tailnet_address over this machine's interface addresses; not_found, saying what was
// looked for, when the machine has none (Tailscale not running or not logged in).
result<std::string> tailnet_address();

}  // namespace durar::gateway_detail
