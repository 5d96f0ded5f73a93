// Command-line parsing for the durar tool: global options, a command path, its flags.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace durar::cli {

// Exit codes every command shares.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // the command ran and failed
inline constexpr int exit_usage = 2;    // the command line itself is wrong

struct flag_spec {
  std::string name;        // without dashes: "json", "all", "output"
  std::string value_name;  // "" for a boolean flag, else e.g. "PATH"
  std::string help;
  char short_name = 0;  // 'm' for -m; 0 for none
};

struct parsed_args;
struct context;

struct command_spec {
  std::string path;     // "config get"
  std::string args;     // "<path>", shown in usage
  std::string summary;  // one line
  std::vector<flag_spec> flags;
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;
  std::function<int(context&, const parsed_args&)> run;
};

struct parsed_args {
  const command_spec* command = nullptr;
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // boolean flags map to ""

  [[nodiscard]] bool has(const std::string& name) const { return flags.count(name) != 0; }
  [[nodiscard]] std::optional<std::string> value(const std::string& name) const;
};

// Options accepted anywhere on the line, before or after the command.
struct global_options {
  std::optional<std::string> config_path;
  std::string profile;
  bool dev = false;
  bool json = false;
  bool no_color = false;
  bool help = false;
  bool version = false;
};

struct parse_outcome {
  global_options globals;
  parsed_args args;
  std::string group;  // set when only a command group was named ("config")
  std::string error;  // non-empty: a usage error, already worded for people
};

// Splits argv against the known commands. Never throws; a problem is reported in `error`,
// with a suggestion for a mistyped command or flag.
parse_outcome parse_command_line(const std::vector<std::string>& argv,
                                 const std::vector<command_spec>& commands);

// Help text: the whole tool, one group ("config"), or one command.
std::string tool_help(const std::vector<command_spec>& commands);
std::string group_help(const std::string& group, const std::vector<command_spec>& commands);
std::string command_help(const command_spec& command);

}  // namespace durar::cli
