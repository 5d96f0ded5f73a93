// apply_patch in a temporary workspace: every operation, all-or-nothing, and the errors.
#include <durar/tools.hpp>

#include <catch2/catch.hpp>

#include "fs_tools_fixture.hpp"

#include <string>

using Catch::Contains;
using Catch::StartsWith;
using durar::json;
using namespace fs_tools_test;

namespace {

json patch(const std::string& body) {
  return json::object({{"input", "*** Begin Patch\n" + body + "*** End Patch\n"}});
}

}  // namespace

TEST_CASE("apply_patch adds, updates, moves and deletes files", "[tools][apply_patch]") {
  workspace ws;
  put(ws.path / "src/app.txt", "alpha\nbeta\ngamma\ndelta\n");
  put(ws.path / "old.txt", "obsolete\n");
  put(ws.path / "rename-me.txt", "keep\nchange\n");
  auto tool = durar::make_apply_patch_tool(ws.options());
  CHECK(tool->sequential());
  auto r = call(*tool, patch("*** Add File: docs/new.md\n"
                             "+# Title\n"
                             "+\n"
                             "+text\n"
                             "*** Update File: src/app.txt\n"
                             "@@\n"
                             " alpha\n"
                             "-beta\n"
                             "+BETA\n"
                             "@@ gamma\n"
                             "-delta\n"
                             "+DELTA\n"
                             "+epsilon\n"
                             "*** Delete File: old.txt\n"
                             "*** Update File: rename-me.txt\n"
                             "*** Move to: renamed/done.txt\n"
                             "@@\n"
                             " keep\n"
                             "-change\n"
                             "+changed\n"));
  INFO(text_of(r));
  REQUIRE_FALSE(r.is_error);
  CHECK(text_of(r) ==
        "Success. Updated the following files:\nA docs/new.md\nM src/app.txt\n"
        "M renamed/done.txt\nD old.txt");
  CHECK(r.details["summary"]["added"][0].as_string() == "docs/new.md");
  CHECK(slurp(ws.path / "docs/new.md") == "# Title\n\ntext\n");
  CHECK(slurp(ws.path / "src/app.txt") == "alpha\nBETA\ngamma\nDELTA\nepsilon\n");
  CHECK_FALSE(fs::exists(ws.path / "old.txt"));
  CHECK_FALSE(fs::exists(ws.path / "rename-me.txt"));
  CHECK(slurp(ws.path / "renamed/done.txt") == "keep\nchanged\n");
}

TEST_CASE("apply_patch changes nothing when any hunk fails", "[tools][apply_patch]") {
  workspace ws;
  put(ws.path / "a.txt", "one\ntwo\n");
  put(ws.path / "b.txt", "first\nsecond\nthird\n");
  put(ws.path / "c.txt", "delete me\n");
  auto tool = durar::make_apply_patch_tool(ws.options());
  auto message = error_of(*tool, patch("*** Update File: a.txt\n"
                                       "@@\n"
                                       "-one\n"
                                       "+ONE\n"
                                       "*** Add File: added.txt\n"
                                       "+new\n"
                                       "*** Delete File: c.txt\n"
                                       "*** Update File: b.txt\n"
                                       "@@\n"
                                       "-first\n"
                                       "+FIRST\n"
                                       "@@\n"
                                       "-not in the file\n"
                                       "+x\n"));
  CHECK_THAT(message, StartsWith("Failed to find expected lines in b.txt (hunk 2 of 2):\n"
                                 "not in the file"));
  CHECK_THAT(message, Contains("No files were changed."));
  CHECK(slurp(ws.path / "a.txt") == "one\ntwo\n");
  CHECK(slurp(ws.path / "b.txt") == "first\nsecond\nthird\n");
  CHECK(slurp(ws.path / "c.txt") == "delete me\n");
  CHECK_FALSE(fs::exists(ws.path / "added.txt"));

  CHECK_THAT(error_of(*tool, patch("*** Update File: a.txt\n@@ no such line\n-one\n+1\n")),
             StartsWith("Failed to find context 'no such line' in a.txt"));
  CHECK_THAT(error_of(*tool, patch("*** Update File: missing.txt\n@@\n-x\n+y\n")),
             StartsWith("Failed to read file to update missing.txt: file not found"));
  CHECK_THAT(error_of(*tool, patch("*** Delete File: missing.txt\n")),
             StartsWith("Failed to delete missing.txt: file not found"));
}

TEST_CASE("apply_patch reports malformed patches with their line", "[tools][apply_patch]") {
  workspace ws;
  auto tool = durar::make_apply_patch_tool(ws.options());
  CHECK(error_of(*tool, json::object({{"input", "*** Add File: x\n+y\n*** End Patch"}})) ==
        "The first line of the patch must be '*** Begin Patch'");
  CHECK(error_of(*tool, json::object({{"input", "*** Begin Patch\n*** Add File: x\n+y\n"}})) ==
        "The last line of the patch must be '*** End Patch'");
  CHECK_THAT(error_of(*tool, patch("*** Frobnicate File: x\n")),
             StartsWith("Invalid patch hunk at line 2: '*** Frobnicate File: x' is not a valid "
                        "hunk header"));
  CHECK_THAT(error_of(*tool, patch("*** Update File: x\n")),
             StartsWith("Invalid patch hunk at line 2: Update file hunk for path 'x' is empty"));
  CHECK_THAT(error_of(*tool, patch("*** Update File: x\n@@\n-a\n+b\n@@\n")),
             Contains("Update hunk does not contain any lines"));
  CHECK(error_of(*tool, json::object({{"input", "  \n"}})) == "Provide a patch input.");
  CHECK(error_of(*tool, patch("")) == "No files were modified.");
}

TEST_CASE("apply_patch tolerates whitespace drift and keeps CRLF files CRLF",
          "[tools][apply_patch]") {
  workspace ws;
  put(ws.path / "ws.txt", "int x = 1;   \n  return x;\n");
  put(ws.path / "win.txt", "a\r\nb\r\nc\r\n");
  auto tool = durar::make_apply_patch_tool(ws.options());
  ok_of(*tool, patch("*** Update File: ws.txt\n@@\n-int x = 1;\n+int x = 2;\n   return x;\n"));
  CHECK(slurp(ws.path / "ws.txt") == "int x = 2;\n  return x;\n");

  ok_of(*tool, patch("*** Update File: win.txt\n@@\n a\n-b\n+B\n c\n"));
  CHECK(slurp(ws.path / "win.txt") == "a\r\nB\r\nc\r\n");

  // "*** End of File" anchors the hunk at the end; a pure addition appends.
  put(ws.path / "tail.txt", "x\ny\nx\n");
  ok_of(*tool, patch("*** Update File: tail.txt\n@@\n-x\n+z\n*** End of File\n"));
  CHECK(slurp(ws.path / "tail.txt") == "x\ny\nz\n");
  ok_of(*tool, patch("*** Update File: tail.txt\n@@\n+appended\n"));
  CHECK(slurp(ws.path / "tail.txt") == "x\ny\nz\nappended\n");

  // The heredoc a model would hand a shell is unwrapped.
  ok_of(*tool, json::object({{"input",
                              "<<'EOF'\n*** Begin Patch\n*** Add File: h.txt\n+hi\n"
                              "*** End Patch\nEOF"}}));
  CHECK(slurp(ws.path / "h.txt") == "hi\n");
}

TEST_CASE("apply_patch stays inside the workspace", "[tools][apply_patch][paths]") {
  workspace ws;
  put(ws.path / "in.txt", "in\n");
  fs::create_directory_symlink(ws.outside, ws.path / "escape");
  auto tool = durar::make_apply_patch_tool(ws.options());
  CHECK_THAT(error_of(*tool, patch("*** Update File: in.txt\n@@\n-in\n+IN\n"
                                   "*** Add File: ../outside/x.txt\n+x\n")),
             StartsWith("Path escapes the workspace"));
  CHECK_THAT(error_of(*tool, patch("*** Add File: escape/y.txt\n+y\n")),
             Contains("through a symlink"));
  CHECK(slurp(ws.path / "in.txt") == "in\n");
  CHECK(fs::is_empty(ws.outside));

  // Deleting the link itself is allowed: it lives in the workspace.
  ok_of(*tool, patch("*** Delete File: escape\n"));
  CHECK_FALSE(fs::exists(fs::symlink_status(ws.path / "escape")));
  CHECK(fs::exists(ws.outside));
}
