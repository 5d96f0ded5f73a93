#include "control_connect.hpp"

#include <algorithm>
#include <cctype>

namespace durar::gateway_detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// The host of an Origin value ("http://127.0.0.1:5173" -> "127.0.0.1", "http://[::1]" ->
// "::1"); "" when it is not scheme://host[:port].
std::string origin_host(std::string_view origin) {
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = origin.substr(scheme_end + 3);
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    return close == std::string_view::npos ? std::string() : lower(rest.substr(1, close - 1));
  }
  if (auto colon = rest.find(':'); colon != std::string_view::npos) rest = rest.substr(0, colon);
  return lower(rest);
}

bool loopback_host(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost") || host == "::1") return true;
  // 127.0.0.0/8, written as a dotted quad.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char ch : host) {
    if (ch == '.')
      ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(ch)))
      return false;
  }
  return dots == 3;
}

std::string auth_detail_code(const std::string& mode, auth_outcome o) {
  std::string what = mode == "password" ? "PASSWORD" : "TOKEN";
  switch (o) {
    case auth_outcome::missing:
      return "AUTH_" + what + "_MISSING";
    case auth_outcome::throttled:
      return "AUTH_RATE_LIMITED";
    default:
      return "AUTH_" + what + "_MISMATCH";
  }
}

connect_refusal invalid_handshake(std::string message) {
  return {invalid_request(std::move(message)), close_policy, "invalid handshake"};
}

}  // namespace

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed) {
  std::string o = lower(origin);
  while (!o.empty() && o.back() == '/') o.pop_back();
  for (const auto& a : allowed) {
    std::string want = lower(a);
    while (!want.empty() && want.back() == '/') want.pop_back();
    if (want == "*" || want == o) return true;
  }
  return loopback_host(origin_host(o));
}

std::variant<connect_grant, connect_refusal> admit_connect(const control_request& req,
                                                           gateway_auth& auth,
                                                           const std::string& remote) {
  const json& p = req.params;
  param_reader r(p, "connect");
  auto min_protocol = r.integer("minProtocol", 1, 1'000'000);
  auto max_protocol = r.integer("maxProtocol", 1, 1'000'000);
  std::string role = r.string("role");
  if (r.ok() && (!min_protocol || !max_protocol))
    return invalid_handshake("invalid connect params: minProtocol and maxProtocol are required");
  const json& client = p["client"];
  const json& secrets = p["auth"];
  const json& scopes = p["scopes"];
  if (r.ok() && !client.is_null() && !client.is_object())
    return invalid_handshake("invalid connect params: client must be an object");
  if (r.ok() && !secrets.is_null() && !secrets.is_object())
    return invalid_handshake("invalid connect params: auth must be an object");
  if (r.ok() && !scopes.is_null() && !scopes.is_array())
    return invalid_handshake("invalid connect params: scopes must be an array");
  if (!r.ok()) return connect_refusal{r.error(), close_policy, "invalid handshake"};

  std::int64_t lo = std::max<std::int64_t>(*min_protocol, control_protocol_min);
  std::int64_t hi = std::min<std::int64_t>(*max_protocol, control_protocol_max);
  if (lo > hi) {
    return connect_refusal{invalid_request("protocol mismatch",
                                           json::object({{"code", "PROTOCOL_MISMATCH"},
                                                         {"expectedProtocol", control_protocol_min},
                                                         {"minProtocol", control_protocol_min},
                                                         {"maxProtocol", control_protocol_max}})),
                           close_protocol, "protocol mismatch"};
  }

  std::string presented =
      auth.mode() == "password" ? secrets.string_or("password") : secrets.string_or("token");
  auth_outcome outcome = auth.check(presented, remote);
  if (outcome != auth_outcome::ok) {
    control_error e = invalid_request(
        auth.message(outcome), json::object({{"code", auth_detail_code(auth.mode(), outcome)}}));
    if (outcome == auth_outcome::throttled) {
      e.retryable = true;
      e.retry_after_ms = auth.lockout_left(remote).count();
    }
    return connect_refusal{std::move(e), close_policy, "unauthorized", true};
  }

  if (role.empty()) role = "operator";
  if (role != "operator")
    return connect_refusal{invalid_request("unsupported role: " + role), close_policy,
                           "unsupported role"};

  connect_grant g;
  g.protocol = static_cast<int>(lo);  // 3 whenever the client speaks it: what we speak
  g.role = role;
  if (scopes.is_array()) {
    for (const auto& s : scopes.as_array())
      if (s.is_string() &&
          std::find(g.scopes.begin(), g.scopes.end(), s.as_string()) == g.scopes.end())
        g.scopes.push_back(s.as_string());
  } else {
    // A client holding the shared secret that asks for nothing in particular is the owner.
    g.scopes = {"operator.admin", "operator.read", "operator.write"};
  }
  g.client = client.is_object() ? client : json::object();
  return g;
}

}  // namespace durar::gateway_detail
