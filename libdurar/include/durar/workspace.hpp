// The agent workspace: the folder of files that shape an agent (AGENTS.md, SOUL.md,
// TOOLS.md, IDENTITY.md, USER.md, HEARTBEAT.md, BOOTSTRAP.md, MEMORY.md, skills/*/SKILL.md),
// the system prompt assembled from them, and seeding a new workspace (`durar setup`).
#pragma once

#include <durar/export.hpp>
#include <durar/message.hpp>
#include <durar/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace durar {

struct workspace_file {
  std::string name;  // "AGENTS.md"
  std::filesystem::path path;
  std::string content;  // possibly truncated
  std::size_t original_size = 0;
  bool truncated = false;
};

struct skill_info {
  std::string name;            // front matter `name`, else the folder name
  std::string description;     // front matter `description`
  std::filesystem::path path;  // the SKILL.md
};

struct system_prompt_inputs {
  std::filesystem::path workspace;
  std::vector<tool_definition> tools;
  std::string agent_id = "main";
  std::string model;     // "provider/model", for the runtime line
  std::string timezone;  // IANA; "" = the host's
  std::int64_t max_chars_per_file = 12000;
  std::int64_t max_chars_total = 60000;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// The bootstrap files present in the workspace, in the order above, each capped at
// max_chars_per_file and all together at max_chars_total (a note marks any cut).
DURAR_API std::vector<workspace_file> load_workspace_files(const system_prompt_inputs& in);
// skills/*/SKILL.md with name and description from YAML front matter, sorted by name.
DURAR_API std::vector<skill_info> find_skills(const std::filesystem::path& workspace);
// The whole system prompt: identity line, tools, skills, workspace, the date and time in
// the timezone, then the workspace files.
DURAR_API std::string build_system_prompt(const system_prompt_inputs& in);

// Writes the starting files into `workspace` (created when missing); files that exist are
// left alone. Returns the files written.
DURAR_API result<std::vector<std::filesystem::path>> seed_workspace(
    const std::filesystem::path& workspace);

}  // namespace durar
