// gateway.bind tailnet: which of the machine's addresses is its Tailscale one.
#include <catch2/catch.hpp>

#include "gateway/tailnet.hpp"

using durar::gateway_detail::pick_tailnet_address;

TEST_CASE("tailnet: the IPv4 address in 100.64.0.0/10 wins", "[gateway][tailnet]") {
  CHECK(pick_tailnet_address({"127.0.0.1", "192.168.1.20", "fd7a:115c:a1e0::1", "100.101.7.3"}) ==
        "100.101.7.3");
  CHECK(pick_tailnet_address({"100.64.0.1"}) == "100.64.0.1");
  CHECK(pick_tailnet_address({"100.127.255.254"}) == "100.127.255.254");
}

TEST_CASE("tailnet: neighbours of the range are not it", "[gateway][tailnet]") {
  CHECK(pick_tailnet_address({"100.63.255.255", "100.128.0.1", "10.0.0.1", "::1"}).empty());
  CHECK(pick_tailnet_address({}).empty());
  CHECK(pick_tailnet_address({"not an address", "100.64"}).empty());
}

TEST_CASE("tailnet: the IPv6 address when there is no IPv4 one", "[gateway][tailnet]") {
  CHECK(pick_tailnet_address({"fe80::1", "fd7a:115c:a1e0:ab12:4843:cd96:6258:b240"}) ==
        "fd7a:115c:a1e0:ab12:4843:cd96:6258:b240");
  CHECK(pick_tailnet_address({"fd7a:115c:a1e1::1"}).empty());
}

TEST_CASE("tailnet: this machine's address, or an error saying what was looked for",
          "[gateway][tailnet]") {
  auto found = durar::gateway_detail::tailnet_address();
  if (found) {
    CHECK(pick_tailnet_address({*found}) == *found);  // on a machine running Tailscale
  } else {
    CHECK(found.error().code == durar::errc::not_found);
    CHECK_THAT(found.error().message, Catch::Matchers::Contains("100.64.0.0/10") &&
                                          Catch::Matchers::Contains("tailscale up"));
  }
}
