// Sessions against real processes: a writer killed with SIGKILL (between lines and in the
// middle of one), a second process opening a session that is in use, and a full disk
// (RLIMIT_FSIZE) in a child. Children report over pipes; nothing waits on a timer.
#include <catch2/catch.hpp>

#include "../unit/session_fixtures.hpp"
#include "core/background_io.hpp"

#include <algorithm>
#include <csignal>
#include <memory>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace session_test;
using namespace durar;
using Catch::Contains;

namespace {

constexpr const char* key = "agent:main:main";

struct child_pipe {
  int fds[2] = {-1, -1};
  child_pipe() { REQUIRE(::pipe(fds) == 0); }
  ~child_pipe() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  int read_end() const { return fds[0]; }
  int write_end() const { return fds[1]; }
  void close_write() {
    ::close(fds[1]);
    fds[1] = -1;
  }
};

// Reads exactly n bytes; fewer means the child died or exited early.
std::string read_exactly(int fd, std::size_t n) {
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    ssize_t got = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

void send(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

session_store_options options(const test_clock& clock) {
  auto o = quiet_options(clock);
  o.transcript_fsync = fsync_policy::every_entry;
  return o;
}

}  // namespace

TEST_CASE("a writer killed mid-line loses only that line, appending continues",
          "[session][crash]") {
  temp_dir tmp;
  test_clock clock;
  constexpr int entries = 200;
  child_pipe acks, never;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    session_store store(tmp.path, "main", options(clock));
    auto s = store.open(key);
    if (!s) ::_exit(3);
    for (int i = 0; i < entries; ++i) {
      if (!(*s)->append(user("entry " + std::to_string(i)))) ::_exit(4);
      send(acks.write_end(), "+");
    }
    // What a kill in the middle of write(2) leaves behind: the start of a line.
    std::string half = R"({"type":"message","id":"0badf00d","parentId":")" +
                       (*s)->entries().back().id + R"(","timestamp":"2026-04-21T09:1)";
    std::ofstream((*s)->path(), std::ios::binary | std::ios::app) << half;
    send(acks.write_end(), "T");
    char c;
    while (::read(never.read_end(), &c, 1) != 0) {
    }  // blocks until killed
    ::_exit(5);
  }
  acks.close_write();
  std::string got = read_exactly(acks.read_end(), entries + 1);
  ::kill(pid, SIGKILL);
  int status = wait_for(pid);
  REQUIRE(got == std::string(entries, '+') + "T");
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  session_store store(tmp.path, "main", options(clock));
  auto s = store.open(key);  // the dead writer's lock went with it
  REQUIRE(s);
  const load_report& r = (*s)->report();
  CHECK(r.torn_lines_skipped == 1);
  CHECK(r.bad_lines_skipped == 0);
  REQUIRE_FALSE(r.warnings.empty());
  CHECK_THAT(r.warnings[0], Contains("torn last line skipped"));
  REQUIRE((*s)->entries().size() == entries);
  auto ctx = (*s)->context();
  REQUIRE(ctx.size() == entries);
  for (int i = 0; i < entries; ++i) CHECK(first_text(ctx[i]) == "entry " + std::to_string(i));

  REQUIRE((*s)->append(user("after the crash")));
  fs::path path = (*s)->path();
  s->reset();
  auto back = session_store::read_file(path);
  REQUIRE(back);
  CHECK((*back)->report().warnings.empty());
  CHECK((*back)->entries().size() == entries + 1);
  CHECK((*back)->branch().size() == entries + 1);  // one unbroken chain
}

TEST_CASE("a writer killed at any moment keeps every acknowledged entry", "[session][crash]") {
  temp_dir tmp;
  test_clock clock;
  constexpr int acknowledged = 300;
  child_pipe acks;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto o = options(clock);
    o.transcript_fsync = fsync_policy::never;  // as fast as it goes: the kill lands mid-loop
    session_store store(tmp.path, "main", o);
    auto s = store.open(key);
    if (!s) ::_exit(3);
    for (int i = 0; i < 1000000; ++i) {
      if (!(*s)->append(user("entry " + std::to_string(i)))) ::_exit(4);
      send(acks.write_end(), "+");
    }
    ::_exit(0);
  }
  acks.close_write();
  std::string got = read_exactly(acks.read_end(), acknowledged);
  ::kill(pid, SIGKILL);
  wait_for(pid);
  REQUIRE(got.size() == acknowledged);

  session_store store(tmp.path, "main", options(clock));
  auto s = store.open(key);
  REQUIRE(s);
  CHECK((*s)->report().bad_lines_skipped == 0);
  CHECK((*s)->report().torn_lines_skipped <= 1);
  auto n = (*s)->entries().size();
  CHECK(n >= acknowledged);
  CHECK((*s)->branch().size() == n);
  REQUIRE((*s)->append(user("next")));
}

// A child that opens the key's new session, appends `first` (unless empty), says so and
// waits to be killed; its background thread is kept busy the whole time, so the batched
// index write never runs: the window a crash or a second process used to fall into.
// Returns the child's pid once the session is open.
pid_t fork_new_session_holder(const fs::path& state, const test_clock& clock,
                              const std::string& first) {
  child_pipe ready;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto never = std::make_shared<child_pipe>();
    detail::post_background([never] {
      char c = 0;
      (void)::read(never->read_end(), &c, 1);
    });
    session_store store(state, "main", options(clock));
    auto s = store.open(key);
    if (!s || (!first.empty() && !(*s)->append(user(first)))) ::_exit(3);
    send(ready.write_end(), "+");
    for (;;) ::pause();
  }
  ready.close_write();
  REQUIRE(read_exactly(ready.read_end(), 1) == "+");
  return pid;
}

TEST_CASE("a new session survives a kill before its index is written", "[session][crash]") {
  temp_dir tmp;
  test_clock clock;
  pid_t pid = fork_new_session_holder(tmp.path, clock, "first words");
  ::kill(pid, SIGKILL);
  wait_for(pid);

  session_store store(tmp.path, "main", options(clock));
  CHECK_FALSE(fs::exists(store.dir() / "sessions.json"));  // the batched write never ran
  auto s = store.open(key);
  REQUIRE(s);
  REQUIRE((*s)->entries().size() == 1);
  REQUIRE((*s)->entries()[0].msg);
  CHECK(first_text(*(*s)->entries()[0].msg) == "first words");
  auto dir = fs::directory_iterator(store.dir());
  CHECK(std::count_if(fs::begin(dir), fs::end(dir), [](const fs::directory_entry& e) {
          return e.path().extension() == ".jsonl";
        }) == 1);
}

TEST_CASE("a second process opening a session in use gets the holder's pid", "[session][crash]") {
  temp_dir tmp;
  test_clock clock;
  // The new key reaches this process through the journal alone.
  pid_t holder = fork_new_session_holder(tmp.path, clock, "");
  session_store other(tmp.path, "main", options(clock));
  auto s = other.open(key);
  auto ro = other.read(key);  // reading is still allowed
  ::kill(holder, SIGKILL);
  wait_for(holder);
  REQUIRE_FALSE(s);
  CHECK(std::string(to_string(s.error().code)) + ": " + s.error().message ==
        "unavailable: session agent:main:main is open in another process (pid " +
            std::to_string(holder) + ")");
  CHECK(ro);
}

TEST_CASE("a full disk fails the append clearly and keeps earlier entries", "[session][crash]") {
  temp_dir tmp;
  test_clock clock;
  fs::path path;
  {
    session_store store(tmp.path, "main", options(clock));
    auto s = store.open(key);
    REQUIRE(s);
    for (int i = 0; i < 5; ++i) REQUIRE((*s)->append(user("entry " + std::to_string(i))));
    path = (*s)->path();
  }
  auto size_before = fs::file_size(path);
  child_pipe out;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
    session_store store(tmp.path, "main", options(clock));
    auto s = store.open(key);
    if (!s) ::_exit(3);
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = size_before + 100;  // room for part of the next line
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(4);
    auto w = (*s)->append(user("too big " + std::string(1000, 'x')));
    if (w) {
      send(out.write_end(), "appended");
    } else {
      send(out.write_end(), std::string(to_string(w.error().code)) + ": " + w.error().message +
                                "|" + std::to_string((*s)->entries().size()));
    }
    ::_exit(0);
  }
  out.close_write();
  std::string said = read_all(out.read_end());
  wait_for(pid);
  CHECK_THAT(said, Contains("resource_exhausted: cannot append to " + path.string() +
                            ": File too large (the transcript is unchanged)"));
  CHECK_THAT(said, Contains("|5"));  // the in-memory transcript is as it was
  CHECK(fs::file_size(path) == size_before);
  auto back = session_store::read_file(path);
  REQUIRE(back);
  CHECK((*back)->report().warnings.empty());
  CHECK((*back)->entries().size() == 5);
}

TEST_CASE("a full disk part-way through a journal line leaves no half record", "[session][crash]") {
  temp_dir tmp;
  test_clock clock;
  const std::string other = "agent:main:other";
  fs::path journal = tmp.path / "agents" / "main" / "sessions" / "sessions.json.wal";
  child_pipe out;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);                // a write past the limit is then cut short
    auto never = std::make_shared<child_pipe>();  // holds the batched index write back
    detail::post_background([never] {
      char c = 0;
      (void)::read(never->read_end(), &c, 1);
    });
    session_store store(tmp.path, "main", options(clock));
    auto first = store.open(key);
    std::error_code ec;
    auto size = fs::file_size(journal, ec);
    if (!first || ec) ::_exit(3);
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = size + 20;  // room for the start of the next line only
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(4);
    auto second = store.open(other);
    send(out.write_end(), (second ? std::string("opened") : second.error().message) + "|" +
                              std::to_string(size) + "|" +
                              std::to_string(fs::file_size(journal, ec)));
    ::_exit(0);
  }
  out.close_write();
  std::string said = read_all(out.read_end());
  wait_for(pid);
  CHECK_THAT(said, Contains("cannot write " + journal.string()));
  auto parts = said.substr(said.find('|') + 1);
  auto before = parts.substr(0, parts.find('|'));
  CHECK(parts.substr(parts.find('|') + 1) == before);  // cut back to the last whole line
  CHECK(std::to_string(fs::file_size(journal)) == before);

  session_store store(tmp.path, "main", options(clock));
  auto known = store.find(key);
  REQUIRE(known);
  CHECK(known->has_value());  // the whole line still reads
  auto missing = store.find(other);
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}
