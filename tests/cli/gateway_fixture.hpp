// A real `durar gateway run` for CLI tests that talk to it: a config whose one provider is a
// fake vendor, and the gateway process on a free port with its own API key (so the vendor's
// requests tell a gateway turn from an in-process one).
#pragma once

#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "run_cli.hpp"

#include <csignal>
#include <string>

namespace durar::test {

inline const std::string gateway_key = "sk-gateway-side-1";

// durar.yaml with provider `fake` at `url` (model m1, priced) as the default model.
inline void write_fake_config(const temp_home& home, const std::string& url) {
  home.write(".durar/durar.yaml",
             "models:\n  providers:\n    fake:\n      baseUrl: " + url +
                 "/v1\n      models: [{ id: m1, cost: { input: 2, output: 10 } }]\n"
                 "agents:\n  defaults:\n    model: { primary: fake/m1 }\n"
                 "    workspace: " +
                 home.path() + "/ws\n");
}

// `durar gateway run` on a free port, with its own key; stopped (and resumed first, in case a
// test froze it) when the test ends.
struct gateway_process {
  child_process proc;
  std::string port;

  explicit gateway_process(const temp_home& home)
      : proc({DURAR_CLI_PATH, "gateway", "run", "--port", "0", "--json"},
             {{"HOME", home.path()},
              {"FAKE_API_KEY", gateway_key},
              // A run a test left stalled is aborted soon after SIGTERM.
              {"DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS", "1000"}}) {
    REQUIRE(proc.wait_stdout("}\n"));  // {"url","port"} once it listens
    auto j = durar::json::parse(proc.out().substr(0, proc.out().find('\n')));
    REQUIRE(j.has_value());
    port = std::to_string((*j)["port"].as_int());
  }
  ~gateway_process() {
    proc.signal(SIGCONT);
    proc.signal(SIGTERM);
    (void)proc.wait_exit();
  }
  gateway_process(const gateway_process&) = delete;
  gateway_process& operator=(const gateway_process&) = delete;
};

}  // namespace durar::test
