// The steps of loading a config, shared by load.cpp and edit.cpp.
#pragma once

#include <durar/config.hpp>

#include "config/document.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace durar::detail {

// KEY=VALUE lines as the dotenv package reads them (export prefix, quotes, # comments).
std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text);
// Adds the file's variables that `env` lacks; a missing or unreadable file adds nothing.
void merge_dotenv_file(const std::filesystem::path& file, environment& env);
// Adds the config's env{} variables (env.vars{} and plain string members) that `env` lacks.
void apply_env_block(const json& root, environment& env);

struct missing_var {
  std::string name;
  std::string path;
};
// Replaces ${VAR} (upper-case names) in every string below `v`; $${VAR} is a literal ${VAR}.
// Unset or empty variables are reported and left as written.
void substitute_env(json& v, const std::string& path, const environment& env,
                    std::vector<missing_var>& missing);

// Fills the typed structs of a validated config, resolving {source: env} secret references
// (an unset variable is an error when `require_env`).
void bind_config(const document& doc, config& out, std::vector<config_issue>& issues,
                 bool require_env);

struct check_mode {
  bool require_env = true;  // false: a missing ${VAR} is fine (config_set validates structure)
};
// Validates a parsed document and, without errors, fills a config from it.
config_check check_document(document doc, environment env, config_paths paths, bool file_exists,
                            check_mode mode);

// "~" and "~/..." against the home directory from `env`; relative paths made absolute.
result<std::filesystem::path> expand_user_path(std::string_view p, const environment& env);

}  // namespace durar::detail
