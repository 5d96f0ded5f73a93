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
  // (updatedAt: the test clock's now; an older one would be pruned by session.maintenance)
  mended.set("agent:main:other",
             json::object({{"sessionId", "abc"}, {"updatedAt", 1776762840000}}));
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

// ---- the journal of new sessions (sessions.json.wal) ---------------------------------

namespace {

detail::journal_record created(std::string key, std::string id, std::int64_t tokens = 0) {
  session_info info;
  info.key = key;
  info.session_id = std::move(id);
  info.updated_at = 1;
  info.total_tokens = tokens;
  return {std::move(key), std::move(info), ""};
}

std::string line_of(const detail::journal_record& r) {
  json j = json::object();
  j.set("key", r.key);
  if (r.entry) {
    j.set("entry", detail::info_to_json(*r.entry));
  } else {
    j.set("removed", r.removed_id);
  }
  return j.dump() + "\n";
}

}  // namespace

TEST_CASE("a journal's last record for a key wins unless the index already names it",
          "[session][index][journal]") {
  std::vector<session_info> index;
  index.push_back(*created("a", "a2", 500).entry);  // written after its record, then used
  index.push_back(*created("b", "b1").entry);
  index.push_back(*created("c", "c1").entry);
  std::vector<detail::journal_record> journal = {
      created("a", "a1"),        created("a", "a2"),         // a: already in the index
      created("b", "b2"),                                    // b: reset since the index
      {"c", std::nullopt, "c0"},                             // c: an older session's removal
      created("d", "d1"),        {"d", std::nullopt, "d1"},  // d: made and removed
      created("e", "e1"),                                    // e: new
      {"b", std::nullopt, "b1"}, created("b", "b3")};        // b again: only the last counts
  detail::apply_journal(index, journal);
  REQUIRE(index.size() == 4);
  CHECK(index[0].key == "a");
  CHECK(index[0].session_id == "a2");
  CHECK(index[0].total_tokens == 500);
  CHECK(index[1].session_id == "b3");
  CHECK(index[2].session_id == "c1");
  CHECK(index[3].key == "e");

  std::vector<session_info> removal;
  removal.push_back(*created("x", "x1").entry);
  removal.push_back(*created("y", "y1").entry);
  detail::apply_journal(removal, {{"x", std::nullopt, "x1"}});
  REQUIRE(removal.size() == 1);
  CHECK(removal[0].key == "y");
}

TEST_CASE("a journal's torn last line is skipped and a bad whole line is an error",
          "[session][index][journal]") {
  temp_dir tmp;
  fs::path wal = tmp.path / "sessions.json.wal";
  auto none = detail::read_journal(wal);
  REQUIRE(none);
  CHECK(none->empty());
  spit(wal, line_of(created("a", "a1")) + "{\"key\":\"b\",\"entry\":{\"sessi");
  auto torn = detail::read_journal(wal);
  REQUIRE(torn);
  REQUIRE(torn->size() == 1);
  CHECK(torn->front().entry->session_id == "a1");
  spit(wal, line_of(created("a", "a1")) + "{\"entry\":{}}\n" + line_of(created("b", "b1")));
  auto bad = detail::read_journal(wal);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
  CHECK_THAT(bad.error().message, Contains("sessions.json.wal:2"));
}

TEST_CASE("a journal left by a crash is read, and folded into the next index write",
          "[session][index][journal]") {
  temp_dir tmp;
  test_clock clock;
  fs::path dir = tmp.path / "agents" / "main" / "sessions";
  fs::create_directories(dir);
  spit(dir / "sessions.json",
       "{\n  \"agent:main:old\": {\"sessionId\": \"o1\", \"updatedAt\": 1776762840000}\n}\n");
  spit(dir / "sessions.json.wal", line_of(created("agent:main:new", "n1")));
  session_store store(tmp.path, "main", quiet_options(clock));
  auto found = store.find("agent:main:new");
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->session_id == "n1");
  auto s = store.open("agent:main:new");
  REQUIRE(s);
  CHECK((*s)->id() == "n1");
  REQUIRE((*s)->append(user("hi")));
  CHECK(fs::exists(dir / "sessions.json.wal"));            // nothing changed the index yet
  REQUIRE((*s)->record_turn(reply("ok", 10, 2), 128000));  // the next write takes it in
  REQUIRE(store.flush());
  auto keys = keys_in(dir / "sessions.json");
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"agent:main:new", "agent:main:old"});
  CHECK_FALSE(fs::exists(dir / "sessions.json.wal"));
}

TEST_CASE("a new session is in the journal before open returns", "[session][index][journal]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  fs::path index = store.dir() / "sessions.json";
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  // What another process would read now, whether or not the batched write has run yet.
  auto held = detail::index_lock::acquire(index);
  REQUIRE(held);
  std::vector<session_info> on_disk;
  if (auto read = detail::read_index(index); read) on_disk = *read;
  auto journal = detail::read_journal(detail::journal_file_of(index));
  REQUIRE(journal);
  detail::apply_journal(on_disk, *journal);
  REQUIRE(on_disk.size() == 1);
  CHECK(on_disk[0].session_id == (*s)->id());
}
