// Talking to a running gateway from the CLI: where it is (the same port precedence as the
// server) and which secret to present (the same config and environment).
#pragma once

#include <durar/gateway.hpp>

#include "context.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace durar::cli {

// The config for commands that need only the state dir and what a running gateway keeps
// there (gateway.json, gateway.token, logs/): when the config has errors, one warning line
// on stderr and the defaults on the same paths with the same environment (.env files
// included), so that they still work beside a gateway that serves the config it loaded
// before the file broke.
result<config> config_or_defaults(const context& ctx);

// Client options for this config: ws://127.0.0.1:<port>, token/password from
// DURAR_GATEWAY_TOKEN/PASSWORD or gateway.auth.*; --url and --token flags win.
result<gateway_client_options> gateway_target(const context& ctx, const parsed_args& args);

// Connects (handshake included) to the gateway the config points at.
result<std::unique_ptr<gateway_client>> connect_gateway(const context& ctx,
                                                        const parsed_args& args);

// A connection to the gateway that serves this config's state dir, with the options that
// made it (to open a second one). nullopt when nothing answers within `wait`, or when what
// answers keeps another state dir (its sessions are not ours): the caller runs in-process.
// An error when this state dir's gateway is running (its gateway.json names a live
// process) but refuses our token or password, or refuses for too many failed attempts:
// running in-process beside it would skip its queue, so the caller stops and says why.
struct running_gateway {
  std::unique_ptr<gateway_client> client;
  gateway_client_options target;
};
result<std::optional<running_gateway>> find_running_gateway(const context& ctx,
                                                            const parsed_args& args,
                                                            std::chrono::milliseconds wait);

// "the gateway at URL refused the token (gateway token mismatch): set ... or use --local",
// for a connect that failed with errc::unauthenticated.
std::string gateway_refusal(const gateway_client_options& target, const error& e);

}  // namespace durar::cli
