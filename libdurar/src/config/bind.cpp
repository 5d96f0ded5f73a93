// From the validated document to the typed structs of config.hpp. Types were checked by
// validate(), so reads here are lenient and never throw on shape.
#include "config/duration.hpp"
#include "config/loading.hpp"

#include <cmath>

namespace durar::detail {
namespace {

std::string str(const json& v, std::string_view key, std::string_view fallback = {}) {
  const json& m = v[key];
  return m.is_string() ? m.as_string() : std::string(fallback);
}

std::optional<std::int64_t> int_of(const json& v) {
  if (v.is_integer())
    return v.type() == json_type::integer ? v.as_int() : static_cast<std::int64_t>(v.as_uint());
  if (v.type() == json_type::real && std::isfinite(v.as_double()))
    return static_cast<std::int64_t>(v.as_double());
  return std::nullopt;
}

std::optional<double> double_of(const json& v) {
  if (v.is_number()) return v.as_double();
  return std::nullopt;
}

std::vector<std::string> strings(const json& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& item : v.as_array())
      if (item.is_string()) out.push_back(item.as_string());
  return out;
}

std::optional<model_choice> choice(const json& v) {
  if (v.is_string()) return model_choice{v.as_string(), {}};
  if (!v.is_object()) return std::nullopt;
  return model_choice{str(v, "primary"), strings(v["fallbacks"])};
}

class binder {
 public:
  binder(const document& doc, config& cfg, std::vector<config_issue>& issues, bool require_env)
      : doc_(doc), cfg_(cfg), issues_(issues), require_env_(require_env) {}

  void run() {
    const json& root = cfg_.document;
    agents(root["agents"]);
    models(root["models"]);
    session(root["session"]);
    tools(root["tools"]);
    gateway(root["gateway"]);
    logging(root["logging"]);
  }

 private:
  const document& doc_;
  config& cfg_;
  std::vector<config_issue>& issues_;
  bool require_env_;

  // A string, or an {source: "env", id} reference resolved now; other sources are unset.
  std::optional<std::string> secret_text(const json& v, const std::string& path) {
    if (v.is_string()) return v.as_string();
    if (!v.is_object() || v["source"] != json("env") || !v["id"].is_string()) return std::nullopt;
    const std::string& name = v["id"].as_string();
    auto value = cfg_.env.get(name);
    if (!value || value->empty()) {
      if (!require_env_) return std::nullopt;
      issues_.push_back(
          make_issue(doc_, config_issue::severity::error, path,
                     "environment variable " + name + " (from the secret reference) is not set"));
      return std::nullopt;
    }
    return value;
  }

  void agents(const json& a) {
    agents_config& out = cfg_.agents;
    const json& d = a["defaults"];
    if (auto c = choice(d["model"])) out.model = *c;
    if (d["models"].is_object())
      for (const auto& [key, v] : d["models"].as_object())
        out.models[key] = model_options{str(v, "alias"), v["params"]};
    out.workspace = str(d, "workspace");
    out.thinking_default = str(d, "thinkingDefault");
    out.context_tokens = int_of(d["contextTokens"]);
    const json& c = d["compaction"];
    out.compaction.mode = str(c, "mode", "default");
    out.compaction.reserve_tokens = int_of(c["reserveTokens"]);
    if (auto v = int_of(c["reserveTokensFloor"])) out.compaction.reserve_tokens_floor = *v;
    if (auto v = int_of(c["keepRecentTokens"])) out.compaction.keep_recent_tokens = *v;
    out.user_timezone = str(d, "userTimezone");
    if (auto v = int_of(d["bootstrapMaxChars"])) out.bootstrap_max_chars = *v;
    if (auto v = int_of(d["bootstrapTotalMaxChars"])) out.bootstrap_total_max_chars = *v;
    out.timeout_seconds = int_of(d["timeoutSeconds"]);
    if (!a["list"].is_array()) return;
    for (const auto& item : a["list"].as_array()) {
      agent_config agent;
      agent.id = str(item, "id");
      agent.model = choice(item["model"]);
      agent.workspace = str(item, "workspace");
      agent.tools = item["tools"];
      agent.tool_access = {strings(item["tools"]["allow"]), strings(item["tools"]["deny"])};
      agent.name = str(item, "name");
      agent.is_default = item["default"].is_bool() && item["default"].as_bool();
      out.list.push_back(std::move(agent));
    }
  }

  model_config model(const json& m) {
    model_config out;
    out.id = str(m, "id");
    out.name = str(m, "name");
    if (m["reasoning"].is_bool()) out.reasoning = m["reasoning"].as_bool();
    out.input = strings(m["input"]);
    if (m["cost"].is_object()) {
      const json& c = m["cost"];
      out.cost = model_cost{c.number_or("input", 0), c.number_or("output", 0),
                            c.number_or("cacheRead", 0), c.number_or("cacheWrite", 0)};
    }
    out.context_window = int_of(m["contextWindow"]);
    out.context_tokens = int_of(m["contextTokens"]);
    out.max_tokens = int_of(m["maxTokens"]);
    out.compat = m["compat"];
    return out;
  }

  void models(const json& m) {
    cfg_.models.mode = str(m, "mode", "merge");
    if (!m["providers"].is_object()) return;
    for (const auto& [id, p] : m["providers"].as_object()) {
      std::string path = path_key("models.providers", id);
      provider_config out;
      out.base_url = str(p, "baseUrl");
      if (auto key = secret_text(p["apiKey"], path_key(path, "apiKey"))) out.api_key = secret(*key);
      out.api = str(p, "api");
      if (p["headers"].is_object())
        for (const auto& [name, value] : p["headers"].as_object())
          if (auto text = secret_text(value, path_key(path_key(path, "headers"), name)))
            out.headers[name] = *text;
      // The original's authHeader is a boolean: true sends the key as "Authorization: Bearer".
      const json& auth_header = p["authHeader"];
      if (auth_header.is_string()) out.auth_header = auth_header.as_string();
      if (auth_header.is_bool() && auth_header.as_bool()) out.auth_header = "Authorization";
      out.timeout_seconds = double_of(p["timeoutSeconds"]);
      if (p["models"].is_array())
        for (const auto& item : p["models"].as_array()) out.models.push_back(model(item));
      cfg_.models.providers[id] = std::move(out);
    }
  }

  void session(const json& s) {
    session_config& out = cfg_.session;
    out.main_key = str(s, "mainKey", "main");
    const json& reset = s["reset"];
    out.reset_mode = str(reset, "mode", "daily");
    if (auto h = int_of(reset["atHour"])) out.reset_at_hour = static_cast<int>(*h);
    out.idle_minutes = int_of(reset["idleMinutes"]);
    if (!out.idle_minutes) out.idle_minutes = int_of(s["idleMinutes"]);  // the legacy key
    maintenance(s["maintenance"], out.maintenance);
  }

  static std::optional<std::chrono::milliseconds> days(const json& v) {
    if (v.is_number()) return duration_of(v.as_double(), "d");
    if (v.is_string()) return parse_duration(v.as_string(), "d");
    return std::nullopt;
  }

  static void maintenance(const json& m, session_maintenance& out) {
    out.mode = str(m, "mode", "enforce");
    auto prune = days(m["pruneAfter"]);
    if (!prune) prune = days(m["pruneDays"]);  // the older name
    if (prune) out.prune_after = *prune;
    if (auto n = int_of(m["maxEntries"]); n && *n > 0) out.max_entries = *n;
    const json& retention = m["resetArchiveRetention"];
    if (retention.is_bool() && !retention.as_bool())
      out.reset_archive_retention.reset();
    else
      out.reset_archive_retention = days(retention).value_or(out.prune_after);
    out.max_disk_bytes = bytes(m["maxDiskBytes"]);
    out.high_water_bytes.reset();
    if (out.max_disk_bytes)  // without a budget the high-water mark means nothing
      out.high_water_bytes =
          disk_budget_high_water(*out.max_disk_bytes, bytes(m["highWaterBytes"]));
  }

  static std::optional<std::int64_t> bytes(const json& v) {
    if (v.is_number()) return byte_size_of(v.as_double());
    if (v.is_string()) return parse_byte_size(v.as_string());
    return std::nullopt;
  }

  void tools(const json& t) {
    tools_config& out = cfg_.tools;
    out.access = {strings(t["allow"]), strings(t["deny"])};
    const json& fs = t["fs"];
    if (fs["workspaceOnly"].is_bool()) out.fs_workspace_only = fs["workspaceOnly"].as_bool();
    const json& exec = t["exec"];
    out.exec_security = str(exec, "security", "full");
    out.exec_ask = str(exec, "ask", "off");
    out.exec_safe_bins = strings(exec["safeBins"]);
    if (auto v = int_of(exec["timeoutSec"])) out.exec_timeout_sec = *v;
    if (auto v = int_of(exec["backgroundMs"])) out.exec_background_ms = *v;
    const json& fetch = t["web"]["fetch"];
    if (fetch["enabled"].is_bool()) out.web_fetch_enabled = fetch["enabled"].as_bool();
    if (auto v = int_of(fetch["maxChars"])) out.web_fetch_max_chars = *v;
    if (fetch["allowPrivateNetwork"].is_bool())
      out.web_fetch_allow_private = fetch["allowPrivateNetwork"].as_bool();
  }

  void gateway(const json& g) {
    gateway_config& out = cfg_.gateway;
    if (auto port = int_of(g["port"])) out.port = static_cast<int>(*port);
    out.bind = str(g, "bind", "loopback");
    out.custom_bind_host = str(g, "customBindHost");
    const json& auth = g["auth"];
    out.auth_mode = str(auth, "mode");
    if (auto t = secret_text(auth["token"], "gateway.auth.token")) out.auth_token = secret(*t);
    if (auto p = secret_text(auth["password"], "gateway.auth.password"))
      out.auth_password = secret(*p);
    out.reload_mode = str(g["reload"], "mode");
  }

  void logging(const json& l) {
    logging_config& out = cfg_.logging;
    out.level = str(l, "level", "info");
    out.file = str(l, "file");
    out.console_level = str(l, "consoleLevel");
    out.console_style = str(l, "consoleStyle");
    const json& redact = l["redactSensitive"];
    if (redact.is_bool()) out.redact_sensitive = redact.as_bool();
    if (redact.is_string()) out.redact_sensitive = redact.as_string() != "off";
  }
};

}  // namespace

void bind_config(const document& doc, config& out, std::vector<config_issue>& issues,
                 bool require_env) {
  binder(doc, out, issues, require_env).run();
}

}  // namespace durar::detail
