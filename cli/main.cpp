// durar: the command-line tool. A thin layer over <durar/...>; each group lives in its own file.
#include <durar/version.hpp>

#include "args.hpp"
#include "context.hpp"
#include "output.hpp"

#include <cstdlib>
#include <exception>
#include <unistd.h>

namespace {

std::vector<durar::cli::command_spec> all_commands() {
  std::vector<durar::cli::command_spec> all;
  for (auto group :
       {durar::cli::doctor_commands, durar::cli::setup_commands, durar::cli::agent_commands,
        durar::cli::chat_commands, durar::cli::sessions_commands, durar::cli::gateway_commands,
        durar::cli::gateway_remote_commands, durar::cli::config_commands,
        durar::cli::models_commands, durar::cli::complete_commands}) {
    auto cmds = group();
    all.insert(all.end(), cmds.begin(), cmds.end());
  }
  // `durar help [command]` is `durar [command] --help`; run() answers it before dispatch.
  all.push_back({"help",
                 "[command]",
                 "Show the help of the tool, a command group or a command (as --help does)",
                 {},
                 0,
                 3,
                 [](durar::cli::context&, const durar::cli::parsed_args&) {
                   return durar::cli::exit_usage;
                 }});
  return all;
}

bool colors_wanted(const durar::cli::global_options& g, const durar::environment& env) {
  if (g.no_color || env.get("NO_COLOR").has_value()) return false;
  if (env.get("TERM").value_or("") == "dumb") return false;
  return ::isatty(STDOUT_FILENO) != 0 && ::isatty(STDERR_FILENO) != 0;
}

int run(int argc, char** argv) {
  using namespace durar::cli;
  std::vector<std::string> words(argv + 1, argv + argc);
  const auto commands = all_commands();
  parse_outcome parsed = parse_command_line(words, commands);
  if (parsed.error.empty() && parsed.args.command != nullptr &&
      parsed.args.command->path == "help" && !parsed.globals.help) {
    std::vector<std::string> asked = parsed.args.positional;
    asked.emplace_back("--help");
    global_options first = parsed.globals;
    parsed = parse_command_line(asked, commands);
    parsed.globals.no_color = first.no_color;
  }

  context ctx;
  ctx.globals = parsed.globals;
  ctx.styles = style(colors_wanted(parsed.globals, ctx.env));

  if (parsed.globals.version && parsed.args.command == nullptr) {
    print(stdout, std::string("durar ") + std::string(durar::version()) + "\n");
    return exit_ok;
  }
  if (!parsed.error.empty()) {
    fail_with(ctx, exit_usage, parsed.error);
    // A mistyped subcommand gets its group's list; anything else the tool's.
    print(stderr, "Run 'durar " + (parsed.group.empty() ? "" : parsed.group + " ") +
                      "--help' for usage.\n");
    return exit_usage;
  }
  if (!parsed.group.empty()) {
    print(parsed.globals.help ? stdout : stderr, group_help(parsed.group, commands));
    return parsed.globals.help ? exit_ok : exit_usage;
  }
  if (parsed.args.command == nullptr) {
    print(parsed.globals.help ? stdout : stderr, tool_help(commands));
    return parsed.globals.help ? exit_ok : exit_usage;
  }
  if (parsed.globals.help) {
    print(stdout, command_help(*parsed.args.command));
    return exit_ok;
  }
  return parsed.args.command->run(ctx, parsed.args);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "error: internal error: unknown exception\n");
  }
  return durar::cli::exit_failure;
}
