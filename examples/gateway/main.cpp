// durar-gateway: the bundled gateway as a program of its own, on the public API only.
// Serves the OpenAI-compatible HTTP API and the WebSocket control protocol on one port
// (127.0.0.1:18789 unless DURAR_GATEWAY_PORT or gateway.port say otherwise) until SIGINT or
// SIGTERM, then shuts down gracefully: runs in flight get DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS
// (10 s) to finish, a second signal aborts them at once.
#include <durar/gateway.hpp>
#include <durar/runtime.hpp>

#include <asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <functional>
#include <string_view>

int main() {
  asio::io_context io;
  auto rt = durar::runtime::create(io, durar::load_options{});
  if (!rt) {
    std::fprintf(stderr, "durar-gateway: %s\n", rt.error().message.c_str());
    return 1;
  }
  durar::gateway_options options;
  options.log = [](std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  auto gw = durar::gateway::create(io, **rt, options);
  if (!gw) {
    std::fprintf(stderr, "durar-gateway: %s\n", gw.error().message.c_str());
    return 1;
  }
  if (auto started = (*gw)->start(); !started) {
    std::fprintf(stderr, "durar-gateway: %s\n", started.error().message.c_str());
    return 1;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
    if (ec) return;
    // The first signal drains; a second one (same call) aborts what still runs.
    durar::gateway_shutdown how;
    how.reason = sig == SIGINT ? "interrupted" : "terminated";
    (*gw)->shutdown(how, [&] {
      signals.cancel();
      io.stop();
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  io.run();
  return 0;
}
