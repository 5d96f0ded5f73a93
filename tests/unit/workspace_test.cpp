// The workspace: bootstrap files and their caps, skills, the system prompt with a fixed
// clock and time zone, time zone arithmetic, and seeding a new workspace.
#include <durar/tool.hpp>
#include <durar/workspace.hpp>

#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"
#include "agent/system_prompt.hpp"
#include "agent/zone_time.hpp"

#include <filesystem>
#include <fstream>
#include <span>
#include <unistd.h>

using namespace durar;
namespace fs = std::filesystem;
namespace chr = std::chrono;

namespace {

using temp_workspace = durar::test::temp_dir;

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

chr::system_clock::time_point at(int y, unsigned m, unsigned d, int hour, int minute = 0) {
  return chr::sys_days(chr::year{y} / chr::month{m} / chr::day{d}) + chr::hours(hour) +
         chr::minutes(minute);
}

bool have_tzdata(const char* zone) { return fs::exists(fs::path("/usr/share/zoneinfo") / zone); }

}  // namespace

TEST_CASE("workspace files load in the documented order, trimmed", "[workspace]") {
  temp_workspace ws;
  ws.write("MEMORY.md", "remember the milk\n");
  ws.write("SOUL.md", "be kind\n\n\n");
  ws.write("AGENTS.md", "work well");
  ws.write("NOTES.md", "not a bootstrap file");
  system_prompt_inputs in;
  in.workspace = ws.path;
  auto files = load_workspace_files(in);
  REQUIRE(files.size() == 3);
  CHECK(files[0].name == "AGENTS.md");
  CHECK(files[1].name == "SOUL.md");
  CHECK(files[1].content == "be kind");
  CHECK(files[2].name == "MEMORY.md");
  CHECK(files[2].path == ws.path / "MEMORY.md");
  for (const auto& f : files) CHECK_FALSE(f.truncated);
}

TEST_CASE("a file over the per-file cap keeps its start and end with a note", "[workspace]") {
  temp_workspace ws;
  std::string text = "START of the instructions\n" + std::string(5000, 'x') + "\nEND of them";
  ws.write("AGENTS.md", text);
  system_prompt_inputs in;
  in.workspace = ws.path;
  in.max_chars_per_file = 1000;
  auto files = load_workspace_files(in);
  REQUIRE(files.size() == 1);
  const auto& f = files[0];
  CHECK(f.truncated);
  CHECK(f.original_size == text.size());
  CHECK(f.content.size() <= 1000);
  CHECK(f.content.size() > 900);
  CHECK(f.content.rfind("START of the instructions", 0) == 0);
  CHECK(f.content.substr(f.content.size() - 11) == "END of them");
  CHECK(f.content.find("AGENTS.md cut to fit the prompt") != std::string::npos);
  CHECK(f.content.find(std::to_string(text.size()) + " bytes") != std::string::npos);
}

TEST_CASE("the total cap shares one budget across files", "[workspace]") {
  temp_workspace ws;
  ws.write("AGENTS.md", std::string(700, 'a'));
  ws.write("SOUL.md", std::string(700, 's'));
  ws.write("TOOLS.md", std::string(700, 't'));
  system_prompt_inputs in;
  in.workspace = ws.path;
  in.max_chars_per_file = 1000;
  in.max_chars_total = 1000;
  auto files = load_workspace_files(in);
  REQUIRE(files.size() == 2);  // after two files fewer than 64 bytes are left
  CHECK_FALSE(files[0].truncated);
  CHECK(files[1].truncated);
  CHECK(files[0].content.size() + files[1].content.size() <= 1000);
}

TEST_CASE("caps never split a UTF-8 character", "[workspace]") {
  temp_workspace ws;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "é€";
  ws.write("USER.md", text);
  system_prompt_inputs in;
  in.workspace = ws.path;
  for (std::int64_t cap : {10, 37, 301, 1001}) {
    in.max_chars_per_file = cap;
    auto files = load_workspace_files(in);
    REQUIRE(files.size() == 1);
    CHECK(files[0].content.size() <= static_cast<std::size_t>(cap));
    CHECK(valid_utf8(files[0].content));
  }
}

TEST_CASE("skills come from skills/*/SKILL.md front matter, sorted", "[workspace]") {
  temp_workspace ws;
  ws.write("skills/weather/SKILL.md",
           "---\nname: forecast\ndescription: \"Looks up the forecast: rain, sun\"\n"
           "metadata:\n  emoji: x\n---\n# Forecast\nsteps...\n");
  ws.write("skills/alpha/SKILL.md", "# no front matter here\n");
  ws.write("skills/quoted/SKILL.md", "---\nname: 'it''s quoted'\ndescription: plain text\n---\n");
  ws.write("skills/empty/README.md", "not a skill");
  auto skills = find_skills(ws.path);
  REQUIRE(skills.size() == 3);
  CHECK(skills[0].name == "alpha");
  CHECK(skills[0].description.empty());
  CHECK(skills[1].name == "forecast");
  CHECK(skills[1].description == "Looks up the forecast: rain, sun");
  CHECK(skills[1].path == ws.path / "skills" / "weather" / "SKILL.md");
  CHECK(skills[2].name == "it's quoted");
  CHECK(find_skills(ws.path / "nowhere").empty());
}

TEST_CASE("the system prompt has tools, skills, workspace, time and files", "[workspace]") {
  temp_workspace ws;
  ws.write("AGENTS.md", "Always answer in French.");
  ws.write("skills/weather/SKILL.md", "---\nname: forecast\ndescription: Forecasts <fast>\n---\n");
  system_prompt_inputs in;
  in.workspace = ws.path;
  in.agent_id = "coder";
  in.model = "fake/m1";
  in.tools = {{"read", "Reads a file.\nMore detail.", json::object()},
              {"exec", "Runs a command.", json::object()}};
  in.timezone = "<+0530>-5:30";
  in.now = at(2026, 3, 10, 12, 0);
  std::string p = build_system_prompt(in);
  INFO(p);
  CHECK(p.find("agent \"coder\"") != std::string::npos);
  CHECK(p.find("- read: Reads a file.\n") != std::string::npos);
  CHECK(p.find("More detail.") == std::string::npos);
  CHECK(p.find("- exec: Runs a command.") != std::string::npos);
  CHECK(p.find("<name>forecast</name>") != std::string::npos);
  CHECK(p.find("<description>Forecasts &lt;fast&gt;</description>") != std::string::npos);
  CHECK(p.find(ws.path.string()) != std::string::npos);
  CHECK(p.find("Tuesday, 2026-03-10 17:30 (<+0530>-5:30, +0530, UTC+05:30)") != std::string::npos);
  CHECK(p.find("agent=coder | model=fake/m1") != std::string::npos);
  CHECK(p.find("## AGENTS.md\n\nAlways answer in French.") != std::string::npos);
  // Sections in the documented order.
  auto tools = p.find("## Tools"), skills = p.find("## Skills"), work = p.find("## Workspace"),
       when = p.find("## Current date and time"), files = p.find("# Workspace files");
  CHECK(tools < skills);
  CHECK(skills < work);
  CHECK(work < when);
  CHECK(when < files);
}

TEST_CASE("the prompt's time follows the zone's daylight saving rules", "[workspace]") {
  system_prompt_inputs in;
  in.workspace = fs::temp_directory_path() / "durar-no-such-workspace";
  if (have_tzdata("America/New_York")) {
    in.timezone = "America/New_York";
    in.now = at(2026, 3, 10, 12);  // after the second Sunday of March: EDT
    CHECK(build_system_prompt(in).find("Tuesday, 2026-03-10 08:00 (America/New_York, EDT, "
                                       "UTC-04:00)") != std::string::npos);
    in.now = at(2026, 3, 7, 12);  // before it: EST
    CHECK(build_system_prompt(in).find("Saturday, 2026-03-07 07:00 (America/New_York, EST, "
                                       "UTC-05:00)") != std::string::npos);
  } else {
    WARN("no tz database: skipping America/New_York");
  }
  in.timezone = "Mars/Olympus_Mons";
  in.now = at(2026, 3, 10, 12);
  std::string p = build_system_prompt(in);
  CHECK(p.find("2026-03-10 12:00 (UTC") != std::string::npos);
  CHECK(p.find("time zone 'Mars/Olympus_Mons' is unknown") != std::string::npos);
}

TEST_CASE("zone arithmetic: POSIX rules, southern summers, years past the tables", "[workspace]") {
  // Southern hemisphere: daylight time spans the new year.
  auto sydney = "AEST-10AEDT,M10.1.0,M4.1.0/3";
  auto jan = detail::zoned_time_at(sydney, at(2026, 1, 15, 0));
  REQUIRE(jan.has_value());
  CHECK(jan->abbreviation == "AEDT");
  CHECK(jan->offset_seconds == 11 * 3600);
  CHECK(jan->hour == 11);
  auto jul = detail::zoned_time_at(sydney, at(2026, 7, 15, 0));
  REQUIRE(jul.has_value());
  CHECK(jul->abbreviation == "AEST");
  CHECK(jul->offset_seconds == 10 * 3600);
  // The local day rolls over.
  auto late = detail::zoned_time_at("EST5EDT,M3.2.0,M11.1.0", at(2026, 1, 1, 2, 30));
  REQUIRE(late.has_value());
  CHECK(late->year == 2025);
  CHECK(late->month == 12);
  CHECK(late->day == 31);
  CHECK(late->hour == 21);
  CHECK(late->weekday == 3);  // Wednesday
  // The switch happens at the rule's local time: 02:00 EST on 2026-03-08 is 07:00 UTC.
  CHECK(detail::zoned_time_at("EST5EDT,M3.2.0,M11.1.0", at(2026, 3, 8, 6, 59))->abbreviation ==
        "EST");
  CHECK(detail::zoned_time_at("EST5EDT,M3.2.0,M11.1.0", at(2026, 3, 8, 7, 0))->abbreviation ==
        "EDT");
  CHECK(detail::format_utc_offset(-(3 * 3600 + 30 * 60)) == "-03:30");
  CHECK_FALSE(detail::zoned_time_at("Not/AZone", at(2026, 1, 1, 0)).has_value());
  if (have_tzdata("Europe/Berlin")) {
    // Past the file's last transition the footer rule decides.
    auto far = detail::zoned_time_at("Europe/Berlin", at(2100, 7, 1, 12));
    REQUIRE(far.has_value());
    CHECK(far->abbreviation == "CEST");
    CHECK(far->offset_seconds == 7200);
    auto old = detail::zoned_time_at("Europe/Berlin", at(1990, 1, 1, 12));
    REQUIRE(old.has_value());
    CHECK(old->abbreviation == "CET");
  }
}

TEST_CASE("seeding writes the starting files once and never overwrites", "[workspace]") {
  temp_workspace ws;
  fs::path dir = ws.path / "new-workspace";
  auto written = seed_workspace(dir);
  REQUIRE(written.has_value());
  CHECK(written->size() == 7);
  for (const char* name : {"AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md",
                           "HEARTBEAT.md", "BOOTSTRAP.md"})
    CHECK(fs::is_regular_file(dir / name));
  system_prompt_inputs in;
  in.workspace = dir;
  CHECK(load_workspace_files(in).size() == 7);

  std::ofstream(dir / "USER.md", std::ios::trunc) << "Name: Layla\n";
  fs::remove(dir / "BOOTSTRAP.md");
  fs::remove(dir / "SOUL.md");
  auto again = seed_workspace(dir);
  REQUIRE(again.has_value());
  REQUIRE(again->size() == 1);  // SOUL.md again; no first-run file for a used workspace
  CHECK(again->front() == dir / "SOUL.md");
  CHECK_FALSE(fs::exists(dir / "BOOTSTRAP.md"));
  std::ifstream in_user(dir / "USER.md");
  std::string line;
  std::getline(in_user, line);
  CHECK(line == "Name: Layla");
}

TEST_CASE("the system prompt is pinned byte for byte for fixed inputs", "[workspace][prompt]") {
  temp_workspace ws;
  ws.write("AGENTS.md", "Always answer in French.\n\n");
  ws.write("SOUL.md", "You are calm.\nYou are kind.");
  ws.write("USER.md", std::string(300, 'u'));
  ws.write("skills/weather/SKILL.md",
           "---\nname: forecast & more\ndescription: Forecasts <fast> & \"slow\"\n---\n");
  ws.write("skills/notes/SKILL.md", "---\nname: notes\ndescription: Keeps notes.\n---\n");
  system_prompt_inputs in;
  in.workspace = ws.path;
  in.agent_id = "coder";
  in.model = "fake/m1";
  in.tools = {{"read", "Reads a file.  \r\nMore detail.", json::object()},
              {"exec", "Runs a command.", json::object()},
              {"quiet", "", json()},
              {"blank", "\nSecond line only.", json()},
              {"spaces", "   ", json()}};
  in.timezone = "<+0530>-5:30";
  in.now = at(2026, 3, 10, 12, 0);
  in.max_chars_per_file = 120;
  const std::string dir = ws.path.string();
  const std::string expected =
      "You are a personal assistant running in Durar, agent \"coder\". You help the person you "
      "work for by talking with them and by using the tools below to act on their behalf.\n"
      "\n## Tools\n\n"
      "These are the tools you can call; their schemas are the source of truth for their "
      "arguments:\n\n"
      "- read: Reads a file.\n- exec: Runs a command.\n- quiet\n- blank\n- spaces\n"
      "\nUse a tool whenever it gives a better answer than guessing: read before you edit, "
      "check state instead of assuming it, and run independent calls together. When a call "
      "fails, read the error and fix the call rather than repeating it unchanged. Ask before "
      "doing anything destructive or irreversible that the user did not ask for.\n"
      "\n## Skills\n\n"
      "Skills are instructions for particular kinds of task. When a task matches a skill's "
      "description, read its SKILL.md at the location given before you start, and follow it. "
      "Read only the skill you need.\n\n<available_skills>\n"
      "  <skill>\n    <name>forecast &amp; more</name>\n"
      "    <description>Forecasts &lt;fast&gt; &amp; \"slow\"</description>\n"
      "    <location>" +
      dir +
      "/skills/weather/SKILL.md</location>\n  </skill>\n"
      "  <skill>\n    <name>notes</name>\n    <description>Keeps notes.</description>\n"
      "    <location>" +
      dir +
      "/skills/notes/SKILL.md</location>\n  </skill>\n</available_skills>\n"
      "\n## Workspace\n\nYour working directory is " +
      dir +
      ". Relative paths resolve there. The files below come from it; keep them up to date "
      "when you learn something worth remembering.\n"
      "\n## Current date and time\n\n"
      "Tuesday, 2026-03-10 17:30 (<+0530>-5:30, +0530, UTC+05:30)\n"
      "\n## Runtime\n\nagent=coder | model=fake/m1\n"
      "\n# Workspace files\n\nThese files from your workspace are part of your instructions. "
      "Follow AGENTS.md, take on the persona in SOUL.md, and use the rest as context.\n"
      "\n## AGENTS.md\n\nAlways answer in French.\n"
      "\n## SOUL.md\n\nYou are calm.\nYou are kind.\n"
      "\n## USER.md\n\n" +
      std::string(114, 'u') +
      "\n[...]\n"
      "\nSome files above were shortened to fit; read them with your tools for the full text.\n";
  CHECK(build_system_prompt(in) == expected);
}

TEST_CASE("the system prompt without tools, files or a known zone is pinned",
          "[workspace][prompt]") {
  system_prompt_inputs in;
  in.workspace = fs::temp_directory_path() / "durar-no-such-workspace";
  in.agent_id = "";
  auto expected = [&](std::string_view when) {
    return "You are a personal assistant running in Durar, agent \"main\". You help the person "
           "you work for by talking with them and by using the tools below to act on their "
           "behalf.\n\n## Tools\n\n"
           "No tools are available in this session: answer from what you know and say so when "
           "you cannot check something.\n"
           "\n## Workspace\n\nYour working directory is " +
           in.workspace.string() +
           ". Relative paths resolve there. The files below come from it; keep them up to date "
           "when you learn something worth remembering.\n"
           "\n## Current date and time\n\n" +
           std::string(when) + "\n\n## Runtime\n\nagent=main | model=(default)\n";
  };
  in.timezone = "Mars/Olympus_Mons";
  in.now = at(2026, 1, 1, 2, 30);
  CHECK(build_system_prompt(in) ==
        expected("Thursday, 2026-01-01 02:30 (UTC, UTC+00:00) (time zone 'Mars/Olympus_Mons' "
                 "is unknown here; showing UTC)"));
  in.timezone = "EST5EDT,M3.2.0,M11.1.0";
  CHECK(build_system_prompt(in) ==
        expected("Wednesday, 2025-12-31 21:30 (EST5EDT,M3.2.0,M11.1.0, EST, UTC-05:00)"));
  in.timezone = "<-0330>3:30";
  in.now = at(1905, 2, 3, 4, 5);
  CHECK(build_system_prompt(in) == expected("Friday, 1905-02-03 00:35 (<-0330>3:30, -0330, "
                                            "UTC-03:30)"));
}

TEST_CASE("the prompt over an agent's tools equals the prompt over their copies",
          "[workspace][prompt]") {
  temp_workspace ws;
  ws.write("AGENTS.md", "Be brief.");
  auto handler = [](const json&, const tool_context&) -> result<tool_result> {
    return tool_result{};
  };
  std::vector<std::shared_ptr<tool>> tools = {
      make_tool({"read", "Reads a file.\nMore.", json::object()}, handler),
      make_tool({"exec", "", json::object()}, handler)};
  std::vector<tool_definition> client = {{"lookup", "Looks up a word.  ", json::object()}};
  system_prompt_inputs in;
  in.workspace = ws.path;
  in.model = "fake/m1";
  in.timezone = "UTC";
  in.now = at(2026, 3, 10, 12, 0);
  system_prompt_inputs copied = in;
  for (const auto& t : tools) copied.tools.push_back(t->definition());
  copied.tools.insert(copied.tools.end(), client.begin(), client.end());
  const std::string expected = build_system_prompt(copied);
  CHECK(expected.find("- read: Reads a file.\n- exec\n- lookup: Looks up a word.\n") !=
        std::string::npos);
  CHECK(detail::build_system_prompt(in, tools, client) == expected);
  in.tools = {{"ignored", "Not listed.", json::object()}};  // the runtime's entry ignores these
  CHECK(detail::build_system_prompt(in, tools, client) == expected);
  CHECK(detail::build_system_prompt(in, {}, {}) == build_system_prompt([&] {
          auto none = in;
          none.tools.clear();
          return none;
        }()));
}

TEST_CASE("the prompt lists every tool of a long list in order", "[workspace][prompt]") {
  system_prompt_inputs in;
  in.workspace = fs::temp_directory_path() / "durar-no-such-workspace";
  in.timezone = "UTC";
  std::string listed = "arguments:\n\n";
  for (int i = 0; i < 40; ++i) {
    std::string n = std::to_string(i);
    in.tools.push_back({"t" + n, "Tool " + n + ". \nDetails " + n + ".", json::object()});
    listed += "- t" + n + ": Tool " + n + ".\n";
  }
  listed += "\nUse a tool";
  std::string p = build_system_prompt(in);
  CHECK(p.find(listed) != std::string::npos);
  CHECK(p.find("Details") == std::string::npos);
}
