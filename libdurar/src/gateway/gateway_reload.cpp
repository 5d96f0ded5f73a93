// Config hot reload in the gateway: file events in, runtime::reload() out, and the log
// lines that tell the operator what was applied, what was refused and why, and what waits
// for a restart.
#include "gateway_reload.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace durar::gateway_detail {

namespace {

constexpr std::chrono::milliseconds default_debounce{300};

// gateway.reload.debounceMs (the original's key): how long a burst of writes must be quiet.
std::chrono::milliseconds debounce_of(const config& cfg) {
  const json& v = cfg.document["gateway"]["reload"]["debounceMs"];
  if (!v.is_number()) return default_debounce;
  double ms = v.as_double();
  if (ms < 0 || ms > 60'000) return default_debounce;
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

reload_mode mode_of(const config& cfg) {
  return parse_reload_mode(cfg.gateway.reload_mode).value_or(reload_mode::hybrid);
}

bool same_auth(const auth_settings& a, const auth_settings& b) {
  auto reveal = [](const std::optional<secret>& s) {
    return s ? std::optional<std::string>(s->reveal()) : std::nullopt;
  };
  return a.mode == b.mode && reveal(a.token) == reveal(b.token) &&
         reveal(a.password) == reveal(b.password);
}

// load_config's message: one problem per line; a log line takes them joined.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ';');
  return text;
}

}  // namespace

gateway_reloader::gateway_reloader(gateway_state& state) : state_(state) {
  // Before a new config is applied: its auth must resolve, or the old config stays.
  auto check = [this](const config& next) -> result<void> {
    bool created = false;
    auto a = resolve_gateway_auth(next, state_.settings.bind_host, state_.settings.port, created);
    if (!a) return fail(a.error());
    return {};
  };
  // Registered when the gateway starts, before a host's listeners: what changed is logged
  // before whatever the host does about it.
  hook_ = state_.rt.on_reload([this](const reload_report& r) { heard(r); }, check);
}

gateway_reloader::~gateway_reloader() {
  stop();
  state_.rt.remove_reload_listener(hook_);
}

void gateway_reloader::log(log_level level, std::string_view line) const {
  state_.log.log(level, log_subsystem::reload, line);
}

void gateway_reloader::start() {
  const config& cfg = state_.rt.cfg();
  const reload_mode mode = mode_of(cfg);
  if (mode == reload_mode::off) {
    log(log_level::info,
        "config reload is off (gateway.reload.mode); edits take effect at the next start");
    return;
  }
  if (cfg.paths.config_file.empty()) return;  // a config made in memory: no file to watch
  file_watch_options o;
  o.files = {cfg.paths.config_file};
  if (!cfg.paths.state_dir.empty()) o.files.push_back(cfg.paths.state_dir / ".env");
  o.debounce = debounce_of(cfg);
  watch_ = std::make_unique<file_watch>(state_.io, std::move(o), [this] { reload_now(); });
  std::string how = watch_->start();
  log(log_level::info, fmt::format("watching {} for changes (reload mode {}, {})",
                                   cfg.paths.config_file.string(), to_string(mode), how));
}

void gateway_reloader::stop() {
  stopped_ = true;
  if (watch_) watch_->stop();
}

void gateway_reloader::reload_now() {
  if (stopped_ || state_.draining) return;
  auto r = state_.rt.reload();
  if (!r) {
    log(log_level::warn, fmt::format("config reload failed, still serving the previous config: {}",
                                     one_line(r.error().message)));
    return;
  }
  if (r->what == reload_report::outcome::ignored)
    log(log_level::info,
        fmt::format("config changed but gateway.reload.mode is off, not applied: {}",
                    r->describe_changes()));
}

void gateway_reloader::heard(const reload_report& report) {
  const config& cfg = *report.cfg;
  if (report.what == reload_report::outcome::restart) {
    log(log_level::info, fmt::format("config changed, a restart applies it (reload mode {}): {}",
                                     to_string(report.mode), report.describe_changes()));
    return;
  }
  if (report.what != reload_report::outcome::applied) return;
  log(log_level::info, fmt::format("config reloaded from {}: {}", cfg.paths.config_file.string(),
                                   report.describe_changes()));
  if (!report.pending_restart.empty()) {
    std::string keys;
    for (const auto& k : report.pending_restart) keys += (keys.empty() ? "" : ", ") + k;
    log(log_level::info, "not applied until the gateway restarts: " + keys);
  }
  if (watch_) watch_->set_debounce(debounce_of(cfg));
  // Browser WebSockets opened from now on are checked against the new list; open ones stay.
  if (auto origins = allowed_origins_of(cfg); origins != state_.settings.allowed_origins) {
    state_.settings.allowed_origins = std::move(origins);
    log(log_level::info,
        "gateway.controlUi.allowedOrigins changed: new WebSocket connections "
        "are checked against the new list");
  }
  bool created = false;
  auto a = resolve_gateway_auth(cfg, state_.settings.bind_host, state_.settings.port, created);
  if (!a || same_auth(*a, state_.settings.auth)) return;  // checked before the swap
  state_.settings.auth = *a;
  state_.auth = gateway_auth(std::move(*a));
  log(log_level::info, "gateway auth changed (mode " + state_.auth.mode() + ")");
}

}  // namespace durar::gateway_detail
