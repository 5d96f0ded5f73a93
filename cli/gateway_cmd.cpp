// durar gateway: run the gateway in the foreground (and, with the gateway client, ask a
// running one how it is).
#include <durar/gateway.hpp>
#include <durar/log.hpp>
#include <durar/runtime.hpp>

#include <asio/signal_set.hpp>
#include <fmt/format.h>

#include "approval.hpp"
#include "context.hpp"
#include "gateway_remote.hpp"
#include "output.hpp"
#include "port_owner.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace durar::cli {

namespace {

// The gateway's log: the file and console the config's logging section asks for, with the
// config's credentials masked. Without a usable file, the console alone, saying why.
// --verbose shows more on the console only; the file keeps logging.level.
std::unique_ptr<logger> gateway_logger(const context& ctx, const config& cfg, bool verbose) {
  logger_options opts = logger_options_from(cfg);
  if (ctx.globals.no_color) opts.color = color_mode::never;
  if (verbose && opts.console_level > log_level::debug) opts.console_level = log_level::debug;
  std::string file_problem;
  auto log = logger::create(opts);
  if (!log) {
    file_problem = log.error().message;
    opts.file.clear();
    log = logger::create(opts);
  }
  if (!log) return nullptr;  // without a file nothing can fail; kept for the type's sake
  (*log)->add_config_secrets(cfg);
  if (!file_problem.empty()) (*log)->warn("gateway", "not writing a log file: " + file_problem);
  return std::move(*log);
}

// The gateway's log for what may log before it exists or after the gateway is gone (the
// session stores' background index writes): nullptr until set.
class shared_log {
 public:
  void set(std::shared_ptr<logger> log) {
    std::lock_guard l(mu_);
    log_ = std::move(log);
  }
  [[nodiscard]] std::shared_ptr<logger> get() const {
    std::lock_guard l(mu_);
    return log_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<logger> log_;
};

// A reloaded config's log levels (and the credentials it brings, to mask them).
void apply_log_config(logger& log, const config& cfg, bool verbose) {
  logger_options opts = logger_options_from(cfg);
  if (verbose && opts.console_level > log_level::debug) opts.console_level = log_level::debug;
  log.set_console_level(opts.console_level);
  log.set_file_level(opts.file_level);
  log.add_config_secrets(cfg);
}

// Set for the new process when the gateway restarts itself; it names the change.
constexpr const char* restarted_env = "DURAR_GATEWAY_RESTARTED";
// How soon control clients may expect the gateway back after a restart for a config change.
constexpr std::chrono::milliseconds restart_expected{2000};

// Runs this program again with the same arguments, in this process (same pid, so service
// managers and `gateway status` see one gateway). Returns only when exec fails.
int exec_self(context& ctx, const std::string& why) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> words;
  for (std::size_t at = 0; at < all.size();) {
    std::size_t end = all.find('\0', at);
    if (end == std::string::npos) end = all.size();
    words.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  if (words.empty()) return fail_with(ctx, exit_failure, "cannot restart: no command line");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  ::setenv(restarted_env, why.c_str(), 1);
  std::fflush(nullptr);
  ::execv("/proc/self/exe", argv.data());
  return fail_with(ctx, exit_failure,
                   std::string("cannot restart the gateway: ") + std::strerror(errno));
}

// Today's log file, or the newest dated one when nothing was logged today yet; "" if none.
std::filesystem::path latest_log_file(const std::filesystem::path& pattern) {
  std::error_code ec;
  auto today = log_file_for(pattern, std::chrono::system_clock::now());
  if (std::filesystem::exists(today, ec) || today == pattern) return today;
  std::string name = pattern.filename().string();
  std::size_t at = name.find("YYYY-MM-DD");
  std::string prefix = name.substr(0, at), suffix = name.substr(at + 10);
  std::filesystem::path newest;
  for (const auto& e : std::filesystem::directory_iterator(pattern.parent_path(), ec)) {
    std::string n = e.path().filename().string();
    if (n.size() == name.size() && n.rfind(prefix, 0) == 0 &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (newest.empty() || n > newest.filename().string()))
      newest = e.path();
  }
  return newest;
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(n);
}

// Frees `port` for --force: SIGTERM to whoever listens, then SIGKILL if it lingers.
bool free_port(std::uint16_t port) {
  auto owner = find_port_owner(port);
  if (!owner) return false;
  ::kill(owner->pid, SIGTERM);
  for (int i = 0; i < 50 && find_port_owner(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // waiting on another process
  if (find_port_owner(port)) ::kill(owner->pid, SIGKILL);
  return true;
}

// The gateway until a signal stops it or a config change needs a restart (`restart_for`
// then says which). Everything it made is gone when it returns, descriptors included.
int serve_gateway(context& ctx, const parsed_args& args, std::string& restart_for) {
  gateway_options opts;
  if (auto p = args.value("port")) {
    opts.port = parse_port(*p);
    if (!opts.port) return fail_with(ctx, exit_usage, "--port must be 0-65535, not '" + *p + "'");
  }
  if (auto b = args.value("bind")) opts.bind = *b;
  opts.verbose = args.has("verbose");

  raise_open_file_limit();  // each held-open stream takes three descriptors
  asio::io_context io;
  // The session stores' warnings (session.maintenance mode warn) go to the gateway's log
  // under "sessions", once it exists; before, on stderr as the CLI prints them. The stores
  // keep the log alive for as long as they may write an index.
  auto session_log = std::make_shared<shared_log>();
  runtime_options rt_options = terminal_runtime_options();
  rt_options.sessions.warn = [session_log, on_stderr = rt_options.sessions.warn](
                                 std::string_view message, const json& fields) {
    if (auto log = session_log->get())
      log->warn("sessions", message, fields);
    else if (on_stderr)
      on_stderr(message, fields);
  };
  auto rt = runtime::create(io, ctx.load(), std::move(rt_options));
  if (!rt) return fail_with(ctx, exit_failure, rt.error().message);

  std::shared_ptr<logger> log = gateway_logger(ctx, (*rt)->cfg(), opts.verbose);
  if (!log) return fail_with(ctx, exit_failure, "cannot start the gateway log");
  opts.log_to = log.get();  // each line under its subsystem; --verbose set the console to debug
  session_log->set(log);

  auto gw = gateway::create(io, **rt, opts);
  if (!gw) return fail_with(ctx, exit_failure, gw.error().message);
  if (const auto& made = (*gw)->generated_token()) log->add_secret(made->reveal());
  // --force frees a port; it does not stop another gateway serving this state dir, which
  // start() refuses to run beside (naming it).
  const auto& state_dir = (*rt)->cfg().paths.state_dir;
  const bool other_gateway = running_gateway_on(state_dir).has_value();
  if (args.has("force") && !other_gateway && (*gw)->port() != 0 && free_port((*gw)->port()))
    log->warn("gateway",
              fmt::format("--force: stopped the process that held port {}", (*gw)->port()));
  if (auto r = (*gw)->start(); !r) {
    std::string message = r.error().message;
    if (other_gateway || running_gateway_on(state_dir)) {
      if (args.has("force")) message += " (--force frees a port, it does not stop a gateway)";
    } else if (auto owner = find_port_owner((*gw)->port())) {
      message += fmt::format(" (held by {}, pid {}; 'durar gateway run --force' stops it)",
                             owner->command, owner->pid);
    }
    return fail_with(ctx, exit_failure, message);
  }
  if (const auto& token = (*gw)->generated_token(); token && !ctx.globals.json)
    print(stdout,
          fmt::format("Generated a gateway token (kept in {}):\n  {}\nClients send it as "
                      "'Authorization: Bearer <token>'; the durar CLI finds it itself.\n",
                      ((*rt)->cfg().paths.state_dir / "gateway.token").string(), token->reveal()));
  std::fflush(stdout);
  if (ctx.globals.json) {  // one line, at once: scripts and tests wait for it
    print(stdout,
          json::object({{"url", (*gw)->http_url()}, {"port", (*gw)->port()}}).dump() + "\n");
    std::fflush(stdout);
  }
  if (auto why = ctx.env.get(restarted_env); why && !why->empty())
    log->info("gateway", "restarted: " + *why);
  ::unsetenv(restarted_env);  // not for the commands the gateway's tools run

  // SIGTERM/SIGINT drain (runs in flight finish, DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS at most);
  // a second signal aborts what still runs.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code e, int sig) {
    if (e) return;
    restart_for.clear();  // a signal during a restart's drain means stop
    gateway_shutdown how;
    how.reason = sig == SIGINT ? "interrupted" : "terminated";
    (*gw)->shutdown(how, [&] {
      signals.cancel();
      io.stop();
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  // Config reload: new log levels at once; a change that takes a restart drains the gateway
  // (clients are told when to expect it back) and then runs this program again.
  auto hook = (*rt)->on_reload([&](const reload_report& r) {
    if (r.what == reload_report::outcome::applied)
      return apply_log_config(*log, *r.cfg, opts.verbose);
    if (r.what != reload_report::outcome::restart || (*gw)->shutting_down()) return;
    restart_for = "config changed: " + r.describe_changes();
    log->info("gateway", "restarting: " + restart_for);
    gateway_shutdown how;
    how.reason = "restarting for a config change";
    how.restart_expected = restart_expected;
    (*gw)->shutdown(how, [&] {
      signals.cancel();
      io.stop();
    });
  });
  io.run();
  (*rt)->remove_reload_listener(hook);
  return exit_ok;
}

int run_gateway(context& ctx, const parsed_args& args) {
  std::string restart_for;
  int code = serve_gateway(ctx, args, restart_for);
  if (code != exit_ok || restart_for.empty()) return code;
  return exec_self(ctx, restart_for);
}

// One word of a unit file: as is when plain, else double-quoted with \\ and \" escaped.
// '%' starts a specifier everywhere and '$' a variable in ExecStart=, so both are doubled.
std::string unit_word(const std::string& word, bool exec) {
  std::string out;
  bool quote = word.empty();
  for (char c : word) {
    if (c == '\n' || c == '\r' || c == '\t') {  // systemd reads C escapes inside quotes
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      quote = true;
      continue;
    }
    if (c == '%') out += '%';
    if (c == '$' && exec) out += '$';
    if (c == '\\' || c == '"') out += '\\';
    if (c == ' ' || c == '\t' || c == '\\' || c == '"' || c == '\'' || c == ';') quote = true;
    out += c;
  }
  return quote ? '"' + out + '"' : out;
}

// What `durar gateway run` in this shell and directory starts with, before <state>/.env: the
// process environment, then ./.env (never overriding), as config loading reads them.
// `from_dotenv` gets the names ./.env added.
environment shell_environment(const context& ctx, std::vector<std::string>& from_dotenv) {
  environment env = ctx.env;
  std::error_code ec;
  const std::filesystem::path here = std::filesystem::current_path(ec);
  if (ec || here.empty()) return env;
  const environment dotenv = read_dotenv(here / ".env");
  for (const auto& [name, value] : dotenv.vars())
    if (env.set_default(name, value)) from_dotenv.push_back(name);
  return env;
}

// Names whose values a unit file (world-readable, kept in backups) must not hold.
bool secret_name(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view end :
       {"_KEY", "_KEYS", "_TOKEN", "_TOKENS", "_PASSWORD", "_SECRET", "_SECRETS"})
    if (n.ends_with(end)) return true;
  // OPENAI_API_KEY_2 and the like: the credential lists providers rotate through.
  for (std::string_view part : {"API_KEY", "PASSWORD", "SECRET", "TOKEN"})
    if (n.find(part) != std::string::npos) return true;
  return false;
}

bool portable_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The unit's Environment= lines and what was kept out of them.
struct unit_env {
  std::vector<std::pair<std::string, std::string>> vars;  // NAME=value pairs
  std::vector<std::string> secrets_left_out;              // from ./.env
  std::vector<std::string> names_left_out;                // from ./.env, not portable names
};

// The variables that choose where the gateway keeps its state and finds its config, and the
// rest of ./.env but its secrets, so the service runs on what `gateway run` here would.
unit_env unit_environment(const environment& env, const std::vector<std::string>& from_dotenv,
                          const config_paths& paths) {
  unit_env out;
  auto set = [&](std::string_view name) {
    auto v = env.get(name);
    return v && v->find_first_not_of(" \t\r\n") != std::string::npos ? v : std::nullopt;
  };
  if (auto home = set("DURAR_HOME") ? set("DURAR_HOME") : set("OPENCLAW_HOME")) {
    std::string h = *home;
    if (auto user_home = env.get("HOME"); user_home && (h == "~" || h.starts_with("~/")))
      h = *user_home + h.substr(1);
    out.vars.emplace_back("DURAR_HOME", h);
  }
  if (set("DURAR_STATE_DIR") || set("OPENCLAW_STATE_DIR"))
    out.vars.emplace_back("DURAR_STATE_DIR", paths.state_dir.string());
  if (paths.config_source == "DURAR_CONFIG_PATH" || paths.config_source == "OPENCLAW_CONFIG_PATH")
    out.vars.emplace_back("DURAR_CONFIG_PATH", paths.config_file.string());
  if (auto port = set("DURAR_GATEWAY_PORT")) out.vars.emplace_back("DURAR_GATEWAY_PORT", *port);
  for (const auto& name : from_dotenv) {
    if (name == "DURAR_HOME" || name == "OPENCLAW_HOME" || name == "DURAR_STATE_DIR" ||
        name == "OPENCLAW_STATE_DIR" || name == "DURAR_CONFIG_PATH" ||
        name == "OPENCLAW_CONFIG_PATH" || name == "DURAR_GATEWAY_PORT")
      continue;  // above, resolved
    if (secret_name(name)) {
      out.secrets_left_out.push_back(name);
    } else if (!portable_name(name)) {
      out.names_left_out.push_back(name);
    } else {
      out.vars.emplace_back(name, *env.get(name));
    }
  }
  return out;
}

// A systemd user unit that keeps `durar gateway run` up, like the original's service.
std::string unit_text(const std::filesystem::path& durar, const context& ctx,
                      const config_paths& paths, const unit_env& env) {
  std::string args = "gateway run";
  if (paths.config_source == "--config")
    args = "--config " + unit_word(paths.config_file.string(), true) + " " + args;
  if (!ctx.globals.profile.empty())
    args = "--profile " + unit_word(ctx.globals.profile, true) + " " + args;
  if (ctx.globals.dev) args = "--dev " + args;
  std::string environment;
  for (const auto& [name, value] : env.vars)
    environment += "Environment=" + unit_word(name + "=" + value, false) + "\n";
  return fmt::format(
      "[Unit]\n"
      "Description=Durar gateway (OpenAI-compatible API and control protocol)\n"
      "After=network-online.target\n"
      "Wants=network-online.target\n"
      "\n"
      "[Service]\n"
      "{}"
      "ExecStart={} {}\n"
      "Restart=always\n"
      "RestartSec=5\n"
      "KillSignal=SIGTERM\n"
      "\n"
      "[Install]\n"
      "WantedBy=default.target\n",
      environment, unit_word(durar.string(), true), args);
}

std::string read_whole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// On stderr: what of ./.env the unit does not carry, and where the service finds it instead.
void left_out_note(const context& ctx, const unit_env& env, const config_paths& paths) {
  auto joined = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  const std::string warning = ctx.styles.yellow("warning:");
  if (!env.secrets_left_out.empty()) {
    const std::filesystem::path state_env = paths.state_dir / ".env";
    std::vector<std::string> missing;
    const environment kept = read_dotenv(state_env);
    for (const auto& n : env.secrets_left_out)
      if (!kept.get(n)) missing.push_back(n);
    print(stderr,
          fmt::format("{} ./.env sets {}, left out of the unit: secrets are not written into "
                      "unit files. The service reads {} instead{}.\n",
                      warning, joined(env.secrets_left_out), state_env.string(),
                      missing.empty() ? std::string(", which has them")
                                      : "; add " + joined(missing) + " there"));
  }
  if (!env.names_left_out.empty())
    print(stderr, fmt::format("{} ./.env sets {}, left out of the unit: not a variable name "
                              "systemd takes\n",
                              warning, joined(env.names_left_out)));
}

int install_service(context& ctx, const parsed_args& args) {
  // ./.env as `gateway run` here reads it: its DURAR_STATE_DIR or DURAR_CONFIG_PATH choose
  // the paths, and what else it sets goes into the unit, but for its secrets.
  std::vector<std::string> from_dotenv;
  const environment shell = shell_environment(ctx, from_dotenv);
  auto paths = resolve_paths(ctx.load().paths, shell);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);
  const unit_env env = unit_environment(shell, from_dotenv, *paths);
  // Where systemd looks for user units: $XDG_CONFIG_HOME/systemd/user, ~/.config by default.
  std::filesystem::path config_home;
  if (auto xdg = ctx.env.get("XDG_CONFIG_HOME"); xdg && !xdg->empty() && xdg->front() == '/') {
    config_home = *xdg;
  } else {
    auto home = ctx.env.get("HOME");
    if (!home || home->empty()) return fail_with(ctx, exit_failure, "HOME is not set");
    config_home = std::filesystem::path(*home) / ".config";
  }
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return fail_with(ctx, exit_failure, "cannot find the durar binary: " + ec.message());
  std::string name = ctx.globals.profile.empty() ? std::string("durar-gateway")
                                                 : "durar-gateway-" + ctx.globals.profile;
  if (ctx.globals.dev) name = "durar-gateway-dev";
  std::filesystem::path unit = config_home / "systemd/user" / (name + ".service");
  const std::string text = unit_text(self, ctx, *paths, env);
  left_out_note(ctx, env, *paths);

  const bool existed = std::filesystem::exists(unit, ec);
  const bool unchanged = existed && read_whole(unit) == text;
  if (existed && !unchanged && !args.has("force"))
    return fail_with(ctx, exit_failure,
                     unit.string() +
                         " already exists and differs from the unit this would write; pass "
                         "--force to replace it");
  if (!unchanged) {
    std::filesystem::create_directories(unit.parent_path(), ec);
    std::ofstream out(unit, std::ios::trunc);
    out << text;
    out.close();
    if (ec || !out) return fail_with(ctx, exit_failure, "cannot write " + unit.string());
  }
  if (ctx.globals.json) {
    print_json(json::object({{"unit", unit.string()},
                             {"service", name},
                             {"replaced", existed && !unchanged},
                             {"unchanged", unchanged}}));
    return exit_ok;
  }
  if (unchanged) {
    print(stdout, unit.string() + " is already installed and up to date.\n");
    return exit_ok;
  }
  print(stdout, (existed ? "Replaced " : "Wrote ") + unit.string() +
                    "\nStart it now and at login with:\n"
                    "  systemctl --user daemon-reload && systemctl --user enable --now " +
                    name + "\n" +
                    (existed ? "A running service takes the new unit with: systemctl --user "
                               "daemon-reload && systemctl --user restart " +
                                   name + "\n"
                             : std::string()));
  return exit_ok;
}

int show_logs(context& ctx, const parsed_args& args) {
  auto cfg = config_or_defaults(ctx);  // a broken config still has a log folder to show
  if (!cfg) return fail_with(ctx, exit_failure, cfg.error().message);
  const std::filesystem::path pattern = logger_options_from(*cfg).file;
  std::filesystem::path file = latest_log_file(pattern);
  std::ifstream in(file);
  if (file.empty() || !in)
    return fail_with(ctx, exit_failure,
                     "no gateway log yet at " +
                         log_file_for(pattern, std::chrono::system_clock::now()).string());
  std::size_t lines = 200;
  if (auto n = args.value("lines")) {
    auto v = parse_port(*n);  // any small count
    if (!v) return fail_with(ctx, exit_usage, "--lines must be a number, not '" + *n + "'");
    lines = *v;
  }
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(std::move(line));
    if (tail.size() > lines) tail.pop_front();
  }
  // --json: the file's own lines; otherwise "time level [subsystem] message fields".
  auto show = [&](const std::string& line) {
    if (!ctx.globals.json) {
      if (auto record = json::parse(line); record && record->is_object()) {
        log_format f{console_style::pretty, ctx.styles.enabled(), true};
        print(stdout, format_log_record(*record, f) + "\n");
        return;
      }
    }
    print(stdout, line + "\n");  // raw: --json, or a line that is not a record
  };
  for (const auto& l : tail) show(l);
  std::fflush(stdout);
  if (!args.has("follow")) return exit_ok;
  in.clear();
  for (;;) {  // until interrupted, like tail -f
    std::string line;
    if (std::getline(in, line)) {
      show(line);
      std::fflush(stdout);
      continue;
    }
    in.clear();
    // A new day starts a new file: follow it once it exists.
    auto today = log_file_for(pattern, std::chrono::system_clock::now());
    std::error_code ec;
    if (today != file && std::filesystem::exists(today, ec)) {
      file = today;
      in = std::ifstream(file);
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // polling a file
  }
}

}  // namespace

std::vector<command_spec> gateway_commands() {
  return {{"gateway run",
           "",
           "Run the gateway in the foreground (OpenAI-compatible HTTP and WebSocket on one port)",
           {{"port", "N", "port (default: DURAR_GATEWAY_PORT, gateway.port, 18789)"},
            {"bind", "MODE", "loopback (default), lan, auto, custom, or an address"},
            {"force", "", "stop whatever listens on the port first"},
            {"verbose", "", "log every request and WebSocket frame (debug) on the console"}},
           0,
           0,
           run_gateway},
          {"gateway install",
           "",
           "Write a systemd user unit that keeps the gateway running",
           {{"force", "", "replace an existing unit that differs"}},
           0,
           0,
           install_service},
          {"logs",
           "",
           "The gateway's log (today's <state dir>/logs/durar-YYYY-MM-DD.log, or logging.file)",
           {{"follow", "", "keep printing new lines"}, {"lines", "N", "how many (default 200)"}},
           0,
           0,
           show_logs}};
}

}  // namespace durar::cli
