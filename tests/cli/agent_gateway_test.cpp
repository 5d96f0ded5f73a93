// durar agent (and chat) with a gateway running on the same state dir: Ctrl-C aborts the
// gateway's run, and a gateway that refuses the CLI's token is an error, not a reason to run
// in-process beside it. The real binary for both, a fake vendor upstream; the gateway and the
// CLI hold different API keys, so the vendor's requests tell which process made them. Every
// wait ends on something a process prints or sends.
#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "fake_vendor_server.hpp"
#include "gateway_fixture.hpp"
#include "run_cli.hpp"

#include <csignal>
#include <filesystem>

using durar::test::child_process;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::gateway_key;
using durar::test::gateway_process;
using durar::test::recorded;
using durar::test::run_durar;
using durar::test::temp_home;
using durar::test::write_fake_config;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;
const fs::path data = fs::path(DURAR_TEST_DATA);
const std::string cli_key = "sk-cli-side-2";

std::map<std::string, std::string> cli_env(const temp_home& home, const std::string& port) {
  return {{"HOME", home.path()}, {"FAKE_API_KEY", cli_key}, {"DURAR_GATEWAY_PORT", port}};
}

// hello.response.sse, stopping after its first words until the connection goes away.
fake_response stalled_hello() {
  fake_response r = recorded(data / "providers/router/hello.response.sse");
  std::size_t at = 0;
  for (int events = 0; events < 2; ++events) at = r.body.find("\n\n", at) + 2;
  r.stall_after = at;  // "Hello" went out, " from the fake" never does
  return r;
}

// The transcripts written so far (none when the sessions directory is not there).
std::size_t transcripts(const temp_home& home) {
  std::size_t n = 0;
  auto dir = fs::path(home.path()) / ".durar/agents/main/sessions";
  if (!fs::exists(dir)) return 0;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".jsonl") ++n;
  return n;
}

// The last entry of a session's transcript, as `durar sessions export` prints it.
durar::json last_entry(const temp_home& home, const std::string& key) {
  auto r = run_durar({"sessions", "export", key}, {{"HOME", home.path()}});
  REQUIRE(r.exit_code == 0);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto j = durar::json::parse(out.substr(out.rfind('\n') + 1));
  REQUIRE(j.has_value());
  return *j;
}

}  // namespace

TEST_CASE("agent and chat with a token the running gateway refuses: an error, no in-process run",
          "[cli][agent][gateway]") {
  fake_vendor_server server;
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);
  auto env = cli_env(home, gw.port);
  env["DURAR_GATEWAY_TOKEN"] = "bad";

  auto r = run_durar({"agent", "-m", "hi"}, env);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("the gateway at ws://127.0.0.1:" + gw.port +
                   " refused the token (gateway token mismatch)") != std::string::npos);
  CHECK(r.err.find("DURAR_GATEWAY_TOKEN") != std::string::npos);
  CHECK(r.err.find("--local") != std::string::npos);

  auto c = run_durar({"chat"}, env, std::string("hi\n"));
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("refused the token (gateway token mismatch)") != std::string::npos);
  CHECK(c.err.find("in-process") == std::string::npos);

  // Nothing ran: no vendor call, no transcript.
  CHECK(server.requests().empty());
  CHECK(transcripts(home) == 0);
  CHECK_FALSE(gw.proc.wait_exit(0ms).has_value());  // the gateway runs on
}

TEST_CASE("agent refused for too many failed attempts: an error, no in-process run",
          "[cli][agent][gateway]") {
  fake_vendor_server server;
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);
  auto env = cli_env(home, gw.port);
  env["DURAR_GATEWAY_TOKEN"] = "bad";

  // A few wrong tokens are let through to be refused, then the address is throttled; the
  // penalty grows with each attempt, so the next ones are throttled for certain.
  bool throttled = false;
  for (int attempt = 0; attempt < 20 && !throttled; ++attempt) {
    auto r = run_durar({"agent", "-m", "hi"}, env);
    INFO(r.err);
    REQUIRE(r.exit_code == 1);
    REQUIRE(r.err.find("the gateway at ws://127.0.0.1:" + gw.port + " refused the token") !=
            std::string::npos);
    throttled = r.err.find("too many failed attempts") != std::string::npos;
  }
  CHECK(throttled);
  CHECK(server.requests().empty());
  CHECK(transcripts(home) == 0);
}

TEST_CASE("Ctrl-C on agent through the gateway aborts the gateway's run, exit 130",
          "[cli][agent][gateway]") {
  fake_vendor_server server;
  server.enqueue(stalled_hello());
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);

  child_process agent({DURAR_CLI_PATH, "agent", "-m", "hello", "--session", "work"},
                      cli_env(home, gw.port));
  REQUIRE(agent.wait_stdout("Hello"));  // streamed: the gateway's run is under way
  agent.signal(SIGINT);
  auto code = agent.wait_exit(20s);
  INFO(agent.err());
  REQUIRE(code.has_value());
  CHECK(*code == 130);
  CHECK(agent.out() == "Hello\n");
  CHECK(agent.err().find("aborted") != std::string::npos);

  // The gateway made the call and ended the run before the CLI exited: the partial answer
  // is the transcript's last entry, marked aborted.
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].header("authorization") == "Bearer " + gateway_key);
  durar::json last = last_entry(home, "agent:main:work");
  CHECK(last["message"]["role"] == durar::json("assistant"));
  CHECK(last["message"]["stopReason"] == durar::json("aborted"));
  CHECK(last.dump().find("Hello") != std::string::npos);
  CHECK_FALSE(gw.proc.wait_exit(0ms).has_value());  // the gateway itself runs on
}

TEST_CASE("Ctrl-C on agent through a gateway that hangs: the wait is bounded, exit 130",
          "[cli][agent][gateway]") {
  fake_vendor_server server;
  server.enqueue(stalled_hello());
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);

  child_process agent({DURAR_CLI_PATH, "agent", "-m", "hello"}, cli_env(home, gw.port));
  REQUIRE(agent.wait_stdout("Hello"));
  gw.proc.signal(SIGSTOP);  // answers nothing from now on: neither the abort nor the end
  agent.signal(SIGINT);
  auto code = agent.wait_exit(20s);
  INFO(agent.err());
  REQUIRE(code.has_value());
  CHECK(*code == 130);
  CHECK(agent.err().find("could not ask the gateway to abort") != std::string::npos);
  CHECK(agent.err().find("aborted (the gateway did not end the run") != std::string::npos);
  gw.proc.signal(SIGCONT);
}

TEST_CASE("Ctrl-C in a chat through a gateway that hangs: the wait is bounded, the chat goes on",
          "[cli][chat][gateway]") {
  fake_vendor_server server;
  server.enqueue(stalled_hello());
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);
  std::string input = home.write("chat.in", "hello\n");

  child_process chat(
      {"/bin/sh", "-c", "exec '" + std::string(DURAR_CLI_PATH) + "' chat < '" + input + "'"},
      cli_env(home, gw.port));
  REQUIRE(chat.wait_stdout("Hello"));
  gw.proc.signal(SIGSTOP);
  chat.signal(SIGINT);
  auto code = chat.wait_exit(20s);  // the line ends, then stdin does
  INFO(chat.err());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(chat.err().find("via gateway") != std::string::npos);
  CHECK(chat.err().find("could not ask the gateway to abort") != std::string::npos);
  CHECK(chat.err().find("aborted (the gateway did not end the run") != std::string::npos);
  gw.proc.signal(SIGCONT);
}
