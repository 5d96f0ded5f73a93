// session.maintenance: the plan (stale entries, the cap and its high-water mark, entries in
// use), the index writes that apply it, session_store::maintain, archive sweeping, the disk
// budget, and the config keys that set it.
#include <durar/config.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "config/duration.hpp"
#include "session/session_internal.hpp"
#include "session_fixtures.hpp"

#include <algorithm>
#include <mutex>

using namespace session_test;
using namespace durar;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t day_ms = 86400000;

session_info entry(std::string key, std::int64_t updated) {
  session_info i;
  i.key = std::move(key);
  i.session_id = i.key + "-id";
  i.updated_at = updated;
  return i;
}

std::vector<std::string> planned_keys(
    const std::vector<session_info>& entries, const session_maintenance& m, std::int64_t now,
    bool force, const std::function<bool(const session_info&)>& pinned = [](const session_info&) {
      return false;
    }) {
  std::vector<const session_info*> view;
  for (const auto& e : entries) view.push_back(&e);
  std::vector<std::string> out;
  for (const auto& p : detail::plan_maintenance(view, m, now, force, pinned))
    out.push_back(entries[p.index].key + ":" + std::string(detail::removal_name(p.why)));
  return out;
}

std::vector<std::string> keys_of(session_store& store) {
  auto all = store.list();
  REQUIRE(all);
  std::vector<std::string> out;
  for (const auto& i : *all) out.push_back(i.key);
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t count_files(const fs::path& dir, std::string_view part) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().find(part) != std::string::npos;
  return n;
}

// Opens and closes a new session for `key` one second after the last, then writes the index.
void touch(session_store& store, const test_clock& clock, const std::string& key) {
  clock.advance(1s);
  {
    auto s = store.open(key);
    REQUIRE(s);
  }
  REQUIRE(store.flush());
}

// Records an index write in the store: the key's session takes a turn.
void bump(session_store& store, const test_clock& clock, const std::string& key) {
  clock.advance(1s);
  {
    auto s = store.open(key);
    REQUIRE(s);
    REQUIRE((*s)->record_turn(reply("ok"), 0));
  }
  REQUIRE(store.flush());
}

// What a store said through session_store_options::warn (called on the index's writer).
struct warnings {
  struct said {
    std::string message;
    json fields;
  };
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<said>> seen = std::make_shared<std::vector<said>>();

  [[nodiscard]] std::function<void(std::string_view, const json&)> sink() const {
    return [mu = mu, seen = seen](std::string_view message, const json& fields) {
      std::lock_guard l(*mu);
      seen->push_back({std::string(message), fields});
    };
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard l(*mu);
    return seen->size();
  }
  [[nodiscard]] said last() const {
    std::lock_guard l(*mu);
    REQUIRE_FALSE(seen->empty());
    return seen->back();
  }
};

// Options for a store in mode warn that tells `said`, capped at `max_entries`.
session_store_options warn_options(const test_clock& clock, const warnings& said,
                                   std::int64_t max_entries) {
  auto options = quiet_options(clock);
  options.policy.maintenance.mode = "warn";
  options.policy.maintenance.max_entries = max_entries;
  options.warn = said.sink();
  return options;
}

}  // namespace

TEST_CASE("the high-water mark leaves room for a batch above the cap", "[session][maintenance]") {
  CHECK(detail::maintenance_high_water(500) == 550);
  CHECK(detail::maintenance_high_water(100) == 125);
  CHECK(detail::maintenance_high_water(49) == 50);
  CHECK(detail::maintenance_high_water(3) == 4);
  CHECK(detail::maintenance_high_water(0) == 1);
}

TEST_CASE("stale entries go, then the oldest beyond the cap", "[session][maintenance]") {
  session_maintenance m;
  m.prune_after = std::chrono::milliseconds(30 * day_ms);
  m.max_entries = 3;
  const std::int64_t now = 100 * day_ms;
  std::vector<session_info> entries = {
      entry("old", now - 31 * day_ms),
      entry("a", now - 5),
      entry("b", now - 4),
      entry("no-time", 0),
      entry("c", now - 3),
      entry("d", now - 2),
      entry("edge", now - 30 * day_ms),  // exactly at the cutoff: not older than it
  };
  SECTION("at the high-water mark the cap applies") {
    // 6 left after pruning >= 4: the newest 3 stay (d, c, b), no updatedAt counts as oldest.
    CHECK(planned_keys(entries, m, now, false) ==
          std::vector<std::string>{"old:prune-stale", "a:cap-overflow", "no-time:cap-overflow",
                                   "edge:cap-overflow"});
  }
  SECTION("below it only stale entries go, unless forced") {
    m.max_entries = 10;
    CHECK(planned_keys(entries, m, now, false) == std::vector<std::string>{"old:prune-stale"});
    m.max_entries = 6;  // 6 left, high water 7: no cap on a write, a forced run caps exactly
    CHECK(planned_keys(entries, m, now, false) == std::vector<std::string>{"old:prune-stale"});
    m.max_entries = 5;
    CHECK(planned_keys(entries, m, now, true) ==
          std::vector<std::string>{"old:prune-stale", "no-time:cap-overflow"});
  }
  SECTION("pinned entries stay whatever their age") {
    auto pinned = [](const session_info& e) { return e.key == "old" || e.key == "a"; };
    CHECK(planned_keys(entries, m, now, false, pinned) ==
          std::vector<std::string>{"no-time:cap-overflow", "edge:cap-overflow"});
  }
}

TEST_CASE("an index write caps the index and archives what it drops", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  auto options = quiet_options(clock);
  options.policy.maintenance.max_entries = 3;  // high water 4
  session_store store(tmp.path, "main", options);
  for (const char* key : {"k0", "k1", "k2"}) touch(store, clock, key);
  CHECK(keys_of(store) == std::vector<std::string>{"k0", "k1", "k2"});
  touch(store, clock, "k3");  // 4 entries: the oldest goes
  CHECK(keys_of(store) == std::vector<std::string>{"k1", "k2", "k3"});
  CHECK(count_files(store.dir(), ".jsonl.deleted.") == 1);
  CHECK(count_files(store.dir(), ".jsonl") == 4);  // three live, one archive
  // Another process reading the file sees the same.
  session_store other(tmp.path, "main", options);
  CHECK(keys_of(other) == std::vector<std::string>{"k1", "k2", "k3"});
}

TEST_CASE("a session open for writing is not capped away", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  auto options = quiet_options(clock);
  options.policy.maintenance.max_entries = 3;
  session_store store(tmp.path, "main", options);
  clock.advance(1s);
  auto held = store.open("k0");  // the oldest, and in use
  REQUIRE(held);
  REQUIRE(store.flush());
  for (const char* key : {"k1", "k2", "k3"}) touch(store, clock, key);
  CHECK(keys_of(store) == std::vector<std::string>{"k0", "k1", "k2", "k3"});
  REQUIRE((*held)->append(user("still here")));
  held->reset();
  touch(store, clock, "k4");  // 5 entries, none open: the two oldest go
  CHECK(keys_of(store) == std::vector<std::string>{"k2", "k3", "k4"});
  CHECK(count_files(store.dir(), ".jsonl.deleted.") == 2);
}

TEST_CASE("mode warn changes nothing until maintain() is asked", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  auto options = quiet_options(clock);
  options.policy.maintenance.mode = "warn";
  options.policy.maintenance.max_entries = 2;
  session_store store(tmp.path, "main", options);
  for (const char* key : {"k0", "k1", "k2", "k3", "k4"}) touch(store, clock, key);
  CHECK(keys_of(store).size() == 5);

  auto plan = store.maintain({.dry_run = true});
  REQUIRE(plan);
  CHECK(plan->before == 5);
  CHECK(plan->after == 2);
  CHECK(plan->capped == 3);
  CHECK(plan->archived == 0);
  REQUIRE(plan->actions.size() == 5);
  CHECK(plan->actions[0].first.key == "k4");  // most recent first
  CHECK(plan->actions[0].second == "keep");
  CHECK(plan->actions[4].second == "cap-overflow");
  CHECK(keys_of(store).size() == 5);
  CHECK(count_files(store.dir(), ".deleted.") == 0);

  auto done = store.maintain();
  REQUIRE(done);
  CHECK(done->capped == 3);
  CHECK(done->archived == 3);
  CHECK(keys_of(store) == std::vector<std::string>{"k3", "k4"});
  CHECK(count_files(store.dir(), ".jsonl.deleted.") == 3);
}

TEST_CASE("mode warn says what an index write would remove, and removes nothing",
          "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  warnings said;
  auto options = warn_options(clock, said, 2);  // high water 3
  options.policy.maintenance.prune_after = 24h;
  session_store store(tmp.path, "main", options);
  touch(store, clock, "old");
  clock.advance(48h);
  touch(store, clock, "k1");  // "old" is stale
  REQUIRE(said.size() == 1);
  CHECK(said.last().message ==
        "session maintenance would remove 1 entry of agent main (1 older than pruneAfter 1d); "
        "mode is warn, nothing removed: run `durar sessions cleanup --agent main --enforce`");
  touch(store, clock, "k2");  // the same one entry: said already
  CHECK(said.size() == 1);
  touch(store, clock, "k3");  // three not stale: at the high-water mark, k1 is beyond the cap
  REQUIRE(said.size() == 2);
  const auto w = said.last();
  CHECK(w.message ==
        "session maintenance would remove 2 entries of agent main (1 older than pruneAfter 1d, "
        "1 beyond maxEntries 2); mode is warn, nothing removed: run `durar sessions cleanup "
        "--agent main --enforce`");
  CHECK(w.fields["agentId"].as_string() == "main");
  CHECK(w.fields["mode"].as_string() == "warn");
  CHECK(w.fields["wouldRemove"].as_int() == 2);
  CHECK(w.fields["wouldPrune"].as_int() == 1);
  CHECK(w.fields["wouldCap"].as_int() == 1);
  CHECK(w.fields["wouldEvict"].as_int() == 0);
  CHECK(w.fields["maxEntries"].as_int() == 2);
  CHECK(w.fields["pruneAfterMs"].as_int() == 86400000);
  CHECK_FALSE(w.fields.contains("maxDiskBytes"));

  // Nothing went: every entry and transcript is there, and nothing was archived.
  CHECK(keys_of(store) == std::vector<std::string>{"k1", "k2", "k3", "old"});
  CHECK(count_files(store.dir(), ".jsonl") == 4);
  CHECK(count_files(store.dir(), ".deleted.") == 0);
  // What `durar sessions cleanup` would do agrees.
  auto plan = store.maintain({.dry_run = true});
  REQUIRE(plan);
  CHECK(plan->pruned == 1);
  CHECK(plan->capped == 1);
}

TEST_CASE("mode warn is silent while the index is within its bounds", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  warnings said;
  auto options = warn_options(clock, said, 3);  // high water 4
  session_store store(tmp.path, "main", options);
  for (const char* key : {"k0", "k1", "k2"}) touch(store, clock, key);
  bump(store, clock, "k0");
  clock.advance(24h * 29);  // within pruneAfter (30 days) of the last update
  bump(store, clock, "k2");
  CHECK(said.size() == 0);
  touch(store, clock, "k3");  // 4 entries: the high-water mark
  REQUIRE(said.size() == 1);
  CHECK(said.last().fields["wouldCap"].as_int() == 1);
  CHECK(keys_of(store).size() == 4);

  SECTION("mode enforce removes and does not warn") {
    warnings enforced;
    auto o = options;
    o.policy.maintenance.mode = "enforce";
    o.warn = enforced.sink();
    session_store other(tmp.path, "main", o);
    touch(other, clock, "k4");
    CHECK(keys_of(other).size() == 3);
    CHECK(enforced.size() == 0);
  }
}

TEST_CASE("mode warn says it at most once an hour unless the count grows",
          "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  warnings said;
  auto options = warn_options(clock, said, 1);  // high water 2
  session_store store(tmp.path, "main", options);
  touch(store, clock, "k0");
  touch(store, clock, "k1");
  REQUIRE(said.size() == 1);
  CHECK(said.last().fields["wouldCap"].as_int() == 1);
  for (int i = 0; i < 5; ++i) bump(store, clock, "k1");  // each an index write, the same count
  clock.advance(50min);
  bump(store, clock, "k1");
  CHECK(said.size() == 1);
  clock.advance(10min);  // an hour since the warning
  bump(store, clock, "k1");
  REQUIRE(said.size() == 2);
  CHECK(said.last().fields["wouldCap"].as_int() == 1);
  touch(store, clock, "k2");  // seconds later, but one more to remove
  REQUIRE(said.size() == 3);
  CHECK(said.last().fields["wouldCap"].as_int() == 2);
  bump(store, clock, "k2");
  CHECK(said.size() == 3);
  CHECK(keys_of(store).size() == 3);
}

TEST_CASE("stale entries are pruned and old archives swept", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  auto options = quiet_options(clock);
  options.policy.maintenance.prune_after = std::chrono::hours(24);
  options.policy.maintenance.reset_archive_retention = std::chrono::hours(48);
  session_store store(tmp.path, "main", options);
  touch(store, clock, "old");
  clock.advance(std::chrono::hours(30));
  // Archives named as archive() names them: 20 hours and four days old.
  const auto then = clock.fn()();
  auto name = [&](const char* reason, std::chrono::hours age) {
    return "x.jsonl." + std::string(reason) + "." + detail::archive_timestamp(then - age);
  };
  for (auto age : {std::chrono::hours(20), std::chrono::hours(96)}) {
    spit(store.dir() / name("deleted", age), "{}\n");
    spit(store.dir() / name("reset", age), "{}\n");
  }
  spit(store.dir() / "notes.jsonl.deleted.not-a-time", "{}\n");
  touch(store, clock, "new");  // "old" is 30 h old: pruned, archived, and the sweep runs
  CHECK(keys_of(store) == std::vector<std::string>{"new"});
  CHECK(fs::exists(store.dir() / name("deleted", std::chrono::hours(20))));
  CHECK_FALSE(fs::exists(store.dir() / name("deleted", std::chrono::hours(96))));
  CHECK(fs::exists(store.dir() / name("reset", std::chrono::hours(20))));
  CHECK_FALSE(fs::exists(store.dir() / name("reset", std::chrono::hours(96))));
  CHECK(fs::exists(store.dir() / "notes.jsonl.deleted.not-a-time"));
  // "old"'s own archive is new: kept.
  CHECK(count_files(store.dir(), ".jsonl.deleted.") == 3);

  SECTION("resetArchiveRetention false keeps reset archives") {
    options.policy.maintenance.reset_archive_retention.reset();
    spit(store.dir() / name("reset", std::chrono::hours(1000)), "{}\n");
    CHECK(detail::sweep_archives(store.dir(), options.policy.maintenance, clock.fn()()) == 0);
    CHECK(fs::exists(store.dir() / name("reset", std::chrono::hours(1000))));
  }
}

TEST_CASE("fix_missing drops entries whose transcript is gone", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  for (const char* key : {"k0", "k1"}) touch(store, clock, key);
  auto info = store.find("k0");
  REQUIRE(info);
  REQUIRE(*info);
  fs::remove(store.dir() / ((*info)->session_id + ".jsonl"));
  auto plain = store.maintain();
  REQUIRE(plain);
  CHECK(plain->missing == 0);
  CHECK(keys_of(store).size() == 2);
  maintenance_options fix;
  fix.fix_missing = true;
  auto fixed = store.maintain(fix);
  REQUIRE(fixed);
  CHECK(fixed->missing == 1);
  CHECK(keys_of(store) == std::vector<std::string>{"k1"});
}

TEST_CASE("maintain() on an agent without sessions touches nothing", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  auto r = store.maintain();
  REQUIRE(r);
  CHECK(r->before == 0);
  CHECK_FALSE(fs::exists(store.dir()));
}

namespace {

// Three sessions of about 20 kB each (k0 the least recently updated), two archives and a
// transcript no entry names, 30 kB each, oldest first: the archive .deleted., the .reset.
// one, then the orphan. About 152 kB in all.
struct budget_folder {
  temp_dir tmp;
  test_clock clock;
  session_store_options options = quiet_options(clock);
  fs::path dir;
  std::string deleted, reset;

  explicit budget_folder(const std::string& mode = "enforce") {
    options.policy.maintenance.mode = mode;
    session_store store(tmp.path, "main", options);
    for (const char* key : {"k0", "k1", "k2"}) {
      clock.advance(1s);
      auto s = store.open(key);
      REQUIRE(s);
      REQUIRE((*s)->append(user(std::string(20000, 'x'))));
    }
    REQUIRE(store.flush());
    dir = store.dir();
    const auto then = clock.fn()();
    deleted = "gone.jsonl.deleted." + detail::archive_timestamp(then - 10h);
    reset = "old.jsonl.reset." + detail::archive_timestamp(then - 5h);
    const auto now = fs::file_time_type::clock::now();
    auto put = [&](const std::string& name, std::chrono::hours age) {
      spit(dir / name, std::string(30000, 'a'));
      fs::last_write_time(dir / name, now - age);
    };
    put(deleted, 3h);
    put(reset, 2h);
    put("orphan.jsonl", 1h);
  }

  std::string id_of(session_store& store, const std::string& key) const {
    auto info = store.find(key);
    REQUIRE(info);
    REQUIRE(*info);
    return (*info)->session_id;
  }
};

}  // namespace

TEST_CASE("the disk budget removes archives and stray files first, oldest first",
          "[session][maintenance]") {
  budget_folder f;
  f.options.policy.maintenance.max_disk_bytes = 130000;
  f.options.policy.maintenance.high_water_bytes = 100000;
  session_store store(f.tmp.path, "main", f.options);

  auto plan = store.maintain({.dry_run = true});
  REQUIRE(plan);
  REQUIRE(plan->disk);
  CHECK(plan->disk->over_budget);
  CHECK(plan->disk->bytes_before > 150000);
  CHECK(plan->disk->bytes_before < 155000);
  CHECK(plan->disk->removed == std::vector<std::string>{f.deleted, f.reset});
  CHECK(plan->disk->freed_bytes == 60000);
  CHECK(plan->disk->bytes_after == plan->disk->bytes_before - 60000);
  CHECK(plan->disk->removed_entries == 0);
  CHECK(fs::exists(f.dir / f.deleted));  // a dry run removes nothing
  CHECK(fs::exists(f.dir / f.reset));

  auto done = store.maintain();
  REQUIRE(done);
  REQUIRE(done->disk);
  CHECK(done->disk->removed == std::vector<std::string>{f.deleted, f.reset});
  CHECK(done->disk->bytes_after <= 100000);
  CHECK_FALSE(fs::exists(f.dir / f.deleted));
  CHECK_FALSE(fs::exists(f.dir / f.reset));
  CHECK(fs::exists(f.dir / "orphan.jsonl"));  // under the high-water mark once those went
  CHECK(keys_of(store) == std::vector<std::string>{"k0", "k1", "k2"});

  auto again = store.maintain();  // within the budget now: nothing to do
  REQUIRE(again);
  REQUIRE(again->disk);
  CHECK_FALSE(again->disk->over_budget);
  CHECK(again->disk->removed.empty());
}

TEST_CASE("past the stray files the disk budget evicts the oldest entries, not one in use",
          "[session][maintenance]") {
  budget_folder f;
  f.options.policy.maintenance.max_disk_bytes = 60000;  // high water 48000
  session_store store(f.tmp.path, "main", f.options);
  const std::string k0 = f.id_of(store, "k0") + ".jsonl";
  const std::string k1 = f.id_of(store, "k1") + ".jsonl";

  SECTION("the least recently updated entry goes, its transcript deleted") {
    auto plan = store.maintain({.dry_run = true});
    REQUIRE(plan);
    REQUIRE(plan->disk);
    CHECK(plan->disk->removed == std::vector<std::string>{f.deleted, f.reset, "orphan.jsonl", k0});
    CHECK(plan->disk->removed_entries == 1);
    CHECK(plan->evicted == 1);
    CHECK(plan->after == 2);
    REQUIRE(plan->actions.size() == 3);
    CHECK(plan->actions[2].first.key == "k0");
    CHECK(plan->actions[2].second == "evict-budget");
    CHECK(keys_of(store).size() == 3);
    CHECK(fs::exists(f.dir / k0));

    auto done = store.maintain();
    REQUIRE(done);
    CHECK(done->evicted == 1);
    CHECK(done->archived == 0);  // deleted, not archived: an archive would keep the bytes
    CHECK(keys_of(store) == std::vector<std::string>{"k1", "k2"});
    CHECK_FALSE(fs::exists(f.dir / k0));
    CHECK(count_files(f.dir, ".deleted.") == 0);
    REQUIRE(done->disk);
    CHECK(done->disk->bytes_after <= 48000);
  }
  SECTION("a session open for writing stays, the next oldest goes") {
    auto held = store.open("k0");
    REQUIRE(held);
    auto done = store.maintain();
    REQUIRE(done);
    CHECK(keys_of(store) == std::vector<std::string>{"k0", "k2"});
    CHECK(fs::exists(f.dir / k0));
    CHECK_FALSE(fs::exists(f.dir / k1));
  }
}

TEST_CASE(
    "index writes apply the disk budget in mode enforce, and only warn mode's report "
    "shows it",
    "[session][maintenance]") {
  SECTION("enforce") {
    budget_folder f;
    f.options.policy.maintenance.max_disk_bytes = 130000;
    session_store store(f.tmp.path, "main", f.options);
    touch(store, f.clock, "k3");  // an index write: the folder is measured, over budget
    CHECK_FALSE(fs::exists(f.dir / f.deleted));
    CHECK_FALSE(fs::exists(f.dir / f.reset));
    CHECK(keys_of(store) == std::vector<std::string>{"k0", "k1", "k2", "k3"});
  }
  SECTION("warn") {
    budget_folder f("warn");
    f.options.policy.maintenance.max_disk_bytes = 60000;
    session_store store(f.tmp.path, "main", f.options);
    touch(store, f.clock, "k3");
    CHECK(fs::exists(f.dir / f.deleted));
    CHECK(keys_of(store).size() == 4);
    auto plan = store.maintain({.dry_run = true});
    REQUIRE(plan);
    REQUIRE(plan->disk);
    CHECK(plan->disk->over_budget);
    CHECK(plan->disk->removed_entries >= 1);
    CHECK(fs::exists(f.dir / f.deleted));
    CHECK(keys_of(store).size() == 4);
  }
}

TEST_CASE("mode warn says when the folder is over its disk budget, and deletes nothing",
          "[session][maintenance]") {
  budget_folder f("warn");
  warnings said;
  f.options.policy.maintenance.max_disk_bytes = 60000;  // high water 48000
  f.options.warn = said.sink();
  session_store store(f.tmp.path, "main", f.options);
  const std::string k0 = f.id_of(store, "k0") + ".jsonl";
  touch(store, f.clock, "k3");  // an index write: the folder is measured, over budget
  REQUIRE(said.size() == 1);
  const auto w = said.last();
  CHECK(w.message.starts_with(
      "session maintenance would remove 1 entry of agent main (1 to fit maxDiskBytes) and "
      "delete 4 files ("));
  CHECK(w.message.find("bytes, over maxDiskBytes 60000; mode is warn, nothing removed") !=
        std::string::npos);
  CHECK(w.fields["wouldEvict"].as_int() == 1);
  CHECK(w.fields["wouldDeleteFiles"].as_int() == 4);
  CHECK(w.fields["maxDiskBytes"].as_int() == 60000);
  CHECK(w.fields["highWaterBytes"].as_int() == 48000);
  CHECK(w.fields["diskBytes"].as_int() > 150000);
  CHECK(w.fields["diskBytesAfter"].as_int() <= 48000);
  for (const auto& name : {f.deleted, f.reset, std::string("orphan.jsonl"), k0})
    CHECK(fs::exists(f.dir / name));
  CHECK(keys_of(store).size() == 4);
  touch(store, f.clock, "k4");  // measured again a minute later at most: said already
  CHECK(said.size() == 1);
}

TEST_CASE("entries before a removed one keep their keys", "[session][maintenance]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.fn()().time_since_epoch())
          .count();
  fs::create_directories(store.dir());
  spit(store.dir() / "sessions.json",
       fmt::format("{{\"a\": {{\"sessionId\": \"a1\", \"updatedAt\": {}}},\n"
                   " \"b\": {{\"sessionId\": \"b1\", \"updatedAt\": {}}},\n"
                   " \"c\": {{\"sessionId\": \"c1\", \"updatedAt\": {}}}}}\n",
                   now, now - 40 * day_ms, now));
  auto r = store.maintain();
  REQUIRE(r);
  CHECK(r->pruned == 1);
  CHECK(keys_of(store) == std::vector<std::string>{"a", "c"});
  session_store other(tmp.path, "main", quiet_options(clock));
  CHECK(keys_of(other) == std::vector<std::string>{"a", "c"});
}
