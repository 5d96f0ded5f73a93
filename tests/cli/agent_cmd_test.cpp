// The agent-facing commands end to end: the real binary, a real fake vendor, real files.
#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "gateway_fixture.hpp"
#include "run_cli.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

using durar::test::error_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::run_durar;
using durar::test::temp_home;
using durar::test::write_fake_config;

namespace {

const std::filesystem::path data = std::filesystem::path(DURAR_TEST_DATA);

std::map<std::string, std::string> env_of(const temp_home& home) {
  return {{"HOME", home.path()}, {"FAKE_API_KEY", "sk-canary-agent-77"}};
}

std::vector<durar::json> transcript_lines(const temp_home& home) {
  std::vector<durar::json> out;
  auto dir = std::filesystem::path(home.path()) / ".durar/agents/main/sessions";
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".jsonl") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);)
      if (auto j = durar::json::parse(line)) out.push_back(*j);
  }
  return out;
}

}  // namespace

TEST_CASE("agent runs a tool and answers, the session keeps every message", "[cli][agent]") {
  fake_vendor_server server;
  server.enqueue(recorded(data / "cli/write_tool.response.sse"));
  server.enqueue(recorded(data / "cli/noted.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  auto r = run_durar({"agent", "-m", "note: remember the milk"}, env_of(home));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "Noted in note.txt.\n");
  CHECK(r.err.find("write note.txt") != std::string::npos);
  CHECK(home.read("ws/note.txt") == "remember the milk\n");

  // The second request carried the tool result back to the model.
  REQUIRE(server.requests().size() == 2);
  auto second = durar::json::parse(server.requests()[1].body);
  REQUIRE(second.has_value());
  CHECK((*second)["messages"].dump().find("call_w1") != std::string::npos);

  auto lines = transcript_lines(home);
  REQUIRE(lines.size() == 5);  // header, user, assistant (tool call), tool result, assistant
  CHECK(lines[0]["type"] == durar::json("session"));
  CHECK(lines[1]["message"]["role"] == durar::json("user"));
  CHECK(lines[2]["message"]["stopReason"] == durar::json("toolUse"));
  CHECK(lines[3]["message"]["role"] == durar::json("toolResult"));
  CHECK(lines[4]["message"]["stopReason"] == durar::json("stop"));
  for (const auto& l : lines) CHECK(l.dump().find("sk-canary-agent-77") == std::string::npos);

  // The session is listed, with its tokens.
  auto listed = run_durar({"sessions", "list", "--json"}, env_of(home));
  REQUIRE(listed.exit_code == 0);
  auto j = durar::json::parse(listed.out);
  REQUIRE(j.has_value());
  REQUIRE((*j)["count"] == durar::json(1));
  CHECK((*j)["sessions"][0]["key"] == durar::json("agent:main:main"));
  CHECK((*j)["sessions"][0]["totalTokens"].as_int() > 0);

  auto shown = run_durar({"sessions", "show"}, env_of(home));
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("note: remember the milk") != std::string::npos);
  CHECK(shown.out.find("Noted in note.txt.") != std::string::npos);

  auto md = run_durar({"sessions", "export", "--format", "md"}, env_of(home));
  REQUIRE(md.exit_code == 0);
  CHECK(md.out.find("## Assistant") != std::string::npos);
}

TEST_CASE("agent --json prints agent events as JSON lines", "[cli][agent]") {
  fake_vendor_server server;
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  auto r = run_durar({"agent", "--json", "--message", "hi", "--session", "work"}, env_of(home));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::vector<std::string> types;
  for (std::string line; std::getline(lines, line);) {
    auto e = durar::json::parse(line);
    REQUIRE(e.has_value());
    types.push_back((*e)["type"].as_string());
  }
  REQUIRE(types.size() >= 6);
  CHECK(types.front() == "agent_start");
  CHECK(types.back() == "agent_end");
  auto listed = run_durar({"sessions", "list", "--json"}, env_of(home));
  CHECK(listed.out.find("agent:main:work") != std::string::npos);
}

TEST_CASE("agent reports a vendor failure without the key and exits 1", "[cli][agent]") {
  fake_vendor_server server;
  server.enqueue(error_response(400, R"({"error":{"message":"bad request from vendor"}})"));
  temp_home home;
  write_fake_config(home, server.base_url());
  auto r = run_durar({"agent", "-m", "hi"}, env_of(home));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("bad request from vendor") != std::string::npos);
  CHECK(r.err.find("sk-canary-agent-77") == std::string::npos);
}

TEST_CASE("agent refuses bad input with usage errors", "[cli][agent]") {
  temp_home home;
  auto r = run_durar({"agent"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("-m") != std::string::npos);
  r = run_durar({"agent", "-m", "hi", "--thinking", "lots"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 2);
  r = run_durar({"agent", "-m", "hi", "--agent", "nobody"}, {{"HOME", home.path()}});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("unknown agent 'nobody'") != std::string::npos);
}

TEST_CASE("chat reads lines, answers each and understands slash commands", "[cli][chat]") {
  fake_vendor_server server;
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  auto r = run_durar({"chat"}, env_of(home), std::string("hello\n/usage\n/new\nagain\n/quit\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("Hello from the fake\n") != std::string::npos);
  CHECK(r.out.find("1 answers") != std::string::npos);
  CHECK(r.out.find("new session") != std::string::npos);
  CHECK(server.requests().size() == 2);
  // /new started afresh: the second request does not carry the first exchange.
  auto second = durar::json::parse(server.requests()[1].body);
  REQUIRE(second.has_value());
  CHECK((*second)["messages"].dump().find("hello") == std::string::npos);
  // The old transcript was archived, not deleted.
  bool archived = false;
  for (const auto& f : std::filesystem::directory_iterator(std::filesystem::path(home.path()) /
                                                           ".durar/agents/main/sessions"))
    archived |= f.path().filename().string().find(".jsonl.reset.") != std::string::npos;
  CHECK(archived);
}

TEST_CASE("setup writes a config and a workspace, and keeps what exists", "[cli][setup]") {
  temp_home home;
  auto r = run_durar({"setup", "--json"}, {{"HOME", home.path()}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = durar::json::parse(r.out);
  REQUIRE(j.has_value());
  CHECK((*j)["configCreated"] == durar::json(true));
  CHECK(std::filesystem::exists(std::filesystem::path(home.path()) / ".durar/durar.yaml"));
  CHECK(std::filesystem::exists(std::filesystem::path(home.path()) / ".durar/workspace/AGENTS.md"));
  home.write(".durar/workspace/AGENTS.md", "mine\n");
  r = run_durar({"setup", "--json"}, {{"HOME", home.path()}});
  REQUIRE(r.exit_code == 0);
  CHECK(home.read(".durar/workspace/AGENTS.md") == "mine\n");
  CHECK(durar::json::parse(r.out).value()["configCreated"] == durar::json(false));
  auto check = run_durar({"config", "validate"}, {{"HOME", home.path()}});
  CHECK(check.exit_code == 0);
}

TEST_CASE("exec with ask: always is refused without a terminal to ask on", "[cli][agent]") {
  fake_vendor_server server;
  server.enqueue(recorded(data / "cli/exec_tool.response.sse"));
  server.enqueue(recorded(data / "cli/noted.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  std::string cfg = home.read(".durar/durar.yaml");
  home.write(".durar/durar.yaml", cfg + "tools:\n  exec: { ask: always }\n");
  auto r = run_durar({"agent", "-m", "run it"}, env_of(home));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(home.path()) / "ws/ran.txt"));
  // The model was told the command was not approved.
  REQUIRE(server.requests().size() == 2);
  auto second = durar::json::parse(server.requests()[1].body);
  REQUIRE(second.has_value());
  const auto& msgs = (*second)["messages"].as_array();
  CHECK(msgs.back()["role"] == durar::json("tool"));
  CHECK(msgs.back()["content"].dump().find("denied") != std::string::npos);
}
