#include <durar/config.hpp>

#include <catch2/catch.hpp>

#include "config_fixtures.hpp"

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

// ---- editing -----------------------------------------------------------------------------

namespace {

const char* yaml_with_comments =
    "# Durar config\n"
    "gateway:\n"
    "  port: 18789   # the usual port\n"
    "  # auth comes next\n"
    "  auth:\n"
    "    mode: token\n"
    "agents:\n"
    "  defaults:\n"
    "    model:\n"
    "      primary: openai/gpt-5.4\n"
    "      fallbacks:\n"
    "        - anthropic/claude-sonnet-4-6\n"
    "# trailing comment\n";

const char* json5_with_comments =
    "// Durar config\n"
    "{\n"
    "  gateway: {\n"
    "    port: 18789, // the usual port\n"
    "    /* auth */ auth: { mode: 'token' },\n"
    "  },\n"
    "  agents: {\n"
    "    defaults: {\n"
    "      model: { primary: \"openai/gpt-5.4\", fallbacks: [\"anthropic/claude-sonnet-4-6\"] }\n"
    "    }\n"
    "  }\n"
    "}\n";

// The file's document after loading, which must succeed.
json loaded(const fs::path& file) {
  auto c = durar::check_config_text(slurp(file), file.string(), test_env());
  INFO(all_issues(c));
  REQUIRE(c.ok());
  return c.value->document;
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("config_set edits YAML in place and keeps comments", "[config]") {
  temp_dir tmp;
  fs::path file = tmp.path / "durar.yaml";
  std::string text = yaml_with_comments;
  spit(file, text);

  REQUIRE_OK(durar::config_set(file, "gateway.port", "19000"));
  text = replaced(text, "18789", "19000");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "gateway.bind", "lan"));
  text = replaced(text, "    mode: token\n", "    mode: token\n  bind: lan\n");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "agents.defaults.models[\"openai/gpt-5.4\"].alias", "gpt"));
  text = replaced(text, "claude-sonnet-4-6\n",
                  "claude-sonnet-4-6\n    models:\n      openai/gpt-5.4:\n        alias: gpt\n");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "agents.defaults.model.fallbacks[1]", "gpt"));
  text = replaced(text, "claude-sonnet-4-6\n", "claude-sonnet-4-6\n        - gpt\n");
  CHECK(slurp(file) == text);

  REQUIRE_OK(
      durar::config_set(file, "logging", "{\"level\": \"debug\", \"file\": \"/tmp/d.log\"}"));
  text = replaced(text, "# trailing comment",
                  "logging:\n  level: debug\n  file: /tmp/d.log\n# trailing comment");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_unset(file, "gateway.auth"));
  text = replaced(text, "  auth:\n    mode: token\n", "");
  CHECK(slurp(file) == text);

  json doc = loaded(file);
  CHECK(doc["gateway"]["port"] == json(19000));
  CHECK(doc["agents"]["defaults"]["models"]["openai/gpt-5.4"]["alias"] == json("gpt"));
  CHECK(doc["logging"]["level"] == json("debug"));
  CHECK(mode_of(file) != 0);
}

TEST_CASE("config_set edits JSON5 in place and keeps comments", "[config]") {
  temp_dir tmp;
  fs::path file = tmp.path / "openclaw.json5";
  std::string text = json5_with_comments;
  spit(file, text);

  REQUIRE_OK(durar::config_set(file, "gateway.port", "19000"));
  text = replaced(text, "18789", "19000");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "gateway.bind", "lan"));
  text = replaced(text, "'token' },\n", "'token' },\n    bind: \"lan\",\n");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "gateway.auth.password", "pw"));
  text = replaced(text, "{ mode: 'token' }", "{ mode: 'token', password: \"pw\" }");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "agents.defaults.model.fallbacks[1]", "x/y"));
  text = replaced(text, "claude-sonnet-4-6\"]", "claude-sonnet-4-6\", \"x/y\"]");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "agents.defaults.workspace", "/w"));
  text = replaced(text, "\"x/y\"] }\n", "\"x/y\"] },\n      workspace: \"/w\"\n");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_unset(file, "gateway.port"));
  text = replaced(text, "    port: 19000, // the usual port\n", "");
  CHECK(slurp(file) == text);

  REQUIRE_OK(durar::config_set(file, "models.providers.p.baseUrl", "http://h"));
  json doc = loaded(file);
  CHECK(doc["models"]["providers"]["p"]["baseUrl"] == json("http://h"));
  CHECK(doc["gateway"]["bind"] == json("lan"));
  CHECK_THAT(slurp(file), Catch::Contains("// Durar config") && Catch::Contains("/* auth */"));
}

TEST_CASE("config_set refuses invalid values and leaves the file untouched", "[config]") {
  temp_dir tmp;
  fs::path file = tmp.path / "durar.yaml";
  spit(file, yaml_with_comments);
  auto port = durar::config_set(file, "gateway.port", "-1");
  REQUIRE_FALSE(port);
  CHECK(port.error().code == durar::errc::invalid_argument);
  CHECK_THAT(port.error().message, Catch::Contains("gateway.port"));
  auto bind = durar::config_set(file, "gateway.bind", "lann");
  REQUIRE_FALSE(bind);
  CHECK_THAT(bind.error().message, Catch::Contains("did you mean 'lan'?"));
  auto typo = durar::config_set(file, "gateway.prot", "1");
  REQUIRE_FALSE(typo);
  CHECK_THAT(typo.error().message, Catch::Contains("did you mean 'port'?"));
  CHECK_FALSE(durar::config_set(file, "gateway.port.x", "1"));
  CHECK_FALSE(durar::config_set(file, "agents.defaults.model.fallbacks[5]", "a/b"));
  CHECK_FALSE(durar::config_set(file, "gateway..port", "1"));
  CHECK(durar::config_unset(file, "gateway.nope").error().code == durar::errc::not_found);
  CHECK(slurp(file) == yaml_with_comments);
  CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 1);
}

TEST_CASE("config_set creates new files with mode 0600 and keeps existing modes", "[config]") {
  temp_dir tmp;
  fs::path fresh = tmp.path / "new" / "state" / "durar.yaml";
  REQUIRE_OK(durar::config_set(fresh, "gateway.port", "19001"));
  CHECK(slurp(fresh) == "gateway:\n  port: 19001\n");
  CHECK(mode_of(fresh) == 0600);
  fs::path fresh_json = tmp.path / "openclaw.json";
  std::vector<config_issue> notes;
  REQUIRE_OK(
      durar::config_set(fresh_json, "agents.defaults.model.primary", "openai/gpt-5.4", notes));
  CHECK(notes.empty());
  CHECK(loaded(fresh_json)["agents"]["defaults"]["model"]["primary"] == json("openai/gpt-5.4"));
  CHECK(mode_of(fresh_json) == 0600);
  fs::path shared = tmp.path / "shared.yaml";
  spit(shared, "gateway:\n  port: 1\n");
  ::chmod(shared.c_str(), 0640);
  REQUIRE_OK(durar::config_set(shared, "gateway.port", "2"));
  CHECK(mode_of(shared) == 0640);
  CHECK(slurp(shared) == "gateway:\n  port: 2\n");
}

TEST_CASE("YAML flow style is edited in place, what cannot be is rewritten with a note",
          "[config]") {
  temp_dir tmp;
  fs::path flow = tmp.path / "flow.yaml";
  spit(flow, "gateway: {port: 1, bind: lan}  # flow\n");
  REQUIRE_OK(durar::config_set(flow, "gateway.port", "2"));
  REQUIRE_OK(durar::config_set(flow, "gateway.customBindHost", "h"));
  REQUIRE_OK(durar::config_unset(flow, "gateway.bind"));
  CHECK(slurp(flow) == "gateway: {port: 2, customBindHost: h}  # flow\n");

  fs::path odd = tmp.path / "odd.yaml";
  spit(odd, "# comment\ngateway:\n  customBindHost: a\n    b\n");
  std::vector<config_issue> notes;
  REQUIRE_OK(durar::config_set(odd, "gateway.customBindHost", "c", notes));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].level == config_issue::severity::warning);
  CHECK_THAT(notes[0].message, Catch::Contains("rewritten"));
  CHECK(loaded(odd)["gateway"]["customBindHost"] == json("c"));

  notes.clear();
  REQUIRE_OK(durar::config_set(odd, "gateway.tailscale.mode", "off", notes));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].path == "gateway.tailscale");
  CHECK_THAT(notes[0].message, Catch::Contains("not implemented by Durar yet"));
}

TEST_CASE("config_unset removes the objects it empties and keeps the rest of the file",
          "[config]") {
  temp_dir tmp;
  fs::path yaml = tmp.path / "durar.yaml";
  spit(yaml,
       "# Durar config\n"
       "gateway:\n"
       "  port: 19100  # the port\n"
       "agents:\n"
       "  defaults:\n"
       "    model:\n"
       "      primary: openai/gpt-5.4\n"
       "    workspace: /w  # kept\n"
       "# trailing comment\n");
  REQUIRE_OK(durar::config_unset(yaml, "gateway.port"));
  CHECK(slurp(yaml) ==
        "# Durar config\n"
        "agents:\n"
        "  defaults:\n"
        "    model:\n"
        "      primary: openai/gpt-5.4\n"
        "    workspace: /w  # kept\n"
        "# trailing comment\n");
  // Two levels emptied: model goes, defaults keeps workspace.
  REQUIRE_OK(durar::config_unset(yaml, "agents.defaults.model.primary"));
  CHECK(slurp(yaml) ==
        "# Durar config\n"
        "agents:\n"
        "  defaults:\n"
        "    workspace: /w  # kept\n"
        "# trailing comment\n");

  fs::path json5 = tmp.path / "openclaw.json5";
  spit(json5,
       "// Durar config\n"
       "{\n"
       "  gateway: { auth: { mode: 'token' } }, // gateway\n"
       "  agents: { defaults: { workspace: '/w' } },\n"
       "}\n");
  REQUIRE_OK(durar::config_unset(json5, "gateway.auth.mode"));
  CHECK(slurp(json5) ==
        "// Durar config\n"
        "{\n"
        "  agents: { defaults: { workspace: '/w' } },\n"
        "}\n");
  CHECK(loaded(json5).find("gateway") == nullptr);

  // An array item emptied stays (removing it would renumber the others), and so does an
  // emptied array.
  fs::path list = tmp.path / "list.yaml";
  spit(list,
       "agents:\n"
       "  list:\n"
       "    - id: main\n"
       "      workspace: /w\n"
       "  defaults:\n"
       "    model:\n"
       "      fallbacks:\n"
       "        - openai/gpt-5.4\n");
  REQUIRE_OK(durar::config_unset(list, "agents.list[0].workspace"));
  REQUIRE_OK(durar::config_unset(list, "agents.defaults.model.fallbacks[0]"));
  json doc = loaded(list);
  CHECK(doc["agents"]["list"][0]["id"] == json("main"));
  CHECK(doc["agents"]["defaults"]["model"]["fallbacks"] == json::array());
}

TEST_CASE("an openclaw.json imports to YAML that loads back the same", "[config]") {
  temp_dir tmp;
  fs::path features = tmp.path / "features.json5";
  spit(features, replaced(slurp(data_dir / "features.json5"), "NaN", "7"));
  for (const fs::path& source :
       {data_dir / "openclaw-real.json", features, data_dir / "full.yaml"}) {
    INFO(source);
    auto yaml = durar::config_to_yaml(source);
    REQUIRE(yaml);
    fs::path target = tmp.path / "durar.yaml";
    REQUIRE_OK(durar::config_write(target, *yaml));
    CHECK(mode_of(target) == 0600);
    CHECK(loaded(target) == loaded(source));
    fs::remove(target);
  }
  auto bad = durar::config_to_yaml(data_dir / "errors.yaml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("errors.yaml:17:9"));
  CHECK_FALSE(durar::config_write(tmp.path / "x.yaml", "gateway:\n  port: nope\n"));
  CHECK_FALSE(fs::exists(tmp.path / "x.yaml"));
}

TEST_CASE("a JSON5 file holding NaN and Infinity is still edited in place", "[config]") {
  temp_dir dir;
  const fs::path file = dir.path / "c.json5";
  const std::string before = slurp(data_dir / "features.json5");
  REQUIRE(before.find("NaN") != std::string::npos);
  spit(file, before);
  std::vector<config_issue> notes;
  REQUIRE_OK(durar::config_set(file, "gateway.port", "19999", notes));
  const std::string after = slurp(file);
  CHECK(after.find("-Infinity") != std::string::npos);
  CHECK(after.find("/* A block comment") != std::string::npos);
  for (const auto& n : notes) CHECK(n.message.find("rewritten") == std::string::npos);
  CHECK(durar::json::parse("1").value() == durar::json::parse("1.0").value());
}
