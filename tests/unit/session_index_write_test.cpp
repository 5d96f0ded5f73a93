// The batched index write stages the new file without the index lock, so that a request
// making a new session never waits for the disk; what changed meanwhile is kept.
#include <catch2/catch.hpp>

#include "session/session_internal.hpp"
#include "session_fixtures.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace session_test;

namespace {

using cache_ptr = std::shared_ptr<detail::index_cache>;
using durability = detail::index_cache::durability;

// A store's index on `dir`/sessions.json, as another process would have it.
cache_ptr index_in(const fs::path& dir) {
  return std::make_shared<detail::index_cache>(dir / "sessions.json", false);
}

// Sets key's entry; false on error. The hooks below run on whichever thread writes (the
// background thread's batched write may come before the test's flush), so no Catch macros.
bool create(const cache_ptr& index, const std::string& key, const std::string& id,
            durability when) {
  auto made = index->update(
      key,
      [&](std::optional<session_info>& entry) -> result<bool> {
        session_info info;
        info.session_id = id;
        info.updated_at = 1;
        entry = std::move(info);
        return true;
      },
      when);
  return static_cast<bool>(made);
}

// Whether the index lock is free right now (a new descriptor, as another process would try).
bool lock_is_free(const fs::path& dir) {
  int fd = ::open((dir / "sessions.json.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

std::vector<std::string> sorted_keys(std::vector<session_info> all) {
  std::vector<std::string> keys;
  for (const auto& i : all) keys.push_back(i.key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> journal_keys(const fs::path& dir) {
  auto records = detail::read_journal(dir / "sessions.json.wal");
  REQUIRE(records);
  std::vector<std::string> keys;
  for (const auto& r : *records) keys.push_back(r.key);
  return keys;
}

}  // namespace

TEST_CASE("a batched index write holds no index lock while it writes the file",
          "[session][index]") {
  temp_dir tmp;
  auto index = index_in(tmp.path);
  int staged = 0;  // the hook runs under the writer's mutex, which flush() takes after it
  bool free = false;
  index->set_staged_hook([&] {
    ++staged;
    free = lock_is_free(tmp.path);
  });
  REQUIRE(create(index, "agent:main:a", "a1", durability::now));
  REQUIRE(index->flush());
  CHECK(staged == 1);
  CHECK(free);
  CHECK(sorted_keys(*detail::read_index(tmp.path / "sessions.json")) ==
        std::vector<std::string>{"agent:main:a"});
  CHECK_FALSE(fs::exists(tmp.path / "sessions.json.wal"));
}

TEST_CASE("a new session journalled while the index is written stays in the journal",
          "[session][index][journal]") {
  temp_dir tmp;
  const fs::path file = tmp.path / "sessions.json";
  auto index = index_in(tmp.path);
  bool made = false;
  index->set_staged_hook([&] {  // what another process's new session does
    session_info b;
    b.key = "agent:main:b";
    b.session_id = "b1";
    b.updated_at = 1;
    auto lock = detail::index_lock::acquire(file);
    made = lock && detail::append_journal(detail::journal_file_of(file), {b.key, b, ""});
  });
  REQUIRE(create(index, "agent:main:a", "a1", durability::now));
  REQUIRE(index->flush());
  REQUIRE(made);
  // The file has what was there when the write began; the journal has only what came after.
  CHECK(sorted_keys(*detail::read_index(file)) == std::vector<std::string>{"agent:main:a"});
  CHECK(journal_keys(tmp.path) == std::vector<std::string>{"agent:main:b"});
  auto fresh = index_in(tmp.path);
  auto all = fresh->all();
  REQUIRE(all);
  CHECK(sorted_keys(*all) == std::vector<std::string>{"agent:main:a", "agent:main:b"});
  // and the next write folds it in
  REQUIRE(create(fresh, "agent:main:c", "c1", durability::batched));
  REQUIRE(fresh->flush());
  CHECK(sorted_keys(*detail::read_index(file)) ==
        std::vector<std::string>{"agent:main:a", "agent:main:b", "agent:main:c"});
  CHECK_FALSE(fs::exists(tmp.path / "sessions.json.wal"));
}

TEST_CASE("an index written by another process meanwhile is read again, not overwritten",
          "[session][index]") {
  temp_dir tmp;
  auto index = index_in(tmp.path);
  int staged = 0;
  int foreign = GENERATE(1, 5);  // once (the second try commits), or on every try
  INFO("foreign writes: " << foreign);
  bool all_made = true;
  index->set_staged_hook([&] {
    if (staged++ >= foreign) return;
    auto other = index_in(tmp.path);
    all_made &=
        create(other, "agent:main:other" + std::to_string(staged), "o", durability::batched) &&
        static_cast<bool>(other->flush());
  });
  REQUIRE(create(index, "agent:main:a", "a1", durability::batched));
  REQUIRE(index->flush());
  REQUIRE(all_made);
  std::vector<std::string> expected{"agent:main:a"};
  for (int i = 1; i <= std::min(staged, foreign); ++i)
    expected.push_back("agent:main:other" + std::to_string(i));
  std::sort(expected.begin(), expected.end());
  CHECK(sorted_keys(*detail::read_index(tmp.path / "sessions.json")) == expected);
  // Two staged tries at most; the last one writes under the lock.
  CHECK(staged == std::min(foreign + 1, 2));
}
