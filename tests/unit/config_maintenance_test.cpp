// session.maintenance as the config reads it: durations, byte sizes, the keys loading, and a
// bad value naming its line. The store's behaviour is in session_maintenance_test.cpp.
#include <durar/config.hpp>

#include <catch2/catch.hpp>

#include "config/duration.hpp"
#include "session/session_internal.hpp"

using namespace durar;
using namespace std::chrono_literals;

namespace {
constexpr std::int64_t day_ms = 86400000;
}  // namespace

TEST_CASE("durations read as the original writes them", "[config][maintenance]") {
  using detail::parse_duration;
  CHECK(parse_duration("30d", "d") == std::chrono::milliseconds(30 * day_ms));
  CHECK(parse_duration("12h", "d") == std::chrono::hours(12));
  CHECK(parse_duration("1h30m", "d") == std::chrono::minutes(90));
  CHECK(parse_duration(" 1.5 S ", "d") == std::chrono::milliseconds(1500));
  CHECK(parse_duration("500ms", "d") == std::chrono::milliseconds(500));
  CHECK(parse_duration("7", "d") == std::chrono::milliseconds(7 * day_ms));
  CHECK(parse_duration("7", "ms") == std::chrono::milliseconds(7));
  for (const char* bad : {"", "d", "-1d", "1w", "1d2", "1..5h", "1h 30", "99999999999999999d"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad, "d"));
  }
}

TEST_CASE("session.maintenance loads, and a bad value names its line", "[config][maintenance]") {
  environment env;
  auto good = check_config_text(
      "session:\n  maintenance:\n    mode: warn\n    pruneAfter: 7d\n    maxEntries: 50\n",
      "a.yaml", env);
  REQUIRE(good.ok());
  const auto& m = good.value->session.maintenance;
  CHECK(m.mode == "warn");
  CHECK(m.prune_after == std::chrono::milliseconds(7 * day_ms));
  CHECK(m.max_entries == 50);
  CHECK(m.reset_archive_retention == m.prune_after);  // defaults to pruneAfter

  auto legacy = check_config_text(
      "session:\n  maintenance:\n    pruneDays: 3\n    resetArchiveRetention: false\n", "b.yaml",
      env);
  REQUIRE(legacy.ok());
  CHECK(legacy.value->session.maintenance.prune_after == std::chrono::milliseconds(3 * day_ms));
  CHECK_FALSE(legacy.value->session.maintenance.reset_archive_retention);

  auto defaults = check_config_text("{}", "c.json", env);
  REQUIRE(defaults.ok());
  CHECK(defaults.value->session.maintenance.mode == "enforce");
  CHECK(defaults.value->session.maintenance.max_entries == 500);
  CHECK(defaults.value->session.maintenance.prune_after == std::chrono::hours(24 * 30));

  auto bad = check_config_text(
      "session:\n  maintenance:\n    pruneAfter: 3 weeks\n    maxEntries: 0\n"
      "    mode: sometimes\n    resetArchiveRetention: true\n",
      "d.yaml", env);
  REQUIRE_FALSE(bad.ok());
  std::vector<std::string> lines;
  for (const auto& i : bad.issues) lines.push_back(i.describe());
  INFO(Catch::rangeToString(lines));
  REQUIRE(bad.issues.size() == 4);
  CHECK_THAT(bad.issues[0].describe(),
             Catch::Contains("d.yaml:3") && Catch::Contains("'3 weeks' is not a duration"));
  CHECK(bad.issues[1].line == 4);
  CHECK(bad.issues[2].line == 5);
  CHECK_THAT(bad.issues[3].describe(),
             Catch::Contains("d.yaml:6") && Catch::Contains("a duration"));
}

TEST_CASE("byte sizes read as the original's parseByteSize reads them", "[config][maintenance]") {
  using detail::parse_byte_size;
  constexpr std::int64_t k = 1024;
  CHECK(parse_byte_size("500mb") == 500 * k * k);
  CHECK(parse_byte_size("1gb") == k * k * k);
  CHECK(parse_byte_size("1G") == k * k * k);
  CHECK(parse_byte_size("10k") == 10 * k);
  CHECK(parse_byte_size(" 10KB ") == 10 * k);
  CHECK(parse_byte_size("1.5k") == 1536);
  CHECK(parse_byte_size("2tb") == 2 * k * k * k * k);
  CHECK(parse_byte_size("12345") == 12345);  // a bare number is bytes
  CHECK(parse_byte_size("7b") == 7);
  CHECK(parse_byte_size("0") == 0);
  for (const char* bad :
       {"", "mb", "-1", "10 kb", "1.5.5k", "10pb", "1e6", ".5k", "5k ib", "99999999999tb", "1k1"}) {
    INFO(bad);
    CHECK_FALSE(parse_byte_size(bad));
  }
  CHECK(detail::byte_size_of(1.5) == 2);
  CHECK(detail::byte_size_of(4096) == 4096);
  CHECK_FALSE(detail::byte_size_of(-1));
  // highWaterBytes: 80% of the budget by default, never above it.
  CHECK(detail::disk_budget_high_water(1000, std::nullopt) == 800);
  CHECK(detail::disk_budget_high_water(1000, 2000) == 1000);
  CHECK(detail::disk_budget_high_water(1000, 300) == 300);
  CHECK(detail::disk_budget_high_water(1, std::nullopt) == 1);
  CHECK(detail::disk_budget_high_water(0, std::nullopt) == 0);
}

TEST_CASE("maxDiskBytes and highWaterBytes load, and a bad size names its line",
          "[config][maintenance]") {
  environment env;
  auto good =
      check_config_text("session:\n  maintenance:\n    maxDiskBytes: 10mb\n", "a.yaml", env);
  REQUIRE(good.ok());
  CHECK(good.issues.empty());  // no "not implemented" warning any more
  CHECK(good.value->session.maintenance.max_disk_bytes == 10 * 1024 * 1024);
  CHECK(good.value->session.maintenance.high_water_bytes == 8 * 1024 * 1024);

  auto both = check_config_text(
      "{\"session\": {\"maintenance\": {\"maxDiskBytes\": 1000, \"highWaterBytes\": \"1gb\"}}}",
      "b.json", env);
  REQUIRE(both.ok());
  CHECK(both.issues.empty());
  CHECK(both.value->session.maintenance.max_disk_bytes == 1000);
  CHECK(both.value->session.maintenance.high_water_bytes == 1000);  // capped at the budget

  auto alone =
      check_config_text("session:\n  maintenance:\n    highWaterBytes: 5k\n", "c.yaml", env);
  REQUIRE(alone.ok());
  CHECK_FALSE(alone.value->session.maintenance.max_disk_bytes);
  CHECK_FALSE(alone.value->session.maintenance.high_water_bytes);  // no budget, no mark

  auto bad = check_config_text(
      "session:\n  maintenance:\n    maxDiskBytes: lots\n    highWaterBytes: -5\n", "d.yaml", env);
  REQUIRE_FALSE(bad.ok());
  std::vector<std::string> lines;
  for (const auto& i : bad.issues) lines.push_back(i.describe());
  INFO(Catch::rangeToString(lines));
  REQUIRE(bad.issues.size() == 2);
  CHECK_THAT(bad.issues[0].describe(), Catch::Contains("d.yaml:3") &&
                                           Catch::Contains("'lots' is not a size") &&
                                           Catch::Contains("\"500mb\""));
  CHECK_THAT(bad.issues[1].describe(), Catch::Contains("d.yaml:4") && Catch::Contains("a size"));
}
