// Session keys and single transcript lines: timestamps, ids, entry shapes, round trips.
#include <catch2/catch.hpp>

#include "session/session_internal.hpp"
#include "session_fixtures.hpp"

#include <set>

using namespace session_test;
using namespace durar;

namespace Catch {
template <>
struct StringMaker<durar::json> {
  static std::string convert(const durar::json& v) { return v.dump(); }
};
}  // namespace Catch

namespace {

// `pattern`: h = lower-case hex digit, v = RFC 4122 variant digit, else that character.
bool shaped(std::string_view s, std::string_view pattern) {
  if (s.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    if (pattern[i] == 'h' && !hex) return false;
    if (pattern[i] == 'v' && std::string_view("89ab").find(s[i]) == std::string_view::npos)
      return false;
    if (pattern[i] != 'h' && pattern[i] != 'v' && s[i] != pattern[i]) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("session keys follow the original's normalisation", "[session]") {
  CHECK(main_session_key("main") == "agent:main:main");
  CHECK(main_session_key("Coder", "Work") == "agent:coder:work");
  CHECK(main_session_key("", "") == "agent:main:main");
  CHECK(normalize_agent_id("  My Agent!! ") == "my-agent");
  CHECK(normalize_agent_id("--x--") == "x");
  CHECK(normalize_agent_id("***") == "main");
  CHECK(normalize_agent_id(std::string(80, 'a')).size() == 64);
  CHECK(agent_of_session_key("agent:coder:main") == "coder");
  CHECK(agent_of_session_key("agent:Ops:openai:1234") == "ops");
  CHECK(agent_of_session_key("cron:nightly") == "main");
  CHECK(agent_of_session_key("agent:x") == "main");
}

TEST_CASE("timestamps are JavaScript's toISOString and parse back", "[session]") {
  CHECK(detail::iso_timestamp_ms(1776762843512) == "2026-04-21T09:14:03.512Z");
  CHECK(detail::iso_timestamp_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(detail::iso_timestamp_ms(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(detail::iso_timestamp_ms(951782400000) == "2000-02-29T00:00:00.000Z");
  CHECK(detail::iso_timestamp_ms(1796649117009) == "2026-12-07T13:11:57.009Z");
  CHECK(detail::iso_timestamp_ms(253402300799999) == "9999-12-31T23:59:59.999Z");
  CHECK(detail::parse_iso_ms("2026-04-21T09:14:03.512Z") == 1776762843512);
  CHECK(detail::parse_iso_ms("2026-04-21T09:14:03Z") == 1776762843000);
  CHECK(detail::parse_iso_ms("2026-04-21T11:14:03.5+02:00") == 1776762843500);
  CHECK(detail::parse_iso_ms("2026-04-21T09:14:03.512345Z") == 1776762843512);
  CHECK_FALSE(detail::parse_iso_ms("yesterday"));
  CHECK_FALSE(detail::parse_iso_ms("2026-02-30T00:00:00Z"));
  CHECK(detail::archive_timestamp(std::chrono::system_clock::time_point(
            std::chrono::milliseconds(1776762843512))) == "2026-04-21T09-14-03.512Z");
}

TEST_CASE("entry ids are 8 hex digits, unique in the file, session ids are UUIDs", "[session]") {
  std::unordered_map<std::string, std::size_t> taken;
  for (std::size_t i = 0; i < 2000; ++i) {
    std::string id = detail::new_entry_id(taken);
    REQUIRE(shaped(id, "hhhhhhhh"));
    REQUIRE(taken.emplace(id, i).second);
  }
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(detail::new_session_id());
  CHECK(ids.size() == 100);
  for (const auto& id : ids) {
    CHECK(shaped(id, "hhhhhhhh-hhhh-4hhh-vhhh-hhhhhhhhhhhh"));
  }
}

TEST_CASE("an entry line has the original's shape and reads back", "[session]") {
  json line = detail::entry_json("message", "a1b2c3d4", "", "2026-04-21T09:14:03.512Z",
                                 json::object({{"message", to_json(message(user("hi")))}}));
  CHECK(
      line.dump() ==
      R"({"type":"message","id":"a1b2c3d4","parentId":null,"timestamp":"2026-04-21T09:14:03.512Z",)"
      R"("message":{"role":"user","content":[{"type":"text","text":"hi"}],"timestamp":1000}})");
  std::string note;
  auto e = detail::entry_from_json(line, note);
  REQUIRE(e);
  CHECK(note.empty());
  CHECK(e->type == "message");
  CHECK(e->id == "a1b2c3d4");
  CHECK(e->parent_id.empty());
  REQUIRE(e->msg);
  CHECK(first_text(*e->msg) == "hi");
  CHECK(e->raw == line);

  json change = detail::entry_json("model_change", "b2c3d4e5", "a1b2c3d4", "t",
                                   json::object({{"provider", "openai"}, {"modelId", "gpt-5.4"}}));
  CHECK(change.dump() ==
        R"({"type":"model_change","id":"b2c3d4e5","parentId":"a1b2c3d4","timestamp":"t",)"
        R"("provider":"openai","modelId":"gpt-5.4"})");
}

TEST_CASE("lines that are not entries are refused, unknown messages are kept", "[session]") {
  std::string note;
  CHECK_FALSE(detail::entry_from_json(parse(R"([1,2])"), note));
  CHECK_FALSE(detail::entry_from_json(parse(R"({"type":"message"})"), note));
  CHECK_FALSE(detail::entry_from_json(parse(R"({"id":"x"})"), note));

  auto odd = detail::entry_from_json(
      parse(R"({"type":"message","id":"x","parentId":null,"timestamp":"t","message":)"
            R"({"role":"user","content":[{"type":"audio","data":"..."}]}})"),
      note);
  REQUIRE(odd);
  CHECK_FALSE(odd->msg);
  CHECK_THAT(note, Catch::Contains("audio"));

  // The original's coding-agent roles reach the model as user text.
  auto bash = detail::entry_from_json(
      parse(
          R"({"type":"message","id":"y","parentId":"x","timestamp":"t","message":)"
          R"({"role":"bashExecution","command":"ls","output":"a\nb","exitCode":2,"timestamp":5}})"),
      note);
  REQUIRE(bash);
  REQUIRE(bash->msg);
  CHECK(role_of(*bash->msg) == "user");
  CHECK_THAT(first_text(*bash->msg),
             Catch::Contains("ls") && Catch::Contains("a\nb") && Catch::Contains("code 2"));
}
