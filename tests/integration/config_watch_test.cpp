// The config file watcher on its own: every way a file gets saved is seen, with inotify and
// with the stat poll that stands in for it, through a symlink too. The loop runs on the test
// thread until the callback has run (bounded).
#include "gateway/config_watch.hpp"

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "io_wait.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>

using durar::gateway_detail::file_watch;
using durar::gateway_detail::file_watch_options;
using durar::test::run_until;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("the config watcher sees writes, renames, and delete then create",
          "[gateway][reload][watch]") {
  const bool poll = GENERATE(false, true);
  INFO((poll ? "polling" : "inotify"));
  durar::test::temp_dir dir;
  const fs::path file = dir.path / "durar.yaml";
  write(file, "a: 1\n");
  asio::io_context io;
  int calls = 0;
  file_watch_options o;
  o.files = {file};
  o.debounce = 50ms;
  o.poll_interval = 20ms;
  o.force_poll = poll;
  file_watch w(io, o, [&] { ++calls; });
  const std::string how = w.start();
  CHECK(w.polling() == poll);
  CHECK(how.find(poll ? "polling every 20 ms" : "inotify") != std::string::npos);

  write(file, "a: 2\n");  // in place
  REQUIRE(run_until(io, [&] { return calls == 1; }));

  write(dir.path / "durar.yaml.tmp", "a: 3\n");  // by rename, as editors save
  fs::rename(dir.path / "durar.yaml.tmp", file);
  REQUIRE(run_until(io, [&] { return calls == 2; }));

  fs::remove(file);
  REQUIRE(run_until(io, [&] { return calls == 3; }));
  write(file, "a: 4\n");
  REQUIRE(run_until(io, [&] { return calls == 4; }));

  w.stop();
  write(file, "a: 5\n");
  io.poll();
  CHECK(calls == 4);  // nothing after stop()
}

TEST_CASE("the config watcher follows a symlinked config to its target",
          "[gateway][reload][watch]") {
  durar::test::temp_dir dir;
  fs::create_directories(dir.path / "dotfiles");
  const fs::path target = dir.path / "dotfiles" / "durar.yaml";
  write(target, "a: 1\n");
  fs::create_directories(dir.path / "state");
  const fs::path link = dir.path / "state" / "durar.yaml";
  fs::create_symlink(target, link);
  asio::io_context io;
  int calls = 0;
  file_watch w(io, {{link}, 30ms, 20ms, false}, [&] { ++calls; });
  CHECK(w.start() == "inotify");
  write(target, "a: 2\n");  // the link's directory sees nothing of this
  REQUIRE(run_until(io, [&] { return calls == 1; }));
}

TEST_CASE("the config watcher polls a file whose directory does not exist yet",
          "[gateway][reload][watch]") {
  durar::test::temp_dir dir;
  const fs::path file = dir.path / "later" / "durar.yaml";
  asio::io_context io;
  int calls = 0;
  file_watch w(io, {{file}, 30ms, 20ms, false}, [&] { ++calls; });
  CHECK(w.start().find("polling every 20 ms (cannot watch") != std::string::npos);
  fs::create_directories(file.parent_path());
  write(file, "a: 1\n");
  REQUIRE(run_until(io, [&] { return calls == 1; }));
}

TEST_CASE("the config watcher reports a burst once, a quiet period after its last write",
          "[gateway][reload][watch]") {
  durar::test::temp_dir dir;
  const fs::path file = dir.path / "durar.yaml";
  write(file, "a: 0\n");
  asio::io_context io;
  int calls = 0;
  std::chrono::steady_clock::time_point called;
  file_watch w(io, {{file}, 300ms, 20ms, false}, [&] {
    ++calls;
    called = std::chrono::steady_clock::now();
  });
  w.start();
  // Writes with the loop running between them, each inside the quiet period of the last.
  auto last = std::chrono::steady_clock::now();
  for (int i = 1; i <= 3; ++i) {
    write(file, "a: " + std::to_string(i) + "\n");
    last = std::chrono::steady_clock::now();
    if (i < 3)
      run_until(
          io, [&] { return calls > 0; }, 50ms);
  }
  REQUIRE(run_until(io, [&] { return calls == 1; }));
  CHECK(called - last >= 300ms);  // a timer never fires early
  io.restart();
  io.poll();
  CHECK(calls == 1);
}
