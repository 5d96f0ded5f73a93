// What every gateway handler shares: the runtime, the resolved settings, auth, and the
// registry of running turns. One per gateway, used on the io_context thread only.
#pragma once

#include <durar/runtime.hpp>
#include <durar/secret.hpp>

#include "gateway_auth.hpp"
#include "gateway_log.hpp"
#include "run_registry.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace durar::gateway_detail {

// gateway.* from the config, after the command line and the environment had their say.
struct gateway_settings {
  std::string bind_host = "127.0.0.1";
  std::uint16_t port = 18789;
  auth_settings auth;
  std::vector<std::string> allowed_origins;  // browser WebSockets; loopback origins always
  std::vector<std::string> http_tool_allow;  // gateway.tools.allow: tools /tools/invoke may run
  std::chrono::milliseconds tick_interval{30'000};
};

struct gateway_state {
  asio::io_context& io;
  runtime& rt;
  gateway_settings settings;
  gateway_auth auth;
  run_registry runs;
  gateway_log log;  // none unless the host gave a logger or a line callback
  // Set by gateway::shutdown(): new requests and runs are refused (HTTP 503, control
  // UNAVAILABLE) while the runs in flight finish.
  bool draining = false;
  std::optional<std::chrono::milliseconds> restart_expected;  // when draining for a restart
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point started_wall = std::chrono::system_clock::now();

  gateway_state(asio::io_context& ctx, runtime& r, gateway_settings s)
      : io(ctx), rt(r), settings(std::move(s)), auth(settings.auth), runs(ctx, r, &log) {}
  [[nodiscard]] std::int64_t uptime_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  }
};

}  // namespace durar::gateway_detail
