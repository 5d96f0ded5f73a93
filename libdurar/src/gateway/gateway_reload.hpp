// The gateway's side of config hot reload: it watches the config file (and <state>/.env),
// asks the runtime to reload after each burst of changes, logs what happened, and swaps its
// own auth and browser origin list when gateway.auth or gateway.controlUi.allowedOrigins
// changed. Restarts are the host's: the runtime's reload listeners hear them (see
// runtime::on_reload).
#pragma once

#include <durar/result.hpp>

#include "config_watch.hpp"
#include "gateway_state.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace durar::gateway_detail {

// The auth a gateway on `bind_host`:`port` uses under `cfg`: the configured token or password
// (DURAR_GATEWAY_TOKEN / DURAR_GATEWAY_PASSWORD first), else on loopback the token kept in
// <state>/gateway.token (made when missing: `token_created`). Fails when the mode lacks its
// secret, names an unknown mode, or would leave a non-loopback address without auth.
result<auth_settings> resolve_gateway_auth(const config& cfg, const std::string& bind_host,
                                           std::uint16_t port, bool& token_created);

// gateway.controlUi.allowedOrigins: the browser origins (besides loopback ones, always
// allowed) whose WebSockets the gateway takes; "*" takes any. Read at start and on reload.
std::vector<std::string> allowed_origins_of(const config& cfg);

class gateway_reloader {
 public:
  // Logs through state.log, under gateway/reload.
  explicit gateway_reloader(gateway_state& state);
  ~gateway_reloader();
  gateway_reloader(const gateway_reloader&) = delete;
  gateway_reloader& operator=(const gateway_reloader&) = delete;

  // Starts watching, unless gateway.reload.mode is off.
  void start();
  // Stops watching (the gateway is shutting down); changes from now on are not looked at.
  void stop();
  // Reloads now, as a change of the file would (what the watcher calls).
  void reload_now();

 private:
  void heard(const reload_report& report);  // applied or restart, from any reload

  void log(log_level level, std::string_view line) const;

  gateway_state& state_;
  std::unique_ptr<file_watch> watch_;
  std::uint64_t hook_ = 0;
  bool stopped_ = false;
};

}  // namespace durar::gateway_detail
