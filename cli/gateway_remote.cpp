// durar gateway status | call, durar health, durar status: questions to a running gateway.
#include "gateway_remote.hpp"

#include <fmt/format.h>

#include "output.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace durar::cli {

result<config> config_or_defaults(const context& ctx) {
  load_options opts = ctx.load();
  config_check check = check_config(opts);
  if (check.ok()) return std::move(*check.value);
  // The paths and environment the load would have used, ./.env and <state>/.env included (a
  // DURAR_GATEWAY_TOKEN kept there still reaches the gateway); the process's still win.
  auto cfg = default_config(opts);
  if (!cfg) return fail(cfg.error());
  print(stderr, ctx.styles.yellow("warning:") + " the config " + cfg->paths.config_file.string() +
                    " has errors ('durar config validate' shows them); going on without it\n");
  return cfg;
}

result<gateway_client_options> gateway_target(const context& ctx, const parsed_args& args) {
  auto cfg = config_or_defaults(ctx);
  if (!cfg) return fail(cfg.error());
  gateway_client_options o;
  // --url, then DURAR_GATEWAY_PORT, then the gateway running on this state dir (whatever
  // port it was started with), then gateway.port and the default.
  int port = cfg->paths.default_gateway_port;
  if (cfg->gateway.port) port = *cfg->gateway.port;
  if (auto running = running_gateway_on(cfg->paths.state_dir)) port = running->port;
  if (auto v = cfg->env.get("DURAR_GATEWAY_PORT"); v && !v->empty()) {
    int n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec == std::errc() && end == v->data() + v->size()) port = n;
  }
  o.url = fmt::format("ws://127.0.0.1:{}", port);
  if (auto u = args.value("url")) o.url = *u;
  o.token = cfg->gateway.auth_token;
  o.password = cfg->gateway.auth_password;
  if (auto t = cfg->env.get("DURAR_GATEWAY_TOKEN"); t && !t->empty()) o.token = secret(*t);
  if (auto p = cfg->env.get("DURAR_GATEWAY_PASSWORD"); p && !p->empty()) o.password = secret(*p);
  if (auto t = args.value("token")) o.token = secret(*t);
  if (!o.token && !o.password) {  // the token a loopback gateway made for itself
    std::ifstream in(cfg->paths.state_dir / "gateway.token");
    std::string t;
    if (std::getline(in, t) && !t.empty()) o.token = secret(t);
  }
  return o;
}

result<std::unique_ptr<gateway_client>> connect_gateway(const context& ctx,
                                                        const parsed_args& args) {
  auto target = gateway_target(ctx, args);
  if (!target) return fail(target.error());
  return gateway_client::connect(std::move(*target));
}

result<std::optional<running_gateway>> find_running_gateway(const context& ctx,
                                                            const parsed_args& args,
                                                            std::chrono::milliseconds wait) {
  auto cfg = load_config(ctx.load());
  if (!cfg) return std::optional<running_gateway>();  // the caller reports the config's errors
  auto target = gateway_target(ctx, args);
  if (!target) return std::optional<running_gateway>();
  target->timeout = wait;
  auto client = gateway_client::connect(*target);
  if (!client) {
    // Refused by the gateway this state dir runs: the user meant it to take the turn. A
    // refusal from a gateway that is not ours (another state dir's, on the same port) is
    // as good as none.
    if (client.error().code == errc::unauthenticated && running_gateway_on(cfg->paths.state_dir))
      return fail(errc::unauthenticated, gateway_refusal(*target, client.error()));
    return std::optional<running_gateway>();
  }
  if ((*client)->hello()["snapshot"].string_or("stateDir") != cfg->paths.state_dir.string())
    return std::optional<running_gateway>();
  return std::optional<running_gateway>(running_gateway{std::move(*client), std::move(*target)});
}

namespace {

// What a refusal was about: the secret presented, why it was refused, where to set it.
struct refusal {
  std::string what, why, variable, key;
};

refusal explain_refusal(const gateway_client_options& target, const error& e) {
  std::string why = e.message;
  if (why.starts_with("unauthorized: ")) why.erase(0, 14);
  // The gateway names what it checks ("gateway password mismatch"); a throttled attempt
  // does not, and then what we presented tells.
  bool password = why.find("password") != std::string::npos ||
                  (why.find("token") == std::string::npos && target.password && !target.token);
  if (password) return {"password", why, "DURAR_GATEWAY_PASSWORD", "gateway.auth.password"};
  return {"token", why, "DURAR_GATEWAY_TOKEN", "gateway.auth.token"};
}

}  // namespace

std::string gateway_refusal(const gateway_client_options& target, const error& e) {
  refusal r = explain_refusal(target, e);
  return fmt::format(
      "the gateway at {} refused the {} ({}): set {} or {} to the gateway's, or use --local to "
      "run in this process",
      target.url, r.what, r.why, r.variable, r.key);
}

namespace {

const std::vector<flag_spec> remote_flags = {
    {"url", "URL", "gateway WebSocket URL (default: ws://127.0.0.1:<gateway port>)"},
    {"token", "TOKEN", "gateway token (default: DURAR_GATEWAY_TOKEN or gateway.auth.token)"}};

std::vector<flag_spec> with_remote(std::vector<flag_spec> flags) {
  flags.insert(flags.end(), remote_flags.begin(), remote_flags.end());
  return flags;
}

// Calls one method and prints its answer as JSON (or `render` for people).
int call_and_print(context& ctx, const parsed_args& args, const std::string& method, json params,
                   const std::function<void(const json&)>& render) {
  auto client = connect_gateway(ctx, args);
  if (!client) return fail_with(ctx, exit_failure, client.error().message);
  auto r = (*client)->call(method, std::move(params));
  if (!r) return fail_with(ctx, exit_failure, method + ": " + r.error().message);
  if (ctx.globals.json || !render)
    print_json(*r);
  else
    render(*r);
  return exit_ok;
}

int gateway_status(context& ctx, const parsed_args& args) {
  auto target = gateway_target(ctx, args);
  if (!target) return fail_with(ctx, exit_failure, target.error().message);
  std::string url = target->url;
  const gateway_client_options presented = *target;
  auto client = gateway_client::connect(std::move(*target));
  if (!client) {
    // A refusal is an answer: the gateway runs, it only would not take our credentials.
    const bool refused = client.error().code == errc::unauthenticated;
    if (ctx.globals.json) {
      json j =
          json::object({{"running", refused}, {"url", url}, {"error", client.error().message}});
      if (refused) j.set("authorized", false);
      print_json(j);
    } else if (refused) {
      refusal r = explain_refusal(presented, client.error());
      print(stdout, fmt::format("Gateway: running at {}, but it refused the {} ({}).\n"
                                "Set {} or {} to the gateway's {}{}.\n",
                                url, r.what, r.why, r.variable, r.key, r.what,
                                r.what == "token" ? " (or pass --token TOKEN)" : ""));
    } else {
      print(stdout,
            fmt::format("Gateway: not reachable at {} ({})\n", url, client.error().message));
    }
    return exit_failure;
  }
  auto status = (*client)->call("status");
  const json& hello = (*client)->hello();
  if (ctx.globals.json) {
    print_json(json::object({{"running", true},
                             {"url", url},
                             {"server", hello["server"]},
                             {"protocol", hello["protocol"]},
                             {"status", status ? *status : json()}}));
    return exit_ok;
  }
  print(stdout, fmt::format("Gateway: running at {} (version {}, protocol {})\n", url,
                            hello["server"].string_or("version", "?"),
                            hello["protocol"].is_integer() ? hello["protocol"].as_int() : 0));
  if (status) {
    const json& snap = hello["snapshot"];
    if (snap["uptimeMs"].is_integer())
      print(stdout, fmt::format("Uptime: {} s\n", snap["uptimeMs"].as_int() / 1000));
  }
  return exit_ok;
}

int gateway_call(context& ctx, const parsed_args& args) {
  json params = json::object();
  if (auto p = args.value("params")) {
    auto parsed = json::parse(*p);
    if (!parsed) return fail_with(ctx, exit_usage, "--params: " + parsed.error().message);
    params = std::move(*parsed);
  }
  ctx.globals.json = true;
  return call_and_print(ctx, args, args.positional[0], std::move(params), {});
}

int health(context& ctx, const parsed_args& args) {
  return call_and_print(ctx, args, "health", json::object(), [](const json& h) {
    print(stdout, fmt::format("Gateway health: {}\n",
                              h["ok"].is_bool() && h["ok"].as_bool() ? "ok" : h.dump()));
  });
}

// "3d 4h", "5m 2s": an uptime, to its two largest units.
std::string uptime_text(std::int64_t ms) {
  std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m {}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h {}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d {}h", s / 86400, s % 86400 / 3600);
}

// The status method's answer for people; --json prints it whole.
void render_status(const json& s) {
  const json& gw = s["gateway"];
  std::string out =
      fmt::format("Gateway: running on {}:{} (version {}, up {}, auth {})\n",
                  gw.string_or("host", "?"), gw.int_or("port", 0), s.string_or("version", "?"),
                  uptime_text(s.int_or("uptimeMs", 0)), gw.string_or("authMode", "?"));
  out += "Config: " + s.string_or("configPath", "?") + "\n";
  out += "State dir: " + s.string_or("stateDir", "?") + "\n";
  std::string model = s.string_or("defaultModel");
  out += "Default model: " + (model.empty() ? std::string("(none)") : model) + "\n";
  if (s["agents"].is_array()) {
    std::string agents;
    for (const auto& a : s["agents"].as_array()) {
      agents += (agents.empty() ? "" : ", ") + a.string_or("agentId", "?");
      if (a.bool_or("isDefault", false)) agents += " (default)";
    }
    out += "Agents: " + (agents.empty() ? std::string("(none)") : agents) + "\n";
  }
  const json& sessions = s["sessions"];
  out += fmt::format("Sessions: {}", sessions.int_or("count", 0));
  if (sessions["recent"].is_array() && !sessions["recent"].empty()) {
    std::string keys;
    std::size_t shown = 0;
    for (const auto& r : sessions["recent"].as_array()) {
      if (shown++ == 3) break;
      keys += (keys.empty() ? "" : ", ") + r.string_or("key", "?");
    }
    out += " (latest: " + keys + ")";
  }
  out += "\n";
  out += fmt::format("Runs in flight: {}, clients connected: {}\n", s["runs"].int_or("active", 0),
                     s.int_or("clients", 0));
  print(stdout, out);
}

int status(context& ctx, const parsed_args& args) {
  return call_and_print(ctx, args, "status", json::object(), render_status);
}

}  // namespace

std::vector<command_spec> gateway_remote_commands() {
  return {
      {"gateway status", "", "Is the gateway running? (connects and asks it)", with_remote({}), 0,
       0, gateway_status},
      {"gateway call", "<method>", "Call a control-protocol method and print the answer",
       with_remote({{"params", "JSON", "the method's params (default {})"}}), 1, 1, gateway_call},
      {"health", "", "The running gateway's health", with_remote({}), 0, 0, health},
      {"status", "", "The running gateway's status", with_remote({}), 0, 0, status}};
}

}  // namespace durar::cli
