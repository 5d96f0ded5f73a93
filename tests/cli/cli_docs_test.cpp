// docs/cli.md against the binary's own help: every command `durar --help` lists has an entry
// (a heading or a table row) and every option a command takes is named in that entry's
// section, so a new command or option fails here until it is documented.
#include <catch2/catch.hpp>

#include "run_cli.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using durar::test::run_durar;
using durar::test::temp_home;

namespace {

const std::filesystem::path cli_doc =
    std::filesystem::path(DURAR_TEST_DATA).parent_path().parent_path() / "docs" / "cli.md";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// The lines under `heading` ("Commands:", "Options:") up to the next blank line.
std::vector<std::string> help_block(const std::string& help, const std::string& heading) {
  std::vector<std::string> out;
  bool inside = false;
  for (const auto& line : lines_of(help)) {
    if (line == heading) {
      inside = true;
    } else if (inside) {
      if (trim(line).empty()) break;
      out.push_back(line);
    }
  }
  return out;
}

// "  models set <provider/model|alias>  Set the default ..." -> "models set": the words of the
// left column before the first argument.
std::string command_path(const std::string& line) {
  std::string left = trim(line);
  left = left.substr(0, left.find("  "));
  std::string path;
  std::istringstream words(left);
  for (std::string w; words >> w;) {
    if (w[0] == '<' || w[0] == '[' || w[0] == '-') break;
    path += (path.empty() ? "" : " ") + w;
  }
  return path;
}

// "  -m, --message TEXT    what to say" -> {"--message", "-m"}.
std::vector<std::string> option_names(const std::string& line) {
  std::vector<std::string> names;
  std::string left = trim(line);
  left = left.substr(0, left.find("  "));
  std::istringstream words(left);
  for (std::string w; words >> w;) {
    if (!w.empty() && w.back() == ',') w.pop_back();
    if (w.rfind("-", 0) == 0) names.push_back(w);
  }
  return names;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Where `path` has its entry in the doc: a heading that is the command ("## doctor"), or a
// table row whose first cell has a code span starting with it ("| `config get <path>` |",
// "| `health`, `status` |"). -1 when there is none.
int entry_line(const std::vector<std::string>& doc, const std::string& path) {
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string& line = doc[i];
    if (line.rfind("#", 0) == 0) {
      std::string title = trim(line.substr(line.find_first_not_of('#')));
      std::erase(title, '`');
      if (title == path) return static_cast<int>(i);
    } else if (line.rfind("|", 0) == 0) {
      std::size_t bar = line.find('|', 1);
      while (bar != std::string::npos && line[bar - 1] == '\\') bar = line.find('|', bar + 1);
      std::string cell = line.substr(1, bar == std::string::npos ? std::string::npos : bar - 1);
      for (auto tick = cell.find('`'); tick != std::string::npos;) {
        auto close = cell.find('`', tick + 1);
        if (close == std::string::npos) break;
        std::string span = cell.substr(tick + 1, close - tick - 1);
        if (span == path || span.rfind(path + " ", 0) == 0) return static_cast<int>(i);
        tick = cell.find('`', close + 1);
      }
    }
  }
  return -1;
}

// The `## ` section holding line `at`, as text.
std::string section_at(const std::vector<std::string>& doc, int at) {
  int start = at;
  while (start > 0 && doc[static_cast<std::size_t>(start)].rfind("## ", 0) != 0) --start;
  std::string out;
  for (std::size_t i = static_cast<std::size_t>(start); i < doc.size(); ++i) {
    if (static_cast<int>(i) > start && doc[i].rfind("## ", 0) == 0) break;
    out += doc[i] + "\n";
  }
  return out;
}

bool names_option(const std::string& text, const std::string& option) {
  for (auto pos = text.find(option); pos != std::string::npos; pos = text.find(option, pos + 1)) {
    auto end = pos + option.size();
    char next = end < text.size() ? text[end] : ' ';
    bool word_end = !(std::isalnum(static_cast<unsigned char>(next)) || next == '-');
    bool word_start = pos == 0 || !std::isalnum(static_cast<unsigned char>(text[pos - 1]));
    if (word_start && word_end) return true;
  }
  return false;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("docs/cli.md has an entry for every command and its options", "[cli][docs]") {
  temp_home home;
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  const auto doc = lines_of(read_text(cli_doc));
  REQUIRE(doc.size() > 20);

  auto top = run_durar({"--help"}, env);
  REQUIRE(top.exit_code == 0);
  std::vector<std::string> commands;
  for (const auto& line : help_block(top.out, "Commands:")) commands.push_back(command_path(line));
  REQUIRE(commands.size() > 20);

  // Each group's help lists only commands of the tool's list, and every one of them.
  std::set<std::string> groups;
  for (const auto& c : commands)
    if (c.find(' ') != std::string::npos) groups.insert(c.substr(0, c.find(' ')));
  for (const auto& g : groups) {
    auto r = run_durar({g, "--help"}, env);
    INFO("durar " << g << " --help");
    CHECK(r.exit_code == 0);
    std::set<std::string> listed;
    for (const auto& line : help_block(r.out, "Commands:")) listed.insert(command_path(line));
    for (const auto& c : commands)
      if (c.rfind(g + " ", 0) == 0) CHECK(listed.count(c) == 1);
    for (const auto& c : listed)
      CHECK(std::find(commands.begin(), commands.end(), c) != commands.end());
  }

  const std::string whole = read_text(cli_doc);
  for (const auto& line : help_block(top.out, "Options:"))
    for (const auto& opt : option_names(line))
      if (!names_option(whole, opt)) FAIL_CHECK("global option " << opt << " not in docs/cli.md");

  for (const auto& c : commands) {
    int at = entry_line(doc, c);
    if (at < 0) {
      FAIL_CHECK("command '" << c << "' has no heading or table entry in docs/cli.md");
      continue;
    }
    std::vector<std::string> args = split_words(c);
    args.push_back("--help");
    auto r = run_durar(args, env);
    INFO("durar " << c << " --help");
    CHECK(r.exit_code == 0);
    const std::string section = section_at(doc, at);
    for (const auto& line : help_block(r.out, "Options:")) {
      auto names = option_names(line);
      bool named = false;
      for (const auto& n : names) named = named || names_option(section, n);
      if (!named && !names.empty())
        FAIL_CHECK("option " << names.back() << " of '" << c
                             << "' is not named in its docs/cli.md section");
    }
  }
}

TEST_CASE("the cli docs check finds entries and options as documented", "[cli][docs]") {
  const auto doc = lines_of(
      "# Title\n## doctor\ntext --json\n## gateway\n| `gateway call <method> [--params "
      "JSON]` | x |\n| `health`, `status` | y |\n## config\n| `config path` | z |\n"
      "| `config export [--format jsonl\\|md]` | w |\n");
  CHECK(entry_line(doc, "doctor") == 1);
  CHECK(entry_line(doc, "gateway call") == 4);
  CHECK(entry_line(doc, "status") == 5);
  CHECK(entry_line(doc, "config path") == 7);
  CHECK(entry_line(doc, "config export") == 8);
  CHECK(entry_line(doc, "config") == 6);
  CHECK(entry_line(doc, "models") == -1);
  CHECK(entry_line(doc, "gateway run") == -1);
  CHECK(section_at(doc, 5).rfind("## gateway\n", 0) == 0);
  CHECK(names_option(section_at(doc, 4), "--params"));
  CHECK_FALSE(names_option(section_at(doc, 4), "--json"));
  CHECK_FALSE(names_option("--jsonl", "--json"));
  CHECK(command_path("  models set <provider/model|alias>  Set it") == "models set");
  CHECK(command_path("  agent [-m MESSAGE]            Run") == "agent");
  CHECK(command_path("  logs                          The gateway's log") == "logs");
  CHECK(option_names("  -m, --message TEXT    what to say") ==
        std::vector<std::string>{"-m", "--message"});
}
