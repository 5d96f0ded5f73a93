// What differs between two configs, key by key, and what each difference takes to apply
// while the program runs. The table below is the one place that decides it.
#include "config/config_diff.hpp"

#include <algorithm>

namespace durar {
namespace detail {

namespace {

using e = reload_effect;

// Prefixes over the key tree. Pseudo-keys: "$env.NAME" (the environment the config was
// loaded with: .env files and the env block), "$paths.*" (the resolved file and state dir).
const std::vector<reload_rule> rules = {
    // Bookkeeping the original writes into its file; nothing reads it.
    {"$schema", e::none},
    {"meta", e::none},
    {"wizard", e::none},
    // Read where they are used, at every turn or request, or rebuilt on reload.
    {"agents", e::hot},
    {"models", e::hot},
    {"tools", e::hot},
    {"session", e::hot},
    {"env", e::hot},
    {"$env", e::hot},  // provider keys and other credentials: the router is rebuilt
    // The logger takes new levels; its file and style are fixed when it opens.
    {"logging", e::restart},
    {"logging.level", e::hot},
    {"logging.consoleLevel", e::hot},
    // The gateway: its listener (port, bind, TLS) is made once; auth and the browser origins
    // are swapped in place, HTTP endpoint and tool switches are read per request, the reload
    // mode per change.
    {"gateway", e::restart},
    {"gateway.auth", e::hot},
    {"gateway.controlUi.allowedOrigins", e::hot},
    {"gateway.http", e::hot},
    {"gateway.tools", e::hot},
    {"gateway.reload", e::none},
    {"gateway.remote", e::none},  // how clients reach a remote gateway, not this one
    // Variables read once at start.
    {"$env.DURAR_GATEWAY_PORT", e::restart},
    {"$env.DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS", e::restart},
    {"$env.DURAR_GATEWAY_HEADER_TIMEOUT_MS", e::restart},
    {"$env.DURAR_STATE_DIR", e::restart},
    {"$env.DURAR_CONFIG_PATH", e::restart},
    {"$env.OPENCLAW_STATE_DIR", e::restart},
    {"$env.OPENCLAW_CONFIG_PATH", e::restart},
    {"$paths", e::restart},
};

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto dot = s.find('.');
    out.push_back(s.substr(0, dot));
    if (dot == std::string_view::npos) return out;
    s.remove_prefix(dot + 1);
  }
}

bool plain_word(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '$';
  });
}

struct differ {
  std::vector<config_change>& out;
  std::vector<std::string> at;

  void emit() {
    config_change c;
    c.path = render_key_path(at);
    const reload_rule* r = reload_rule_for(at);
    c.effect = r != nullptr ? r->effect : reload_effect::none;
    out.push_back(std::move(c));
  }

  // Objects (or an object against nothing) are walked key by key, so adding a section names
  // the keys it sets; anything else that differs is one change.
  void walk(const json& a, const json& b) {
    if (a == b) return;
    const bool a_tree = a.is_object() || a.is_null();
    const bool b_tree = b.is_object() || b.is_null();
    if (!(a_tree && b_tree) || (a.is_null() && b.is_null())) return emit();
    static const json nothing;
    if (a.is_object())
      for (const auto& [key, value] : a.as_object()) {
        const json* other = b.find(key);
        at.push_back(key);
        walk(value, other != nullptr ? *other : nothing);
        at.pop_back();
      }
    if (b.is_object())
      for (const auto& [key, value] : b.as_object()) {
        if (a.find(key) != nullptr) continue;
        at.push_back(key);
        walk(nothing, value);
        at.pop_back();
      }
  }
};

}  // namespace

const std::vector<reload_rule>& reload_rules() { return rules; }

const reload_rule* reload_rule_for(const std::vector<std::string>& segments) {
  const reload_rule* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& r : rules) {
    auto parts = split_dots(r.prefix);
    if (parts.size() > segments.size() || parts.size() <= best_len) continue;
    if (std::equal(parts.begin(), parts.end(), segments.begin())) {
      best = &r;
      best_len = parts.size();
    }
  }
  return best;
}

std::string render_key_path(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) {
    if (plain_word(s)) {
      if (!out.empty()) out += '.';
      out += s;
    } else {
      out += '[';
      json_quote(out, s);
      out += ']';
    }
  }
  return out;
}

}  // namespace detail

std::string_view to_string(reload_effect effect) noexcept {
  switch (effect) {
    case reload_effect::none:
      return "none";
    case reload_effect::hot:
      return "hot";
    case reload_effect::restart:
      return "restart";
  }
  return "restart";
}

reload_effect reload_effect_of(std::string_view path) {
  auto parsed = parse_key_path(path);
  std::vector<std::string> segments;
  if (parsed) {
    segments = std::move(*parsed);
  } else {  // "$env.NAME" and other pseudo-keys the config syntax need not accept
    for (auto s : detail::split_dots(path)) segments.emplace_back(s);
  }
  const detail::reload_rule* r = detail::reload_rule_for(segments);
  return r != nullptr ? r->effect : reload_effect::none;
}

std::vector<config_change> diff_config(const config& before, const config& after) {
  std::vector<config_change> out;
  detail::differ d{out, {}};
  d.walk(before.document, after.document);

  // The environment: .env files change without the config file changing. Names only.
  const auto& a = before.env.vars();
  const auto& b = after.env.vars();
  auto env_change = [&](const std::string& name) {
    d.at = {"$env", name};
    d.emit();
  };
  for (const auto& [name, value] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second != value) env_change(name);
  }
  for (const auto& [name, value] : b)
    if (a.find(name) == a.end()) env_change(name);

  if (before.paths.state_dir != after.paths.state_dir) {
    d.at = {"$paths", "state_dir"};
    d.emit();
  }
  if (before.paths.config_file != after.paths.config_file) {
    d.at = {"$paths", "config_file"};
    d.emit();
  }
  return out;
}

}  // namespace durar
