// The cooldown cache (<state>/cooldowns.json) is Durar's own file, but a damaged or
// hand-edited one must cost only the remembered cooldowns, never the router.
#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"
#include "router/cooldowns.hpp"

#include <fstream>
#include <string>

using namespace durar;

TEST_CASE("a cooldown file that is JSON but not the expected shape is ignored",
          "[router][cooldowns]") {
  durar::test::temp_dir dir;
  const auto file = dir.path / "cooldowns.json";
  for (const char* text : {"[1]", "1e300", "\"entries\"", "{\"entries\":{}}",
                           "{\"entries\":[1,\"x\",null,{\"provider\":7}]}", "{\"entries\":"}) {
    std::ofstream(file) << text;
    detail::cooldown_store store(file, {});
    CHECK(store.entries().empty());
  }
  std::ofstream(file)
      << R"({"entries":[{"provider":"p","model":"m","credential":"c","until":4102444800000},)"
      << R"({"provider":"q","until":9223372036854775807}]})";  // 2100, and past the clock's end
  detail::cooldown_store kept(file, {});
  CHECK(kept.entries().size() == 2);
}
