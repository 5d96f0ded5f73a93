// durar-gateway: the bundled gateway as a program of its own, on the public API only.
// Serves the OpenAI-compatible HTTP API and the WebSocket control protocol on one port
// (127.0.0.1:18789 unless DURAR_GATEWAY_PORT or gateway.port say otherwise) until SIGINT or
// SIGTERM, then shuts down gracefully: runs in flight get DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS
// (10 s) to finish, a second signal aborts them at once. Config edits are applied as
// gateway.reload.mode says; one that needs a restart drains the gateway and runs the
// program again with the same arguments.
#include <durar/gateway.hpp>
#include <durar/log.hpp>
#include <durar/runtime.hpp>

#include <asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <functional>
#include <unistd.h>

namespace {

// Serves until a signal (false) or a config change that needs a restart (true).
bool serve(int& exit_code) {
  asio::io_context io;
  auto rt = durar::runtime::create(io, durar::load_options{});
  if (!rt) {
    std::fprintf(stderr, "durar-gateway: %s\n", rt.error().message.c_str());
    exit_code = 1;
    return false;
  }
  // Lines on stderr with their subsystem ([gateway], [ws], ...) at logging.consoleLevel,
  // credentials masked; the JSON-lines file log is left to `durar gateway run`. A host
  // without a durar::logger can set options.log to take plain lines instead.
  durar::logger_options log_options = durar::logger_options_from((*rt)->cfg());
  log_options.file.clear();
  auto log = durar::logger::create(log_options);
  if (!log) {  // without a file nothing can fail, but it is a result all the same
    std::fprintf(stderr, "durar-gateway: %s\n", log.error().message.c_str());
    exit_code = 1;
    return false;
  }
  (*log)->add_config_secrets((*rt)->cfg());
  durar::raise_open_file_limit();  // a stream takes three descriptors; 1,024 is too few
  durar::gateway_options options;
  options.log_to = log->get();
  auto gw = durar::gateway::create(io, **rt, options);
  if (!gw) {
    std::fprintf(stderr, "durar-gateway: %s\n", gw.error().message.c_str());
    exit_code = 1;
    return false;
  }
  if (const auto& made = (*gw)->generated_token()) (*log)->add_secret(made->reveal());
  if (auto started = (*gw)->start(); !started) {
    std::fprintf(stderr, "durar-gateway: %s\n", started.error().message.c_str());
    exit_code = 1;
    return false;
  }
  bool restart = false;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  auto finish = [&] {
    signals.cancel();
    io.stop();
  };
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
    if (ec) return;
    // The first signal drains; a second one (same call) aborts what still runs.
    restart = false;
    durar::gateway_shutdown how;
    how.reason = sig == SIGINT ? "interrupted" : "terminated";
    (*gw)->shutdown(how, finish);
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  (*rt)->on_reload([&](const durar::reload_report& r) {
    if (r.what == durar::reload_report::outcome::applied) {
      (*log)->set_console_level(durar::logger_options_from(*r.cfg).console_level);
      (*log)->add_config_secrets(*r.cfg);
    }
    if (r.what != durar::reload_report::outcome::restart || (*gw)->shutting_down()) return;
    (*log)->info("gateway", "restarting for a config change");
    restart = true;
    durar::gateway_shutdown how;
    how.reason = "restarting for a config change";
    how.restart_expected = std::chrono::milliseconds(2000);
    (*gw)->shutdown(how, finish);
  });
  io.run();
  return restart;
}

}  // namespace

int main(int, char** argv) {
  int exit_code = 0;
  if (!serve(exit_code)) return exit_code;
  // Everything serve() opened is closed by now: the new image starts clean, same pid.
  std::fflush(nullptr);
  ::execv("/proc/self/exe", argv);
  std::perror("durar-gateway: restart");
  return 1;
}
