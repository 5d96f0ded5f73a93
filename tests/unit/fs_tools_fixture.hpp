// Shared by the file tool tests: a temporary workspace and a way to call a tool the way the
// agent does (arguments validated, async_run on an io_context the test runs).
#pragma once

#include <durar/tool.hpp>
#include <durar/tools.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>

namespace fs_tools_test {

namespace fs = std::filesystem;
using durar::json;

struct workspace {
  durar::test::temp_dir root;  // holds the workspace and an "outside" dir next to it
  fs::path path = root.path / "ws";
  // A sibling the tools must not reach with workspace_only.
  fs::path outside = root.path / "outside";
  workspace() {
    fs::create_directories(path);
    fs::create_directories(outside);
  }

  [[nodiscard]] durar::fs_options options(bool workspace_only = true) const {
    durar::fs_options o;
    o.workspace = path;
    o.workspace_only = workspace_only;
    return o;
  }
};

inline void put(const fs::path& p, const std::string& text) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string text_of(const durar::tool_result& r) {
  REQUIRE_FALSE(r.content.empty());
  const auto* t = std::get_if<durar::text_block>(&r.content.front());
  REQUIRE(t != nullptr);
  return t->text;
}

// Validates like the agent, then runs the tool on an io_context until it answers.
inline durar::tool_result call(durar::tool& t, const json& args) {
  auto valid = durar::validate_arguments(t.definition().parameters, args);
  INFO(args.dump());
  if (!valid) FAIL("arguments rejected: " << valid.error().message);
  asio::io_context io;
  durar::tool_context ctx;
  ctx.tool_call_id = "call_1";
  ctx.executor = io.get_executor();
  std::optional<durar::tool_result> out;
  int calls = 0;
  asio::post(io, [&] {
    t.async_run(args, ctx, [&](durar::tool_result r) {
      ++calls;
      out = std::move(r);
    });
  });
  io.run();
  REQUIRE(calls == 1);
  return std::move(*out);
}

// The text of a result that must be an error.
inline std::string error_of(durar::tool& t, const json& args) {
  auto r = call(t, args);
  INFO(text_of(r));
  CHECK(r.is_error);
  return text_of(r);
}

// The text of a result that must succeed.
inline std::string ok_of(durar::tool& t, const json& args) {
  auto r = call(t, args);
  INFO(text_of(r));
  CHECK_FALSE(r.is_error);
  return text_of(r);
}

}  // namespace fs_tools_test
