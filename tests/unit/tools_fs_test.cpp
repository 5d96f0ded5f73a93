// The read, write and edit tools in a temporary workspace, the workspace boundary and the
// allow/deny policy.
#include <durar/config.hpp>
#include <durar/tools.hpp>

#include <catch2/catch.hpp>

#include "fs_tools_fixture.hpp"

#include <cstdlib>
#include <string>
#include <sys/stat.h>

using Catch::Contains;
using Catch::StartsWith;
using durar::json;
using namespace fs_tools_test;

namespace {

std::string numbered_lines(int count, int width = 0) {
  std::string s;
  for (int i = 1; i <= count; ++i) {
    std::string line = "line" + std::to_string(i);
    if (width > 0) line.resize(static_cast<std::size_t>(width), 'x');
    s += line + "\n";
  }
  return s;
}

}  // namespace

TEST_CASE("read returns a window of lines and says how to continue", "[tools][read]") {
  workspace ws;
  put(ws.path / "ten.txt", numbered_lines(10));
  auto read = durar::make_read_tool(ws.options());

  std::string all = numbered_lines(10);
  all.pop_back();  // lines come back joined, without the file's final line break
  CHECK(ok_of(*read, json::object({{"path", "ten.txt"}})) == all);
  CHECK(ok_of(*read, json::object({{"path", "ten.txt"}, {"offset", 3}, {"limit", 2}})) ==
        "line3\nline4\n\n[6 more lines in file. Use offset=5 to continue.]");
  CHECK(ok_of(*read, json::object({{"path", "ten.txt"}, {"offset", 9}})) == "line9\nline10");
  CHECK(ok_of(*read, json::object({{"path", "ten.txt"}, {"offset", 9}, {"limit", 5}})) ==
        "line9\nline10");
  CHECK(error_of(*read, json::object({{"path", "ten.txt"}, {"offset", 20}})) ==
        "Offset 20 is beyond end of file (10 lines total)");
  CHECK(error_of(*read, json::object({{"path", "nope.txt"}})) == "File not found: nope.txt");
  CHECK_THAT(error_of(*read, json::object({{"path", "."}})), Contains("is a directory"));
  CHECK(error_of(*durar::make_read_tool(ws.options(false)),
                 json::object({{"path", "/dev/zero"}})) == "/dev/zero is not a regular file");

  put(ws.path / "empty.txt", "");
  CHECK(ok_of(*read, json::object({{"path", "empty.txt"}})).empty());
}

TEST_CASE("read caps long files by lines and by bytes", "[tools][read]") {
  workspace ws;
  put(ws.path / "long.txt", numbered_lines(2500));
  auto read = durar::make_read_tool(ws.options());
  auto first = ok_of(*read, json::object({{"path", "long.txt"}}));
  CHECK_THAT(first, StartsWith("line1\nline2\n"));
  CHECK_THAT(first, Contains("line2000\n\n[Showing lines 1-2000 of 2500. Use offset=2001 to "
                             "continue.]"));
  CHECK_THAT(first, !Contains("line2001"));
  auto rest = ok_of(*read, json::object({{"path", "long.txt"}, {"offset", 2001}}));
  CHECK_THAT(rest, StartsWith("line2001\n"));
  CHECK_THAT(rest, Contains("line2500"));
  CHECK_THAT(rest, !Contains("Use offset"));

  auto opts = ws.options();
  opts.max_read_bytes = 100;
  auto small = durar::make_read_tool(opts);
  put(ws.path / "wide.txt", numbered_lines(10, 30));  // 30 bytes a line, 31 with the break
  auto capped = call(*small, json::object({{"path", "wide.txt"}}));
  CHECK(text_of(capped) == numbered_lines(3, 30).substr(0, 92) +
                               "\n\n[Showing lines 1-3 of 10 (100B limit). Use offset=4 to "
                               "continue.]");
  CHECK(capped.details["truncated"].as_bool());

  put(ws.path / "one-line.txt", std::string(200, 'a'));
  CHECK_THAT(ok_of(*small, json::object({{"path", "one-line.txt"}})),
             StartsWith("[Line 1 is 200B, over the 100B read limit."));
}

TEST_CASE("read describes binary files and returns images as image blocks", "[tools][read]") {
  workspace ws;
  auto read = durar::make_read_tool(ws.options());
  put(ws.path / "blob.bin", std::string("\x7f"
                                        "ELF\x02\x01\x01\0\0\0\0\0garbage",
                                        20));
  auto blob = ok_of(*read, json::object({{"path", "blob.bin"}}));
  CHECK_THAT(blob, Contains("blob.bin looks like a binary file (20B)"));
  CHECK(blob.find('\0') == std::string::npos);

  std::string latin1;
  for (int i = 0; i < 100; ++i) latin1 += "caf\xE9 ";  // invalid UTF-8 throughout
  put(ws.path / "latin1.txt", latin1);
  CHECK_THAT(ok_of(*read, json::object({{"path", "latin1.txt"}})), Contains("binary file"));

  put(ws.path / "pixel.png", std::string("\x89PNG\r\n\x1a\nabc"));
  auto image = call(*read, json::object({{"path", "pixel.png"}}));
  CHECK_FALSE(image.is_error);
  REQUIRE(image.content.size() == 2);
  CHECK(text_of(image) == "Read image file [image/png]");
  const auto* block = std::get_if<durar::image_block>(&image.content[1]);
  REQUIRE(block != nullptr);
  CHECK(block->mime_type == "image/png");
  CHECK(block->data == "iVBORw0KGgphYmM=");

  put(ws.path / "photo.dat", std::string("\xFF\xD8\xFF\xE0rest"));
  auto jpeg = call(*read, json::object({{"path", "photo.dat"}}));
  REQUIRE(jpeg.content.size() == 2);
  CHECK(std::get<durar::image_block>(jpeg.content[1]).mime_type == "image/jpeg");
}

TEST_CASE("write creates parents, replaces atomically and keeps the mode", "[tools][write]") {
  workspace ws;
  auto write = durar::make_write_tool(ws.options());
  CHECK(write->sequential());
  CHECK(ok_of(*write, json::object({{"path", "a/b/c.txt"}, {"content", "hello"}})) ==
        "Successfully wrote 5 bytes to a/b/c.txt");
  CHECK(slurp(ws.path / "a/b/c.txt") == "hello");

  put(ws.path / "run.sh", "old");
  REQUIRE(::chmod((ws.path / "run.sh").c_str(), 0750) == 0);
  ok_of(*write, json::object({{"path", "run.sh"}, {"content", "#!/bin/sh\n"}}));
  CHECK(slurp(ws.path / "run.sh") == "#!/bin/sh\n");
  struct stat st {};
  REQUIRE(::stat((ws.path / "run.sh").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);

  // A link inside the workspace to a file inside it: the file changes, the link stays.
  fs::create_symlink("a/b/c.txt", ws.path / "link.txt");
  ok_of(*write, json::object({{"path", "link.txt"}, {"content", "via link"}}));
  CHECK(fs::is_symlink(ws.path / "link.txt"));
  CHECK(slurp(ws.path / "a/b/c.txt") == "via link");

  // No temporary files left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(ws.path / "a/b")) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
  CHECK_THAT(error_of(*write, json::object({{"path", "a"}, {"content", "x"}})),
             Contains("is a directory"));
}

TEST_CASE("edit replaces unique text and reports a diff", "[tools][edit]") {
  workspace ws;
  put(ws.path / "f.txt", "one\ntwo\nthree\n");
  auto edit = durar::make_edit_tool(ws.options());
  auto r =
      call(*edit,
           json::object(
               {{"path", "f.txt"},
                {"edits", json::array({json::object({{"oldText", "two"}, {"newText", "TWO"}})})}}));
  CHECK_FALSE(r.is_error);
  CHECK(text_of(r) == "Successfully replaced 1 block(s) in f.txt.");
  CHECK(slurp(ws.path / "f.txt") == "one\nTWO\nthree\n");
  CHECK(r.details["diff"].as_string() == " 1 one\n-2 two\n+2 TWO\n 3 three");
  CHECK(r.details["firstChangedLine"].as_int() == 2);

  // The single oldText/newText form still works.
  ok_of(*edit, json::object({{"path", "f.txt"}, {"oldText", "one"}, {"newText", "1"}}));
  CHECK(slurp(ws.path / "f.txt") == "1\nTWO\nthree\n");

  // Several edits, each matched against the original.
  ok_of(*edit,
        json::object(
            {{"path", "f.txt"},
             {"edits", json::array({json::object({{"oldText", "1"}, {"newText", "x"}}),
                                    json::object({{"oldText", "three"}, {"newText", "y"}})})}}));
  CHECK(slurp(ws.path / "f.txt") == "x\nTWO\ny\n");
}

TEST_CASE("edit refuses missing, repeated and overlapping text and leaves the file alone",
          "[tools][edit]") {
  workspace ws;
  const std::string original = "a = 1\nb = 2\na = 1\n";
  put(ws.path / "f.txt", original);
  auto edit = durar::make_edit_tool(ws.options());
  auto missing =
      error_of(*edit, json::object({{"path", "f.txt"}, {"oldText", "c = 3"}, {"newText", "x"}}));
  CHECK_THAT(missing, StartsWith("Could not find the exact text in f.txt."));
  CHECK_THAT(missing, Contains("Current file contents:\na = 1\nb = 2"));
  CHECK(
      error_of(*edit, json::object({{"path", "f.txt"}, {"oldText", "a = 1"}, {"newText", "x"}})) ==
      "Found 2 occurrences of the text in f.txt. The text must be unique: include more of "
      "the surrounding text to pick one.");
  CHECK_THAT(
      error_of(
          *edit,
          json::object(
              {{"path", "f.txt"},
               {"edits", json::array({json::object({{"oldText", "b = 2"}, {"newText", "x"}}),
                                      json::object({{"oldText", "= 2\na"}, {"newText", "y"}})})}})),
      Contains("edits[0] and edits[1] overlap in f.txt"));
  CHECK_THAT(error_of(*edit, json::object(
                                 {{"path", "f.txt"}, {"oldText", "b = 2"}, {"newText", "b = 2"}})),
             StartsWith("No changes made to f.txt"));
  CHECK_THAT(error_of(*edit, json::object({{"path", "f.txt"}, {"oldText", ""}, {"newText", "x"}})),
             Contains("oldText must not be empty"));
  CHECK(error_of(*edit, json::object({{"path", "none.txt"}, {"oldText", "a"}, {"newText", "b"}})) ==
        "File not found: none.txt");
  CHECK(slurp(ws.path / "f.txt") == original);
}

TEST_CASE("edit keeps CRLF line endings and a BOM", "[tools][edit]") {
  workspace ws;
  put(ws.path / "win.txt", "\xEF\xBB\xBFone\r\ntwo\r\nthree\r\n");
  auto edit = durar::make_edit_tool(ws.options());
  ok_of(*edit, json::object(
                   {{"path", "win.txt"}, {"oldText", "one\ntwo"}, {"newText", "ONE\nTWO\nextra"}}));
  CHECK(slurp(ws.path / "win.txt") == "\xEF\xBB\xBFONE\r\nTWO\r\nextra\r\nthree\r\n");
  // oldText sent with CRLF matches too.
  ok_of(*edit,
        json::object({{"path", "win.txt"}, {"oldText", "extra\r\nthree"}, {"newText", "3"}}));
  CHECK(slurp(ws.path / "win.txt") == "\xEF\xBB\xBFONE\r\nTWO\r\n3\r\n");
}

TEST_CASE("edit matches despite typographic quotes and trailing spaces, changing only the match",
          "[tools][edit]") {
  workspace ws;
  put(ws.path / "q.txt", "keep   \nsay(\xE2\x80\x9Chi\xE2\x80\x9D);  \nkeep \xE2\x80\x94 too\n");
  auto edit = durar::make_edit_tool(ws.options());
  ok_of(*edit,
        json::object(
            {{"path", "q.txt"}, {"oldText", "say(\"hi\");\n"}, {"newText", "say(\"bye\");\n"}}));
  CHECK(slurp(ws.path / "q.txt") == "keep   \nsay(\"bye\");\nkeep \xE2\x80\x94 too\n");
}

TEST_CASE("file tools refuse paths outside the workspace, through .. or symlinks",
          "[tools][paths]") {
  workspace ws;
  put(ws.outside / "secret.txt", "secret");
  fs::create_directory_symlink(ws.outside, ws.path / "escape");
  fs::create_symlink(ws.outside / "secret.txt", ws.path / "secret-link.txt");
  auto read = durar::make_read_tool(ws.options());
  auto write = durar::make_write_tool(ws.options());
  auto edit = durar::make_edit_tool(ws.options());

  CHECK_THAT(
      error_of(*read, json::object({{"path", "../outside/secret.txt"}})),
      StartsWith("Path escapes the workspace (" + ws.path.string() + "): ../outside/secret.txt"));
  CHECK_THAT(error_of(*read, json::object({{"path", (ws.outside / "secret.txt").string()}})),
             StartsWith("Path escapes the workspace"));
  CHECK_THAT(error_of(*read, json::object({{"path", "escape/secret.txt"}})),
             Contains("through a symlink: escape/secret.txt"));
  CHECK_THAT(error_of(*read, json::object({{"path", "secret-link.txt"}})),
             Contains("through a symlink"));
  CHECK_THAT(error_of(*write, json::object({{"path", "escape/new.txt"}, {"content", "x"}})),
             Contains("through a symlink"));
  CHECK_THAT(
      error_of(*write, json::object({{"path", "sub/../../outside/new.txt"}, {"content", "x"}})),
      StartsWith("Path escapes the workspace"));
  CHECK_THAT(
      error_of(*edit, json::object(
                          {{"path", "secret-link.txt"}, {"oldText", "secret"}, {"newText", "x"}})),
      Contains("through a symlink"));
  CHECK_FALSE(fs::exists(ws.outside / "new.txt"));
  CHECK(slurp(ws.outside / "secret.txt") == "secret");

  // `..` that stays inside is fine.
  put(ws.path / "in.txt", "inside");
  CHECK(ok_of(*read, json::object({{"path", "sub/../in.txt"}})) == "inside");
  CHECK(ok_of(*read, json::object({{"path", "@in.txt"}})) == "inside");

  // Without workspace_only the same paths work.
  auto open_read = durar::make_read_tool(ws.options(false));
  CHECK(ok_of(*open_read, json::object({{"path", "escape/secret.txt"}})) == "secret");
  CHECK(ok_of(*open_read, json::object({{"path", "../outside/secret.txt"}})) == "secret");
}

TEST_CASE("file tools expand ~ to the home directory", "[tools][paths]") {
  workspace ws;
  put(ws.outside / "home.txt", "at home");
  const char* old = std::getenv("HOME");
  std::string saved = old != nullptr ? old : "";
  ::setenv("HOME", ws.outside.c_str(), 1);
  auto read = durar::make_read_tool(ws.options(false));
  auto text = call(*read, json::object({{"path", "~/home.txt"}}));
  auto guarded =
      call(*durar::make_read_tool(ws.options(true)), json::object({{"path", "~/home.txt"}}));
  if (old != nullptr)
    ::setenv("HOME", saved.c_str(), 1);
  else
    ::unsetenv("HOME");
  CHECK(text_of(text) == "at home");
  CHECK(guarded.is_error);
}

TEST_CASE("tool groups expand and policies combine with deny winning", "[tools][policy]") {
  using durar::expand_tool_group;
  using durar::tool_allowed;
  using durar::tool_policy;
  CHECK(expand_tool_group("group:fs") ==
        std::vector<std::string>{"read", "write", "edit", "apply_patch"});
  CHECK(expand_tool_group("group:runtime") == std::vector<std::string>{"exec", "process"});
  CHECK(expand_tool_group("GROUP:WEB") == std::vector<std::string>{"web_fetch"});
  CHECK(expand_tool_group("group:sessions") ==
        std::vector<std::string>{"sessions_list", "sessions_history", "sessions_send"});
  CHECK(expand_tool_group("Bash") == std::vector<std::string>{"exec"});
  CHECK(expand_tool_group("read") == std::vector<std::string>{"read"});

  tool_policy none;
  CHECK(tool_allowed("exec", none, none));
  tool_policy fs_only{{"group:fs"}, {}};
  CHECK(tool_allowed("read", fs_only, none));
  CHECK(tool_allowed("apply_patch", fs_only, none));
  CHECK_FALSE(tool_allowed("exec", fs_only, none));

  tool_policy all_but_exec{{"*"}, {"bash"}};
  CHECK(tool_allowed("web_fetch", all_but_exec, none));
  CHECK_FALSE(tool_allowed("exec", all_but_exec, none));

  // The agent's policy narrows the global one; it cannot widen it.
  tool_policy agent_read_only{{"read"}, {}};
  CHECK(tool_allowed("read", fs_only, agent_read_only));
  CHECK_FALSE(tool_allowed("write", fs_only, agent_read_only));
  CHECK_FALSE(tool_allowed("exec", none, tool_policy{{}, {"group:runtime"}}));
  CHECK_FALSE(tool_allowed("exec", fs_only, tool_policy{{"exec"}, {}}));

  tool_policy sessions_glob{{"sessions_*"}, {}};
  CHECK(tool_allowed("sessions_send", sessions_glob, none));
  CHECK_FALSE(tool_allowed("read", sessions_glob, none));

  // apply_patch writes: "write" in a list covers it.
  CHECK_FALSE(tool_allowed("apply_patch", tool_policy{{}, {"write"}}, none));
  CHECK(tool_allowed("apply_patch", tool_policy{{"write"}, {}}, none));
  CHECK(tool_allowed("Read", tool_policy{{"READ"}, {}}, none));
}
