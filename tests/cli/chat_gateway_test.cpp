// durar chat with a gateway running on the same state dir: the real binary for both, a fake
// vendor upstream. The gateway and the chat hold different API keys, so the vendor's
// requests tell which process made them. Chats that must be driven line by line read a FIFO
// the test writes to, and every wait ends on something the processes print or send.
#include <durar/json.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "fake_vendor_server.hpp"
#include "gateway_fixture.hpp"
#include "run_cli.hpp"

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

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
const std::string chat_key = "sk-chat-side-2";

std::map<std::string, std::string> chat_env(const temp_home& home, const std::string& port) {
  return {{"HOME", home.path()}, {"FAKE_API_KEY", chat_key}, {"DURAR_GATEWAY_PORT", port}};
}

// A chat whose stdin is a FIFO: the test says a line when it is ready for the chat to read it.
struct fifo_chat {
  std::string fifo;
  int fd = -1;
  std::unique_ptr<child_process> proc;
  static inline int count = 0;

  fifo_chat(const temp_home& home, const std::string& port)
      : fifo(home.path() + "/chat-" + std::to_string(++count) + ".in") {
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Read-write, so opening never waits for the reader; EOF comes when we close it.
    fd = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    proc = std::make_unique<child_process>(
        std::vector<std::string>{
            "/bin/sh", "-c", "exec '" + std::string(DURAR_CLI_PATH) + "' chat < '" + fifo + "'"},
        chat_env(home, port));
  }
  ~fifo_chat() { end(); }
  fifo_chat(const fifo_chat&) = delete;
  fifo_chat& operator=(const fifo_chat&) = delete;

  void say(const std::string& line) {
    std::string l = line + "\n";
    REQUIRE(::write(fd, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }
  void end() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// hello.response.sse, stopping after its first words until the connection goes away.
fake_response stalled_hello() {
  fake_response r = recorded(data / "providers/router/hello.response.sse");
  std::size_t at = 0;
  for (int events = 0; events < 2; ++events) at = r.body.find("\n\n", at) + 2;
  r.stall_after = at;  // "Hello" went out, " from the fake" never does
  return r;
}

std::string auth_of(const fake_vendor_server& server, std::size_t i) {
  return server.requests().at(i).header("authorization");
}

bool archived_transcript(const temp_home& home) {
  for (const auto& f :
       fs::directory_iterator(fs::path(home.path()) / ".durar/agents/main/sessions"))
    if (f.path().filename().string().find(".jsonl.reset.") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("chat through a running gateway: turns land in its session, /reset goes through it",
          "[cli][chat][gateway]") {
  fake_vendor_server server;
  server.enqueue(recorded(data / "cli/write_tool.response.sse"));
  server.enqueue(recorded(data / "cli/noted.response.sse"));
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);

  auto r = run_durar({"chat"}, chat_env(home, gw.port),
                     std::string("note: remember the milk\n/history\n/sessions\n/usage\n/reset\n"
                                 "hello\n/quit\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("via gateway ws://127.0.0.1:" + gw.port) != std::string::npos);
  // Streamed as in-process chat prints it: the tool line, then the answer.
  CHECK(r.out.rfind("  -> write note.txt\nNoted in note.txt.\n", 0) == 0);
  CHECK(r.out.find("you: note: remember the milk\n") != std::string::npos);  // /history
  CHECK(r.out.find("* agent:main:main") != std::string::npos);               // /sessions
  CHECK(r.out.find("2 answers") != std::string::npos);                       // /usage
  CHECK(r.out.find("new session ") != std::string::npos);                    // /reset
  CHECK(r.out.find("Hello from the fake\n") != std::string::npos);
  CHECK(home.read("ws/note.txt") == "remember the milk\n");

  // The gateway made every vendor call; after /reset the history started afresh.
  REQUIRE(server.requests().size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(auth_of(server, i) == "Bearer " + gateway_key);
  CHECK(server.requests()[2].body.find("remember the milk") == std::string::npos);
  CHECK(archived_transcript(home));
  auto shown = run_durar({"sessions", "show"}, {{"HOME", home.path()}});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("hello") != std::string::npos);
  CHECK(shown.out.find("Hello from the fake") != std::string::npos);
}

TEST_CASE("chat --local runs in-process beside a gateway, with the same output",
          "[cli][chat][gateway]") {
  fake_vendor_server server;
  server.enqueue(recorded(data / "cli/write_tool.response.sse"));
  server.enqueue(recorded(data / "cli/noted.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);

  auto r = run_durar({"chat", "--local"}, chat_env(home, gw.port),
                     std::string("note: remember the milk\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("in-process (--local)") != std::string::npos);
  CHECK(r.err.find("via gateway") == std::string::npos);
  CHECK(r.out == "  -> write note.txt\nNoted in note.txt.\n");
  REQUIRE(server.requests().size() == 2);
  for (std::size_t i = 0; i < 2; ++i) CHECK(auth_of(server, i) == "Bearer " + chat_key);
}

TEST_CASE("chat without a running gateway runs in-process", "[cli][chat][gateway]") {
  asio::io_context io;
  std::uint16_t free_port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    free_port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  fake_vendor_server server;
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  auto r = run_durar({"chat"}, chat_env(home, std::to_string(free_port)),
                     std::string("hello\n/history\n"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("· in-process") != std::string::npos);
  CHECK(r.out.find("Hello from the fake\n") != std::string::npos);
  CHECK(r.out.find("assistant: Hello from the fake") != std::string::npos);
  REQUIRE(server.requests().size() == 1);
  CHECK(auth_of(server, 0) == "Bearer " + chat_key);
}

TEST_CASE("Ctrl-C in a chat through the gateway aborts that run, and the chat goes on",
          "[cli][chat][gateway]") {
  fake_vendor_server server;
  server.enqueue(stalled_hello());
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  gateway_process gw(home);
  fifo_chat chat(home, gw.port);

  chat.say("hello");
  REQUIRE(chat.proc->wait_stdout("Hello"));  // streamed before the run ended
  chat.proc->signal(SIGINT);
  REQUIRE(chat.proc->wait_stderr("aborted"));
  chat.say("again");
  REQUIRE(chat.proc->wait_stdout("Hello from the fake\n"));
  chat.end();
  CHECK(chat.proc->wait_exit() == 0);
  INFO(chat.proc->err());
  CHECK(chat.proc->err().find("via gateway") != std::string::npos);
  CHECK_FALSE(gw.proc.wait_exit(0ms).has_value());  // the gateway itself runs on
  REQUIRE(server.requests().size() == 2);
  CHECK(auth_of(server, 1) == "Bearer " + gateway_key);
  // The aborted answer stays in the transcript, marked aborted.
  auto shown = run_durar({"sessions", "export"}, {{"HOME", home.path()}});
  CHECK(shown.out.find("\"stopReason\":\"aborted\"") != std::string::npos);
}

TEST_CASE("a gateway that goes away mid-chat: the chat says so and goes on in-process",
          "[cli][chat][gateway]") {
  fake_vendor_server server;
  server.enqueue(stalled_hello());
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  server.enqueue(recorded(data / "providers/router/hello.response.sse"));
  temp_home home;
  write_fake_config(home, server.base_url());
  auto gw = std::make_unique<gateway_process>(home);
  fifo_chat chat(home, gw->port);

  // Lost during a turn: the line is reported, not retried.
  chat.say("hello");
  REQUIRE(chat.proc->wait_stdout("Hello"));
  gw->proc.signal(SIGKILL);
  REQUIRE(gw->proc.wait_exit().has_value());
  REQUIRE(chat.proc->wait_stderr("the chat goes on in-process"));
  CHECK(chat.proc->err().find("lost the gateway at ws://127.0.0.1:" + gw->port) !=
        std::string::npos);
  chat.say("again");
  REQUIRE(chat.proc->wait_stdout("Hello from the fake\n"));
  chat.end();
  CHECK(chat.proc->wait_exit() == 0);
  REQUIRE(server.requests().size() == 2);
  CHECK(auth_of(server, 1) == "Bearer " + chat_key);

  // Gone between lines: the next line runs in-process, nothing is dropped.
  gw = std::make_unique<gateway_process>(home);
  fifo_chat second(home, gw->port);
  second.say("/history 1");
  REQUIRE(second.proc->wait_stdout("assistant: Hello from the fake"));
  gw.reset();  // SIGTERM, and waits for it to exit
  second.say("hello once more");
  REQUIRE(second.proc->wait_stdout("Hello from the fake\n"));
  second.end();
  CHECK(second.proc->wait_exit() == 0);
  CHECK(second.proc->err().find("is gone") != std::string::npos);
  REQUIRE(server.requests().size() == 3);
  CHECK(auth_of(server, 2) == "Bearer " + chat_key);
}
