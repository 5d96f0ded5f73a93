// The public gateway: settings resolved from options, environment and config (port and
// bind precedence as the original's runbook gives them), then the server with the HTTP
// routes and the control protocol on one port.
#include <durar/gateway.hpp>

#include <asio/ip/address.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "control_server.hpp"
#include "core/file_io.hpp"
#include "gateway_reload.hpp"
#include "gateway_runtime_file.hpp"
#include "gateway_state.hpp"
#include "http_routes.hpp"
#include "http_server.hpp"
#include "tailnet.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <openssl/rand.h>
#include <sys/resource.h>

namespace durar {

using namespace gateway_detail;

namespace {

result<std::uint16_t> resolve_port(const gateway_options& o, const config& cfg) {
  if (o.port) return *o.port;
  if (auto v = cfg.env.get("DURAR_GATEWAY_PORT"); v && !v->empty()) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    // 0 picks a free port, as gateway_options::port does (tests; the log names the port).
    if (ec != std::errc() || end != v->data() + v->size() || n > 65535)
      return fail(errc::invalid_argument,
                  "DURAR_GATEWAY_PORT must be a port number (0-65535), not '" + *v + "'");
    return static_cast<std::uint16_t>(n);
  }
  if (cfg.gateway.port) {
    if (*cfg.gateway.port < 0 || *cfg.gateway.port > 65535)
      return fail(errc::invalid_argument,
                  "gateway.port must be 0-65535, not " + std::to_string(*cfg.gateway.port));
    return static_cast<std::uint16_t>(*cfg.gateway.port);
  }
  return static_cast<std::uint16_t>(cfg.paths.default_gateway_port);
}

// A bind mode or an address to the address to listen on.
result<std::string> resolve_host(const gateway_options& o, const config& cfg) {
  std::string mode = o.bind.value_or(cfg.gateway.bind.empty() ? "loopback" : cfg.gateway.bind);
  if (mode == "loopback" || mode == "auto") return std::string("127.0.0.1");
  if (mode == "lan") return std::string("0.0.0.0");
  if (mode == "custom") {
    if (cfg.gateway.custom_bind_host.empty())
      return fail(errc::invalid_argument,
                  "gateway.bind is custom but gateway.customBindHost is not set");
    mode = cfg.gateway.custom_bind_host;
  }
  if (mode == "tailnet") return tailnet_address();
  std::error_code ec;
  asio::ip::make_address(mode, ec);
  if (ec)
    return fail(errc::invalid_argument,
                "gateway bind '" + mode +
                    "' is neither a mode (loopback, lan, tailnet, auto, custom) nor an IP address");
  return mode;
}

// A duration from the options, else from DURAR_GATEWAY_<NAME>_MS, else the default.
result<std::chrono::milliseconds> resolve_ms(const std::optional<std::chrono::milliseconds>& given,
                                             const config& cfg, const char* env,
                                             std::chrono::milliseconds fallback) {
  if (given) return *given;
  auto v = cfg.env.get(env);
  if (!v || v->empty()) return fallback;
  unsigned long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n == 0 || n > 86'400'000)
    return fail(
        errc::invalid_argument,
        std::string(env) + " must be a number of milliseconds (1-86400000), not '" + *v + "'");
  return std::chrono::milliseconds(n);
}

bool is_loopback(const std::string& host) {
  std::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

auth_settings resolve_auth(const config& cfg) {
  auth_settings a;
  a.token = cfg.gateway.auth_token;
  a.password = cfg.gateway.auth_password;
  if (auto t = cfg.env.get("DURAR_GATEWAY_TOKEN"); t && !t->empty()) a.token = secret(*t);
  if (auto p = cfg.env.get("DURAR_GATEWAY_PASSWORD"); p && !p->empty()) a.password = secret(*p);
  a.mode = cfg.gateway.auth_mode;
  if (a.mode.empty()) a.mode = a.token ? "token" : a.password ? "password" : "none";
  return a;
}

// With no secret configured (and auth not explicitly off), the gateway still requires one:
// a random token kept in <state>/gateway.token (0600), made on first start. `created` says
// whether this call made it, so the CLI can show it once.
result<secret> stored_token(const config& cfg, bool& created) {
  const std::filesystem::path file = cfg.paths.state_dir / "gateway.token";
  bool exists = false;
  auto text = detail::read_file(file, exists);
  if (!text) return fail(text.error());
  std::string token = *text;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  created = false;
  if (exists && !token.empty()) return secret(token);
  std::array<unsigned char, 24> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return fail(errc::internal, "no randomness for a gateway token");
  token.clear();
  for (unsigned char b : bytes) token += fmt::format("{:02x}", b);
  if (auto w = detail::write_file_atomic(file, token + "\n"); !w) return fail(w.error());
  created = true;
  return secret(token);
}

}  // namespace

result<auth_settings> gateway_detail::resolve_gateway_auth(const config& cfg,
                                                           const std::string& bind_host,
                                                           std::uint16_t port,
                                                           bool& token_created) {
  auth_settings a = resolve_auth(cfg);
  token_created = false;
  // Only on loopback: exposing the gateway beyond this machine takes a secret chosen on purpose.
  if (a.mode == "none" && cfg.gateway.auth_mode.empty() && is_loopback(bind_host)) {
    auto t = stored_token(cfg, token_created);
    if (!t) return fail(t.error());
    a.mode = "token";
    a.token = std::move(*t);
  }
  if (a.mode == "token" && !a.token)
    return fail(errc::invalid_argument,
                "gateway.auth.mode is token but no token is set (gateway.auth.token or "
                "DURAR_GATEWAY_TOKEN)");
  if (a.mode == "password" && !a.password)
    return fail(errc::invalid_argument,
                "gateway.auth.mode is password but no password is set (gateway.auth.password "
                "or DURAR_GATEWAY_PASSWORD)");
  if (a.mode != "token" && a.mode != "password" && a.mode != "none")
    return fail(errc::invalid_argument,
                "gateway.auth.mode must be token, password or none, not '" + a.mode + "'");
  if (!is_loopback(bind_host) && a.mode == "none")
    return fail(errc::permission_denied,
                "refusing to bind gateway to " + bind_host + ":" + std::to_string(port) +
                    " without auth (set gateway.auth.token or DURAR_GATEWAY_TOKEN, or bind "
                    "loopback)");
  return a;
}

std::vector<std::string> gateway_detail::allowed_origins_of(const config& cfg) {
  std::vector<std::string> out;
  const json& list = cfg.document["gateway"]["controlUi"]["allowedOrigins"];
  if (!list.is_array()) return out;
  for (const auto& v : list.as_array()) {
    if (!v.is_string()) continue;
    std::string_view o = v.as_string();
    while (!o.empty() && std::isspace(static_cast<unsigned char>(o.front()))) o.remove_prefix(1);
    while (!o.empty() && std::isspace(static_cast<unsigned char>(o.back()))) o.remove_suffix(1);
    if (!o.empty()) out.emplace_back(o);
  }
  return out;
}

// Aborted runs normally end at once; one that does not is not waited for past this.
constexpr std::chrono::seconds abort_grace{5};
// Connections get this long to take their last bytes and close (a WebSocket close handshake
// is itself bounded by 5 s).
constexpr std::chrono::seconds close_grace{6};

struct gateway::impl {
  impl(asio::io_context& ctx, gateway_options o) : io(ctx), options(std::move(o)), timer(ctx) {}

  asio::io_context& io;
  gateway_options options;
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::chrono::milliseconds header_timeout{15'000};
  std::unique_ptr<gateway_state> state;
  std::unique_ptr<control_server> control;
  std::unique_ptr<http_server> server;
  std::unique_ptr<gateway_reloader> reloader;  // config hot reload, while serving
  bool started = false;
  std::filesystem::path state_dir;        // where start() wrote gateway.json
  std::optional<state_dir_lock> lock;     // held from start() until stopped
  std::optional<secret> generated_token;  // made by this create(), to show once

  // shutdown(): draining, then (after the runs ended or were aborted) closing.
  gateway_shutdown how;
  bool draining = false;
  bool aborting = false;
  bool closing = false;
  asio::steady_timer timer;                    // the shutdown timeout, then the abort grace
  std::vector<std::function<void()>> waiting;  // shutdown()'s on_done callbacks
  // Callbacks that may run after this is gone hold it weakly.
  std::shared_ptr<impl*> self = std::make_shared<impl*>(this);

  void log(std::string_view line, log_level level = log_level::info) const {
    if (state) state->log.log(level, log_subsystem::gateway, line);
  }

  template <class F>
  auto guarded(F f) {
    return [weak = std::weak_ptr<impl*>(self), f = std::move(f)](auto&&... args) {
      if (auto s = weak.lock()) f(**s, std::forward<decltype(args)>(args)...);
    };
  }

  void abort_runs(std::string_view why) {
    if (aborting || closing) return;
    aborting = true;
    log(fmt::format("gateway shutting down: {}; aborting {} run(s)", why, state->runs.active()));
    state->runs.abort_all();
    timer.expires_after(abort_grace);
    timer.async_wait(guarded([](impl& m, std::error_code ec) {
      if (ec) return;
      m.log("gateway shutting down: aborted runs did not end in time; closing anyway",
            log_level::warn);
      m.close_connections();
    }));
  }

  void close_connections() {
    if (closing) return;
    closing = true;
    timer.cancel();
    control->close_all(how.reason, how.restart_expected.has_value());
    server->drain(close_grace, guarded([](impl& m) { m.finish(); }));
  }

  void finish() {
    started = false;
    release_state_dir();
    log("gateway stopped");
    call_waiting();
  }

  // gateway.json goes first: the next gateway can only take the lock after it is gone.
  void release_state_dir() {
    remove_runtime_file(state_dir);
    lock.reset();
  }

  void call_waiting() {
    auto callbacks = std::move(waiting);
    waiting.clear();
    for (auto& f : callbacks) f();
  }
};

gateway::gateway() = default;

gateway::~gateway() {
  if (impl_ && impl_->started) stop();
}

result<std::unique_ptr<gateway>> gateway::create(asio::io_context& io, runtime& rt,
                                                 gateway_options options) {
  const config& cfg = rt.cfg();
  auto port = resolve_port(options, cfg);
  if (!port) return fail(port.error());
  auto host = resolve_host(options, cfg);
  if (!host) return fail(host.error());

  gateway_settings s;
  s.port = *port;
  s.bind_host = *host;
  bool token_created = false;
  auto auth = resolve_gateway_auth(cfg, s.bind_host, s.port, token_created);
  if (!auth) return fail(auth.error());
  s.auth = std::move(*auth);
  s.allowed_origins = allowed_origins_of(cfg);

  std::unique_ptr<gateway> gw(new gateway());
  auto shutdown_timeout = resolve_ms(options.shutdown_timeout, cfg,
                                     "DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS", std::chrono::seconds(10));
  if (!shutdown_timeout) return fail(shutdown_timeout.error());
  auto header_timeout = resolve_ms(options.header_timeout, cfg, "DURAR_GATEWAY_HEADER_TIMEOUT_MS",
                                   std::chrono::seconds(15));
  if (!header_timeout) return fail(header_timeout.error());
  gw->impl_ = std::make_unique<impl>(io, std::move(options));
  gw->impl_->shutdown_timeout = *shutdown_timeout;
  gw->impl_->header_timeout = *header_timeout;
  if (token_created) gw->impl_->generated_token = s.auth.token;
  gw->impl_->state = std::make_unique<gateway_state>(io, rt, std::move(s));
  const gateway_options& o = gw->impl_->options;
  gw->impl_->state->log = gateway_log(o.log_to, o.log, o.verbose);
  return gw;
}

result<void> gateway::start() {
  impl& m = *impl_;
  if (m.started) return {};
  // One gateway per state dir: a second would take over gateway.json (and the CLI with it)
  // and serve the same sessions beside the first.
  m.state_dir = m.state->rt.cfg().paths.state_dir;
  auto lock = state_dir_lock::acquire(m.state_dir);
  if (!lock) return fail(lock.error());
  m.lock.emplace(std::move(*lock));
  m.control = std::make_unique<control_server>(*m.state);
  http_server_options so;
  so.host = m.state->settings.bind_host;
  so.port = m.state->settings.port;
  so.header_timeout = m.header_timeout;
  http_handler routes = make_http_routes(*m.state);
  m.server = std::make_unique<http_server>(m.io, so, std::move(routes), m.control->handlers());
  if (auto r = m.server->listen(); !r) {
    m.server.reset();
    m.control.reset();
    m.lock.reset();
    return r;
  }
  m.state->settings.port = m.server->port();
  m.started = true;
  write_runtime_file(m.state_dir, port(), ws_url());
  m.log("gateway listening on " + http_url() + " (auth: " + m.state->auth.mode() + ")");
  m.reloader = std::make_unique<gateway_reloader>(*m.state);
  m.reloader->start();
  return {};
}

void gateway::shutdown(gateway_shutdown how, std::function<void()> on_done) {
  impl& m = *impl_;
  if (on_done) m.waiting.push_back(std::move(on_done));
  if (!m.started) {
    asio::post(m.io, m.guarded([](impl& g) { g.call_waiting(); }));
    return;
  }
  if (m.draining) {  // asked again (a second signal): no more waiting
    m.abort_runs("asked again");
    return;
  }
  m.draining = true;
  m.how = std::move(how);
  if (m.how.reason.empty()) m.how.reason = "gateway stopping";
  const auto timeout = m.how.timeout.value_or(m.shutdown_timeout);
  m.state->draining = true;
  m.state->restart_expected = m.how.restart_expected;
  m.state->runs.close();
  if (m.reloader) m.reloader->stop();
  m.server->stop_accepting();
  m.control->announce_shutdown(m.how.reason, m.how.restart_expected);
  m.log(fmt::format(
      "gateway shutting down ({}): no longer accepting; waiting up to {} ms for {} run(s)",
      m.how.reason, timeout.count(), m.state->runs.active()));
  m.timer.expires_after(timeout);
  m.timer.async_wait(m.guarded([](impl& g, std::error_code ec) {
    if (!ec) g.abort_runs("the shutdown timeout passed");
  }));
  m.state->runs.when_idle(m.guarded([](impl& g) { g.close_connections(); }));
}

bool gateway::shutting_down() const { return impl_->draining; }

void gateway::stop(const std::string& reason) {
  impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  m.closing = true;
  m.timer.cancel();
  m.log("gateway stopping: " + reason);
  m.state->runs.abort_all();
  if (m.reloader) m.reloader->stop();
  if (m.control) m.control->shutdown(reason, false);
  if (m.server) m.server->stop();
  m.release_state_dir();
  m.call_waiting();
}

const std::optional<secret>& gateway::generated_token() const { return impl_->generated_token; }

std::uint16_t gateway::port() const { return impl_->state->settings.port; }
std::string gateway::host() const { return impl_->state->settings.bind_host; }

std::string gateway::http_url() const {
  std::string h = host();
  if (h == "0.0.0.0") h = "127.0.0.1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port());
}

std::string gateway::ws_url() const { return "ws" + http_url().substr(4); }

std::uint64_t raise_open_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    // An unlimited hard limit still needs a number: a million descriptors is plenty.
    raised.rlim_cur =
        lim.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(lim.rlim_cur, 1 << 20) : lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(lim.rlim_cur);
}

}  // namespace durar
