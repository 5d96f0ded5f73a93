// Upstream faults against an agent with a session: a real fake vendor on 127.0.0.1 that
// refuses, resets, stalls, truncates, sends broken JSON or errors. Each turn ends in the
// documented failover (before any content) or a clean typed error (after it), never a hang;
// the transcript then loads without warnings as one chain, and the next turn works.
#include "agent_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace agent_test;
using durar::test::error_response;

namespace {

const fs::path hello_file =
    fs::path(DURAR_TEST_DATA) / "providers" / "router" / "hello.response.sse";

// A port nothing listens on: bound once by us, then released.
std::uint16_t refused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// partial_text.response.sse: "Let me think" in its second event, then the rest.
fake_response partial() { return reply("openai-completions", "partial_text"); }
std::size_t after_first_words(const fake_response& r) {
  return r.body.find("\n\n", r.body.find("Let me think")) + 2;
}

// The primary "fake/m1" (the harness's server) with "backup/m1" behind it.
struct fault_rig {
  harness h;
  fake_vendor_server backup;

  explicit fault_rig(bool refused = false) {
    h.cfg.env = environment(std::map<std::string, std::string, std::less<>>{
        {"FAKE_API_KEY", "sk-fault-primary"}, {"BACKUP_API_KEY", "sk-fault-backup"}});
    if (refused)
      h.cfg.models.providers["fake"].base_url =
          "http://127.0.0.1:" + std::to_string(refused_port()) + "/v1";
    provider_config p = h.cfg.models.providers["fake"];
    p.base_url = backup.base_url() + "/v1";
    h.cfg.models.providers["backup"] = p;
  }

  agent_options options(std::chrono::milliseconds idle = std::chrono::milliseconds(120'000)) {
    agent_options o = h.options();
    o.fallbacks = {"backup/m1"};
    o.request.idle_timeout = idle;
    // A backstop only: a hang ends as run_stop::timeout, which every test refuses.
    o.timeout = std::chrono::seconds(8);
    return o;
  }

  run_result turn(const std::string& text, agent_options o) {
    auto a = h.make(std::move(o));
    auto r = a->run(user_text(text));
    REQUIRE(r.has_value());
    CHECK(r->stop != run_stop::timeout);
    return std::move(*r);
  }

  // The transcript as a fresh reader loads it: no warnings, one unbroken chain, and the
  // messages alternating user / assistant with the given stop reasons.
  void check_transcript(const std::vector<std::string>& assistant_stops) {
    auto back = session_store::read_file(h.sess->path());
    REQUIRE(back.has_value());
    CHECK((*back)->report().warnings.empty());
    CHECK((*back)->report().torn_lines_skipped == 0);
    CHECK((*back)->report().bad_lines_skipped == 0);
    CHECK((*back)->branch().size() == (*back)->entries().size());
    auto msgs = h.transcript_messages();
    REQUIRE(msgs.size() == assistant_stops.size() * 2);
    for (std::size_t i = 0; i < assistant_stops.size(); ++i) {
      CHECK(msgs[2 * i]["role"].as_string() == "user");
      CHECK(msgs[2 * i + 1]["role"].as_string() == "assistant");
      CHECK(msgs[2 * i + 1]["stopReason"].as_string() == assistant_stops[i]);
    }
  }

  // After the fault the session goes on: a second turn answers and lands in the transcript.
  void next_turn_works(std::vector<std::string> stops_so_far) {
    h.server.enqueue(durar::test::recorded(hello_file));
    backup.enqueue(durar::test::recorded(hello_file));
    auto r = turn("and now?", options());
    CHECK(r.stop == run_stop::done);
    CHECK(text_of(r.final) == "Hello from the fake");
    stops_so_far.emplace_back("stop");
    check_transcript(stops_so_far);
  }
};

// Before any content the fault is invisible: the backup answers, the transcript holds one
// clean reply from it.
void expect_failover(fault_rig& rig, errc primary_failure) {
  std::vector<route_event> routes;
  rig.backup.enqueue(durar::test::recorded(hello_file));
  rig.h.open();
  rig.h.router->on_route([&](const route_event& e) { routes.push_back(e); });
  auto r = rig.turn("hi", rig.options(std::chrono::milliseconds(400)));
  CHECK(r.stop == run_stop::done);
  CHECK(r.final.provider == "backup");
  CHECK(text_of(r.final) == "Hello from the fake");
  bool failed_over = false;
  for (const auto& e : routes)
    if (e.what == route_event::kind::failed && e.ref.provider == "fake") {
      failed_over = true;
      CHECK(e.failure.code == primary_failure);
    }
  CHECK(failed_over);
  // One reply, not a failed one and then another.
  std::size_t replies = 0;
  for (const auto& e : rig.h.events)
    replies +=
        e["type"].as_string() == "message_end" && e["message"]["role"].as_string() == "assistant";
  CHECK(replies == 1);
  rig.check_transcript({"stop"});
  rig.next_turn_works({"stop"});
}

// After content the partial reply stays, marked error, with a typed failure; no failover.
void expect_partial_error(fault_rig& rig, fake_response fault, errc code,
                          std::chrono::milliseconds idle = std::chrono::milliseconds(120'000)) {
  rig.h.server.enqueue(std::move(fault));
  auto r = rig.turn("tell me a long story", rig.options(idle));
  CHECK(r.stop == run_stop::error);
  CHECK(r.failure.code == code);
  CHECK(r.final.stop == stop_reason::error);
  CHECK(text_of(r.final) == "Let me think");
  CHECK(rig.backup.requests().empty());
  auto msgs = rig.h.transcript_messages();
  REQUIRE(msgs.size() == 2);
  CHECK(text_of_json(msgs[1]) == "Let me think");
  CHECK_FALSE(msgs[1]["errorMessage"].as_string().empty());
  rig.check_transcript({"error"});
  rig.next_turn_works({"error"});
}

}  // namespace

TEST_CASE("upstream fault: connection refused fails over", "[faults][upstream]") {
  fault_rig rig(true);
  expect_failover(rig, errc::unavailable);
}

TEST_CASE("upstream fault: reset before headers fails over", "[faults][upstream]") {
  fault_rig rig;
  fake_response reset = partial();
  reset.reset_before_headers = true;
  rig.h.server.enqueue(reset);
  expect_failover(rig, errc::unavailable);
}

TEST_CASE("upstream fault: 5xx and overload statuses fail over", "[faults][upstream]") {
  const int status = GENERATE(500, 502, 503, 529);
  INFO("status " << status);
  fault_rig rig;
  rig.h.server.enqueue(error_response(status, R"({"error":{"message":"upstream trouble"}})"));
  expect_failover(rig, errc::unavailable);
}

TEST_CASE("upstream fault: 429 with and without Retry-After fails over", "[faults][upstream]") {
  const bool with_retry_after = GENERATE(true, false);
  INFO("Retry-After " << with_retry_after);
  fault_rig rig;
  rig.h.server.enqueue(error_response(429, R"({"error":{"message":"Rate limit reached"}})",
                                      with_retry_after ? std::optional<int>(120) : std::nullopt));
  expect_failover(rig, errc::resource_exhausted);
}

TEST_CASE("upstream fault: a stall before any content fails over at the idle timeout",
          "[faults][upstream]") {
  fault_rig rig;
  fake_response stalled = partial();
  stalled.stall_after = 0;  // headers, then nothing
  rig.h.server.enqueue(stalled);
  expect_failover(rig, errc::deadline_exceeded);
}

TEST_CASE("upstream fault: a 200 whose body is an error fails over", "[faults][upstream]") {
  const bool as_stream = GENERATE(false, true);
  INFO("as a stream " << as_stream);
  fault_rig rig;
  fake_response bad;
  const std::string err =
      R"({"error":{"message":"The server had an error","type":"server_error"}})";
  if (as_stream) {
    bad.headers = {{"Content-Type", "text/event-stream"}};
    bad.body = "data: " + err + "\n\n";
  } else {
    bad.headers = {{"Content-Type", "application/json"}};
    bad.body = err;
    bad.chunked = false;
  }
  rig.h.server.enqueue(bad);
  expect_failover(rig, errc::unavailable);
}

TEST_CASE("upstream fault: reset mid-stream keeps the partial reply as an error",
          "[faults][upstream]") {
  fault_rig rig;
  fake_response cut = partial();
  cut.reset_after = after_first_words(cut);
  expect_partial_error(rig, cut, errc::unavailable);
}

TEST_CASE("upstream fault: a stall after content ends at the idle timeout", "[faults][upstream]") {
  fault_rig rig;
  fake_response stalled = partial();
  stalled.stall_after = after_first_words(stalled);
  expect_partial_error(rig, stalled, errc::deadline_exceeded, std::chrono::milliseconds(300));
}

TEST_CASE("upstream fault: a truncated stream keeps the partial reply as an error",
          "[faults][upstream]") {
  const bool chunked = GENERATE(true, false);
  INFO("chunked " << chunked);
  fault_rig rig;
  fake_response cut = partial();
  cut.chunked = chunked;
  if (chunked) {
    // The connection ends inside the chunked body, in the middle of an event.
    cut.close_after = after_first_words(cut) + 40;
  } else {
    // A whole HTTP body that ends mid-event, without a finish reason or [DONE].
    cut.body = cut.body.substr(0, after_first_words(cut) + 40);
  }
  const errc expected = chunked ? errc::unavailable : errc::protocol_error;
  expect_partial_error(rig, cut, expected);
}

TEST_CASE("upstream fault: invalid JSON in an event keeps the partial reply as an error",
          "[faults][upstream]") {
  fault_rig rig;
  fake_response broken = partial();
  const std::size_t at = after_first_words(broken);
  broken.body = broken.body.substr(0, at) +
                "data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"con\n\n" + broken.body.substr(at);
  expect_partial_error(rig, broken, errc::protocol_error);
}
