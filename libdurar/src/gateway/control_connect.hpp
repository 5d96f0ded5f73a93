// Who may open the control socket and what a connect frame grants: the Origin check of the
// WebSocket upgrade, and the validation of the first frame (protocol range, the shared
// secret, role, scopes). The server applies the outcome; nothing here touches a connection.
#pragma once

#include <durar/json.hpp>

#include "control_frames.hpp"
#include "gateway_auth.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace durar::gateway_detail {

inline constexpr std::uint16_t close_policy = 1008;  // invalid handshake, unauthorized
inline constexpr std::uint16_t close_protocol = 1002;

// Browsers send Origin on WebSocket upgrades; other clients (the CLI, node's ws) do not.
// A page may reach the gateway only from a loopback origin or one the config allows
// (gateway.controlUi.allowedOrigins, "*" for any), so a random web page or a DNS-rebound
// name cannot drive a local gateway.
bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed);

// What an accepted connect gives the connection.
struct connect_grant {
  int protocol = control_protocol_min;  // the highest both sides speak
  std::string role;
  std::vector<std::string> scopes;
  json client;  // connect.params.client, an object
};

// Why a connect was refused: the error frame to send, then the close code and reason.
struct connect_refusal {
  control_error error;
  std::uint16_t close_code = close_policy;
  std::string reason;
  bool auth_failure = false;  // logged under the auth subsystem
};

// Decides a first frame's connect request from `remote`. The protocol is checked before
// the secret, so a client learns it is too old or too new without a strike against its
// address; a wrong secret counts towards `auth`'s throttling.
std::variant<connect_grant, connect_refusal> admit_connect(const control_request& req,
                                                           gateway_auth& auth,
                                                           const std::string& remote);

}  // namespace durar::gateway_detail
