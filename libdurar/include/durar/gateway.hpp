// The gateway: one always-on server on one port that speaks the OpenAI-compatible HTTP API
// (/v1/models, /v1/chat/completions, /v1/responses, /v1/embeddings, /tools/invoke, health)
// and the WebSocket control protocol of the original, running turns through the runtime's
// agents and sessions. `durar gateway run` and examples/gateway are a few lines over this.
//
//   asio::io_context io;
//   auto rt = durar::runtime::create(io, durar::load_options{});
//   auto gw = durar::gateway::create(io, **rt, {});
//   if (auto r = (*gw)->start(); !r) ...;   // binds 127.0.0.1:18789 by default
//   asio::signal_set signals(io, SIGINT, SIGTERM);
//   signals.async_wait([&](auto ec, int) {    // finish what runs, then stop the loop
//     if (!ec) (*gw)->shutdown({}, [&] { io.stop(); });
//   });
//   io.run();
//
// Threading: everything runs on the io_context's thread, as for the runtime.
#pragma once

#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>
#include <durar/runtime.hpp>
#include <durar/secret.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

class logger;  // <durar/log.hpp>

struct gateway_options {
  // Port precedence: this, then DURAR_GATEWAY_PORT, then gateway.port, then 18789 (19001
  // under --dev). 0 picks a free port (tests).
  std::optional<std::uint16_t> port;
  // Bind mode (loopback | lan | tailnet | auto | custom) or an address; default: gateway.bind.
  // Anything but loopback refuses to start without auth.
  std::optional<std::string> bind;
  // Where the gateway logs. Lines never carry a secret. With `log_to`, each line goes there
  // at its level under its subsystem: `gateway` (listening, shutting down, stopped),
  // `gateway/reload` (config changes; a refused config at warn), `gateway/auth` (refused
  // secrets, at warn), `gateway/ws` (clients connecting and leaving, refused handshakes and
  // failed requests at info or warn; every request, answer and event at debug or trace) and
  // `gateway/http` (every request at debug, 5xx answers at warn). The logger's levels decide
  // what is written. Not owned: it must outlive the gateway.
  logger* log_to = nullptr;
  // Else the same lines as plain text, one at a time, at info and above (debug too with
  // `verbose`), without level or subsystem; default: none.
  std::function<void(std::string_view line)> log;
  bool verbose = false;  // with `log`: every request and frame too
  // How long shutdown() lets in-flight runs finish before aborting them; default 10 s, or
  // DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS.
  std::optional<std::chrono::milliseconds> shutdown_timeout;
  // How long a client may take to send a request line and headers before it is dropped
  // (slowloris); default 15 s, or DURAR_GATEWAY_HEADER_TIMEOUT_MS.
  std::optional<std::chrono::milliseconds> header_timeout;
};

// How gateway::shutdown() ends the gateway.
struct gateway_shutdown {
  std::string reason = "gateway stopping";  // told to control clients in `shutdown`
  // Overrides gateway_options::shutdown_timeout for this shutdown.
  std::optional<std::chrono::milliseconds> timeout;
  // Set when the process restarts: control clients get it as restartExpectedMs (else null),
  // HTTP callers as Retry-After, and WebSockets close with 1012 instead of 1001.
  std::optional<std::chrono::milliseconds> restart_expected;
};

class DURAR_API gateway {
 public:
  static result<std::unique_ptr<gateway>> create(asio::io_context& io, runtime& rt,
                                                 gateway_options options = {});
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  // Binds and starts serving. Fails with the reason (port in use, naming it; non-loopback
  // bind without auth) and leaves nothing listening.
  result<void> start();
  // Graceful stop (SIGTERM): stops listening, refuses new requests and runs (HTTP 503 in
  // OpenAI's error shape, control `agent`/`chat.send` UNAVAILABLE), sends control clients
  // `shutdown {reason, restartExpectedMs}`, and lets the runs in flight finish. Runs still
  // going after the timeout are aborted and end as aborted runs (their transcripts keep the
  // partial answer). Then every connection is closed, responses written out first, and
  // `on_done` is called once on the loop: every run's session is closed by then, so the
  // host may stop the loop and exit. Returns at once. Calling it again while it is under
  // way (a second signal) aborts the remaining runs now; its `on_done` is called too.
  void shutdown(gateway_shutdown how = {}, std::function<void()> on_done = {});
  [[nodiscard]] bool shutting_down() const;
  // Immediate stop: tells WebSocket clients, closes every connection and stops listening;
  // runs are aborted and end when the loop next runs. Ends a shutdown() under way (its
  // `on_done` is called from here).
  void stop(const std::string& reason = "gateway stopping");

  // Auth is on by default: with no token or password configured (and gateway.auth.mode
  // not "none"), the gateway uses the token in <state dir>/gateway.token, made on first
  // start. Set when this gateway made it, so the host can show it once.
  [[nodiscard]] const std::optional<secret>& generated_token() const;

  [[nodiscard]] std::uint16_t port() const;    // the bound port, after start()
  [[nodiscard]] std::string host() const;      // the bound address
  [[nodiscard]] std::string http_url() const;  // "http://127.0.0.1:18789"
  [[nodiscard]] std::string ws_url() const;    // "ws://127.0.0.1:18789"

 private:
  gateway();
  struct DURAR_LOCAL impl;
  std::unique_ptr<impl> impl_;
};

// Where the gateway serving `state_dir` listens, from <state_dir>/gateway.json: start()
// writes it and stop() removes it. nullopt when there is none or its process is gone. The
// CLI uses it to find a gateway started with another port than the configured one.
struct gateway_runtime_info {
  int pid = 0;
  std::uint16_t port = 0;
  std::string url;  // its WebSocket URL, ws://host:port
};
DURAR_API std::optional<gateway_runtime_info> running_gateway_on(
    const std::filesystem::path& state_dir);

// Raises this process's soft limit on open files to its hard limit, as servers do: each
// held-open stream takes three descriptors (client, upstream, transcript), and the usual
// soft limit of 1,024 would refuse connections past ~300 streams. The gateway programs call
// it before starting; a host decides for itself. Returns the soft limit now in force.
DURAR_API std::uint64_t raise_open_file_limit();

// A client of the control protocol (what `durar gateway call`, `durar health` and the CLI's
// agent turns use): connects, answers the challenge with the token or password, then
// sends requests and waits for their answers. Blocking; one thread; owns its own loop.
struct gateway_client_options {
  std::string url = "ws://127.0.0.1:18789";
  std::optional<secret> token;
  std::optional<secret> password;
  std::chrono::milliseconds timeout{10'000};  // connect, handshake, and each silent wait
  std::string client_id = "durar-cli";
  std::string mode = "cli";
  std::vector<std::string> scopes{"operator.read", "operator.write", "operator.admin"};
};

class DURAR_API gateway_client {
 public:
  // Connects and completes the handshake. unavailable when nothing listens,
  // unauthenticated on a wrong secret, protocol_error on anything unexpected.
  static result<std::unique_ptr<gateway_client>> connect(gateway_client_options options);
  ~gateway_client();
  gateway_client(const gateway_client&) = delete;
  gateway_client& operator=(const gateway_client&) = delete;

  [[nodiscard]] const json& hello() const;  // the hello-ok payload

  using event_handler = std::function<void(const std::string& event, const json& payload)>;
  // Sends a request and waits for its answer (for methods that first acknowledge with
  // status "accepted", for the final one). Events arriving meanwhile go to `on_event`; the
  // acknowledgement reaches it too, as the event "accepted" (its payload has the runId).
  // An ok:false answer is an error with the server's message and code.
  result<json> call(std::string_view method, json params = json::object(),
                    const event_handler& on_event = {});
  // How long call() waits without hearing anything (ticks count) before giving up.
  void set_timeout(std::chrono::milliseconds t);
  // Thread-safe: a call() under way on another thread (or the next one) stops waiting and
  // fails with errc::cancelled; the connection is of no further use. For a caller that has
  // asked (over another connection) for its run to be aborted and will wait only so long
  // for the end: ticks keep a silent wait from ever timing out.
  void interrupt();
  void close();

 private:
  gateway_client();
  struct DURAR_LOCAL impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace durar
