// The system prompt: who the agent is, what it can call, where it works and when it is,
// then the workspace files that make it this particular agent. Built once per agent, so a
// run's turns share one prompt (and the vendors' prompt caches).
#include "agent/system_prompt.hpp"

#include <fmt/format.h>

#include "agent/workspace_cache.hpp"
#include "agent/zone_time.hpp"

#include <algorithm>
#include <array>

namespace durar {

namespace {

std::string first_line(std::string_view s) {
  auto nl = s.find('\n');
  std::string line(s.substr(0, nl));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string date_time_line(const system_prompt_inputs& in) {
  static constexpr std::array<std::string_view, 7> days = {
      "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  auto t = detail::zoned_time_at(in.timezone, in.now);
  std::string note;
  if (!t) {
    // An unknown zone is a config mistake; the model still gets a correct time, in UTC.
    note = fmt::format(" (time zone '{}' is unknown here; showing UTC)", in.timezone);
    t = detail::zoned_time_at("UTC", in.now);
  }
  if (!t) return "";
  std::string zone = t->zone;
  if (!t->abbreviation.empty() && t->abbreviation != zone) zone += ", " + t->abbreviation;
  return fmt::format("{}, {:04}-{:02}-{:02} {:02}:{:02} ({}, UTC{}){}", days[t->weekday], t->year,
                     t->month, t->day, t->hour, t->minute, zone,
                     detail::format_utc_offset(t->offset_seconds), note);
}

}  // namespace

std::string detail::build_system_prompt(const system_prompt_inputs& in,
                                        std::span<const std::shared_ptr<tool>> tools,
                                        std::span<const tool_definition> more_tools) {
  std::string p;
  p.reserve(4096);
  p += fmt::format(
      "You are a personal assistant running in Durar, agent \"{}\". You help the person you "
      "work for by talking with them and by using the tools below to act on their behalf.\n",
      in.agent_id.empty() ? std::string("main") : in.agent_id);

  p += "\n## Tools\n\n";
  const bool any_tool =
      !more_tools.empty() ||
      std::any_of(tools.begin(), tools.end(), [](const auto& t) { return t != nullptr; });
  if (!any_tool) {
    p += "No tools are available in this session: answer from what you know and say so when "
         "you cannot check something.\n";
  } else {
    p += "These are the tools you can call; their schemas are the source of truth for their "
         "arguments:\n\n";
    auto list = [&p](const tool_definition& t) {  // appended: a prompt is built per agent
      std::string summary = first_line(t.description);
      p += "- ";
      p += t.name;
      if (!summary.empty()) {
        p += ": ";
        p += summary;
      }
      p += '\n';
    };
    for (const auto& t : tools)
      if (t) list(t->definition());
    for (const auto& t : more_tools) list(t);
    p += "\nUse a tool whenever it gives a better answer than guessing: read before you edit, "
         "check state instead of assuming it, and run independent calls together. When a call "
         "fails, read the error and fix the call rather than repeating it unchanged. Ask "
         "before doing anything destructive or irreversible that the user did not ask for.\n";
  }

  auto skills = detail::skills_known_absent(in.workspace) ? std::vector<skill_info>{}
                                                          : find_skills(in.workspace);
  if (!skills.empty()) {
    p += "\n## Skills\n\n"
         "Skills are instructions for particular kinds of task. When a task matches a skill's "
         "description, read its SKILL.md at the location given before you start, and follow "
         "it. Read only the skill you need.\n\n<available_skills>\n";
    for (const auto& s : skills) {
      p += fmt::format(
          "  <skill>\n    <name>{}</name>\n    <description>{}</description>\n"
          "    <location>{}</location>\n  </skill>\n",
          xml_escape(s.name), xml_escape(s.description), xml_escape(s.path.string()));
    }
    p += "</available_skills>\n";
  }

  p += "\n## Workspace\n\n";
  p += fmt::format(
      "Your working directory is {}. Relative paths resolve there. The files below come from "
      "it; keep them up to date when you learn something worth remembering.\n",
      in.workspace.string());

  std::string when = date_time_line(in);
  if (!when.empty()) p += "\n## Current date and time\n\n" + when + "\n";

  p += "\n## Runtime\n\n";
  p += fmt::format("agent={} | model={}\n", in.agent_id.empty() ? "main" : in.agent_id,
                   in.model.empty() ? std::string("(default)") : in.model);

  auto files = load_workspace_files(in);
  if (!files.empty()) {
    p += "\n# Workspace files\n\nThese files from your workspace are part of your instructions. "
         "Follow AGENTS.md, take on the persona in SOUL.md, and use the rest as context.\n";
    bool cut = false;
    for (const auto& f : files) {
      p += fmt::format("\n## {}\n\n{}\n", f.name, f.content);
      cut = cut || f.truncated;
    }
    if (cut)
      p += "\nSome files above were shortened to fit; read them with your tools for the full "
           "text.\n";
  }
  // Every agent keeps its prompt for its lifetime (1,000 open streams: 1,000 copies); the
  // appends above leave up to half of the capacity unused.
  p.shrink_to_fit();
  return p;
}

std::string build_system_prompt(const system_prompt_inputs& in) {
  return detail::build_system_prompt(in, {}, in.tools);
}

}  // namespace durar
