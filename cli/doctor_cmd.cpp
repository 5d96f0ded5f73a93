// durar doctor: where Durar looks, what it found, and what is wrong.
#include <durar/catalog.hpp>
#include <durar/version.hpp>

#include <fmt/format.h>

#include "context.hpp"
#include "output.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace durar::cli {

namespace {

struct provider_status {
  std::string id;
  std::vector<std::string> sources;  // where keys come from, never the keys
};

std::vector<provider_status> credentialed(const catalog& cat, const environment& env) {
  std::vector<provider_status> out;
  for (const auto& p : cat.providers()) {
    auto creds = resolve_credentials(p, env);
    if (creds.empty()) continue;
    provider_status s{p.id, {}};
    for (const auto& c : creds) s.sources.push_back(c.source);
    out.push_back(std::move(s));
  }
  return out;
}

// A file or folder that holds secrets (keys in the config, the gateway token, transcripts)
// which others on the machine may read: Durar makes them private, but earlier versions, an
// editor or a copy may not have.
struct open_permission {
  std::filesystem::path path;
  mode_t mode = 0;  // permission bits now
  mode_t want = 0;  // 0700 for folders, 0600 for files
  bool fixed = false;
  std::string fix_error;
};

std::vector<open_permission> open_permissions(const config_paths& paths, bool fix) {
  std::vector<open_permission> out;
  auto look = [&](const std::filesystem::path& p, mode_t want) {
    struct stat st {};
    // lstat: a symlink's own bits mean nothing, and chmod would follow it elsewhere.
    if (::lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return;
    if ((st.st_mode & 077) == 0) return;
    open_permission o;
    o.path = p;
    o.mode = static_cast<mode_t>(st.st_mode & 07777);
    o.want = want;
    if (fix) {
      if (::chmod(p.c_str(), want) == 0) {
        o.fixed = true;
      } else {
        o.fix_error = std::strerror(errno);
      }
    }
    out.push_back(std::move(o));
  };
  look(paths.state_dir, 0700);
  look(paths.config_file, 0600);
  look(paths.state_dir / "gateway.token", 0600);
  return out;
}

int doctor(context& ctx, const parsed_args& args) {
  config_check check = check_config(ctx.load());
  auto paths = resolve_paths(ctx.load().paths, ctx.env);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);

  const environment& env = check.ok() ? check.value->env : ctx.env;
  catalog cat = catalog::builtin();
  std::string catalog_problem;
  if (check.ok()) {
    if (auto merged = catalog::from_config(*check.value))
      cat = std::move(*merged);
    else
      catalog_problem = merged.error().message;
  }
  auto providers = credentialed(cat, env);
  std::size_t errors = 0;
  for (const auto& i : check.issues) errors += i.level == config_issue::severity::error;
  const bool file_exists =
      check.ok() ? check.value->file_exists : std::filesystem::exists(paths->config_file);
  std::string primary = check.ok() ? check.value->agents.model.primary : "";
  int port = check.ok() && check.value->gateway.port ? *check.value->gateway.port
                                                     : paths->default_gateway_port;
  const auto permissions = open_permissions(*paths, args.has("fix"));

  if (ctx.globals.json) {
    json creds = json::array();
    for (const auto& p : providers) {
      json sources = json::array();
      for (const auto& s : p.sources) sources.push_back(s);
      creds.push_back(json::object({{"provider", p.id}, {"sources", sources}}));
    }
    print_json(json::object({
        {"version", std::string(version())},
        {"config", json::object({{"path", paths->config_file.string()},
                                 {"source", paths->config_source},
                                 {"exists", file_exists},
                                 {"valid", check.ok() && catalog_problem.empty()}})},
        {"stateDir", paths->state_dir.string()},
        {"profile", paths->profile},
        {"gatewayPort", port},
        {"defaultModel", primary},
        {"credentials", creds},
        {"issues", issues_json(check.issues)},
        {"permissions",
         [&] {
           json list = json::array();
           for (const auto& p : permissions)
             list.push_back(json::object({{"path", p.path.string()},
                                          {"mode", fmt::format("{:04o}", p.mode)},
                                          {"recommended", fmt::format("{:04o}", p.want)},
                                          {"fixed", p.fixed}}));
           return list;
         }()},
    }));
    return errors == 0 && catalog_problem.empty() ? exit_ok : exit_failure;
  }

  const style& st = ctx.styles;
  std::string out = st.bold("Durar " + std::string(version())) + "\n\n";
  std::vector<std::vector<std::string>> rows = {
      {"Config", paths->config_file.string() + " (" + paths->config_source +
                     (file_exists ? ")" : "; not found, using defaults)")},
      {"State dir", paths->state_dir.string()},
      {"Profile", paths->profile.empty() ? "default" : paths->profile},
      {"Gateway port", std::to_string(port)},
      {"Default model", primary.empty() ? "(not set; durar models set <provider/model>)" : primary},
  };
  out += format_table(rows, 200);
  if (!file_exists) {
    // Someone moving from the original: point at their existing config.
    std::filesystem::path original =
        std::filesystem::path(env.get("HOME").value_or("")) / ".openclaw" / "openclaw.json";
    if (env.get("HOME") && std::filesystem::exists(original))
      out += "\nFound the original's config at " + original.string() +
             "; import it with: durar config import " + original.string() + "\n";
  }
  out += "\n" + st.bold("Credentials") + "\n";
  if (providers.empty()) {
    out += "  none found; set e.g. OPENAI_API_KEY or ANTHROPIC_API_KEY\n";
  } else {
    std::vector<std::vector<std::string>> cred_rows;
    for (const auto& p : providers) {
      std::string sources;
      for (const auto& s : p.sources) sources += (sources.empty() ? "" : ", ") + s;
      cred_rows.push_back({"  " + p.id, st.green("ok"), sources});
    }
    out += format_table(cred_rows, 200);
  }
  out += "\n" + st.bold("Permissions") + "\n";
  if (permissions.empty()) out += "  private (only you can read the state dir and the config)\n";
  for (const auto& p : permissions) {
    const std::string what =
        fmt::format("{} is {:04o}: open to others on this machine", p.path.string(), p.mode);
    if (p.fixed) {
      out += "  " + st.green(fmt::format("{}; changed to {:04o}", what, p.want)) + "\n";
    } else if (!p.fix_error.empty()) {
      out +=
          "  " + st.red(fmt::format("{}; chmod {:o} failed: {}", what, p.want, p.fix_error)) + "\n";
    } else {
      out += "  " +
             st.yellow(fmt::format("{}; fix with: chmod {:o} {} (or durar doctor --fix)", what,
                                   p.want, p.path.string())) +
             "\n";
    }
  }
  out += "\n" + st.bold("Config problems") + "\n";
  print(stdout, out);
  if (check.issues.empty() && catalog_problem.empty()) {
    print(stdout, "  none\n");
  } else {
    for (const auto& issue : check.issues) {
      bool is_error = issue.level == config_issue::severity::error;
      std::string line = "  " + issue.describe();
      print(stdout, (is_error ? st.red(line) : st.yellow(line)) + "\n");
    }
    if (!catalog_problem.empty()) print(stdout, "  " + st.red(catalog_problem) + "\n");
  }
  return errors == 0 && catalog_problem.empty() ? exit_ok : exit_failure;
}

}  // namespace

std::vector<command_spec> doctor_commands() {
  return {{"doctor",
           "",
           "Show the version, config and state paths, credentials, permissions and config "
           "problems",
           {{"fix", "", "make the state dir (0700), the config and gateway.token (0600) private"}},
           0,
           0,
           doctor}};
}

}  // namespace durar::cli
