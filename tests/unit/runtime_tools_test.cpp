// runtime::add_tool: host tools join every agent's tools, and a name that is taken (by a
// built-in or an earlier host tool) is refused rather than left for the model to guess.
#include <durar/runtime.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"

#include <string>

using namespace durar;

namespace {

config small_config(const std::filesystem::path& state) {
  config cfg;
  cfg.paths.state_dir = state;
  cfg.env = environment(std::map<std::string, std::string, std::less<>>{{"HOME", state.string()}});
  return cfg;
}

std::shared_ptr<tool> named(std::string name) {
  tool_definition d;
  d.name = std::move(name);
  d.description = "A host tool for the test.";
  d.parameters = json::object({{"type", "object"}});
  return make_tool(std::move(d), [](const json&, const tool_context&) -> result<tool_result> {
    return text_result("ok");
  });
}

bool has_tool(runtime& rt, const std::string& name) {
  auto profile = rt.agent("");
  REQUIRE(profile.has_value());
  for (const auto& t : rt.tools_for(*profile))
    if (t->definition().name == name) return true;
  return false;
}

}  // namespace

TEST_CASE("a host tool joins the agent's tools once, and its name cannot be taken again",
          "[runtime][tools]") {
  durar::test::temp_dir state;
  asio::io_context io;
  runtime rt(io, small_config(state.path));
  CHECK_FALSE(has_tool(rt, "weather"));
  REQUIRE(rt.add_tool(named("weather")).has_value());
  CHECK(has_tool(rt, "weather"));

  auto again = rt.add_tool(named("weather"));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == errc::invalid_argument);
  CHECK(again.error().message == "a tool named 'weather' exists already");
  int count = 0;
  auto profile = rt.agent("");
  for (const auto& t : rt.tools_for(*profile)) count += t->definition().name == "weather";
  CHECK(count == 1);
}

TEST_CASE("a host tool may not take a built-in tool's name, and a null tool is refused",
          "[runtime][tools]") {
  durar::test::temp_dir state;
  asio::io_context io;
  runtime rt(io, small_config(state.path));
  REQUIRE(has_tool(rt, "read"));
  auto clash = rt.add_tool(named("read"));
  REQUIRE_FALSE(clash.has_value());
  CHECK(clash.error().message.find("'read'") != std::string::npos);

  auto none = rt.add_tool(nullptr);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == errc::invalid_argument);
}
