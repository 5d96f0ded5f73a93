// The .env files where the config alone does not tell: a broken config's fallback (health,
// gateway status, logs) still reads ./.env and <state dir>/.env as a load does, and
// `gateway install` carries what ./.env sets into the unit, but never its secrets.
#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "gateway_fixture.hpp"
#include "run_cli.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

using durar::test::run_durar;
using durar::test::temp_home;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `durar args...` run in `dir` (where it reads ./.env) with exactly `env` (plus PATH).
durar::test::program_result run_durar_in(const std::string& dir,
                                         const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"",
                                   "sh",      dir,  DURAR_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return durar::test::run_program(argv, env);
}

}  // namespace

TEST_CASE("with a broken config, gateway status, health and logs still read the .env files",
          "[cli][gateway][config]") {
  temp_home home;
  const std::string token = "gw-token-only-in-dotenv-1";
  // The gateway's token is in the state dir's .env and nowhere else: no gateway.token.
  home.write(".durar/.env", "DURAR_GATEWAY_TOKEN=" + token + "\n");
  durar::test::write_fake_config(home, "http://127.0.0.1:9");
  durar::test::gateway_process gw(home);
  REQUIRE_FALSE(std::filesystem::exists(home.path() + "/.durar/gateway.token"));
  const std::map<std::string, std::string> env = {{"HOME", home.path()}};
  REQUIRE(run_durar({"health"}, env).exit_code == 0);  // a config that loads reads .env

  home.write(".durar/durar.yaml", "gateway: [\n");
  const std::string warning = "has errors ('durar config validate' shows them)";
  const std::string running = "Gateway: running at ws://127.0.0.1:" + gw.port + " ";

  SECTION("the state dir's .env") {
    auto r = run_durar({"gateway", "status"}, env);
    INFO(r.out + r.err);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, running));
    CHECK_FALSE(has(r.out, "refused"));
    CHECK(has(r.err, warning));

    r = run_durar({"health"}, env);
    INFO(r.out + r.err);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "Gateway health: ok"));
  }

  SECTION("./.env naming the state dir, from another HOME") {
    temp_home elsewhere;
    elsewhere.write("project/.env", "DURAR_STATE_DIR=" + home.path() + "/.durar\n");
    const std::string project = elsewhere.path() + "/project";
    const std::map<std::string, std::string> other = {{"HOME", elsewhere.path()}};

    auto r = run_durar_in(project, {"gateway", "status"}, other);
    INFO(r.out + r.err);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, running));
    CHECK(has(r.err, "the config " + home.path() + "/.durar/durar.yaml " + warning));

    r = run_durar_in(project, {"logs", "--lines", "5"}, other);
    INFO(r.out + r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(r.out.empty());
  }

  SECTION("the process environment still wins over .env") {
    auto r = run_durar({"gateway", "status"},
                       {{"HOME", home.path()}, {"DURAR_GATEWAY_TOKEN", "not-the-token"}});
    INFO(r.out + r.err);
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "refused the token"));
  }
}

TEST_CASE("gateway install carries ./.env into the unit, except its secrets", "[cli][gateway]") {
  temp_home home;
  const std::string state = home.path() + "/svc-state";
  home.write("project/.env",
             "# what `durar gateway run` in this directory starts with\n"
             "DURAR_STATE_DIR=" +
                 state +
                 "\n"
                 "DURAR_GATEWAY_PORT=19555\n"
                 "OPENAI_BASE_URL=http://127.0.0.1:9/v1\n"
                 "export GREETING=\"hello %h world\"\n"
                 "OPENAI_API_KEY=sk-dotenv-canary-1\n"
                 "OPENAI_API_KEY_2=sk-dotenv-canary-2\n"
                 "DURAR_GATEWAY_TOKEN=tok-dotenv-canary-3\n"
                 "SMTP_PASSWORD=pw-dotenv-canary-4\n"
                 "WEBHOOK_SECRET=whsec-dotenv-canary-5\n");
  home.write("svc-state/.env", "OPENAI_API_KEY=sk-state-canary-6\n");
  const std::string project = home.path() + "/project";
  const std::string unit_path = ".config/systemd/user/durar-gateway.service";

  // DURAR_GATEWAY_PORT from the process wins over ./.env's, as in `gateway run`.
  auto r = run_durar_in(project, {"gateway", "install"},
                        {{"HOME", home.path()}, {"DURAR_GATEWAY_PORT", "19666"}});
  INFO(r.out + r.err);
  REQUIRE(r.exit_code == 0);
  const std::string unit = home.read(unit_path);
  INFO(unit);
  CHECK(has(unit, "Environment=DURAR_STATE_DIR=" + state + "\n"));
  CHECK(has(unit, "Environment=DURAR_GATEWAY_PORT=19666\n"));
  CHECK_FALSE(has(unit, "19555"));
  CHECK(has(unit, "Environment=OPENAI_BASE_URL=http://127.0.0.1:9/v1\n"));
  CHECK(has(unit, "Environment=\"GREETING=hello %%h world\"\n"));
  CHECK(unit.find("Environment=") < unit.find("ExecStart="));
  for (const std::string secret :
       {"OPENAI_API_KEY", "DURAR_GATEWAY_TOKEN", "SMTP_PASSWORD", "WEBHOOK_SECRET", "canary"}) {
    INFO(secret);
    CHECK_FALSE(has(unit, secret));
  }

  // stderr names what was left out, where the service reads it instead, and what is not
  // there yet (OPENAI_API_KEY is); values never.
  CHECK(has(r.err,
            "DURAR_GATEWAY_TOKEN, OPENAI_API_KEY, OPENAI_API_KEY_2, SMTP_PASSWORD, "
            "WEBHOOK_SECRET, left out of the unit"));
  CHECK(has(r.err, "The service reads " + state + "/.env instead"));
  CHECK(has(r.err,
            "add DURAR_GATEWAY_TOKEN, OPENAI_API_KEY_2, SMTP_PASSWORD, WEBHOOK_SECRET "
            "there"));
  CHECK_FALSE(has(r.err, "canary"));

  // Installed from a directory without .env: no such warning.
  temp_home plain;
  auto p = run_durar({"gateway", "install"}, {{"HOME", plain.path()}});
  CHECK(p.exit_code == 0);
  CHECK_FALSE(has(p.err, "left out"));
}
