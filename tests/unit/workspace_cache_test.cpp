// The workspace file cache: a turn sees every change to the bootstrap files and skills,
// whether the change came a moment or an hour after the last read. Old timestamps are set
// with utimensat, so "settled" stamps need no waiting.
#include <durar/workspace.hpp>

#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"

#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>

using namespace durar;
namespace fs = std::filesystem;

namespace {

// Moves a file's or folder's mtime an hour back, as if written long ago.
void age(const fs::path& p) {
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 3600, 0}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, 0) == 0);
}

std::string agents_text(const fs::path& workspace) {
  system_prompt_inputs in;
  in.workspace = workspace;
  for (auto& f : load_workspace_files(in))
    if (f.name == "AGENTS.md") return f.content;
  return "(none)";
}

}  // namespace

TEST_CASE("a file rewritten in place is read again, even at the same size", "[workspace]") {
  durar::test::temp_dir ws;
  ws.write("AGENTS.md", "first");
  age(ws.path / "AGENTS.md");
  age(ws.path);
  CHECK(agents_text(ws.path) == "first");
  ws.write("AGENTS.md", "secnd");  // same size; the folder's mtime does not change
  CHECK(agents_text(ws.path) == "secnd");
}

TEST_CASE("a file changed within its timestamp tick is not served stale", "[workspace]") {
  durar::test::temp_dir ws;
  ws.write("AGENTS.md", "one");
  CHECK(agents_text(ws.path) == "one");
  ws.write("AGENTS.md", "two");  // likely the same mtime tick and the same size
  CHECK(agents_text(ws.path) == "two");
}

TEST_CASE("files created and removed in a settled workspace are seen", "[workspace]") {
  durar::test::temp_dir ws;
  ws.write("SOUL.md", "kind");
  age(ws.path / "SOUL.md");
  age(ws.path);
  CHECK(agents_text(ws.path) == "(none)");
  ws.write("AGENTS.md", "new");
  CHECK(agents_text(ws.path) == "new");
  age(ws.path / "AGENTS.md");
  age(ws.path);
  CHECK(agents_text(ws.path) == "new");
  fs::remove(ws.path / "AGENTS.md");
  CHECK(agents_text(ws.path) == "(none)");
}

TEST_CASE("a skills folder added to a settled workspace reaches the prompt", "[workspace]") {
  durar::test::temp_dir ws;
  ws.write("AGENTS.md", "x");
  age(ws.path / "AGENTS.md");
  age(ws.path);
  system_prompt_inputs in;
  in.workspace = ws.path;
  CHECK(build_system_prompt(in).find("<available_skills>") == std::string::npos);
  ws.write("skills/deploy/SKILL.md", "---\nname: deploy\ndescription: ship it\n---\n");
  CHECK(build_system_prompt(in).find("<name>deploy</name>") != std::string::npos);
}
