// SIGTERM against the real durar-gateway while a streamed completion is in flight: the
// stream finishes (or, past the shutdown timeout, ends aborted), the transcript is on disk,
// and the process exits 0. The upstream is the fake vendor server in this process, so the
// test decides exactly when the vendor answers.
#include <durar/gateway.hpp>

#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "gateway_harness.hpp"
#include "ws_client.hpp"

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>

using namespace durar;
using namespace durar::test;

namespace {

// Holds the vendor's answer until the test opens the gate (on the fake server's thread).
class gate {
 public:
  ~gate() { open(); }
  void arrived() {
    std::lock_guard lock(m_);
    arrived_ = true;
    cv_.notify_all();
  }
  bool wait_arrived(std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, limit, [&] { return arrived_; });
  }
  void open() {
    std::lock_guard lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  void wait_open() {
    std::unique_lock lock(m_);
    cv_.wait_for(lock, 30s, [&] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool arrived_ = false, open_ = false;
};

// curl streaming a completion in the background, for a session key the test names.
std::unique_ptr<child_process> stream_in_background(const gateway_process& gw,
                                                    const std::string& session) {
  return std::make_unique<child_process>(
      std::vector<std::string>{
          DURAR_CURL_PATH, "-sS", "-N", "-H", std::string("authorization: Bearer ") + gateway_token,
          "-H", "x-durar-session-key: " + session, "-H", "content-type: application/json",
          "--data-binary", chat_body("tell me about pearls", true), gw.url("/v1/chat/completions")},
      std::map<std::string, std::string>{});
}

// Bytes of a recording up to (not including) its n-th SSE event.
std::size_t offset_of_event(const std::string& body, int n) {
  std::size_t pos = 0;
  for (int i = 0; i < n; ++i) pos = body.find("data: ", pos) + 1;
  return pos - 1;
}

json last_assistant(const gateway_process& gw, const std::string& session) {
  auto messages = assistant_messages(gw.transcript("agent:main:" + session));
  return messages.empty() ? json() : messages.back();
}

}  // namespace

TEST_CASE("gateway binary: SIGTERM lets a streamed completion finish, then exits 0",
          "[gateway][binary][shutdown]") {
  fake_vendor_server vendor;
  gate upstream;  // declared after the server: opened (released) before it is destroyed
  vendor.respond_with([&](const recorded_request&) {
    upstream.arrived();
    upstream.wait_open();
    return std::optional(recorded(recording("text.response.sse")));
  });
  gateway_process gw(vendor.base_url(), {{"DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS", "20000"}});

  ws_client control(gw.port());
  REQUIRE(control.handshake(gateway_token));
  tcp_client keep_alive(gw.port());  // an HTTP client already connected when the signal comes
  keep_alive.send("GET /health HTTP/1.1\r\nHost: gw\r\n\r\n");
  REQUIRE(keep_alive.read_until("\"ok\":true"));
  keep_alive.received.clear();

  auto curl = stream_in_background(gw, "drain");
  REQUIRE(upstream.wait_arrived());  // the run is in flight, waiting on the vendor

  const auto signalled = std::chrono::steady_clock::now();
  gw.proc().signal(SIGTERM);
  REQUIRE(gw.proc().wait_stderr("gateway shutting down"));

  // Control clients hear why, and can start nothing new.
  auto event = control.wait_json([](const json& j) { return j.string_or("event") == "shutdown"; });
  REQUIRE(event);
  CHECK((*event)["payload"]["reason"] == json("terminated"));
  CHECK((*event)["payload"].find("restartExpectedMs") != nullptr);
  CHECK((*event)["payload"]["restartExpectedMs"].is_null());
  control.send_json(json::object(
      {{"type", "req"},
       {"id", "a1"},
       {"method", "agent"},
       {"params", json::object({{"message", "too late"}, {"idempotencyKey", "late-1"}})}}));
  auto refused = control.response("a1");
  REQUIRE(refused);
  CHECK((*refused)["ok"] == json(false));
  CHECK((*refused)["error"]["code"] == json("UNAVAILABLE"));

  // HTTP: no new connections; a new request on an open one is a 503 that closes it.
  CHECK_FALSE(tcp_client::can_connect(gw.port()));
  const std::string body = chat_body("too late", false);
  keep_alive.send("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " +
                  std::string(gateway_token) + "\r\nContent-Type: application/json\r\n" +
                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  CHECK(keep_alive.wait_closed());
  auto late = parse_reply(keep_alive.received);
  REQUIRE(late);
  CHECK(late->status == 503);
  auto late_body = json::parse(late->body);
  REQUIRE(late_body);
  CHECK((*late_body)["error"]["code"] == json("shutting_down"));
  CHECK((*late_body)["error"]["type"] == json("server_error"));
  keep_alive.close();

  // The vendor answers now: the stream completes as if nothing happened.
  upstream.open();
  REQUIRE(curl->wait_exit(10s) == std::optional<int>(0));
  CHECK(curl->out().find("Marhaba") != std::string::npos);
  CHECK(curl->out().find("\"finish_reason\":\"stop\"") != std::string::npos);
  CHECK(curl->out().find("data: [DONE]") != std::string::npos);

  // Then the WebSocket closes with 1001 and the process exits 0, well within the timeout.
  CHECK(control.wait_close() == std::optional<std::uint16_t>(1001));
  REQUIRE(gw.proc().wait_exit(15s) == std::optional<int>(0));
  CHECK(std::chrono::steady_clock::now() - signalled < 20s);
  CHECK(gw.proc().err().find("gateway stopped") != std::string::npos);

  json reply = last_assistant(gw, "drain");
  REQUIRE(reply.is_object());
  CHECK(message_text(reply) == recorded_text);
  CHECK(reply["stopReason"] == json("stop"));
}

TEST_CASE("gateway binary: runs still going at the shutdown timeout end aborted",
          "[gateway][binary][shutdown]") {
  fake_vendor_server vendor;
  // The vendor sends its first two events ("Marhaba") and then nothing, ever.
  fake_response stalled = recorded(recording("text.response.sse"));
  stalled.stall_after = offset_of_event(stalled.body, 3);
  vendor.respond_with([stalled](const recorded_request&) { return std::optional(stalled); });

  bool second_signal = GENERATE(false, true);
  // With a second signal the timeout is long: only the signal can end the wait in time.
  gateway_process gw(vendor.base_url(),
                     {{"DURAR_GATEWAY_SHUTDOWN_TIMEOUT_MS", second_signal ? "60000" : "500"}});
  auto curl = stream_in_background(gw, "stuck");
  REQUIRE(curl->wait_stdout("Marhaba"));  // streaming, and stuck there

  const auto signalled = std::chrono::steady_clock::now();
  gw.proc().signal(SIGTERM);
  REQUIRE(gw.proc().wait_stderr("gateway shutting down"));
  if (second_signal) gw.proc().signal(SIGTERM);
  REQUIRE(gw.proc().wait_stderr("aborting 1 run(s)"));
  REQUIRE(gw.proc().wait_exit(15s) == std::optional<int>(0));
  const auto took = std::chrono::steady_clock::now() - signalled;
  CHECK(took < 15s);
  if (!second_signal) CHECK(took >= 450ms);  // it did wait for the timeout first

  // The client's stream ended (not cut mid-chunk), and the transcript keeps the partial
  // answer, marked aborted.
  REQUIRE(curl->wait_exit(10s) == std::optional<int>(0));
  CHECK(curl->out().find("data: [DONE]") != std::string::npos);
  // The stream says the run was cut short, not that the answer is complete.
  CHECK(curl->out().find(R"("code":"cancelled")") != std::string::npos);
  CHECK(curl->out().find(R"("finish_reason":"stop")") == std::string::npos);
  json reply = last_assistant(gw, "stuck");
  REQUIRE(reply.is_object());
  CHECK(reply["stopReason"] == json("aborted"));
  CHECK(message_text(reply).find("Marhaba") != std::string::npos);
}

TEST_CASE("gateway binary: the CLI finds a gateway started on another port", "[gateway]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());  // DURAR_GATEWAY_PORT=0: a port nobody configured
  const auto runtime_file = gw.home() / ".durar" / "gateway.json";
  auto info = running_gateway_on(gw.home() / ".durar");
  REQUIRE(info);
  CHECK(info->port == gw.port());
  CHECK(info->pid == gw.proc().pid());

  child_process status({DURAR_CLI_PATH, "gateway", "status", "--json"},
                       {{"HOME", gw.home().string()}});
  REQUIRE(status.wait_exit(15s) == std::optional<int>(0));
  CHECK(status.out().find("\"running\": true") != std::string::npos);

  gw.proc().signal(SIGTERM);
  REQUIRE(gw.proc().wait_exit(15s) == std::optional<int>(0));
  CHECK_FALSE(std::filesystem::exists(runtime_file));
  CHECK_FALSE(running_gateway_on(gw.home() / ".durar"));
}
