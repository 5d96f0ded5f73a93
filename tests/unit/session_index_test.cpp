// The index in memory: written back in the file's exact format, merged key by key with
// another writer of the same state dir, re-read when someone else replaces the file, and
// never written over a file it cannot read.
#include <catch2/catch.hpp>

#include "core/background_io.hpp"
#include "session/session_internal.hpp"
#include "session_fixtures.hpp"

#include <algorithm>

using namespace session_test;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> keys_in(const fs::path& index) {
  std::vector<std::string> keys;
  json doc = parse(slurp(index));
  for (const auto& [k, v] : doc.as_object()) keys.push_back(k);
  return keys;
}

}  // namespace

TEST_CASE("the index is written in the same text as a whole-file write", "[session][index]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  for (const char* key : {"agent:main:main", "agent:main:cron:nightly", "agent:main:x"}) {
    auto s = store.open(key);
    REQUIRE(s);
    REQUIRE((*s)->append(user("hi")));
    REQUIRE((*s)->record_turn(reply("ok", 10, 2), 128000));
  }
  REQUIRE(store.remove("agent:main:x"));
  REQUIRE(store.flush());
  fs::path index = store.dir() / "sessions.json";
  std::string text = slurp(index);
  auto all = detail::read_index(index);
  REQUIRE(all);
  CHECK(all->size() == 2);
  fs::path again = tmp.path / "again.json";
  REQUIRE(detail::write_index(again, *all, false));
  CHECK(slurp(again) == text);
}

TEST_CASE("an empty index is written as an empty object", "[session][index]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  REQUIRE(store.open("agent:main:main"));
  REQUIRE(store.remove("agent:main:main"));
  REQUIRE(store.flush());
  CHECK(slurp(store.dir() / "sessions.json") == "{}\n");
}

TEST_CASE("two stores on one state dir keep each other's keys", "[session][index]") {
  temp_dir tmp;
  test_clock clock;
  session_store a(tmp.path, "main", quiet_options(clock));
  session_store b(tmp.path, "main", quiet_options(clock));
  REQUIRE(a.open("agent:main:one"));
  REQUIRE(a.open("agent:main:gone"));
  REQUIRE(a.flush());
  REQUIRE(b.open("agent:main:two"));  // b read the file with one and gone in it
  REQUIRE(a.remove("agent:main:gone"));
  REQUIRE(a.open("agent:main:three"));
  REQUIRE(b.flush());  // writes two; a's later changes are not on disk yet
  REQUIRE(a.flush());  // re-reads b's file, keeps two, drops gone, adds three
  // (Which store's write lands first depends on the background thread: order aside, both
  // keep every key.)
  auto keys = keys_in(a.dir() / "sessions.json");
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"agent:main:one", "agent:main:three", "agent:main:two"});
  auto seen_by_b = b.list();
  REQUIRE(seen_by_b);
  CHECK(seen_by_b->size() == 3);
  CHECK_FALSE(*b.find("agent:main:gone"));
}

TEST_CASE("a change made by hand is seen at the next read", "[session][index]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  REQUIRE(store.open("agent:main:main"));
  REQUIRE(store.flush());
  fs::path index = store.dir() / "sessions.json";
  json doc = parse(slurp(index));
  doc["agent:main:main"].set("label", "edited by hand");
  spit(index, doc.dump(2));
  auto info = store.find("agent:main:main");
  REQUIRE(info);
  REQUIRE(*info);
  CHECK((*info)->raw["label"] == json("edited by hand"));
}

TEST_CASE("a pending change is not written over a file that became unreadable",
          "[session][index]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  REQUIRE(store.open("agent:main:main"));
  REQUIRE(store.flush());
  fs::path index = store.dir() / "sessions.json";
  std::string broken = "{\"agent:main:main\": {\"sessionId\": \"x\",,}}\n";
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    {
      auto held = detail::index_lock::acquire(index);  // the background write waits for it
      REQUIRE(held);
      REQUIRE((*s)->record_turn(reply("ok", 10, 2), 0));  // pending in memory
      spit(index, broken);
    }
    auto flushed = store.flush();
    REQUIRE_FALSE(flushed);
    CHECK_THAT(flushed.error().message, Contains("sessions.json"));
    CHECK(slurp(index) == broken);
    auto listed = store.list();
    REQUIRE_FALSE(listed);
    CHECK(listed.error().code == errc::invalid_argument);
  }
  // Mended by hand: the pending change lands on top of what the file now says. (The write
  // queued by record_turn may still be on its way: let it fail on the broken file first, as
  // this writer replaces the file in place rather than by rename.)
  detail::drain_background();
  json mended = json::object();
  mended.set("agent:main:other", json::object({{"sessionId", "abc"}, {"updatedAt", 1}}));
  spit(index, mended.dump(2));
  REQUIRE(store.flush());
  CHECK(keys_in(index) == std::vector<std::string>{"agent:main:other", "agent:main:main"});
}

TEST_CASE("many changes reach the file", "[session][index]") {
  temp_dir tmp;
  test_clock clock;
  fs::path index;
  {
    session_store store(tmp.path, "main", quiet_options(clock));
    for (int i = 0; i < 300; ++i) REQUIRE(store.open("agent:main:k" + std::to_string(i)));
    index = store.dir() / "sessions.json";
  }  // the destructor writes what is pending
  CHECK(keys_in(index).size() == 300);
}
