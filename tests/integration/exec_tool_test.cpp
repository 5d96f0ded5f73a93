// exec and process against real child processes: output, exit codes, timeouts that reach
// grandchildren, cancellation, the background registry, the output cap and the policy.
#include <durar/tools.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include "tool_call_fixture.hpp"
#include "tools/exec_policy.hpp"
#include "tools/process_registry.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using Catch::Contains;
using durar::exec_decision;
using durar::exec_options;
using durar::json;
using durar::process_registry;
using durar::detail::process_access;
using durar::test::run_until;
using durar::test::temp_dir;
using tool_test::text;

namespace {

namespace fs = std::filesystem;

// A process that has exited (gone, or a zombie nobody reaped yet) can't do anything more.
bool process_gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return true;
  const char state = line[close + 2];
  return state == 'Z' || state == 'X';
}

struct fixture {
  asio::io_context io;
  temp_dir dir;
  std::shared_ptr<process_registry> registry =
      std::make_shared<process_registry>(io.get_executor());

  exec_options options() const {
    exec_options o;
    o.workspace = dir.path;
    return o;
  }
  std::shared_ptr<durar::tool> exec(exec_options o) {
    return durar::make_exec_tool(std::move(o), registry);
  }
  std::shared_ptr<durar::tool> process() { return durar::make_process_tool(registry); }
};

json cmd(std::string command) { return json::object({{"command", std::move(command)}}); }

}  // namespace

TEST_CASE("exec returns combined output and the exit code", "[exec]") {
  fixture f;
  auto exec = f.exec(f.options());

  auto ok = tool_test::call(f.io, *exec, cmd("echo out; echo err >&2; echo again"));
  CHECK_FALSE(ok.is_error);
  CHECK(text(ok) == "out\nerr\nagain\n");
  CHECK(ok.details["exitCode"].as_int() == 0);
  CHECK(ok.details["status"].as_string() == "completed");

  // A non-zero exit is a result the model reads, not a tool failure (as in the original).
  auto three = tool_test::call(f.io, *exec, cmd("echo partial; exit 3"));
  CHECK_FALSE(three.is_error);
  CHECK(text(three) == "partial\n\n(Command exited with code 3)");
  CHECK(three.details["exitCode"].as_int() == 3);

  auto silent = tool_test::call(f.io, *exec, cmd("true"));
  CHECK(text(silent) == "(no output)");

  auto missing = tool_test::call(f.io, *exec, cmd("no-such-program-durar"));
  CHECK(missing.is_error);
  CHECK_THAT(text(missing), Contains("not found") && Contains("exit code 127"));

  auto empty = tool_test::call(f.io, *exec, cmd("   "));
  CHECK(empty.is_error);
}

TEST_CASE("exec runs in the workspace, a workdir and with extra environment", "[exec]") {
  fixture f;
  auto exec = f.exec(f.options());
  fs::create_directories(f.dir.path / "sub");

  auto here = tool_test::call(f.io, *exec, cmd("pwd"));
  CHECK(text(here) == fs::canonical(f.dir.path).string() + "\n");

  auto sub = tool_test::call(f.io, *exec, json::object({{"command", "pwd"}, {"workdir", "sub"}}));
  CHECK(text(sub) == fs::canonical(f.dir.path / "sub").string() + "\n");

  auto missing =
      tool_test::call(f.io, *exec, json::object({{"command", "pwd"}, {"workdir", "nope"}}));
  CHECK(missing.is_error);
  CHECK_THAT(text(missing), Contains("working directory does not exist"));

  auto env = tool_test::call(f.io, *exec,
                             json::object({{"command", "echo \"$GREETING $DURAR_SHELL\""},
                                           {"env", json::object({{"GREETING", "hello"}})}}));
  CHECK(text(env) == "hello exec\n");

  // Where programs and libraries come from is not the model's to change.
  for (const char* key : {"PATH", "LD_PRELOAD"}) {
    auto refused = tool_test::call(
        f.io, *exec, json::object({{"command", "true"}, {"env", json::object({{key, "/tmp"}})}}));
    CHECK(refused.is_error);
    CHECK_THAT(text(refused), Contains(key));
  }
}

TEST_CASE("exec does not hand the host's descriptors to the command", "[exec]") {
  fixture f;
  auto exec = f.exec(f.options());
  // Opened without O_CLOEXEC, as a careless host might.
  const int fd = ::open("/dev/null", O_RDONLY);  // NOLINT(android-cloexec-open)
  REQUIRE(fd > 2);
  auto r = tool_test::call(f.io, *exec,
                           cmd("if [ -e /proc/$$/fd/" + std::to_string(fd) +
                               " ]; then echo leaked; else echo clean; fi"));
  ::close(fd);
  CHECK(text(r) == "clean\n");
}

TEST_CASE("exec kills the whole process group on timeout", "[exec]") {
  fixture f;
  auto exec = f.exec(f.options());
  const auto started = std::chrono::steady_clock::now();
  // The shell waits on a background grandchild; killing only the shell would leave it.
  auto r = tool_test::call(
      f.io, *exec, json::object({{"command", "sleep 100 & echo $!; wait"}, {"timeout", 0.3}}));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(r.is_error);
  CHECK_THAT(text(r), Contains("timed out after 0.3 seconds"));
  CHECK(r.details["timedOut"].as_bool());
  const int grandchild = std::stoi(text(r));
  REQUIRE(grandchild > 0);
  CHECK(run_until(
      f.io, [&] { return process_gone(grandchild); }, std::chrono::seconds(5)));
}

TEST_CASE("exec stops the command when the call is cancelled", "[exec]") {
  fixture f;
  auto o = f.options();
  auto exec = f.exec(o);
  auto pending =
      tool_test::start(f.io, *exec, json::object({{"command", "echo ready; sleep 100"}}));
  // Cancel once the command is visibly running (its first output arrived as an update).
  REQUIRE(run_until(f.io, [&] { return !pending->updates.empty(); }));
  CHECK_THAT(text(pending->updates.back()), Contains("ready"));
  pending->cancel.emit(asio::cancellation_type::terminal);
  auto r = tool_test::finish(f.io, *pending, std::chrono::seconds(5));
  CHECK(r.is_error);
  CHECK_THAT(text(r), Contains("ready") && Contains("Command aborted"));
}

TEST_CASE("exec keeps the tail of long output with a note", "[exec]") {
  fixture f;
  auto o = f.options();
  o.max_output_bytes = 1000;
  auto exec = f.exec(o);
  auto r = tool_test::call(f.io, *exec, cmd("seq 1 20000"));
  CHECK_FALSE(r.is_error);
  const std::string t = text(r);
  CHECK_THAT(t, Contains("19999\n20000\n"));
  CHECK_THAT(t, !Contains("\n100\n"));
  CHECK_THAT(t, Contains("[Output truncated: showing the last 1000 of 108894 bytes]"));
  CHECK(r.details["truncated"].as_bool());
}

TEST_CASE("exec moves long commands to the background and process follows them", "[exec]") {
  fixture f;
  auto exec = f.exec(f.options());
  auto process = f.process();

  auto r = tool_test::call(
      f.io, *exec,
      json::object({{"command", "echo started; read line; echo got:$line; sleep 100"},
                    {"background", true}}));
  CHECK_FALSE(r.is_error);
  CHECK_THAT(text(r), Contains("still running as proc_1"));
  const std::string id = r.details["sessionId"].as_string();
  REQUIRE(id == "proc_1");
  auto run = process_access::find(*f.registry, id);
  REQUIRE(run);
  REQUIRE(run_until(f.io, [&] { return run->output().total() > 0; }));

  auto poll = [&](json extra = json::object()) {
    json args = json::object({{"action", "poll"}, {"sessionId", id}});
    for (auto& [k, v] : extra.as_object()) args.set(k, v);
    return tool_test::call(f.io, *process, args);
  };
  auto first = poll();
  CHECK(text(first) == "started\n\nProcess still running.");
  CHECK(first.details["status"].as_string() == "running");
  CHECK(text(poll()) == "(no new output)\n\nProcess still running.");

  auto wrote = tool_test::call(
      f.io, *process, json::object({{"action", "write"}, {"sessionId", id}, {"data", "hello\n"}}));
  CHECK_FALSE(wrote.is_error);
  REQUIRE(run_until(f.io, [&] { return run->output().total() > 8; }));
  CHECK(text(poll()) == "got:hello\n\nProcess still running.");

  auto listed = tool_test::call(f.io, *process, json::object({{"action", "list"}}));
  CHECK_THAT(text(listed), Contains("proc_1 running"));
  REQUIRE(listed.details["sessions"].size() == 1);

  auto log = tool_test::call(
      f.io, *process,
      json::object({{"action", "log"}, {"sessionId", id}, {"offset", 1}, {"limit", 1}}));
  CHECK(text(log) == "got:hello");

  auto killed =
      tool_test::call(f.io, *process, json::object({{"action", "kill"}, {"sessionId", id}}));
  CHECK_THAT(text(killed), Contains("Killed proc_1 (signal SIGKILL)"));
  CHECK_FALSE(run->running());
  auto last = poll();
  CHECK_THAT(text(last), Contains("Process exited with signal SIGKILL."));
  CHECK(last.details["status"].as_string() == "failed");

  auto status = f.registry->list();
  REQUIRE(status.size() == 1);
  CHECK(status[0].id == "proc_1");
  CHECK_FALSE(status[0].running);
  CHECK(status[0].exit_code == 128 + 9);

  auto unknown =
      tool_test::call(f.io, *process, json::object({{"action", "poll"}, {"sessionId", "proc_9"}}));
  CHECK(unknown.is_error);
  CHECK_THAT(text(unknown), Contains("No session found for proc_9"));
  auto no_id = tool_test::call(f.io, *process, json::object({{"action", "kill"}}));
  CHECK(no_id.is_error);
}

TEST_CASE("exec backgrounds after yieldMs, and poll can wait for the exit", "[exec]") {
  fixture f;
  auto exec = f.exec(f.options());
  auto process = f.process();
  auto r = tool_test::call(
      f.io, *exec,
      json::object({{"command", "read x; echo finished $x; exit 4"}, {"yieldMs", 10}}));
  REQUIRE(r.details["status"].as_string() == "running");
  const std::string id = r.details["sessionId"].as_string();

  auto wrote = tool_test::call(
      f.io, *process,
      json::object({{"action", "write"}, {"sessionId", id}, {"data", "now"}, {"eof", true}}));
  CHECK_THAT(text(wrote), Contains("(stdin closed)"));
  auto done = tool_test::call(
      f.io, *process, json::object({{"action", "poll"}, {"sessionId", id}, {"timeout", 10000}}));
  CHECK(text(done) == "finished now\n\nProcess exited with code 4.");
  CHECK(done.details["exitCode"].as_int() == 4);

  auto late = tool_test::call(
      f.io, *process, json::object({{"action", "write"}, {"sessionId", id}, {"data", "x"}}));
  CHECK(late.is_error);
}

TEST_CASE("destroying the process registry kills its children", "[exec]") {
  asio::io_context io;
  temp_dir dir;
  auto registry = std::make_shared<process_registry>(io.get_executor());
  exec_options o;
  o.workspace = dir.path;
  auto exec = durar::make_exec_tool(o, registry);
  auto r =
      tool_test::call(io, *exec, json::object({{"command", "sleep 100"}, {"background", true}}));
  const int pid = static_cast<int>(r.details["pid"].as_int());
  REQUIRE(pid > 0);
  CHECK_FALSE(process_gone(pid));
  exec.reset();
  registry.reset();
  CHECK(run_until(
      io, [&] { return process_gone(pid); }, std::chrono::seconds(5)));
}

TEST_CASE("exec without a registry stays in the foreground", "[exec]") {
  asio::io_context io;
  temp_dir dir;
  exec_options o;
  o.workspace = dir.path;
  auto exec = durar::make_exec_tool(o, nullptr);
  auto r = tool_test::call(io, *exec, json::object({{"command", "echo hi"}, {"background", true}}));
  CHECK_FALSE(r.is_error);
  CHECK_THAT(text(r), Contains("background execution is unavailable") && Contains("hi"));
}

TEST_CASE("exec security: deny, allowlist and full", "[exec][policy]") {
  fixture f;
  auto o = f.options();

  o.security = "deny";
  auto denied = tool_test::call(f.io, *f.exec(o), cmd("echo hi"));
  CHECK(denied.is_error);
  CHECK_THAT(text(denied), Contains("exec denied: security=deny"));

  o.security = "allowlist";
  o.safe_bins = {"echo", "wc"};
  auto exec = f.exec(o);
  auto piped = tool_test::call(f.io, *exec, cmd("echo hello | wc -c"));
  CHECK_FALSE(piped.is_error);
  CHECK_THAT(text(piped), Contains("6"));
  CHECK_FALSE(tool_test::call(f.io, *exec, cmd("/bin/echo trusted dir")).is_error);

  for (const char* command : {"ls", "echo ok; ls", "echo $(id)", "echo `id`", "echo hi > file",
                              "./echo hi", "/tmp/echo hi", "X=1 echo hi", "$E hi", "(echo hi)"}) {
    INFO(command);
    auto r = tool_test::call(f.io, *exec, cmd(command));
    CHECK(r.is_error);
    CHECK_THAT(text(r), Contains("allowlist miss"));
  }
  CHECK_FALSE(fs::exists(f.dir.path / "file"));

  o.security = "full";
  CHECK_FALSE(tool_test::call(f.io, *f.exec(o), cmd("ls")).is_error);
}

TEST_CASE("exec asks the approver on a miss or always", "[exec][policy]") {
  fixture f;
  auto o = f.options();
  o.security = "allowlist";
  o.ask = "on-miss";
  o.safe_bins = {"echo"};

  // No approver: refused, saying why.
  auto unasked = tool_test::call(f.io, *f.exec(o), cmd("ls"));
  CHECK(unasked.is_error);
  CHECK_THAT(text(unasked), Contains("no approver is configured"));

  std::vector<durar::exec_approval_request> asked;
  exec_decision answer = exec_decision::allow;
  o.approve = [&](const durar::exec_approval_request& req,
                  std::function<void(exec_decision)> reply) {
    asked.push_back(req);
    // Answers later, from the loop, like a human clicking a button.
    asio::post(f.io, [reply, answer] { reply(answer); });
  };
  auto exec = f.exec(o);
  CHECK(text(tool_test::call(f.io, *exec, cmd("echo hit"))) == "hit\n");
  CHECK(asked.empty());

  auto allowed = tool_test::call(f.io, *exec, cmd("printf approved"));
  CHECK(text(allowed) == "approved");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].command == "printf approved");
  CHECK(asked[0].reason == "not in safeBins: printf");
  CHECK(asked[0].cwd == f.dir.path);

  answer = exec_decision::deny;
  auto refused = tool_test::call(f.io, *exec, cmd("touch made"));
  CHECK(refused.is_error);
  CHECK_THAT(text(refused), Contains("not approved"));
  CHECK_FALSE(fs::exists(f.dir.path / "made"));

  // ask=always asks even in full mode, for every command.
  o.security = "full";
  o.ask = "always";
  answer = exec_decision::allow;
  asked.clear();
  auto always = f.exec(o);
  CHECK(text(tool_test::call(f.io, *always, cmd("echo one"))) == "one\n");
  CHECK(text(tool_test::call(f.io, *always, cmd("echo two"))) == "two\n");
  REQUIRE(asked.size() == 2);
  CHECK(asked[1].reason == "ask: always");
}

TEST_CASE("a cancelled call stops waiting for approval", "[exec][policy]") {
  fixture f;
  auto o = f.options();
  o.ask = "always";
  std::function<void(exec_decision)> held;
  o.approve = [&](const durar::exec_approval_request&, std::function<void(exec_decision)> reply) {
    held = std::move(reply);
  };
  auto exec = f.exec(o);
  auto pending = tool_test::start(f.io, *exec, cmd("touch late"));
  REQUIRE(held);
  pending->cancel.emit(asio::cancellation_type::terminal);
  auto r = tool_test::finish(f.io, *pending);
  CHECK(r.is_error);
  CHECK_THAT(text(r), Contains("aborted while waiting for approval"));
  held(exec_decision::allow);  // too late: nothing runs, no second answer
  f.io.poll();
  CHECK(pending->answers == 1);
  CHECK_FALSE(fs::exists(f.dir.path / "late"));
}

TEST_CASE("an approver that drops the request has denied it", "[exec][policy]") {
  fixture f;
  auto o = f.options();
  o.ask = "always";
  o.approve = [](const durar::exec_approval_request&, std::function<void(exec_decision)>) {};
  auto r = tool_test::call(f.io, *f.exec(o), cmd("touch dropped"));
  CHECK(r.is_error);
  CHECK_THAT(text(r), Contains("dropped unanswered"));
  CHECK_FALSE(fs::exists(f.dir.path / "dropped"));
}

TEST_CASE("command_programs finds each simple command's program", "[exec][policy]") {
  using durar::detail::command_programs;
  using list = std::vector<std::string>;
  CHECK(command_programs("ls -l | wc -l && echo done; git status &") ==
        list{"ls", "wc", "echo", "git"});
  CHECK(command_programs("'l''s' \"-la\" # comment; rm -rf /") == list{"ls"});
  CHECK(command_programs("grep 'a;b|c' file\nsort") == list{"grep", "sort"});
  CHECK(command_programs("") == list{});
  CHECK_FALSE(command_programs("echo $(whoami)"));
  CHECK_FALSE(command_programs("echo \"`whoami`\""));
  CHECK_FALSE(command_programs("cat < /etc/passwd"));
  CHECK_FALSE(command_programs("LD_PRELOAD=x.so ls"));
  CHECK_FALSE(command_programs("$SHELL -c id"));
  CHECK_FALSE(command_programs("l* -la"));
  CHECK_FALSE(command_programs("echo 'unterminated"));
}
