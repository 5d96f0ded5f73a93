// durar setup: a config file and an agent workspace to start from. Never overwrites.
#include <durar/runtime.hpp>
#include <durar/workspace.hpp>

#include <fmt/format.h>

#include "context.hpp"
#include "output.hpp"

namespace durar::cli {

namespace {

std::string starter_config(const std::filesystem::path& workspace) {
  return fmt::format(
      "# Durar configuration (docs/configuration.md lists every key).\n"
      "# Pick a model with: durar models set <provider/model>\n"
      "agents:\n"
      "  defaults:\n"
      "    workspace: \"{}\"\n",
      workspace.string());
}

int setup(context& ctx, const parsed_args& args) {
  auto cfg = load_config(ctx.load());
  if (!cfg) return fail_with(ctx, exit_failure, cfg.error().message);
  asio::io_context io;
  runtime rt(io, *cfg);
  auto profile = rt.agent(args.value("agent").value_or(""));
  if (!profile) return fail_with(ctx, exit_failure, profile.error().message);
  std::filesystem::path workspace = args.value("workspace")
                                        ? std::filesystem::absolute(*args.value("workspace"))
                                        : profile->workspace;

  json report = json::object({{"configFile", cfg->paths.config_file.string()},
                              {"configCreated", false},
                              {"workspace", workspace.string()}});
  if (!cfg->file_exists) {
    if (auto r = config_write(cfg->paths.config_file, starter_config(workspace)); !r)
      return fail_with(ctx, exit_failure, r.error().message);
    report["configCreated"] = true;
  }
  auto written = seed_workspace(workspace);
  if (!written) return fail_with(ctx, exit_failure, written.error().message);
  json files = json::array();
  for (const auto& p : *written) files.push_back(p.string());
  report["filesWritten"] = files;

  if (ctx.globals.json) {
    print_json(report);
    return exit_ok;
  }
  print(stdout, (report["configCreated"].as_bool() ? "Created " : "Config ") +
                    cfg->paths.config_file.string() + "\n");
  print(stdout, "Workspace " + workspace.string() + "\n");
  for (const auto& p : *written) print(stdout, "  wrote " + p.filename().string() + "\n");
  if (written->empty()) print(stdout, "  (every starting file was already there)\n");
  if (cfg->agents.model.primary.empty())
    print(stdout, "Next: durar models set <provider/model>, then durar chat\n");
  return exit_ok;
}

}  // namespace

std::vector<command_spec> setup_commands() {
  return {{"setup",
           "",
           "Create the config file and seed the agent workspace (existing files are kept)",
           {{"workspace", "DIR", "where the workspace goes (default: the agent's)"},
            {"agent", "ID", "which agent's workspace (default: the default agent)"}},
           0,
           0,
           setup}};
}

}  // namespace durar::cli
