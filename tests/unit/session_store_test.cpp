// The session index and the store: sessions.json round trips, opening, the writer lock,
// reset policy decisions with a fixed clock, reset and removal.
#include <catch2/catch.hpp>

#include "session/session_internal.hpp"
#include "session_fixtures.hpp"

#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace session_test;
using namespace durar;
using Catch::Contains;

namespace Catch {
template <>
struct StringMaker<durar::json> {
  static std::string convert(const durar::json& v) { return v.dump(); }
};
}  // namespace Catch

namespace {

// Local time for the daily reset hour, set for the test's duration (a POSIX TZ string, so
// no time zone database is needed).
struct local_zone {
  std::string old;
  bool had = false;
  explicit local_zone(const char* tz) {
    if (const char* o = std::getenv("TZ")) {
      old = o;
      had = true;
    }
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~local_zone() {
    if (had) {
      ::setenv("TZ", old.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
};

std::int64_t ms_of(std::string_view iso) { return *detail::parse_iso_ms(iso); }

std::chrono::system_clock::time_point at(std::string_view iso) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_of(iso)));
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a first session makes every new folder of the state dir private", "[session]") {
  temp_dir tmp;
  test_clock clock;
  const fs::path state = tmp.path / "home" / ".durar";  // nothing of it exists yet
  session_store store(state, "main", quiet_options(clock));
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  // ~/.durar, agents, agents/main and sessions: not only the last one (create_directories
  // would make the others 0755, listing everyone's transcripts and key files to others).
  for (const fs::path& dir :
       {tmp.path / "home", state, state / "agents", state / "agents" / "main", store.dir()}) {
    INFO(dir);
    CHECK((fs::status(dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  }
}

TEST_CASE("opening a key creates its index entry and transcript header", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "Main", quiet_options(clock));
  CHECK(store.dir() == tmp.path / "agents" / "main" / "sessions");
  CHECK(store.agent_id() == "main");
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  CHECK((*s)->writable());
  CHECK((*s)->key() == "agent:main:main");
  CHECK((*s)->path() == store.dir() / ((*s)->id() + ".jsonl"));
  json header = parse(slurp((*s)->path()));
  CHECK(header == json::object({{"type", "session"},
                                {"version", 3},
                                {"id", (*s)->id()},
                                {"timestamp", "2026-04-21T09:14:00.000Z"},
                                {"cwd", "/srv/test"}}));
  auto info = store.find("agent:main:main");
  REQUIRE(info);
  REQUIRE(*info);
  CHECK((*info)->session_id == (*s)->id());
  CHECK((*info)->started_at == 1776762840000);
  REQUIRE(store.flush());
  CHECK((fs::status(store.dir() / "sessions.json").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK((fs::status((*s)->path()).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  auto missing = store.find("agent:main:other");
  REQUIRE(missing);
  CHECK_FALSE(*missing);
}

TEST_CASE("appends chain entries by parentId with the store's clock", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  auto a = (*s)->append(user("hi"));
  clock.advance(std::chrono::milliseconds(1500));
  auto b = (*s)->append_thinking_level("high");
  auto c = (*s)->append_custom("durar.note", json::object({{"k", 1}}));
  auto d = (*s)->append_entry("label", json::object({{"targetId", *a}, {"label", "start"}}));
  REQUIRE((a && b && c && d));
  const auto& es = (*s)->entries();
  REQUIRE(es.size() == 4);
  CHECK(es[0].parent_id.empty());
  CHECK(es[0].raw["parentId"].is_null());
  CHECK(es[1].parent_id == *a);
  CHECK(es[1].timestamp == "2026-04-21T09:14:01.500Z");
  CHECK(es[2].raw["customType"] == json("durar.note"));
  CHECK(es[3].raw["label"] == json("start"));
  CHECK((*s)->thinking_level() == "high");
  // Lines on disk are the entries, in order.
  std::istringstream lines(slurp((*s)->path()));
  std::string line;
  std::getline(lines, line);
  for (const auto& e : es) {
    REQUIRE(std::getline(lines, line));
    CHECK(parse(line) == e.raw);
  }
  auto bad = (*s)->append_entry("session", json::object());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
  auto bad_msg = (*s)->append_entry("message", json::object({{"message", 3}}));
  REQUIRE_FALSE(bad_msg);
  CHECK((*s)->entries().size() == 4);
}

TEST_CASE("a second writer of the same session gets the lock holder's pid", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  auto first = store.open("agent:main:main");
  REQUIRE(first);
  auto second = store.open("agent:main:main");
  REQUIRE_FALSE(second);
  CHECK(second.error().code == errc::unavailable);
  CHECK(second.error().message ==
        "session agent:main:main is open in this process (pid " + std::to_string(::getpid()) + ")");
  // Reading needs no lock.
  auto ro = store.read("agent:main:main");
  REQUIRE(ro);
  CHECK_FALSE((*ro)->writable());
  auto w = (*ro)->append(user("x"));
  REQUIRE_FALSE(w);
  CHECK(w.error().code == errc::permission_denied);
  first->reset();
  CHECK(store.open("agent:main:main"));
}

TEST_CASE("sessions.json keeps fields Durar does not model", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  fs::create_directories(store.dir());
  const std::string original = R"({
  "agent:main:main": {
    "sessionId": "11111111-2222-4333-8444-555555555555",
    "updatedAt": 1776762000000,
    "chatType": "direct",
    "origin": {"provider": "telegram", "accountId": "42"},
    "modelOverride": "gpt-5.4",
    "providerOverride": "openai",
    "thinkingLevel": "low",
    "skillsSnapshot": [1, 2.5, null]
  },
  "agent:main:telegram:group:7": {"sessionId": "abc", "updatedAt": 1776762500000, "label": "team"}
})";
  spit(store.dir() / "sessions.json", original);

  auto all = store.list();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].key == "agent:main:telegram:group:7");  // most recently updated first
  const auto& main = (*all)[1];
  CHECK(main.model_override == "gpt-5.4");
  CHECK(main.provider_override == "openai");
  CHECK(main.thinking_level == "low");

  // An untouched round trip changes nothing but formatting.
  auto read = detail::read_index(store.dir() / "sessions.json");
  REQUIRE(read);
  REQUIRE(detail::write_index(store.dir() / "sessions.json", *read, false));
  CHECK(parse(slurp(store.dir() / "sessions.json")) == parse(original));

  // A turn updates Durar's fields and leaves the rest.
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  CHECK((*s)->id() == "11111111-2222-4333-8444-555555555555");
  clock.advance(std::chrono::minutes(1));
  assistant_message last = reply("done", 1200, 80);
  last.usage.cache_read = 300;
  last.usage.total_tokens = 1580;
  last.usage.cost.total = 0.25;
  REQUIRE((*s)->record_turn(last, 200000));
  REQUIRE(store.flush());
  json doc = parse(slurp(store.dir() / "sessions.json"));
  const json& e = doc["agent:main:main"];
  CHECK(e["chatType"] == json("direct"));
  CHECK(e["origin"] == parse(R"({"provider": "telegram", "accountId": "42"})"));
  CHECK(e["skillsSnapshot"] == parse("[1, 2.5, null]"));
  CHECK(e["modelOverride"] == json("gpt-5.4"));
  CHECK(e["inputTokens"] == json(1200));
  CHECK(e["outputTokens"] == json(80));
  CHECK(e["totalTokens"] == json(1580));
  CHECK(e["contextTokens"] == json(200000));
  CHECK(e["cacheRead"] == json(300));
  CHECK(e["estimatedCostUsd"] == json(0.25));
  CHECK(e["model"] == json("gpt-5.4"));
  CHECK(e["modelProvider"] == json("openai"));
  CHECK(e["updatedAt"] == json(1776762900000));
  CHECK(e["lastInteractionAt"] == json(1776762900000));
  CHECK(doc["agent:main:telegram:group:7"] ==
        parse(R"({"sessionId": "abc", "updatedAt": 1776762500000, "label": "team"})"));
}

TEST_CASE("a malformed sessions.json is an error naming it and is left alone", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  fs::create_directories(store.dir());
  std::string broken = "{\n  \"agent:main:main\": {\"sessionId\": \"x\",}\n}\n";
  spit(store.dir() / "sessions.json", broken);
  auto all = store.list();
  REQUIRE_FALSE(all);
  CHECK(all.error().code == errc::invalid_argument);
  CHECK_THAT(all.error().message, Contains("sessions.json") && Contains("line 2"));
  auto s = store.open("agent:main:main");
  REQUIRE_FALSE(s);
  CHECK(slurp(store.dir() / "sessions.json") == broken);
}

TEST_CASE("daily reset: a session started before the last reset hour expires", "[session]") {
  local_zone zone("<+03>-3");  // UTC+3, no daylight saving
  session_config daily;        // daily at 04:00 local
  session_info info;
  info.started_at = ms_of("2026-04-21T00:30:00Z");                                   // 03:30 local
  CHECK(detail::session_expired(info, daily, at("2026-04-21T00:59:00Z")) == false);  // 03:59
  CHECK(detail::session_expired(info, daily, at("2026-04-21T01:00:00Z")) == true);   // 04:00
  info.started_at = ms_of("2026-04-21T01:00:00Z");  // started at 04:00 local
  CHECK_FALSE(detail::session_expired(info, daily, at("2026-04-22T00:59:59Z")));
  CHECK(detail::session_expired(info, daily, at("2026-04-22T01:00:00Z")));
  // Across a month end, with another hour.
  daily.reset_at_hour = 23;
  info.started_at = ms_of("2026-04-30T19:00:00Z");  // 22:00 local on the 30th
  CHECK_FALSE(detail::session_expired(info, daily, at("2026-04-30T19:59:00Z")));
  CHECK(detail::session_expired(info, daily, at("2026-04-30T20:00:00Z")));
  // A row without sessionStartedAt falls back to updatedAt.
  session_info legacy;
  legacy.updated_at = ms_of("2026-04-21T02:00:00Z");
  CHECK_FALSE(detail::session_expired(legacy, session_config{}, at("2026-04-21T10:00:00Z")));
}

TEST_CASE("idle reset counts from the last interaction", "[session]") {
  session_config idle;
  idle.reset_mode = "idle";
  idle.idle_minutes = 30;
  session_info info;
  info.started_at = ms_of("2026-04-21T08:00:00Z");
  info.updated_at = ms_of("2026-04-21T09:50:00Z");  // bookkeeping does not count
  info.last_interaction_at = ms_of("2026-04-21T09:00:00Z");
  CHECK_FALSE(detail::session_expired(info, idle, at("2026-04-21T09:30:00Z")));
  CHECK(detail::session_expired(info, idle, at("2026-04-21T09:30:00.001Z")));
  info.last_interaction_at = 0;  // never interacted: from the start
  CHECK(detail::session_expired(info, idle, at("2026-04-21T08:31:00Z")));
  // Idle mode without minutes never expires; daily with minutes: whichever comes first.
  idle.idle_minutes.reset();
  CHECK_FALSE(detail::session_expired(info, idle, at("2027-01-01T00:00:00Z")));
  local_zone zone("UTC0");
  session_config both;
  both.idle_minutes = 60;
  info.started_at = ms_of("2026-04-21T05:00:00Z");
  info.last_interaction_at = ms_of("2026-04-21T09:00:00Z");
  CHECK(detail::session_expired(info, both, at("2026-04-21T10:00:01Z")));
  CHECK_FALSE(detail::session_expired(info, both, at("2026-04-21T09:59:00Z")));
  CHECK(detail::session_expired(info, both, at("2026-04-22T04:00:00Z")));
}

TEST_CASE("open() starts afresh when the policy says so, archiving the old transcript",
          "[session]") {
  local_zone zone("UTC0");
  temp_dir tmp;
  test_clock clock;
  auto opts = quiet_options(clock);
  opts.policy = session_config{};  // daily at 04:00
  session_store store(tmp.path, "main", opts);
  std::string first_id;
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    first_id = (*s)->id();
    REQUIRE((*s)->append(user("before the reset hour")));
    REQUIRE((*s)->record_turn(reply("ok"), 0));
  }
  REQUIRE((*store.find("agent:main:main"))->thinking_level.empty());
  clock.set_ms(ms_of("2026-04-22T03:59:00Z"));
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    CHECK((*s)->id() == first_id);
  }
  clock.set_ms(ms_of("2026-04-22T04:00:00Z"));
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  CHECK((*s)->id() != first_id);
  CHECK((*s)->entries().empty());
  auto files = files_in(store.dir());
  CHECK(std::find(files.begin(), files.end(), first_id + ".jsonl.reset.2026-04-22T04-00-00.000Z") !=
        files.end());
  auto info = store.find("agent:main:main");
  CHECK((*info)->started_at == ms_of("2026-04-22T04:00:00Z"));
  CHECK((*info)->input_tokens == 0);
}

TEST_CASE("reset() and remove() archive the transcript under the original's names", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  std::string old_id;
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    old_id = (*s)->id();
    REQUIRE((*s)->append(user("hello")));
    // A writer holds it: reset must not pull the file away.
    auto busy = store.reset("agent:main:main");
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == errc::unavailable);
  }
  REQUIRE(store.flush());
  json doc = parse(slurp(store.dir() / "sessions.json"));
  doc["agent:main:main"].set("modelOverride", "claude-opus-4-6");
  doc["agent:main:main"].set("label", "mine");
  spit(store.dir() / "sessions.json", doc.dump(2));

  clock.advance(std::chrono::seconds(5));
  auto fresh = store.reset("agent:main:main");
  REQUIRE(fresh);
  CHECK(fresh->session_id != old_id);
  CHECK(fresh->model_override == "claude-opus-4-6");  // the user's choice survives
  CHECK(fresh->raw["label"] == json("mine"));
  CHECK(fs::exists(store.dir() / (old_id + ".jsonl.reset.2026-04-21T09-14-05.000Z")));
  CHECK_FALSE(fs::exists(store.dir() / (old_id + ".jsonl")));
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    CHECK((*s)->id() == fresh->session_id);
    REQUIRE((*s)->append(user("again")));
  }
  REQUIRE(store.remove("agent:main:main"));
  CHECK(fs::exists(store.dir() / (fresh->session_id + ".jsonl.deleted.2026-04-21T09-14-05.000Z")));
  auto gone = store.remove("agent:main:main");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == errc::not_found);
  auto list = store.list();
  REQUIRE(list);
  CHECK(list->empty());
  auto r = store.read("agent:main:main");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::not_found);
}

TEST_CASE("an index sessionId cannot name a file outside the sessions dir", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  fs::create_directories(store.dir());
  spit(store.dir() / "sessions.json",
       R"({"agent:main:main":{"sessionId":"../../../etc/passwd","updatedAt":1}})");
  auto s = store.open("agent:main:main");
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::invalid_argument);
}

TEST_CASE("out of descriptors is unavailable, not a permission problem", "[session][store]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  REQUIRE(store.open("agent:main:first"));  // the folder, index and journal exist
  // Nothing left for the background writer: it must not run while this thread holds every
  // descriptor (UBSan's first check of a type opens a pipe, and reports a false mismatch
  // when it cannot).
  REQUIRE(store.flush());
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  std::vector<int> held;
  {
    rlimit low = old;
    low.rlim_cur = 64;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) held.push_back(fd);
  }
  auto s = store.open("agent:main:second");
  for (int fd : held) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &old);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::unavailable);
  CHECK_THAT(s.error().message, Contains("Too many open files"));
  CHECK(store.open("agent:main:second"));  // and it passes
}
