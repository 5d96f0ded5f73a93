// durar sessions cleanup: the plan, its JSON, mode warn, the disk budget, and what an
// applied run leaves.
#include <durar/json.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "run_cli.hpp"

#include <chrono>
#include <filesystem>

using durar::test::run_durar;
using durar::test::temp_home;
namespace fs = std::filesystem;

namespace {

constexpr const char* sessions_dir = ".durar/agents/main/sessions";

// An index of `count` sessions, one a second apart and all recent, plus `stale` 40 days old;
// each with a one-line transcript.
void write_sessions(const temp_home& home, int count, int stale) {
  using namespace std::chrono;
  const std::int64_t now =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::string index = "{\n";
  for (int i = 0; i < count + stale; ++i) {
    std::string id = fmt::format("s{:04}", i);
    std::int64_t updated = i < stale ? now - 40LL * 86400000 : now - (count + stale - i) * 1000;
    index +=
        fmt::format("{}  \"agent:main:openai:{}\": {{\"sessionId\": \"{}\", \"updatedAt\": {}}}",
                    i > 0 ? ",\n" : "", i, id, updated);
    home.write(fmt::format("{}/{}.jsonl", sessions_dir, id),
               "{\"type\":\"session\",\"version\":3,\"id\":\"" + id +
                   "\",\"timestamp\":\"2026-12-01T00:00:00.000Z\",\"cwd\":\"/\"}\n");
  }
  home.write(std::string(sessions_dir) + "/sessions.json", index + "\n}\n");
}

std::size_t archives(const temp_home& home) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(home.path() + "/" + sessions_dir))
    n += e.path().filename().string().find(".jsonl.deleted.") != std::string::npos;
  return n;
}

// `durar ARGS` with --json: it exits 0 and prints a JSON document, which is returned.
auto json_of(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  auto r = run_durar(args, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = durar::json::parse(r.out);
  REQUIRE(j);
  return j;
}

}  // namespace

TEST_CASE("sessions cleanup plans, then prunes, caps and archives", "[cli][sessions]") {
  temp_home home;
  home.write(".durar/durar.yaml", "session:\n  maintenance:\n    maxEntries: 4\n");
  write_sessions(home, 6, 2);
  const std::map<std::string, std::string> env{{"HOME", home.path()}};

  auto j = json_of({"sessions", "cleanup", "--dry-run", "--json"}, env);
  CHECK((*j)["mode"].as_string() == "enforce");
  CHECK((*j)["dryRun"].as_bool());
  CHECK((*j)["beforeCount"].as_int() == 8);
  CHECK((*j)["afterCount"].as_int() == 4);
  CHECK((*j)["pruned"].as_int() == 2);
  CHECK((*j)["capped"].as_int() == 2);
  REQUIRE((*j)["actions"].size() == 8);
  CHECK((*j)["actions"][0]["key"].as_string() == "agent:main:openai:7");  // newest first
  CHECK((*j)["actions"][0]["action"].as_string() == "keep");
  CHECK((*j)["actions"][7]["action"].as_string() == "prune-stale");
  CHECK(archives(home) == 0);  // a dry run changes nothing

  auto text = run_durar({"sessions", "cleanup", "--dry-run"}, env);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("Entries: 8 -> 4 (remove 4)") &&
                           Catch::Contains("cap-overflow") &&
                           Catch::Contains("agent:main:openai:2"));

  auto done = run_durar({"sessions", "cleanup"}, env);
  INFO(done.err);
  REQUIRE(done.exit_code == 0);
  CHECK_THAT(done.out, Catch::Contains("Pruned stale: 2") &&
                           Catch::Contains("Capped overflow: 2") &&
                           Catch::Contains("Archived transcripts: 4"));
  CHECK(archives(home) == 4);
  auto list = run_durar({"sessions", "list", "--json"}, env);
  auto listed = durar::json::parse(list.out);
  REQUIRE(listed);
  CHECK((*listed)["count"].as_int() == 4);
}

TEST_CASE("sessions cleanup in mode warn only reports unless --enforce", "[cli][sessions]") {
  temp_home home;
  home.write(".durar/durar.yaml", "session:\n  maintenance:\n    mode: warn\n    maxEntries: 2\n");
  write_sessions(home, 3, 0);
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  auto warn = run_durar({"sessions", "cleanup"}, env);
  REQUIRE(warn.exit_code == 0);
  CHECK_THAT(warn.out, Catch::Contains("Would cap overflow: 1") &&
                           Catch::Contains("nothing was removed; --enforce applies it"));
  CHECK(archives(home) == 0);
  auto j = json_of({"sessions", "cleanup", "--enforce", "--json"}, env);
  CHECK((*j)["mode"].as_string() == "enforce");
  CHECK((*j)["afterCount"].as_int() == 2);
  CHECK(archives(home) == 1);
}

TEST_CASE("sessions reset in mode warn says what enforce would remove, and removes nothing",
          "[cli][sessions]") {
  temp_home home;
  home.write(".durar/durar.yaml", "session:\n  maintenance:\n    mode: warn\n");
  write_sessions(home, 2, 3);  // three entries past pruneAfter (30 days)
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  auto r = run_durar({"sessions", "reset", "agent:main:openai:4"}, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("warning: session maintenance would remove 3 entries"));
  CHECK(archives(home) == 0);
  auto j = json_of({"sessions", "list", "--json"}, env);
  CHECK((*j)["count"].as_int() == 5);
  // cleanup prints the plan itself and no warning besides
  auto plan = run_durar({"sessions", "cleanup"}, env);
  REQUIRE(plan.exit_code == 0);
  CHECK_THAT(plan.err, !Catch::Contains("would remove"));
}

TEST_CASE("sessions reset of a key that was never stored fails and creates nothing",
          "[cli][sessions]") {
  temp_home home;
  write_sessions(home, 2, 0);
  const std::map<std::string, std::string> env{{"HOME", home.path()}};
  auto r = run_durar({"sessions", "reset", "agent:main:nosuch"}, env);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no session agent:main:nosuch"));
  auto j = json_of({"sessions", "list", "--json"}, env);
  CHECK((*j)["count"].as_int() == 2);
  // a stored key is still reset
  auto ok = run_durar({"sessions", "reset", "agent:main:openai:1"}, env);
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("Reset agent:main:openai:1"));
}

TEST_CASE("sessions cleanup names a bad maintenance setting and its line", "[cli][sessions]") {
  temp_home home;
  home.write(".durar/durar.yaml", "session:\n  maintenance:\n    pruneAfter: soon\n");
  auto r = run_durar({"sessions", "cleanup", "--dry-run"}, {{"HOME", home.path()}});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("durar.yaml:3") && Catch::Contains("'soon' is not a duration"));
}

TEST_CASE("sessions cleanup keeps the folder within maxDiskBytes", "[cli][sessions]") {
  temp_home home;
  home.write(".durar/durar.yaml", "session:\n  maintenance:\n    maxDiskBytes: 40kb\n");
  write_sessions(home, 3, 0);
  const std::string archive = "s0009.jsonl.deleted.2026-01-01T00-00-00.000Z";
  home.write(fmt::format("{}/{}", sessions_dir, archive), std::string(50000, 'x'));
  const fs::path archive_path = fs::path(home.path()) / sessions_dir / archive;
  const std::map<std::string, std::string> env{{"HOME", home.path()}};

  auto j = json_of({"sessions", "cleanup", "--dry-run", "--json"}, env);
  const auto& disk = (*j)["diskBudget"];
  CHECK(disk["maxBytes"].as_int() == 40960);
  CHECK(disk["highWaterBytes"].as_int() == 32768);
  CHECK(disk["overBudget"].as_bool());
  CHECK(disk["totalBytesBefore"].as_int() > 50000);
  CHECK(disk["totalBytesAfter"].as_int() < 32768);
  CHECK(disk["removedFiles"].as_int() == 1);
  CHECK(disk["removedEntries"].as_int() == 0);
  CHECK(disk["removed"][0].as_string() == archive);
  CHECK((*j)["wouldMutate"].as_bool());
  CHECK(fs::exists(archive_path));  // a dry run changes nothing

  auto done = run_durar({"sessions", "cleanup"}, env);
  INFO(done.err);
  REQUIRE(done.exit_code == 0);
  CHECK_THAT(done.out, Catch::Contains("Disk budget: ") && Catch::Contains("removed files 1") &&
                           Catch::Contains(archive));
  CHECK_FALSE(fs::exists(archive_path));
  auto list = run_durar({"sessions", "list", "--json"}, env);
  auto listed = durar::json::parse(list.out);
  REQUIRE(listed);
  CHECK((*listed)["count"].as_int() == 3);
}
