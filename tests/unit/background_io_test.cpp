// The background file thread: fsyncs asked for while it is busy wait without holding
// descriptors, and run when it is free.
#include "core/background_io.hpp"

#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

namespace {

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace

TEST_CASE("a backlog of fsyncs holds no descriptors", "[background]") {
  durar::test::temp_dir tmp;
  std::vector<std::filesystem::path> files;
  for (int i = 0; i < 300; ++i) {
    files.push_back(tmp.path / ("t" + std::to_string(i) + ".jsonl"));
    std::ofstream(files.back()) << "{\"type\":\"session\"}\n";
  }
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // The thread is busy (as with an index write on a slow disk) while sessions close.
  REQUIRE(durar::detail::post_background([released] { released.wait(); }));
  const std::size_t before = open_descriptors();
  for (const auto& f : files) durar::detail::sync_in_background(f);  // > max_separate_syncs
  CHECK(open_descriptors() <= before + 1);
  release.set_value();
  durar::detail::drain_background();
  CHECK(open_descriptors() <= before + 1);

  SECTION("a small batch, and a file renamed before its turn") {
    REQUIRE(durar::detail::post_background([] {}));
    std::filesystem::rename(files[1], tmp.path / "moved.jsonl");
    for (int i = 0; i < 3; ++i) durar::detail::sync_in_background(files[i]);
    durar::detail::drain_background();
    CHECK(open_descriptors() <= before + 1);
  }
}

TEST_CASE("syncs due later wait together and drain at once", "[background]") {
  durar::test::temp_dir tmp;
  auto a = tmp.path / "a.jsonl", b = tmp.path / "b.jsonl";
  std::ofstream(a) << "{}\n";
  std::ofstream(b) << "{}\n";
  durar::detail::drain_background();
  REQUIRE(durar::detail::pending_syncs() == 0);
  auto later = std::chrono::steady_clock::now() + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) durar::detail::sync_in_background(a, later);  // one file, once
  durar::detail::sync_in_background(b, later + std::chrono::minutes(1));
  CHECK(durar::detail::pending_syncs() == 2);

  // A task due now runs; the flush due in an hour does not run with it.
  std::promise<void> ran;
  REQUIRE(durar::detail::post_background([&ran] { ran.set_value(); }));
  ran.get_future().wait();
  CHECK(durar::detail::pending_syncs() == 2);

  SECTION("a file due now brings the flush forward for all") {
    durar::detail::sync_in_background(a, {});
    std::promise<void> after;  // due now too, so it runs after that flush
    REQUIRE(durar::detail::post_background([&after] { after.set_value(); }));
    after.get_future().wait();
    CHECK(durar::detail::pending_syncs() == 0);
  }
  SECTION("draining does not wait for the hour") {
    durar::detail::drain_background();
    CHECK(durar::detail::pending_syncs() == 0);
  }
}
