#include <durar/config.hpp>

#include "config/loading.hpp"

#include <system_error>

namespace durar {
namespace detail {
namespace {

std::string trimmed(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// A set, non-blank variable; the original also treats "undefined" and "null" as unset.
std::string var(const environment& env, std::string_view name) {
  std::string v = trimmed(env.get(name).value_or(""));
  return v == "undefined" || v == "null" ? "" : v;
}

result<std::filesystem::path> home_dir(const environment& env) {
  std::string home = var(env, "HOME");
  if (home.empty()) home = var(env, "USERPROFILE");
  for (std::string_view name : {"DURAR_HOME", "OPENCLAW_HOME"}) {
    std::string explicit_home = var(env, name);
    if (explicit_home.empty()) continue;
    if (explicit_home == "~" || explicit_home.starts_with("~/")) {
      if (home.empty()) break;
      explicit_home = home + explicit_home.substr(1);
    }
    home = explicit_home;
    break;
  }
  if (home.empty())
    return fail(errc::invalid_argument, "cannot find the home directory: HOME is not set");
  return std::filesystem::path(home);
}

bool valid_profile(std::string_view p) {
  if (p.empty() || p.size() > 64) return false;
  for (char c : p)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

bool exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

}  // namespace

result<std::filesystem::path> expand_user_path(std::string_view p, const environment& env) {
  std::string s = trimmed(p);
  std::filesystem::path out;
  if (s == "~" || s.starts_with("~/")) {
    auto home = home_dir(env);
    if (!home) return fail(home.error());
    out = *home;
    if (s.size() > 2) out /= s.substr(2);
  } else {
    out = s;
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(out, ec);
  return (ec ? out : abs).lexically_normal();
}

}  // namespace detail

result<config_paths> resolve_paths(const path_options& opts, const environment& env) {
  config_paths out;
  std::string profile = detail::trimmed(opts.profile);
  if (opts.dev) {
    if (!profile.empty() && profile != "dev")
      return fail(errc::invalid_argument, "--dev cannot be combined with --profile " + profile);
    profile = "dev";
  }
  if (!profile.empty() && !detail::valid_profile(profile))
    return fail(errc::invalid_argument,
                "bad profile name '" + profile + "': use letters, digits, '_' and '-' only");
  if (profile == "default" || profile == "Default" || profile == "DEFAULT") profile.clear();
  out.profile = profile;
  if (profile == "dev") out.default_gateway_port = 19001;

  std::string state = detail::var(env, "DURAR_STATE_DIR");
  if (state.empty()) state = detail::var(env, "OPENCLAW_STATE_DIR");
  if (!state.empty()) {
    auto dir = detail::expand_user_path(state, env);
    if (!dir) return fail(dir.error());
    out.state_dir = *dir;
  } else {
    auto home = detail::home_dir(env);
    if (!home) return fail(home.error());
    out.state_dir = *home / (profile.empty() ? ".durar" : ".durar-" + profile);
  }

  std::string chosen;
  if (opts.config_path && !opts.config_path->empty()) {
    chosen = opts.config_path->string();
    out.config_source = "--config";
  } else {
    for (std::string_view name : {"DURAR_CONFIG_PATH", "OPENCLAW_CONFIG_PATH"}) {
      chosen = detail::var(env, name);
      if (!chosen.empty()) {
        out.config_source = std::string(name);
        break;
      }
    }
  }
  if (!chosen.empty()) {
    auto file = detail::expand_user_path(chosen, env);
    if (!file) return fail(file.error());
    out.config_file = *file;
    return out;
  }
  out.config_source = "default";
  out.config_file = out.state_dir / "durar.yaml";
  if (!detail::exists(out.config_file)) {
    // Users arriving from the original bring their openclaw.json along.
    for (const char* name : {"durar.yml", "durar.json", "durar.json5", "openclaw.json"}) {
      if (detail::exists(out.state_dir / name)) {
        out.config_file = out.state_dir / name;
        break;
      }
    }
  }
  return out;
}

}  // namespace durar
