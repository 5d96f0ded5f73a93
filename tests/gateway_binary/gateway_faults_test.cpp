// Faults around the real durar-gateway: clients that leave mid-stream, pipeline garbage,
// hold thousands of WebSockets without `connect` or send oversized frames; and the process
// itself killed with SIGKILL mid-turn or out of disk (RLIMIT_FSIZE). The upstream is the fake
// vendor server in this process, so the test decides exactly what the vendor does.
#include <durar/session.hpp>

#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "gateway_harness.hpp"
#include "ws_client.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace durar;
using namespace durar::test;
namespace fs = std::filesystem;

namespace {

// Bytes of a recording up to (not including) its n-th SSE event.
std::size_t offset_of_event(const std::string& body, int n) {
  std::size_t pos = 0;
  for (int i = 0; i < n; ++i) pos = body.find("data: ", pos) + 1;
  return pos - 1;
}

// text.response.sse, stopping for good after "Marhaba" went out.
fake_response stalled_reply() {
  fake_response r = recorded(recording("text.response.sse"));
  r.stall_after = offset_of_event(r.body, 3);
  return r;
}

// A vendor that stalls its first answer and answers every later one whole.
void stall_first_then_answer(fake_vendor_server& vendor) {
  auto calls = std::make_shared<int>(0);
  vendor.respond_with([calls](const recorded_request&) {
    return std::optional((*calls)++ == 0 ? stalled_reply()
                                         : recorded(recording("text.response.sse")));
  });
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path sessions_dir(const fs::path& home) {
  return home / ".durar" / "agents" / "main" / "sessions";
}

// The transcript file of a session key (from the index and its journal), or empty.
fs::path transcript_path(const fs::path& home, const std::string& key) {
  session_store store(home / ".durar", "main");
  auto info = store.find(key);
  if (!info || !*info) return {};
  return sessions_dir(home) / ((*info)->session_id + ".jsonl");
}

// The raw bytes of a streamed chat completion request for a session.
std::string stream_request(std::uint16_t port, const std::string& session,
                           const std::string& message, bool stream = true) {
  const std::string body = chat_body(message, stream);
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nAuthorization: Bearer " + gateway_token +
         "\r\nContent-Type: application/json\r\nx-durar-session-key: " + session +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// durar-gateway started again on an existing HOME (the harness makes a fresh one each time),
// optionally under a shell prefix that sets limits before exec.
struct gateway_again {
  std::unique_ptr<child_process> proc;
  std::uint16_t port = 0;

  gateway_again(const fs::path& home, const std::string& shell_prefix = {}) {
    std::map<std::string, std::string> env{
        {"HOME", home.string()}, {"FAKE_API_KEY", vendor_key}, {"DURAR_GATEWAY_PORT", "0"}};
    std::vector<std::string> argv{DURAR_GATEWAY_PATH};
    if (!shell_prefix.empty())
      argv = {"/bin/sh", "-c", shell_prefix + " exec \"$0\"", DURAR_GATEWAY_PATH};
    proc = std::make_unique<child_process>(argv, env);
    const std::string marker = "gateway listening on http://127.0.0.1:";
    REQUIRE(proc->wait_stderr(" (auth:"));
    const std::string& err = proc->err();
    port = static_cast<std::uint16_t>(std::stoi(err.substr(err.find(marker) + marker.size())));
  }

  // A whole (non-streamed) completion on a session over one raw connection.
  http_reply complete(const std::string& session, const std::string& message) const {
    tcp_client c(port);
    REQUIRE(c.send(stream_request(port, session, message, false)));
    for (int i = 0; i < 100 && !parse_reply(c.received) && !c.closed(); ++i) c.read_some(100ms);
    auto reply = parse_reply(c.received);
    REQUIRE(reply);
    return *reply;
  }
};

std::size_t open_fds(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("gateway binary: a client leaving mid-stream aborts its run, the partial reply stays",
          "[gateway][binary][faults]") {
  fake_vendor_server vendor;
  stall_first_then_answer(vendor);
  gateway_process gw(vendor.base_url());

  {
    tcp_client leaver(gw.port());
    REQUIRE(leaver.send(stream_request(gw.port(), "leave", "tell me about pearls")));
    REQUIRE(leaver.read_until("Marhaba"));
  }  // gone, mid-stream

  // A second call into the same session waits for the first run to end: when it answers,
  // the aborted run has written its reply.
  curl_reply next =
      gw.curl("/v1/chat/completions",
              {"-H", "x-durar-session-key: leave", "-H", "content-type: application/json",
               "--data-binary", chat_body("and then?", false)});
  REQUIRE(next.status == 200);
  CHECK(next.json_body()["choices"][0]["message"]["content"] == json(recorded_text));

  auto replies = assistant_messages(gw.transcript("agent:main:leave"));
  REQUIRE(replies.size() == 2);
  CHECK(replies[0]["stopReason"] == json("aborted"));
  CHECK(message_text(replies[0]).rfind("Marhaba", 0) == 0);
  CHECK(replies[1]["stopReason"] == json("stop"));
  CHECK(vendor.requests().size() == 2);
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: garbage pipelined after a good request gets 400 and a close",
          "[gateway][binary][faults]") {
  fake_vendor_server vendor;
  gateway_process gw(vendor.base_url());
  tcp_client c(gw.port());
  REQUIRE(
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
             "\x16\x03\x01 NOT HTTP AT ALL \r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(c.wait_closed());
  auto first = parse_reply(c.received);
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->body.find("\"ok\":true") != std::string::npos);
  // Exactly one more response (the 400); the request after the garbage is never served.
  const std::string rest = c.received.substr(c.received.find("HTTP/1.1", 1));
  auto second = parse_reply(rest);
  REQUIRE(second);
  CHECK(second->status == 400);
  CHECK(rest.find("HTTP/1.1", 1) == std::string::npos);
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: 2000 WebSockets that never send connect cost nothing after",
          "[gateway][binary][faults]") {
  fake_vendor_server vendor;
  gateway_process gw(vendor.base_url());
  REQUIRE(gw.healthy());
  const std::size_t fds_before = open_fds(gw.proc().pid());
  {
    std::vector<std::unique_ptr<ws_client>> idle;
    for (int i = 0; i < 2000; ++i) idle.push_back(std::make_unique<ws_client>(gw.port()));
    // All of them held open, and the gateway still serves HTTP and a real client.
    CHECK(gw.healthy());
    ws_client ok(gw.port());
    REQUIRE(ok.handshake(gateway_token));
    ok.send_json(json::object({{"type", "req"}, {"id", "h1"}, {"method", "health"}}));
    auto res = ok.response("h1");
    REQUIRE(res);
    CHECK((*res)["ok"] == json(true));
  }  // all closed by us
  // The gateway lets every one of them go (bounded: the sockets close as it reads EOF).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (open_fds(gw.proc().pid()) > fds_before + 8 && std::chrono::steady_clock::now() < deadline)
    CHECK(gw.healthy());  // a round trip per check: the gateway's loop moves on meanwhile
  CHECK(open_fds(gw.proc().pid()) <= fds_before + 8);
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: oversized WebSocket frames close the socket",
          "[gateway][binary][faults]") {
  fake_vendor_server vendor;
  gateway_process gw(vendor.base_url());

  SECTION("over 64 KiB before connect") {
    ws_client ws(gw.port());
    ws.send_frame(1,
                  "{\"type\":\"req\",\"id\":\"c\",\"method\":\"connect\",\"params\":{\"pad\":\"" +
                      std::string(70 * 1024, 'x') + "\"}}");
    CHECK(ws.wait_close().has_value());
  }
  SECTION("over maxPayload after connect") {
    ws_client ws(gw.port());
    REQUIRE(ws.handshake(gateway_token));
    ws.send_frame(1, std::string(25 * 1024 * 1024 + 1, 'x'));
    CHECK(ws.wait_close() == std::optional<std::uint16_t>(1009));
  }
  CHECK(gw.healthy());
  ws_client ok(gw.port());
  CHECK(ok.handshake(gateway_token));
}

TEST_CASE("gateway binary: SIGKILL mid-turn, then a restart continues the session intact",
          "[gateway][binary][faults]") {
  fake_vendor_server vendor;
  auto calls = std::make_shared<int>(0);
  vendor.respond_with([calls](const recorded_request&) {
    // The first turn answers, the second stalls (and is killed), the third answers.
    return std::optional((*calls)++ == 1 ? stalled_reply()
                                         : recorded(recording("text.response.sse")));
  });
  gateway_process gw(vendor.base_url());
  const std::string key = "agent:main:crash";

  curl_reply first = gw.curl("/v1/chat/completions", {"-H", "x-durar-session-key: crash", "-H",
                                                      "content-type: application/json",
                                                      "--data-binary", chat_body("hello", false)});
  REQUIRE(first.status == 200);
  // No wait for the batched index write: the key's session is journalled before its first
  // turn runs, so a kill at any moment after finds the same transcript (session_crash_test
  // kills before that write can have run).
  tcp_client streaming(gw.port());
  REQUIRE(streaming.send(stream_request(gw.port(), "crash", "tell me about pearls")));
  REQUIRE(streaming.read_until("Marhaba"));
  gw.proc().signal(SIGKILL);
  REQUIRE(gw.proc().wait_exit() == std::optional<int>(128 + SIGKILL));
  CHECK(streaming.wait_closed());

  // Everything written before the kill: the first turn and the second's user message.
  const fs::path path = transcript_path(gw.home(), key);
  REQUIRE_FALSE(path.empty());
  const std::string before = slurp(path);
  REQUIRE_FALSE(before.empty());
  REQUIRE(before.back() == '\n');
  {
    auto loaded = session_store::read_file(path);
    REQUIRE(loaded);
    CHECK((*loaded)->report().warnings.empty());
    REQUIRE((*loaded)->entries().size() == 3);
  }
  // What a kill inside write(2) leaves: the start of the next line. (A real kill lands there
  // only by chance; the bytes are the same.)
  std::ofstream(path, std::ios::binary | std::ios::app)
      << R"({"type":"message","id":"0badf00d","parentId":"x","message":{"role":"assist)";

  gateway_again again(gw.home());
  http_reply next = again.complete("crash", "are you back?");
  REQUIRE(next.status == 200);
  auto body = json::parse(next.body);
  REQUIRE(body);
  CHECK((*body)["choices"][0]["message"]["content"] == json(recorded_text));

  // The entries before the kill are byte for byte what they were, the torn line is gone,
  // and the new turn hangs off the last whole entry.
  const std::string after = slurp(path);
  REQUIRE(after.size() > before.size());
  CHECK(after.compare(0, before.size(), before) == 0);
  CHECK(after.find("0badf00d") == std::string::npos);
  auto loaded = session_store::read_file(path);
  REQUIRE(loaded);
  CHECK((*loaded)->report().warnings.empty());
  CHECK((*loaded)->entries().size() == 5);
  CHECK((*loaded)->branch().size() == 5);
}

TEST_CASE("gateway binary: a full disk fails the turn clearly and loses nothing earlier",
          "[gateway][binary][faults]") {
  fake_vendor_server vendor;
  vendor.respond_with([](const recorded_request&) {
    return std::optional(recorded(recording("text.response.sse")));
  });
  gateway_process gw(vendor.base_url());
  const std::string key = "agent:main:full";
  curl_reply first = gw.curl("/v1/chat/completions", {"-H", "x-durar-session-key: full", "-H",
                                                      "content-type: application/json",
                                                      "--data-binary", chat_body("hello", false)});
  REQUIRE(first.status == 200);
  gw.proc().signal(SIGTERM);
  REQUIRE(gw.proc().wait_exit() == std::optional<int>(0));

  const fs::path path = transcript_path(gw.home(), key);
  REQUIRE_FALSE(path.empty());
  const std::string before = slurp(path);
  // Files may grow to 16 KiB: room for everything but a 32 KiB message. SIGXFSZ ignored, so
  // the write fails with EFBIG instead of killing the gateway.
  REQUIRE(before.size() < 8 * 1024);
  gateway_again again(gw.home(), "trap '' XFSZ; ulimit -f 32;");
  http_reply refused = again.complete("full", "big " + std::string(32 * 1024, 'x'));
  INFO(refused.body);
  // A server error (507), not a rate limit a client would back off from and retry.
  CHECK(refused.status == 507);
  auto err = json::parse(refused.body);
  REQUIRE(err);
  CHECK((*err)["error"]["type"] == json("server_error"));
  CHECK((*err)["error"]["message"].as_string().find("File too large") != std::string::npos);

  // Nothing earlier is lost, the gateway is still up, and a turn that fits goes through.
  CHECK(slurp(path) == before);
  http_reply small = again.complete("full", "a small one");
  CHECK(small.status == 200);
  auto loaded = session_store::read_file(path);
  REQUIRE(loaded);
  CHECK((*loaded)->report().warnings.empty());
  CHECK((*loaded)->entries().size() == 4);  // the refused turn left nothing behind
  CHECK((*loaded)->branch().size() == 4);
  CHECK(slurp(path).compare(0, before.size(), before) == 0);
}
