#include "control_server.hpp"

#include <durar/message.hpp>
#include <durar/version.hpp>

#include <fmt/format.h>

#include "control_connect.hpp"
#include "control_internal.hpp"
#include "http_server.hpp"

#include <algorithm>
#include <exception>
#include <unistd.h>

namespace durar::gateway_detail {

namespace {

constexpr std::chrono::seconds handshake_timeout{10};
constexpr std::uint16_t close_too_big = 1009;
constexpr std::uint16_t close_going_away = 1001;
constexpr std::uint16_t close_restart = 1012;

// Events a client may see after the handshake (hello-ok's features.events).
const std::vector<std::string_view> server_events = {"agent", "chat",   "presence",
                                                     "tick",  "health", "shutdown"};

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "gateway";
  return buf;
}

// A client-sent value fit for a log line: control characters shown as '?' (no forged
// lines), cut at `max` bytes.
std::string printable(std::string_view text, std::size_t max = 80) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max; ++i) {
    const auto ch = static_cast<unsigned char>(text[i]);
    out += ch < 0x20 || ch == 0x7f ? '?' : text[i];
  }
  if (text.size() > max) out += "...";
  return out;
}

// "conn 3f2b9c1e from 127.0.0.1": the connection as its lines name it (the id is the one
// hello-ok tells the client, cut short).
std::string who(const control_client& c) {
  return "conn " + c.conn_id.substr(0, 8) + " from " + c.remote;
}

// "durar-cli 0.4.0 (cli)": what connect's `client` says it is, as sent.
std::string client_name(const control_client& c) {
  std::string name = c.client.string_or("displayName", c.client.string_or("id", "unnamed"));
  std::string out = printable(name, 60);
  if (std::string v = c.client.string_or("version"); !v.empty()) out += " " + printable(v, 30);
  if (std::string m = c.client.string_or("mode"); !m.empty()) out += " (" + printable(m, 30) + ")";
  return out;
}

// Answers slower than this are worth a line at info, as the original's gateway logs them;
// `agent` answers when its run ends, which is slow by design.
constexpr std::chrono::milliseconds slow_call{50};

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

}  // namespace

// ---- scopes, calls, the core's sending ------------------------------------------------------

std::string_view to_string(control_scope s) noexcept {
  switch (s) {
    case control_scope::read:
      return "operator.read";
    case control_scope::write:
      return "operator.write";
    case control_scope::admin:
      return "operator.admin";
  }
  return "operator.read";
}

bool control_client::has_scope(control_scope needed) const {
  auto has = [&](control_scope s) {
    return std::find(scopes.begin(), scopes.end(), to_string(s)) != scopes.end();
  };
  switch (needed) {
    case control_scope::read:
      return has(control_scope::read) || has(control_scope::write) || has(control_scope::admin);
    case control_scope::write:
      return has(control_scope::write) || has(control_scope::admin);
    case control_scope::admin:
      return has(control_scope::admin);
  }
  return false;
}

void method_call::ok(const json& payload) const {
  const gateway_log& log = core->state.log;
  const bool slow = method != "agent" && std::chrono::steady_clock::now() - started >= slow_call;
  if (const log_level level = slow ? log_level::info : log_level::debug; log.enabled(level))
    log.log(level, log_subsystem::ws,
            fmt::format("{}: {} ok in {} ms{}", who(*client), method, elapsed_ms(started),
                        slow ? " (slow)" : ""));
  core->send_raw(*client, response_frame(id, payload));
}

void method_call::fail(const control_error& e, const json& payload) const {
  if (const gateway_log& log = core->state.log; log.enabled(log_level::info))
    log.info(log_subsystem::ws,
             fmt::format("{}: {} failed in {} ms: {} {}", who(*client), method, elapsed_ms(started),
                         e.code, printable(e.message, 300)));
  core->send_raw(*client, error_frame(id, e, payload));
}

control_core::control_core(gateway_state& s) : state(s) {}

void control_core::send_raw(control_client& c, std::string frame) {
  if (c.closing) return;
  auto ws = c.ws.lock();
  if (!ws || !ws->open()) return;
  ws->send_text(std::move(frame));
}

void control_core::send_event(control_client& c, std::string_view event, const json& payload,
                              const json& version) {
  if (c.closing || !c.connected) return;
  auto ws = c.ws.lock();
  if (!ws || !ws->open()) return;
  if (state.log.enabled(log_level::trace))
    state.log.log(log_level::trace, log_subsystem::ws,
                  fmt::format("{}: event {} seq {}", who(c), event, c.seq + 1));
  ws->send_text(event_frame(event, payload, ++c.seq, version));
}

void control_core::broadcast(std::string_view event, const json& payload, const json& version) {
  // A send may close a slow client, which may erase it from `clients`: iterate a copy.
  std::vector<std::shared_ptr<control_client>> targets;
  for (auto& [id, c] : clients)
    if (c->connected) targets.push_back(c);
  for (auto& c : targets) send_event(*c, event, payload, version);
}

void control_core::close(control_client& c, std::uint16_t code, std::string reason) {
  if (c.closing) return;
  c.closing = true;
  if (c.handshake_timer) c.handshake_timer->cancel();
  if (auto ws = c.ws.lock()) ws->close(code, std::move(reason));
}

std::size_t control_core::connected_count() const {
  std::size_t n = 0;
  for (const auto& [id, c] : clients) n += c->connected && !c->closing;
  return n;
}

json control_core::state_version() const {
  return json::object({{"presence", presence_version}, {"health", health_version}});
}

json control_core::presence() const {
  json out = json::array();
  out.push_back(json::object({{"host", host_name()},
                              {"version", std::string(durar::version())},
                              {"platform", "linux"},
                              {"mode", "gateway"},
                              {"reason", "self"},
                              {"ts", std::chrono::duration_cast<std::chrono::milliseconds>(
                                         state.started_wall.time_since_epoch())
                                         .count()}}));
  for (const auto& [id, c] : clients) {
    if (!c->connected || c->closing) continue;
    json e = json::object();
    const json& info = c->client;
    std::string host = info.string_or("displayName", info.string_or("id", "client"));
    if (!host.empty()) e.set("host", host);
    if (!c->remote.empty()) e.set("ip", c->remote);
    for (const char* key : {"version", "platform", "mode", "instanceId", "deviceFamily"})
      if (std::string v = info.string_or(key); !v.empty()) e.set(key, v);
    e.set("reason", "connect");
    e.set("ts", c->connected_at);
    e.set("roles", json::array({c->role}));
    json scopes = json::array();
    for (const auto& s : c->scopes) scopes.push_back(s);
    e.set("scopes", std::move(scopes));
    out.push_back(std::move(e));
  }
  return out;
}

// ---- the server ----------------------------------------------------------------------------

struct control_server::impl : control_core {
  using control_core::control_core;

  std::unique_ptr<asio::steady_timer> tick_timer;
  bool ticking = false;
  bool draining = false;  // announce_shutdown() was called
  std::optional<std::int64_t> restart_expected_ms;

  std::shared_ptr<impl> self() { return std::static_pointer_cast<impl>(shared_from_this()); }

  std::optional<int> accept(const http_request& req) const {
    if (stopped || draining) {
      if (state.log.enabled(log_level::debug))
        state.log.debug(log_subsystem::ws,
                        "refused a WebSocket from " + req.remote_address + ": shutting down");
      return 503;
    }
    auto origin = req.header("origin");
    if (!origin) return std::nullopt;
    if (origin_allowed(*origin, state.settings.allowed_origins)) return std::nullopt;
    if (state.log.enabled(log_level::warn))
      state.log.warn(log_subsystem::ws, "refused a WebSocket from " + req.remote_address +
                                            ": origin " + printable(*origin) +
                                            " is not allowed (gateway.controlUi.allowedOrigins)");
    return 403;
  }

  void on_open(const std::shared_ptr<ws_connection>& ws) {
    auto c = std::make_shared<control_client>();
    c->ws = ws;
    c->id = ws->id();
    c->conn_id = control_uuid();
    c->nonce = control_uuid();
    c->remote = ws->upgrade_request().remote_address;
    clients[c->id] = c;
    if (state.log.enabled(log_level::debug))
      state.log.debug(log_subsystem::ws, who(*c) + ": WebSocket open, waiting for connect");
    if (stopped) {
      close(*c, close_going_away, "gateway stopping");
      return;
    }
    send_raw(*c, event_frame("connect.challenge",
                             json::object({{"nonce", c->nonce}, {"ts", now_ms()}}), std::nullopt));
    c->handshake_timer = std::make_unique<asio::steady_timer>(state.io, handshake_timeout);
    std::weak_ptr<control_client> weak = c;
    std::weak_ptr<control_core> core = shared_from_this();
    c->handshake_timer->async_wait([weak, core](std::error_code ec) {
      if (ec) return;
      auto cl = weak.lock();
      auto co = core.lock();
      if (!cl || !co || cl->connected) return;
      co->state.log.info(log_subsystem::ws, who(*cl) +
                                                ": closed, no connect within the "
                                                "handshake timeout");
      co->close(*cl, close_policy, "handshake timeout");
    });
  }

  void on_close(const std::shared_ptr<ws_connection>& ws, std::uint16_t code) {
    auto it = clients.find(ws->id());
    if (it == clients.end()) return;
    auto c = it->second;
    clients.erase(it);
    if (c->connected) {
      if (state.log.enabled(log_level::info))
        state.log.info(log_subsystem::ws, fmt::format("{}: client {} disconnected (close {})",
                                                      who(*c), client_name(*c), code));
    } else if (state.log.enabled(log_level::debug)) {
      state.log.debug(log_subsystem::ws,
                      fmt::format("{}: closed before connect (close {})", who(*c), code));
    }
    c->closing = true;
    if (c->handshake_timer) c->handshake_timer->cancel();
    // Runs the client started keep going; their events reach the remaining clients.
    if (c->connected && !stopped) {
      ++presence_version;
      broadcast("presence", json::object({{"presence", presence()}}), state_version());
    }
    if (connected_count() == 0) stop_ticking();
  }

  void on_text(const std::shared_ptr<ws_connection>& ws, std::string text) {
    auto it = clients.find(ws->id());
    if (it == clients.end()) return;
    auto c = it->second;  // keeps it alive through a close inside
    if (c->closing) return;
    try {
      if (!c->connected) return handshake(c, text);
      auto f = parse_request_frame(text);
      if (!f.request) {
        if (state.log.enabled(log_level::info))
          state.log.info(log_subsystem::ws,
                         who(*c) + ": bad frame: " + printable(f.error.message, 200));
        send_raw(*c, error_frame(f.id.empty() ? "invalid" : f.id, f.error));
        return;
      }
      // Method and id only: params may hold anything, secrets included.
      if (state.log.enabled(log_level::debug))
        state.log.debug(log_subsystem::ws, who(*c) + ": request " + printable(f.request->method) +
                                               " id " + printable(f.request->id));
      dispatch(c, std::move(*f.request));
    } catch (const std::exception& e) {
      // A bug in a handler must not take the gateway down with it.
      control_error err;
      err.code = control_code::unavailable;
      err.message = std::string("internal error: ") + e.what();
      send_raw(*c, error_frame("invalid", err));
    }
  }

  void dispatch(const std::shared_ptr<control_client>& c, control_request req) {
    if (req.method == "connect") {
      send_raw(*c, error_frame(req.id, invalid_request("connect is only valid as the first "
                                                       "request")));
      return;
    }
    if (draining && (req.method == "agent" || req.method == "chat.send")) {
      control_error e;
      e.code = control_code::unavailable;
      e.message = "the gateway is shutting down";
      e.details = json::object({{"code", "SHUTTING_DOWN"}});
      e.retryable = true;
      e.retry_after_ms = restart_expected_ms;
      send_raw(*c, error_frame(req.id, e));
      return;
    }
    auto m = methods.find(req.method);
    if (m == methods.end()) {
      if (state.log.enabled(log_level::info))
        state.log.info(log_subsystem::ws, who(*c) + ": unknown method " + printable(req.method));
      send_raw(*c, error_frame(req.id, invalid_request("unknown method: " + req.method)));
      return;
    }
    if (!c->has_scope(m->second.needs)) {
      if (state.log.enabled(log_level::warn))
        state.log.warn(log_subsystem::auth, who(*c) + ": " + req.method +
                                                " refused, missing scope " +
                                                std::string(to_string(m->second.needs)));
      control_error e;
      e.code = control_code::forbidden;
      e.message = "missing scope: " + std::string(to_string(m->second.needs));
      e.details = json::object(
          {{"code", "MISSING_SCOPE"}, {"missingScope", std::string(to_string(m->second.needs))}});
      send_raw(*c, error_frame(req.id, e));
      return;
    }
    method_call call{shared_from_this(), c, std::move(req.id), std::move(req.method),
                     std::move(req.params)};
    try {
      m->second.handler(call);
    } catch (const std::exception& e) {
      control_error err;
      err.code = control_code::unavailable;
      err.message = std::string("internal error: ") + e.what();
      call.fail(err);
    }
  }

  // Answers the connect with `e` and closes; the line (under `subsystem`) names the reason
  // and, for auth, the outcome's code, never what the client presented.
  void refuse(control_client& c, const std::string& id, const control_error& e, std::uint16_t code,
              std::string reason, std::string_view subsystem = log_subsystem::ws) {
    if (state.log.enabled(log_level::warn)) {
      std::string detail = printable(e.details.string_or("code"));
      state.log.warn(subsystem, fmt::format("{}: connect refused: {}{} (close {})", who(c),
                                            printable(e.message, 200),
                                            detail.empty() ? "" : " [" + detail + "]", code));
    }
    send_raw(c, error_frame(id.empty() ? "invalid" : id, e));
    close(c, code, std::move(reason));
  }

  void handshake(const std::shared_ptr<control_client>& c, std::string_view text) {
    if (text.size() > control_preconnect_max_bytes) {
      state.log.warn(log_subsystem::ws, who(*c) + ": closed, handshake frame too large");
      close(*c, close_too_big, "handshake frame too large");
      return;
    }
    auto f = parse_request_frame(text);
    if (!f.request || f.request->method != "connect")
      return refuse(*c, f.id, invalid_request("invalid handshake: first request must be connect"),
                    close_policy, "invalid handshake");
    const control_request& req = *f.request;
    auto admitted = admit_connect(req, state.auth, c->remote);
    if (auto* no = std::get_if<connect_refusal>(&admitted))
      return refuse(*c, req.id, no->error, no->close_code, no->reason,
                    no->auth_failure ? log_subsystem::auth : log_subsystem::ws);
    auto& grant = std::get<connect_grant>(admitted);
    c->protocol = grant.protocol;
    c->role = std::move(grant.role);
    c->scopes = std::move(grant.scopes);
    c->client = std::move(grant.client);
    c->connected_at = now_ms();
    c->connected = true;
    if (c->handshake_timer) c->handshake_timer->cancel();
    ++presence_version;

    if (state.log.enabled(log_level::info))
      state.log.info(log_subsystem::ws,
                     fmt::format("{}: client {} connected (protocol {}, role {})", who(*c),
                                 client_name(*c), c->protocol, c->role));
    send_raw(*c, response_frame(req.id, hello(*c)));
    // The others learn about the newcomer; the newcomer has it in its snapshot.
    for (auto& [id, other] : clients)
      if (other != c && other->connected)
        send_event(*other, "presence", json::object({{"presence", presence()}}), state_version());
    start_ticking();
  }

  json hello(const control_client& c) const {
    json methods_list = json::array();
    for (const auto& [name, entry] : methods) methods_list.push_back(name);
    json events_list = json::array();
    for (auto e : server_events) events_list.push_back(e);
    json scopes = json::array();
    for (const auto& s : c.scopes) scopes.push_back(s);

    const config& cfg = state.rt.cfg();
    std::string default_agent = "main";
    if (auto a = state.rt.agent(""); a) default_agent = a->id;
    json snapshot =
        json::object({{"presence", presence()},
                      {"health", health()},
                      {"stateVersion", state_version()},
                      {"uptimeMs", state.uptime_ms()},
                      {"configPath", cfg.paths.config_file.string()},
                      {"stateDir", cfg.paths.state_dir.string()},
                      {"sessionDefaults",
                       json::object({{"defaultAgentId", default_agent},
                                     {"mainKey", cfg.session.main_key},
                                     {"mainSessionKey",
                                      main_session_key(default_agent, cfg.session.main_key)}})},
                      {"authMode", state.auth.mode()}});

    http_server_options limits;  // what the server enforces on every WebSocket
    return json::object(
        {{"type", "hello-ok"},
         {"protocol", c.protocol},
         {"server",
          json::object({{"version", std::string(durar::version())}, {"connId", c.conn_id}})},
         {"features",
          json::object({{"methods", std::move(methods_list)}, {"events", std::move(events_list)}})},
         {"snapshot", std::move(snapshot)},
         {"auth", json::object({{"role", c.role}, {"scopes", std::move(scopes)}})},
         {"policy", json::object({{"maxPayload", limits.max_ws_message_bytes},
                                  {"maxBufferedBytes", limits.max_ws_buffered_bytes},
                                  {"tickIntervalMs", tick_interval().count()}})}});
  }

  [[nodiscard]] std::chrono::milliseconds tick_interval() const {
    auto t = state.settings.tick_interval;
    return t.count() > 0 ? t : std::chrono::milliseconds(30'000);
  }

  // Ticks run only while someone listens, so an idle gateway's loop has nothing pending.
  void start_ticking() {
    if (ticking || stopped) return;
    ticking = true;
    if (!tick_timer) tick_timer = std::make_unique<asio::steady_timer>(state.io);
    arm_tick();
  }
  void arm_tick() {
    tick_timer->expires_after(tick_interval());
    std::weak_ptr<control_core> weak = shared_from_this();
    tick_timer->async_wait([weak](std::error_code ec) {
      if (ec) return;
      auto core = std::static_pointer_cast<impl>(weak.lock());
      if (!core || !core->ticking) return;
      core->broadcast("tick", json::object({{"ts", now_ms()}}));
      if (core->connected_count() == 0 || core->stopped) {
        core->ticking = false;
        return;
      }
      core->arm_tick();
    });
  }
  void stop_ticking() {
    ticking = false;
    if (tick_timer) tick_timer->cancel();
  }

  void announce_shutdown(const std::string& reason, std::optional<std::int64_t> restart_ms) {
    if (draining || stopped) return;
    draining = true;
    restart_expected_ms = restart_ms;
    json payload = json::object({{"reason", reason.empty() ? "gateway stopping" : reason}});
    payload.set("restartExpectedMs", restart_ms ? json(*restart_ms) : json());
    broadcast("shutdown", payload);
  }

  void close_all(const std::string& reason, bool restart) {
    stopped = true;
    stop_ticking();
    std::vector<std::shared_ptr<control_client>> all;
    for (auto& [id, c] : clients) all.push_back(c);
    for (auto& c : all)
      close(*c, restart ? close_restart : close_going_away, reason.empty() ? "shutdown" : reason);
  }

  void shutdown(const std::string& reason, bool restart) {
    announce_shutdown(reason, restart ? std::optional<std::int64_t>(5000) : std::nullopt);
    close_all(reason, restart);
  }
};

control_server::control_server(gateway_state& state) : impl_(std::make_shared<impl>(state)) {
  register_basic_methods(*impl_);
  register_chat_methods(*impl_);
}

control_server::~control_server() {
  impl_->stop_ticking();
  for (auto& [id, c] : impl_->clients)
    if (c->handshake_timer) c->handshake_timer->cancel();
}

ws_handlers control_server::handlers() {
  // The http_server may hold these past this object's life: they reach it weakly.
  std::weak_ptr<impl> weak = impl_;
  ws_handlers h;
  h.accept = [weak](const http_request& req) -> std::optional<int> {
    auto s = weak.lock();
    return s ? s->accept(req) : std::optional<int>(503);
  };
  h.on_open = [weak](const std::shared_ptr<ws_connection>& ws) {
    if (auto s = weak.lock())
      s->on_open(ws);
    else
      ws->close(close_going_away, "gateway stopping");
  };
  h.on_text = [weak](const std::shared_ptr<ws_connection>& ws, std::string text) {
    if (auto s = weak.lock()) s->on_text(ws, std::move(text));
  };
  h.on_close = [weak](const std::shared_ptr<ws_connection>& ws, std::uint16_t code) {
    if (auto s = weak.lock()) s->on_close(ws, code);
  };
  return h;
}

void control_server::broadcast(const std::string& event, const json& payload) {
  impl_->broadcast(event, payload);
}

void control_server::shutdown(const std::string& reason, bool restart) {
  impl_->shutdown(reason, restart);
}

void control_server::announce_shutdown(const std::string& reason,
                                       std::optional<std::chrono::milliseconds> restart_expected) {
  impl_->announce_shutdown(reason, restart_expected
                                       ? std::optional<std::int64_t>(restart_expected->count())
                                       : std::nullopt);
}

void control_server::close_all(const std::string& reason, bool restart) {
  impl_->close_all(reason, restart);
}

std::size_t control_server::client_count() const { return impl_->connected_count(); }

}  // namespace durar::gateway_detail
