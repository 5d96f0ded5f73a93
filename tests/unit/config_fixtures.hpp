// Helpers shared by the config tests: temp dirs, files, a test environment, issue lookups.
#pragma once

#include <durar/config.hpp>

#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

// REQUIRE on a result<void>, showing its error when it fails.
#define REQUIRE_OK(expr)                                              \
  do {                                                                \
    auto result_ = (expr);                                            \
    INFO((result_ ? std::string("ok") : result_.error().describe())); \
    REQUIRE(result_.has_value());                                     \
  } while (false)

namespace fs = std::filesystem;
using durar::config_issue;
using durar::environment;
using durar::json;

namespace config_fixtures {

inline const fs::path data_dir = fs::path(DURAR_TEST_DATA) / "config";

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void spit(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

using durar::test::temp_dir;

inline environment test_env() {
  return environment({{"HOME", "/home/tester"},
                      {"ANTHROPIC_API_KEY", "sk-ant-canary"},
                      {"OPENAI_API_KEY", "sk-openai-canary"},
                      {"OPENROUTER_API_KEY", "sk-or-canary"},
                      {"DURAR_GATEWAY_TOKEN", "gw-canary"},
                      {"LOCAL_API_KEY", "local-canary"}});
}

inline durar::config_check check_file(const std::string& name,
                                      const environment& env = test_env()) {
  return durar::check_config_text(slurp(data_dir / name), (data_dir / name).string(), env);
}

inline std::string all_issues(const durar::config_check& c) {
  std::string out;
  for (const auto& i : c.issues) out += i.describe() + "\n";
  return out;
}

inline std::size_t count(const durar::config_check& c, config_issue::severity level) {
  std::size_t n = 0;
  for (const auto& i : c.issues) n += i.level == level;
  return n;
}

inline const config_issue* issue_at(const durar::config_check& c, const std::string& path) {
  for (const auto& i : c.issues)
    if (i.path == path) return &i;
  return nullptr;
}

}  // namespace config_fixtures

using namespace config_fixtures;  // NOLINT: test-only shorthand
