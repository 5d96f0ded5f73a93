#include "args.hpp"

#include <durar/suggest.hpp>

#include <algorithm>
#include <sstream>

namespace durar::cli {

namespace {

const std::vector<flag_spec> global_flags = {
    {"config", "PATH", "config file to use (default: $DURAR_CONFIG_PATH or ~/.durar/durar.yaml)"},
    {"profile", "NAME", "isolate config, state and port under ~/.durar-NAME"},
    {"dev", "", "use the dev profile (~/.durar-dev, gateway port 19001)"},
    {"json", "", "print machine-readable JSON"},
    {"no-color", "", "disable colors (also NO_COLOR=1)"},
    {"help", "", "show help"},
    {"version", "", "print the version"},
};

std::vector<std::string> split_words(const std::string& path) {
  std::vector<std::string> words;
  std::istringstream in(path);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool starts_with_words(const std::vector<std::string>& have,
                       const std::vector<std::string>& prefix) {
  return prefix.size() <= have.size() && std::equal(prefix.begin(), prefix.end(), have.begin());
}

std::string flag_line(const flag_spec& f) {
  std::string left =
      std::string(f.short_name != 0 ? "  -" + std::string(1, f.short_name) + ", " : "  ") + "--" +
      f.name + (f.value_name.empty() ? "" : " " + f.value_name);
  if (left.size() < 24)
    left.resize(24, ' ');
  else
    left += "  ";
  return left + f.help + "\n";
}

// Consumes one global option at argv[i]; returns false when argv[i] is not one.
bool take_global(const std::vector<std::string>& argv, std::size_t& i, global_options& g,
                 std::string& error) {
  const std::string& a = argv[i];
  auto value_of = [&](const std::string& name) -> std::optional<std::string> {
    if (a == "--" + name) {
      if (i + 1 >= argv.size()) {
        error = "option --" + name + " needs a value";
        return std::nullopt;
      }
      return argv[++i];
    }
    return a.substr(name.size() + 3);  // --name=value
  };
  auto is_valued = [&](const std::string& name) {
    return a == "--" + name || a.rfind("--" + name + "=", 0) == 0;
  };
  if (is_valued("config")) {
    if (auto v = value_of("config")) g.config_path = *v;
  } else if (is_valued("profile")) {
    if (auto v = value_of("profile")) g.profile = *v;
  } else if (a == "--dev") {
    g.dev = true;
  } else if (a == "--json") {
    g.json = true;
  } else if (a == "--no-color") {
    g.no_color = true;
  } else if (a == "--help" || a == "-h") {
    g.help = true;
  } else if (a == "--version" || a == "-V") {
    g.version = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> parsed_args::value(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

parse_outcome parse_command_line(const std::vector<std::string>& argv,
                                 const std::vector<command_spec>& commands) {
  parse_outcome out;
  // Pass 1: the command path is the leading run of words that names a known command.
  std::vector<std::string> words;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--") break;
    if (!argv[i].empty() && argv[i][0] == '-' && argv[i] != "-") {
      global_options scratch;
      std::string ignored;
      take_global(argv, i, scratch, ignored);
      continue;
    }
    words.push_back(argv[i]);
    bool extends = std::any_of(commands.begin(), commands.end(), [&](const command_spec& c) {
      return starts_with_words(split_words(c.path), words);
    });
    if (!extends) break;
  }
  const command_spec* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& c : commands) {
    auto path = split_words(c.path);
    if (starts_with_words(words, path) && path.size() > best_len) {
      best = &c;
      best_len = path.size();
    }
  }

  // Pass 2: globals anywhere, then the command's own flags and positionals.
  std::size_t path_words_left = best_len;
  bool only_positional = false;
  std::string stray_option;  // the first option no command took, when no command was named
  bool stray_first = false;  // ... and it came before any word (`durar --confg x doctor`)
  for (std::size_t i = 0; i < argv.size() && out.error.empty(); ++i) {
    const std::string& a = argv[i];
    bool is_flag = !only_positional && !a.empty() && a[0] == '-' && a != "-";
    if (!is_flag) {
      if (path_words_left > 0)
        --path_words_left;
      else
        out.args.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (take_global(argv, i, out.globals, out.error)) continue;
    if (best == nullptr) {  // reported below, after an unknown command if there is one
      if (stray_option.empty()) {
        stray_option = a;
        stray_first = out.args.positional.empty();
      }
      continue;
    }
    const bool long_form = a.rfind("--", 0) == 0;
    std::string name = a.substr(long_form ? 2 : 1);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto spec = std::find_if(best->flags.begin(), best->flags.end(), [&](const flag_spec& f) {
      return f.name == name || (!long_form && name.size() == 1 && f.short_name == name[0]);
    });
    if (spec != best->flags.end()) name = spec->name;
    if (spec == best->flags.end()) {
      std::vector<std::string> names;
      for (const auto& f : best->flags) names.push_back(f.name);
      for (const auto& f : global_flags) names.push_back(f.name);
      std::string hint = suggest(name, names);
      out.error = "unknown option '" + a + "' for 'durar " + best->path + "'" +
                  (hint.empty() ? "" : " (did you mean '--" + hint + "'?)");
    } else if (spec->value_name.empty()) {
      if (inline_value)
        out.error = "option --" + name + " takes no value";
      else
        out.args.flags[name] = "";
    } else if (inline_value) {
      out.args.flags[name] = *inline_value;
    } else if (i + 1 < argv.size()) {
      out.args.flags[name] = argv[++i];
    } else {
      out.error = "option --" + name + " needs a value (" + spec->value_name + ")";
    }
  }
  if (!out.error.empty()) return out;

  if (best == nullptr) {
    // `durar --bogus`, `durar config --bogus`: no command to own the option, only globals.
    auto unknown_option = [&] {
      std::string name = stray_option;
      name.erase(0, std::min(name.find_first_not_of('-'), name.size()));
      name = name.substr(0, name.find('='));
      std::vector<std::string> names;
      for (const auto& f : global_flags) names.push_back(f.name);
      std::string hint = suggest(name, names);
      out.error = "unknown option '" + stray_option + "'" +
                  (hint.empty() ? "" : " (did you mean '--" + hint + "'?)");
      out.group.clear();  // the tool's help lists the global options, a group's does not
    };
    if (words.empty() || stray_first) {
      // An unknown option before the first word may have taken that word as its value.
      if (!stray_option.empty()) unknown_option();
      return out;  // bare `durar`: the caller prints help
    }
    std::vector<std::string> groups, subcommands;
    for (const auto& c : commands) {
      auto path = split_words(c.path);
      groups.push_back(path[0]);
      if (path.size() > 1 && path[0] == words[0]) subcommands.push_back(path[1]);
    }
    if (!subcommands.empty()) {
      out.group = words[0];
      if (words.size() == 1) {  // `durar config`: group help
        if (!stray_option.empty()) unknown_option();
        return out;
      }
      std::string hint = suggest(words[1], subcommands);
      out.error = "unknown command '" + words[0] + " " + words[1] + "'" +
                  (hint.empty() ? "" : " (did you mean '" + words[0] + " " + hint + "'?)");
      return out;
    }
    std::string hint = suggest(words[0], groups);
    out.error = "unknown command '" + words[0] + "'" +
                (hint.empty() ? "" : " (did you mean '" + hint + "'?)");
    return out;
  }

  out.args.command = best;
  const auto n = out.args.positional.size();
  if (!out.globals.help && (n < best->min_positional || n > best->max_positional)) {
    out.error = std::string(n < best->min_positional ? "missing argument" : "too many arguments") +
                " for 'durar " + best->path + "'; usage: durar " + best->path +
                (best->args.empty() ? "" : " " + best->args);
  }
  return out;
}

std::string tool_help(const std::vector<command_spec>& commands) {
  std::string s = "Usage: durar [options] <command> [args]\n\nCommands:\n";
  for (const auto& c : commands) {
    std::string left = "  " + c.path + (c.args.empty() ? "" : " " + c.args);
    if (left.size() < 32)
      left.resize(32, ' ');
    else
      left += "  ";
    s += left + c.summary + "\n";
  }
  s += "\nOptions:\n";
  for (const auto& f : global_flags) s += flag_line(f);
  s += "\nRun 'durar <command> --help' for a command's options.\n"
       "Exit codes: 0 ok, 1 the command failed, 2 usage error.\n";
  return s;
}

std::string group_help(const std::string& group, const std::vector<command_spec>& commands) {
  std::string s = "Usage: durar " + group + " <command>\n\nCommands:\n";
  for (const auto& c : commands) {
    if (c.path.rfind(group + " ", 0) != 0) continue;
    std::string left = "  " + c.path + (c.args.empty() ? "" : " " + c.args);
    if (left.size() < 32)
      left.resize(32, ' ');
    else
      left += "  ";
    s += left + c.summary + "\n";
  }
  return s;
}

std::string command_help(const command_spec& c) {
  std::string s = "Usage: durar " + c.path + (c.args.empty() ? "" : " " + c.args) +
                  " [options]\n\n" + c.summary + "\n";
  if (!c.flags.empty()) {
    s += "\nOptions:\n";
    for (const auto& f : c.flags) s += flag_line(f);
  }
  s += "\nGlobal options:\n";
  for (const auto& f : global_flags) s += flag_line(f);
  return s;
}

}  // namespace durar::cli
