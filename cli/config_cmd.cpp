// durar config: path, get, set, unset, validate, import.
#include <durar/config.hpp>

#include "context.hpp"
#include "output.hpp"

namespace durar::cli {

namespace {

result<config_paths> paths_of(const context& ctx) {
  return resolve_paths(ctx.load().paths, ctx.env);
}

int config_path(context& ctx, const parsed_args&) {
  auto paths = paths_of(ctx);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);
  if (ctx.globals.json) {
    print_json(json::object({{"path", paths->config_file.string()},
                             {"source", paths->config_source},
                             {"exists", std::filesystem::exists(paths->config_file)},
                             {"stateDir", paths->state_dir.string()}}));
  } else {
    print(stdout, paths->config_file.string() + "\n");
  }
  return exit_ok;
}

int config_get_cmd(context& ctx, const parsed_args& args) {
  auto paths = paths_of(ctx);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);
  auto value = config_get(paths->config_file, args.positional[0]);
  if (!value) return fail_with(ctx, exit_failure, value.error().message);
  json shown = args.has("show-secrets") ? *value : redact_secrets(*value, args.positional[0]);
  if (shown.is_string() && !ctx.globals.json)
    print(stdout, shown.as_string() + "\n");
  else
    print_json(shown);
  return exit_ok;
}

int config_set_cmd(context& ctx, const parsed_args& args) {
  auto paths = paths_of(ctx);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);
  std::vector<config_issue> notes;
  auto done = config_set(paths->config_file, args.positional[0], args.positional[1], notes);
  if (!done) return fail_with(ctx, exit_failure, done.error().message);
  print_issues(ctx, notes);
  print(stdout, "Updated " + args.positional[0] + " in " + paths->config_file.string() + "\n");
  return exit_ok;
}

int config_unset_cmd(context& ctx, const parsed_args& args) {
  auto paths = paths_of(ctx);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);
  std::vector<config_issue> notes;
  auto done = config_unset(paths->config_file, args.positional[0], notes);
  if (!done) return fail_with(ctx, exit_failure, done.error().message);
  print_issues(ctx, notes);
  print(stdout, "Removed " + args.positional[0] + " from " + paths->config_file.string() + "\n");
  return exit_ok;
}

int config_validate(context& ctx, const parsed_args&) {
  auto paths = paths_of(ctx);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);
  config_check check = check_config(ctx.load());
  if (ctx.globals.json) {
    print_json(json::object({{"path", paths->config_file.string()},
                             {"valid", check.ok()},
                             {"issues", issues_json(check.issues)}}));
    return check.ok() ? exit_ok : exit_failure;
  }
  print_issues(ctx, check.issues);
  if (!check.ok()) {
    return fail_with(ctx, exit_failure, "config is invalid: " + paths->config_file.string());
  }
  std::string where = paths->config_file.string();
  print(stdout, (check.value->file_exists ? "Config valid: " + where
                                          : "No config file at " + where + "; defaults apply") +
                    "\n");
  return exit_ok;
}

int config_import(context& ctx, const parsed_args& args) {
  auto paths = paths_of(ctx);
  if (!paths) return fail_with(ctx, exit_failure, paths.error().message);
  std::filesystem::path source = args.positional[0];
  auto yaml = config_to_yaml(source);
  if (!yaml) return fail_with(ctx, exit_failure, yaml.error().message);
  if (args.has("stdout")) {
    print(stdout, *yaml);
    return exit_ok;
  }
  std::filesystem::path target =
      args.value("output").value_or((paths->state_dir / "durar.yaml").string());
  if (std::filesystem::exists(target) && !args.has("force")) {
    return fail_with(
        ctx, exit_failure,
        target.string() + " already exists; pass --force to replace it or --output PATH");
  }
  auto written = config_write(target, *yaml);
  if (!written) return fail_with(ctx, exit_failure, written.error().message);
  print(stdout, "Imported " + source.string() + " into " + target.string() + "\n");
  return exit_ok;
}

}  // namespace

std::vector<command_spec> config_commands() {
  return {
      {"config path", "", "Print the config file path Durar uses", {}, 0, 0, config_path},
      {"config get",
       "<path>",
       "Print the value at a key path, e.g. agents.defaults.model.primary",
       {{"show-secrets", "", "print keys, tokens and passwords instead of ***"}},
       1,
       1,
       config_get_cmd},
      {"config set",
       "<path> <value>",
       "Set a key (value parsed as JSON when it parses, else a string); validates first",
       {},
       2,
       2,
       config_set_cmd},
      {"config unset", "<path>", "Remove a key", {}, 1, 1, config_unset_cmd},
      {"config validate",
       "",
       "Check the config file and report every problem",
       {},
       0,
       0,
       config_validate},
      {"config import",
       "<openclaw.json>",
       "Convert an openclaw.json (JSON5) config to durar.yaml",
       {{"output", "PATH", "where to write (default: <state dir>/durar.yaml)"},
        {"force", "", "replace an existing file"},
        {"stdout", "", "print the YAML instead of writing it"}},
       1,
       1,
       config_import},
  };
}

}  // namespace durar::cli
