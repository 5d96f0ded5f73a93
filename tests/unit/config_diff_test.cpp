// Config reload decisions: which keys a running program takes live, which take a restart,
// and what runtime::apply() does with each reload mode.
#include "config/config_diff.hpp"

#include <durar/runtime.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"
#include "config/schema_rules.hpp"

#include <set>
#include <string>
#include <vector>

using namespace durar;

namespace {

environment test_env() {
  return environment(std::map<std::string, std::string, std::less<>>{{"HOME", "/h"}});
}

config parse(const std::string& yaml, const environment& env = test_env()) {
  auto c = check_config_text(yaml, "durar.yaml", env);
  std::string issues;
  for (const auto& i : c.issues) issues += i.describe() + "\n";
  INFO(issues);
  REQUIRE(c.ok());
  return std::move(*c.value);
}

std::vector<std::string> paths_of(const std::vector<config_change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.path);
  return out;
}

const char* base_yaml = R"(
agents:
  defaults:
    model:
      primary: fake/m1
gateway:
  port: 18789
  auth:
    token: first-token
models:
  providers:
    fake:
      baseUrl: http://127.0.0.1:9/v1
      apiKey: sk-secret-one
      models:
        - id: m1
)";

}  // namespace

TEST_CASE("reload effects: live keys, restart keys and keys that change nothing",
          "[config][reload]") {
  CHECK(reload_effect_of("agents.defaults.model.primary") == reload_effect::hot);
  CHECK(reload_effect_of("agents.list") == reload_effect::hot);
  CHECK(reload_effect_of("models.providers.fake.baseUrl") == reload_effect::hot);
  CHECK(reload_effect_of("tools.exec.security") == reload_effect::hot);
  CHECK(reload_effect_of("session.reset.mode") == reload_effect::hot);
  CHECK(reload_effect_of("logging.level") == reload_effect::hot);
  CHECK(reload_effect_of("logging.consoleLevel") == reload_effect::hot);
  CHECK(reload_effect_of("gateway.auth.token") == reload_effect::hot);
  CHECK(reload_effect_of("gateway.auth.password") == reload_effect::hot);
  CHECK(reload_effect_of("gateway.http.endpoints.chatCompletions.enabled") == reload_effect::hot);
  CHECK(reload_effect_of("$env.OPENAI_API_KEY") == reload_effect::hot);

  CHECK(reload_effect_of("gateway.port") == reload_effect::restart);
  CHECK(reload_effect_of("gateway.bind") == reload_effect::restart);
  CHECK(reload_effect_of("gateway.customBindHost") == reload_effect::restart);
  CHECK(reload_effect_of("gateway.tls.certPath") == reload_effect::restart);
  CHECK(reload_effect_of("logging.file") == reload_effect::restart);
  CHECK(reload_effect_of("logging.consoleStyle") == reload_effect::restart);
  CHECK(reload_effect_of("$env.DURAR_GATEWAY_PORT") == reload_effect::restart);
  CHECK(reload_effect_of("$paths.state_dir") == reload_effect::restart);

  CHECK(reload_effect_of("gateway.reload.mode") == reload_effect::none);
  CHECK(reload_effect_of("gateway.remote.url") == reload_effect::none);
  CHECK(reload_effect_of("meta.lastTouchedAt") == reload_effect::none);
  CHECK(reload_effect_of("channels.telegram.botToken") == reload_effect::none);  // not read
}

TEST_CASE("every section the schema knows has a reload rule of its own", "[config][reload]") {
  // A new section that falls through would be treated as "changes nothing" on reload.
  std::set<std::string> sections;
  for (const auto& r : detail::schema_rules()) {
    std::string p(r.pattern);
    if (p.empty()) continue;
    sections.insert(p.substr(0, p.find('.')));
  }
  for (const auto& s : sections) {
    INFO(s);
    CHECK(detail::reload_rule_for({s}) != nullptr);
  }
}

TEST_CASE("the diff names changed keys with their effects and never their values",
          "[config][reload]") {
  config before = parse(base_yaml);
  std::string edited = base_yaml;
  edited.replace(edited.find("fake/m1"), 7, "fake/m2");
  edited.replace(edited.find("18789"), 5, "18790");
  edited.replace(edited.find("sk-secret-one"), 13, "sk-secret-two");
  edited += "channels:\n  telegram:\n    enabled: true\n";
  config after = parse(edited);

  auto changes = diff_config(before, after);
  CHECK(paths_of(changes) ==
        std::vector<std::string>{"agents.defaults.model.primary", "gateway.port",
                                 "models.providers.fake.apiKey", "channels.telegram.enabled"});
  REQUIRE(changes.size() == 4);
  CHECK(changes[0].effect == reload_effect::hot);
  CHECK(changes[1].effect == reload_effect::restart);
  CHECK(changes[2].effect == reload_effect::hot);
  CHECK(changes[3].effect == reload_effect::none);

  reload_report report;
  report.changes = changes;
  const std::string text = report.describe_changes();
  CHECK(text ==
        "agents.defaults.model.primary, gateway.port (restart), models.providers.fake.apiKey, "
        "channels.telegram.enabled (none)");
  CHECK(text.find("sk-secret") == std::string::npos);

  CHECK(diff_config(before, parse(base_yaml)).empty());
}

TEST_CASE("the diff walks into added sections and quotes keys with dots", "[config][reload]") {
  config before = parse(base_yaml);
  config after =
      parse(std::string(base_yaml) + "session:\n  reset:\n    mode: idle\n    idleMinutes: 30\n");
  CHECK(paths_of(diff_config(before, after)) ==
        std::vector<std::string>{"session.reset.mode", "session.reset.idleMinutes"});

  std::string aliased = std::string(base_yaml);
  aliased.replace(aliased.find("agents:\n  defaults:\n"), 20,
                  "agents:\n  defaults:\n    models:\n      \"fake/m1\":\n        alias: one\n");
  auto changes = diff_config(before, parse(aliased));
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].path == "agents.defaults.models[\"fake/m1\"].alias");
  CHECK(reload_effect_of(changes[0].path) == reload_effect::hot);
}

TEST_CASE("the diff sees variables that came from .env files, by name", "[config][reload]") {
  environment one = test_env();
  one.set("OPENAI_API_KEY", "sk-one");
  environment two = test_env();
  two.set("OPENAI_API_KEY", "sk-two");
  two.set("DURAR_GATEWAY_PORT", "19000");
  auto changes = diff_config(parse(base_yaml, one), parse(base_yaml, two));
  CHECK(paths_of(changes) ==
        std::vector<std::string>{"$env.OPENAI_API_KEY", "$env.DURAR_GATEWAY_PORT"});
  REQUIRE(changes.size() == 2);
  CHECK(changes[1].effect == reload_effect::restart);
}

TEST_CASE("reload modes parse, with hybrid the default", "[config][reload]") {
  CHECK(parse_reload_mode("") == reload_mode::hybrid);
  CHECK(parse_reload_mode("hybrid") == reload_mode::hybrid);
  CHECK(parse_reload_mode("hot") == reload_mode::hot);
  CHECK(parse_reload_mode("restart") == reload_mode::restart);
  CHECK(parse_reload_mode("off") == reload_mode::off);
  CHECK_FALSE(parse_reload_mode("sometimes").has_value());
  CHECK(to_string(reload_mode::hybrid) == "hybrid");
}

TEST_CASE("apply swaps the snapshot for live changes and leaves holders their old one",
          "[config][reload]") {
  asio::io_context io;
  runtime rt(io, parse(base_yaml));
  auto held = rt.snapshot();
  std::vector<reload_report::outcome> heard;
  rt.on_reload([&](const reload_report& r) { heard.push_back(r.what); });

  std::string edited = base_yaml;
  edited.replace(edited.find("fake/m1"), 7, "fake/m2");
  auto r = rt.apply(parse(edited));
  REQUIRE(r);
  CHECK(r->what == reload_report::outcome::applied);
  CHECK(r->mode == reload_mode::hybrid);
  CHECK(rt.cfg().agents.model.primary == "fake/m2");
  CHECK(rt.snapshot()->agents.model.primary == "fake/m2");
  CHECK(held->agents.model.primary == "fake/m1");  // a turn that started keeps its own
  CHECK(heard == std::vector<reload_report::outcome>{reload_report::outcome::applied});

  auto again = rt.apply(parse(edited));
  REQUIRE(again);
  CHECK(again->what == reload_report::outcome::unchanged);
  CHECK(heard.size() == 1);  // nothing to hear
}

TEST_CASE("each reload mode decides what a restart-only change does", "[config][reload]") {
  asio::io_context io;
  std::string port_changed = base_yaml;
  port_changed.replace(port_changed.find("18789"), 5, "18790");
  std::string mode_only = base_yaml;
  mode_only.replace(mode_only.find("  auth:"), 7, "  reload:\n    mode: hot\n  auth:");

  SECTION("hybrid asks for a restart and keeps the running config") {
    runtime rt(io, parse(base_yaml));
    bool restart_heard = false;
    rt.on_reload(
        [&](const reload_report& r) { restart_heard = r.what == reload_report::outcome::restart; });
    auto r = rt.apply(parse(port_changed));
    REQUIRE(r);
    CHECK(r->what == reload_report::outcome::restart);
    CHECK(restart_heard);
    CHECK(rt.cfg().gateway.port == 18789);
  }
  SECTION("hot applies the rest and names what waits for a restart") {
    runtime rt(io, parse(base_yaml));
    auto r = rt.apply(parse(port_changed), reload_mode::hot);
    REQUIRE(r);
    CHECK(r->what == reload_report::outcome::applied);
    CHECK(r->pending_restart == std::vector<std::string>{"gateway.port"});
    CHECK(rt.cfg().gateway.port == 18790);
  }
  SECTION("restart restarts for any change with an effect, not for one without") {
    runtime rt(io, parse(base_yaml));
    std::string model_changed = base_yaml;
    model_changed.replace(model_changed.find("fake/m1"), 7, "fake/m2");
    auto r = rt.apply(parse(model_changed), reload_mode::restart);
    REQUIRE(r);
    CHECK(r->what == reload_report::outcome::restart);
    CHECK(rt.cfg().agents.model.primary == "fake/m1");
    auto quiet = rt.apply(parse(mode_only), reload_mode::restart);
    REQUIRE(quiet);
    CHECK(quiet->what == reload_report::outcome::applied);
    CHECK(rt.cfg().gateway.reload_mode == "hot");
  }
  SECTION("off applies nothing") {
    runtime rt(io, parse(base_yaml));
    auto r = rt.apply(parse(port_changed), reload_mode::off);
    REQUIRE(r);
    CHECK(r->what == reload_report::outcome::ignored);
    CHECK(rt.cfg().gateway.port == 18789);
  }
}

TEST_CASE("a reload check can refuse a config and the old one stays", "[config][reload]") {
  asio::io_context io;
  runtime rt(io, parse(base_yaml));
  int heard = 0;
  auto id = rt.on_reload([&](const reload_report&) { ++heard; },
                         [](const config& next) -> result<void> {
                           if (next.agents.model.primary == "fake/bad")
                             return fail(errc::invalid_argument, "no bad models");
                           return {};
                         });
  std::string bad = base_yaml;
  bad.replace(bad.find("fake/m1"), 7, "fake/bad");
  auto r = rt.apply(parse(bad));
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "no bad models");
  CHECK(rt.cfg().agents.model.primary == "fake/m1");
  CHECK(heard == 0);

  rt.remove_reload_listener(id);
  REQUIRE(rt.apply(parse(bad)));
  CHECK(rt.cfg().agents.model.primary == "fake/bad");
  CHECK(heard == 0);
}

TEST_CASE("a session policy change gives new stores the new policy", "[config][reload]") {
  durar::test::temp_dir state;
  asio::io_context io;
  config cfg = parse(base_yaml);
  cfg.paths.state_dir = state.path;
  runtime rt(io, cfg);
  auto before = rt.sessions("");
  REQUIRE(before);
  CHECK(rt.sessions("")->get() == before->get());  // kept while nothing changes

  config next = parse(std::string(base_yaml) + "session:\n  reset:\n    mode: idle\n");
  next.paths.state_dir = state.path;
  auto r = rt.apply(std::move(next));
  REQUIRE(r);
  REQUIRE(r->what == reload_report::outcome::applied);
  auto after = rt.sessions("");
  REQUIRE(after);
  CHECK(after->get() != before->get());
}
