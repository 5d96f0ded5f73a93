#include <durar/config.hpp>

#include <catch2/catch.hpp>

#include "config_fixtures.hpp"

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

TEST_CASE("a realistic YAML config loads into the typed structs", "[config]") {
  environment without_local({{"HOME", "/h"},
                             {"ANTHROPIC_API_KEY", "a"},
                             {"OPENAI_API_KEY", "o"},
                             {"OPENROUTER_API_KEY", "r"},
                             {"DURAR_GATEWAY_TOKEN", "t"}});
  auto c = check_file("full.yaml", without_local);
  INFO(all_issues(c));
  REQUIRE(c.ok());
  const durar::config& cfg = *c.value;
  CHECK(cfg.agents.model.primary == "anthropic/claude-sonnet-4-6");
  CHECK(cfg.agents.model.fallbacks ==
        std::vector<std::string>{"openai/gpt-5.4", "local/qwen3-32b"});
  CHECK(cfg.agents.models.at("openai/gpt-5.4").alias == "gpt");
  CHECK(cfg.agents.models.at("anthropic/claude-sonnet-4-6").params["temperature"] == json(0.7));
  CHECK(cfg.agents.thinking_default == "medium");
  CHECK(cfg.agents.context_tokens == 200000);
  REQUIRE(cfg.agents.list.size() == 3);
  CHECK(cfg.agents.list[0].is_default);
  CHECK(cfg.agents.list[0].name == "Main assistant");
  CHECK(cfg.agents.list[0].model->primary == "sonnet");
  CHECK(cfg.agents.list[1].model->fallbacks == std::vector<std::string>{"sonnet", "qwen"});
  CHECK(cfg.agents.list[1].tools["profile"] == json("coding"));
  CHECK(cfg.models.mode == "merge");
  const auto& local = cfg.models.providers.at("local");
  // LOCAL_API_KEY comes from the config's own env.vars block.
  REQUIRE(local.api_key);
  CHECK(local.api_key->reveal() == "local-dev-key");
  CHECK(local.auth_header == "Authorization");
  REQUIRE(local.models.size() == 2);
  CHECK(local.models[0].reasoning == true);
  CHECK(local.models[0].context_window == 131072);
  CHECK(local.models[0].max_tokens == 8192);
  CHECK(local.models[0].cost->input == 0);
  CHECK(local.models[0].compat["maxTokensField"] == json("max_tokens"));
  CHECK(local.models[1].input == std::vector<std::string>{"text", "image"});
  const auto& router = cfg.models.providers.at("openrouter");
  REQUIRE(router.api_key);
  CHECK(router.api_key->reveal() == "r");  // {source: env} reference
  CHECK(router.headers.at("X-Title") == "Durar");
  CHECK(router.models[0].cost->cache_write == 18.75);
  CHECK(cfg.models.providers.at("anthropic").timeout_seconds == 120);
  CHECK(cfg.models.providers.at("openai").api == "openai-responses");
  CHECK(cfg.gateway.port == 18789);
  CHECK(cfg.gateway.auth_token->reveal() == "t");
  CHECK(cfg.gateway.reload_mode == "hybrid");
  CHECK(cfg.logging.console_level == "warn");
  CHECK(cfg.env.get("OLLAMA_HOST") == "http://127.0.0.1:11434");
  // Unimplemented sections are warnings that point at their line.
  REQUIRE(cfg.warnings.size() == 4);
  CHECK(cfg.warnings[0].path == "agents.list[1].tools.profile");
  CHECK(cfg.warnings[2].path == "session.dmScope");
  CHECK(cfg.warnings[2].line == 142);
  CHECK_THAT(cfg.warnings[2].message, Catch::Contains("not implemented by Durar yet"));
  CHECK(cfg.agents.list[1].tool_access.deny == std::vector<std::string>{"browser"});
  CHECK(cfg.session.reset_mode == "daily");
  CHECK(cfg.tools.exec_security == "full");
}

TEST_CASE("JSON5 with every feature loads", "[config]") {
  auto c = check_file("features.json5");
  INFO(all_issues(c));
  REQUIRE(c.ok());
  CHECK(c.issues.empty());
  const json& doc = c.value->document;
  CHECK(doc["agents"]["defaults"]["workspace"] == json("~/work'space"));
  CHECK(c.value->agents.context_tokens == 200000);
  CHECK(c.value->agents.model.fallbacks == std::vector<std::string>{"anthropic/claude-sonnet-4-6"});
  const json& params = doc["agents"]["defaults"]["models"]["openai/gpt-5.4"]["params"];
  CHECK(params["temperature"] == json(0.5));
  CHECK(params["topP"] == json(1.0));
  CHECK(params["bias"] == json(1));
  CHECK(params["min"].as_double() == -INFINITY);
  CHECK(params["max"].as_double() == INFINITY);
  CHECK(std::isnan(params["odd"].as_double()));
  CHECK(params["big"] == json(1000));
  const auto& local = c.value->models.providers.at("local");
  CHECK(local.base_url == "http://127.0.0.1:8080/v1");
  CHECK(local.api_key->reveal() ==
        "line1\nline2\ttab\xC3\xA9"
        "A");
  CHECK(local.models.at(0).max_tokens == 16);
  CHECK(local.models.at(0).name == "M");
}

TEST_CASE("plain JSON loads", "[config]") {
  auto c = check_file("plain.json");
  INFO(all_issues(c));
  REQUIRE(c.ok());
  CHECK(c.value->gateway.port == 18790);
  CHECK(c.value->gateway.bind == "lan");
  CHECK(c.value->gateway.auth_password->reveal() == "hunter2-canary");
  CHECK(c.value->logging.level == "debug");
  CHECK_FALSE(c.value->logging.redact_sensitive);
}

TEST_CASE("a config written by the original loads with warnings only", "[config]") {
  auto c = check_file("openclaw-real.json");
  INFO(all_issues(c));
  REQUIRE(c.ok());
  CHECK(count(c, config_issue::severity::error) == 0);
  CHECK(c.value->warnings.size() == 6);
  for (const auto& w : c.value->warnings)
    CHECK_THAT(w.message, Catch::Contains("accepted for compatibility with openclaw"));
  CHECK(c.value->agents.model.primary == "openai/gpt-5.4");
  CHECK(c.value->gateway.auth_mode == "token");
  CHECK(c.value->models.providers.at("local").api_key->reveal() == "local-canary");
}

TEST_CASE("each validation error names its path and line", "[config]") {
  auto c = check_file("errors.yaml");
  INFO(all_issues(c));
  REQUIRE_FALSE(c.ok());
  const std::vector<std::pair<std::string, int>> expected = {
      {"agents.defaults.model.primary", 5},
      {"agents.defaults.model.fallbacks[1]", 6},
      {"agents.defaults.thinkingDefault", 7},
      {"agents.defaults.contextTokens", 8},
      {"agents.defaults.worksapce", 9},
      {"agents.defaults.models.gpt5-no-provider", 11},
      {"agents.list[0]", 14},
      {"gateway.port", 16},
      {"gateway.bind", 17},
      {"gateway.prot", 18},
      {"gateway.auth.token", 21},
      {"models.mode", 23},
      {"models.providers.p1.api", 26},
      {"models.providers.p1.apiKey", 27},
      {"models.providers.p1.timeoutSeconds", 28},
      {"models.providers.p1.models[0].input[1]", 31},
      {"models.providers.p1.models[0].cost.input", 32},
      {"logging.Level", 34},
      {"bogus", 35},
  };
  CHECK(count(c, config_issue::severity::error) == expected.size());
  for (const auto& [path, line] : expected) {
    INFO(path);
    const config_issue* i = issue_at(c, path);
    REQUIRE(i != nullptr);
    CHECK(i->line == line);
    CHECK(i->level == config_issue::severity::error);
    CHECK(i->file == (data_dir / "errors.yaml").string());
  }
  CHECK_THAT(issue_at(c, "gateway.bind")->message,
             Catch::Contains("loopback, lan, tailnet, auto, custom"));
  CHECK_THAT(issue_at(c, "gateway.port")->message, Catch::Contains("1 to 65535"));
  CHECK(issue_at(c, "gateway.prot")->column == 3);
  // The file fails to load as a whole, every error on its own line.
  durar::load_options opts;
  opts.env = test_env();
  opts.paths.config_path = data_dir / "errors.yaml";
  auto loaded = durar::load_config(opts);
  REQUIRE_FALSE(loaded);
  CHECK_THAT(loaded.error().message, Catch::Contains("errors.yaml:17:9: error: gateway.bind"));
}

TEST_CASE("unknown keys suggest the nearest known key", "[config]") {
  auto c = check_file("errors.yaml");
  CHECK_THAT(issue_at(c, "agents.defaults.worksapce")->message,
             Catch::Contains("did you mean 'workspace'?"));
  CHECK_THAT(issue_at(c, "gateway.prot")->message, Catch::Contains("did you mean 'port'?"));
  CHECK_THAT(issue_at(c, "logging.Level")->message, Catch::Contains("did you mean 'level'?"));
  CHECK_THAT(issue_at(c, "gateway.bind")->message, Catch::Contains("did you mean 'lan'?"));
  CHECK_THAT(issue_at(c, "bogus")->message, !Catch::Contains("did you mean"));
  // Keys of the original are candidates too, and its sections are still checked inside.
  auto d = durar::check_config_text("channels:\n  telegram:\n    enabeld: true\n", "x.yaml", {});
  REQUIRE(issue_at(d, "channels.telegram.enabeld") != nullptr);
  CHECK_THAT(issue_at(d, "channels.telegram.enabeld")->message,
             Catch::Contains("did you mean 'enabled'?"));
  CHECK(issue_at(d, "channels.telegram.enabeld")->line == 3);
}

TEST_CASE("keys the original accepts are warnings", "[config]") {
  auto c = check_file("warnings.yaml");
  INFO(all_issues(c));
  REQUIRE(c.ok());
  for (std::string path :
       {"agents.defaults.heartbeat", "channels", "gateway.tailscale",
        "models.providers.copilot.api", "models.providers.copilot.models[0].input[1]",
        "models.providers.copilot.models[0].compat.supportsTools"}) {
    INFO(path);
    REQUIRE(issue_at(c, path) != nullptr);
    CHECK(issue_at(c, path)->level == config_issue::severity::warning);
  }
}

TEST_CASE("the gateway's HTTP switches and tool lists are checked, not called ignored",
          "[config]") {
  const std::string good =
      "gateway:\n  http:\n    endpoints:\n      chatCompletions: { enabled: false }\n"
      "      responses: { enabled: true }\n  tools:\n    allow: [exec]\n    deny: [write]\n";
  auto c = durar::check_config_text(good, "durar.yaml", test_env());
  INFO(all_issues(c));
  CHECK(c.issues.empty());
  auto bad = durar::check_config_text(
      "gateway:\n  http:\n    endpoints:\n      responses: { enabled: nope }\n", "durar.yaml",
      test_env());
  INFO(all_issues(bad));
  REQUIRE(issue_at(bad, "gateway.http.endpoints.responses.enabled") != nullptr);
  CHECK(issue_at(bad, "gateway.http.endpoints.responses.enabled")->level ==
        config_issue::severity::error);
}

TEST_CASE("keys the original deprecated are warnings that say so", "[config]") {
  auto c =
      durar::check_config_text("session:\n  maintenance:\n    rotateBytes: 10mb\n", "d.yaml", {});
  INFO(all_issues(c));
  REQUIRE(c.ok());
  const auto* issue = issue_at(c, "session.maintenance.rotateBytes");
  REQUIRE(issue != nullptr);
  CHECK(issue->level == config_issue::severity::warning);
  CHECK_THAT(issue->message, Catch::Contains("deprecated"));
  CHECK(issue->line == 3);
}

TEST_CASE("secrets never appear in issue messages", "[config]") {
  const char* text =
      "models:\n  providers:\n    p:\n      apiKey: 987654321\n"
      "gateway:\n  tokn: sk-canary-value\n  auth:\n    password: [sk-canary-value]\n";
  auto c = durar::check_config_text(text, "s.yaml", {});
  REQUIRE(count(c, config_issue::severity::error) == 3);
  for (const auto& i : c.issues) {
    CHECK_THAT(i.describe(), !Catch::Contains("987654321"));
    CHECK_THAT(i.describe(), !Catch::Contains("canary"));
  }
  CHECK(issue_at(c, "models.providers.p.apiKey")->line == 4);
}

TEST_CASE("${VAR} is substituted, a missing one is an error naming it", "[config]") {
  environment env({{"MY_KEY", "sk-1"}, {"HOST", "10.0.0.2"}});
  const char* text =
      "models:\n  providers:\n    p:\n      apiKey: ${MY_KEY}\n"
      "      baseUrl: \"http://${HOST}:8080/v1\"\n"
      "      headers:\n        X-Literal: $${MY_KEY}\n        X-Lower: ${lower}\n";
  auto c = durar::check_config_text(text, "v.yaml", env);
  INFO(all_issues(c));
  REQUIRE(c.ok());
  const auto& p = c.value->models.providers.at("p");
  CHECK(p.api_key->reveal() == "sk-1");
  CHECK(p.base_url == "http://10.0.0.2:8080/v1");
  CHECK(p.headers.at("X-Literal") == "${MY_KEY}");
  CHECK(p.headers.at("X-Lower") == "${lower}");

  auto missing = durar::check_config_text("gateway:\n  auth:\n    token: \"tok-${NOPE_VAR}\"\n",
                                          "m.yaml", env);
  REQUIRE_FALSE(missing.ok());
  REQUIRE(missing.issues.size() == 1);
  CHECK(missing.issues[0].path == "gateway.auth.token");
  CHECK(missing.issues[0].line == 3);
  CHECK_THAT(missing.issues[0].message, Catch::Contains("NOPE_VAR"));
}

TEST_CASE("env precedence: process > ./.env > state .env > config env{}", "[config]") {
  temp_dir tmp;
  fs::path wd = tmp.path / "wd", state = tmp.path / "state";
  fs::create_directories(wd);
  fs::create_directories(state);
  spit(wd / ".env",
       "# comment\n\nA=wd\nexport B=wd\nC=\"two\\nlines\"\nD='single # kept'\n"
       "URL=http://x/#frag # comment\n");
  spit(state / ".env", "A=state\nB=state\nE=state\n");
  spit(state / "durar.yaml",
       "env:\n  vars:\n    B: cfg\n    F: cfg\n  G: cfg\n"
       "agents:\n  defaults:\n    workspace: /w/${F}/${E}\n");
  durar::load_options opts;
  opts.env = environment(
      {{"HOME", tmp.path.string()}, {"A", "proc"}, {"DURAR_STATE_DIR", state.string()}});
  opts.working_dir = wd;
  auto cfg = durar::load_config(opts);
  REQUIRE(cfg);
  CHECK(cfg->file_exists);
  CHECK(cfg->env.get("A") == "proc");
  CHECK(cfg->env.get("B") == "wd");
  CHECK(cfg->env.get("C") == "two\nlines");
  CHECK(cfg->env.get("D") == "single # kept");
  CHECK(cfg->env.get("URL") == "http://x/#frag");
  CHECK(cfg->env.get("E") == "state");
  CHECK(cfg->env.get("F") == "cfg");
  CHECK(cfg->env.get("G") == "cfg");
  CHECK(cfg->agents.workspace == "/w/cfg/state");
}

TEST_CASE("config paths: --config > env > state dir, profiles and --dev", "[config]") {
  temp_dir tmp;
  const std::string home = tmp.path.string();
  environment env({{"HOME", home}});
  auto paths = durar::resolve_paths({}, env);
  REQUIRE(paths);
  CHECK(paths->state_dir == tmp.path / ".durar");
  CHECK(paths->config_file == tmp.path / ".durar" / "durar.yaml");
  CHECK(paths->config_source == "default");
  CHECK(paths->default_gateway_port == 18789);

  durar::path_options work;
  work.profile = "work";
  CHECK(durar::resolve_paths(work, env)->state_dir == tmp.path / ".durar-work");
  durar::path_options dev;
  dev.dev = true;
  auto dev_paths = durar::resolve_paths(dev, env);
  CHECK(dev_paths->state_dir == tmp.path / ".durar-dev");
  CHECK(dev_paths->profile == "dev");
  CHECK(dev_paths->default_gateway_port == 19001);
  durar::path_options def;
  def.profile = "default";
  CHECK(durar::resolve_paths(def, env)->state_dir == tmp.path / ".durar");

  environment with_state = env;
  with_state.set("OPENCLAW_STATE_DIR", "~/oc-state");
  CHECK(durar::resolve_paths(work, with_state)->state_dir == tmp.path / "oc-state");
  with_state.set("DURAR_STATE_DIR", "~/d-state");
  CHECK(durar::resolve_paths(work, with_state)->state_dir == tmp.path / "d-state");

  environment with_config = env;
  with_config.set("OPENCLAW_CONFIG_PATH", "~/oc.json");
  CHECK(durar::resolve_paths({}, with_config)->config_source == "OPENCLAW_CONFIG_PATH");
  with_config.set("DURAR_CONFIG_PATH", "~/cfg/d.yaml");
  auto env_paths = durar::resolve_paths({}, with_config);
  CHECK(env_paths->config_file == tmp.path / "cfg" / "d.yaml");
  CHECK(env_paths->config_source == "DURAR_CONFIG_PATH");
  durar::path_options flag;
  flag.config_path = "/etc/durar.yaml";
  CHECK(durar::resolve_paths(flag, with_config)->config_file == "/etc/durar.yaml");
  CHECK(durar::resolve_paths(flag, with_config)->config_source == "--config");

  // Without durar.yaml, the original's file in the state dir is used; durar.json first.
  fs::create_directories(tmp.path / ".durar");
  spit(tmp.path / ".durar" / "openclaw.json", "{}");
  CHECK(durar::resolve_paths({}, env)->config_file.filename() == "openclaw.json");
  spit(tmp.path / ".durar" / "durar.json", "{}");
  CHECK(durar::resolve_paths({}, env)->config_file.filename() == "durar.json");
  spit(tmp.path / ".durar" / "durar.yaml", "");
  CHECK(durar::resolve_paths({}, env)->config_file.filename() == "durar.yaml");

  auto no_home = durar::resolve_paths({}, environment{});
  REQUIRE_FALSE(no_home);
  CHECK(no_home.error().code == durar::errc::invalid_argument);
  durar::path_options both;
  both.dev = true;
  both.profile = "work";
  CHECK_FALSE(durar::resolve_paths(both, env));
  durar::path_options bad;
  bad.profile = "../evil";
  CHECK_FALSE(durar::resolve_paths(bad, env));
}

TEST_CASE("a missing config file is an empty config", "[config]") {
  temp_dir tmp;
  durar::load_options opts;
  opts.env = environment({{"HOME", tmp.path.string()}});
  opts.working_dir = tmp.path;
  auto cfg = durar::load_config(opts);
  REQUIRE(cfg);
  CHECK_FALSE(cfg->file_exists);
  CHECK(cfg->document == json::object());
  CHECK(cfg->gateway.bind == "loopback");
}

TEST_CASE("malformed files give a clear error with a line, never a crash", "[config]") {
  auto y = check_file("malformed.yaml");
  REQUIRE(y.issues.size() == 1);
  CHECK(y.issues[0].line >= 3);
  CHECK_FALSE(y.ok());
  auto j = check_file("malformed.json5");
  REQUIRE(j.issues.size() == 1);
  CHECK(j.issues[0].line == 5);
  CHECK(j.issues[0].column == 18);
  CHECK_THAT(j.issues[0].describe(),
             Catch::StartsWith((data_dir / "malformed.json5").string() + ":5:18: error: "));
  for (const char* bad : {"{", "[1,]", "{a:1,,}", "{'a':\"\\u12\"}", "{a: 01}", "/* open", "{a:+}",
                          "{\"a\" 1}", "{a: 'x\n'}", "{a: 1} trailing"})
    CHECK_FALSE(durar::check_config_text(bad, "bad.json5", {}).ok());
  for (const char* bad : {"a: [", "a:\n\t- b", "- just\n- a list", "a: b: c", "\"unterminated",
                          "a: *nope", "? [complex]\n: key"})
    CHECK_FALSE(durar::check_config_text(bad, "bad.yaml", {}).ok());
  // Every prefix of real files either loads or reports an issue.
  for (std::string name : {"full.yaml", "features.json5"}) {
    std::string text = slurp(data_dir / name);
    for (std::size_t n = 0; n < text.size(); n += 5) {
      auto c = durar::check_config_text(text.substr(0, n), name, test_env());
      CHECK((c.ok() || !c.issues.empty()));
    }
  }
}

TEST_CASE("deeply nested input is an error, not a stack overflow", "[config]") {
  const std::string brackets(100000, '[');
  auto j = durar::check_config_text("{a:" + brackets, "deep.json5", {});
  REQUIRE_FALSE(j.ok());
  CHECK_THAT(j.issues.at(0).message, Catch::Contains("nesting"));
  CHECK_FALSE(durar::check_config_text("a: " + brackets, "deep.yaml", {}).ok());
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{a:";
  CHECK_FALSE(durar::check_config_text(objects, "deep.json", {}).ok());
  std::string block;
  for (int i = 0; i < 2000; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
  CHECK_FALSE(durar::check_config_text(block, "deep.yaml", {}).ok());
  // Aliases that expand to a million values ("billion laughs") are refused.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'f'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  auto laughs = durar::check_config_text(bomb, "bomb.yaml", {});
  REQUIRE_FALSE(laughs.ok());
  CHECK_THAT(laughs.issues.at(0).message, Catch::Contains("too many values"));
}

TEST_CASE("key paths parse", "[config]") {
  auto p = durar::parse_key_path("agents.defaults.models[\"openai/gpt-5.4\"].alias");
  REQUIRE(p);
  CHECK(*p == std::vector<std::string>{"agents", "defaults", "models", "openai/gpt-5.4", "alias"});
  CHECK(*durar::parse_key_path("agents.list[0].id") ==
        std::vector<std::string>{"agents", "list", "[0]", "id"});
  CHECK(*durar::parse_key_path("a.b/c") == std::vector<std::string>{"a", "b/c"});
  for (const char* bad : {"", "a..b", "a.", ".a", "a[x]", "a[\"b\"", "a[0]b"})
    CHECK_FALSE(durar::parse_key_path(bad));
}

TEST_CASE("config_get reads raw values", "[config]") {
  auto v = durar::config_get(data_dir / "full.yaml", "models.providers.local.apiKey");
  REQUIRE(v);
  CHECK(*v == json("${LOCAL_API_KEY}"));
  CHECK(*durar::config_get(data_dir / "full.yaml", "agents.list[1].model.fallbacks[1]") ==
        json("qwen"));
  CHECK(durar::config_get(data_dir / "full.yaml", "gateway.nope").error().code ==
        durar::errc::not_found);
}

TEST_CASE("redact_secrets hides keys, tokens and passwords", "[config]") {
  json doc = *durar::config_get(data_dir / "plain.json", "gateway");
  json shown = durar::redact_secrets(doc);
  CHECK(shown["auth"]["password"] == json("***"));
  CHECK(shown["port"] == json(18790));
  json p = durar::redact_secrets(json::object(
      {{"apiKey", "sk-live"}, {"token", "${TOKEN}"}, {"maxTokens", 5}, {"botToken", "b"}}));
  CHECK(p["apiKey"] == json("***"));
  CHECK(p["token"] == json("${TOKEN}"));
  CHECK(p["maxTokens"] == json(5));
  CHECK(p["botToken"] == json("***"));
}

TEST_CASE("issues describe themselves as file:line:column", "[config]") {
  config_issue i;
  i.file = "c.yaml";
  i.line = 3;
  i.column = 7;
  i.path = "gateway.port";
  i.message = "bad";
  CHECK(i.describe() == "c.yaml:3:7: error: gateway.port: bad");
  i.level = config_issue::severity::warning;
  i.line = 0;
  CHECK(i.describe() == "c.yaml: warning: gateway.port: bad");
}
