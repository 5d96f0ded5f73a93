// What every command gets: the resolved options, the environment, and output style.
#pragma once

#include <durar/config.hpp>
#include <durar/environment.hpp>

#include "args.hpp"
#include "output.hpp"

namespace durar::cli {

struct context {
  global_options globals;
  environment env = environment::from_process();
  style styles{false};

  [[nodiscard]] load_options load() const {
    load_options opts;
    if (globals.config_path) opts.paths.config_path = *globals.config_path;
    opts.paths.profile = globals.profile;
    opts.paths.dev = globals.dev;
    opts.env = env;
    return opts;
  }
};

// The command tables, one per command group file.
std::vector<command_spec> doctor_commands();
std::vector<command_spec> config_commands();
std::vector<command_spec> models_commands();
std::vector<command_spec> complete_commands();
std::vector<command_spec> agent_commands();
std::vector<command_spec> chat_commands();
std::vector<command_spec> sessions_commands();
std::vector<command_spec> setup_commands();
std::vector<command_spec> gateway_commands();
std::vector<command_spec> gateway_remote_commands();

}  // namespace durar::cli
