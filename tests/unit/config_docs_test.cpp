// docs/configuration.md's key reference against the schema: a key added to the code without
// documentation, or documented without existing, fails here by name.
#include <catch2/catch.hpp>

#include "config/schema_rules.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::filesystem::path docs_dir =
    std::filesystem::path(DURAR_TEST_DATA).parent_path().parent_path() / "docs";

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// "<id>", "<ref>", "<VAR>" in the docs stand for the schema's "*".
std::string to_pattern(const std::string& key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '<') {
      auto close = key.find('>', i);
      if (close != std::string::npos) {
        out += '*';
        i = close;
        continue;
      }
    }
    out += key[i];
  }
  return out;
}

struct doc_table {
  std::vector<std::string> keys;  // as patterns, in document order
  std::vector<std::string> bad_rows;
};

// The first cell of every table row in the `## title` section (up to the next `## `); each
// must be one code span holding one key.
doc_table keys_in_section(const std::string& text, const std::string& title) {
  doc_table out;
  std::istringstream lines(text);
  std::string line;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) {
      inside = trim(line.substr(3)) == title;
      continue;
    }
    if (!inside || line.rfind("|", 0) != 0) continue;
    auto end = line.find('|', 1);
    std::string cell = trim(line.substr(1, end == std::string::npos ? std::string::npos : end - 1));
    if (cell == "key" || cell.find_first_not_of("-: ") == std::string::npos) continue;
    if (cell.size() < 3 || cell.front() != '`' || cell.back() != '`' ||
        cell.find('`', 1) != cell.size() - 1) {
      out.bad_rows.push_back(line);
      continue;
    }
    out.keys.push_back(to_pattern(cell.substr(1, cell.size() - 2)));
  }
  return out;
}

// The schema's keys: each rule's pattern, a list's "[]" item rule folded into the list.
std::set<std::string> schema_keys() {
  std::set<std::string> out;
  for (const auto& r : durar::detail::schema_rules()) {
    std::string p(r.pattern);
    while (p.size() >= 2 && p.ends_with("[]")) p.resize(p.size() - 2);
    if (!p.empty()) out.insert(p);
  }
  return out;
}

// Keys with nothing below them in the schema: the ones a user sets, which must be documented.
std::set<std::string> leaf_keys(const std::set<std::string>& keys) {
  std::set<std::string> out;
  for (const auto& k : keys) {
    bool parent = std::any_of(keys.begin(), keys.end(), [&](const std::string& other) {
      return other.rfind(k + ".", 0) == 0 || other.rfind(k + "[]", 0) == 0;
    });
    if (!parent) out.insert(k);
  }
  return out;
}

}  // namespace

TEST_CASE("docs/configuration.md documents every config key the schema knows", "[config][docs]") {
  const std::string text = read_text(docs_dir / "configuration.md");
  REQUIRE_FALSE(text.empty());
  doc_table table = keys_in_section(text, "Reference");
  for (const auto& row : table.bad_rows)
    FAIL_CHECK("a reference row whose first cell is not one `key`: " << row);
  REQUIRE(table.keys.size() > 50);

  const std::set<std::string> known = schema_keys();
  std::set<std::string> documented;
  for (const auto& k : table.keys) {
    if (!documented.insert(k).second) FAIL_CHECK("documented twice: " << k);
    if (known.count(k) == 0)
      FAIL_CHECK("documented in docs/configuration.md but not in the schema: " << k);
  }
  for (const auto& k : leaf_keys(known))
    if (documented.count(k) == 0)
      FAIL_CHECK("in the schema (schema_rules.cpp) but not in docs/configuration.md: " << k);
}

TEST_CASE("the docs reference check catches a missing and an unknown key", "[config][docs]") {
  const std::string text =
      "## Reference\n| key | type |\n|---|---|\n| `gateway.port` | port |\n"
      "| `models.providers.<id>.baseUrl` | URL |\n| `gateway.nope` | x |\n| gateway.bind | x |\n"
      "## Next\n| `logging.level` | x |\n";
  doc_table table = keys_in_section(text, "Reference");
  CHECK(table.keys ==
        std::vector<std::string>{"gateway.port", "models.providers.*.baseUrl", "gateway.nope"});
  CHECK(table.bad_rows.size() == 1);
  const std::set<std::string> known = schema_keys();
  CHECK(known.count("gateway.nope") == 0);
  CHECK(known.count("models.providers.*.models[].id") == 1);
  CHECK(known.count("agents.defaults.model.fallbacks") == 1);
  auto leaves = leaf_keys(known);
  CHECK(leaves.count("gateway.auth") == 0);
  CHECK(leaves.count("agents.list") == 0);
  CHECK(leaves.count("gateway.auth.token") == 1);
}
