// A call can end before its HTTP transfer does: an SSE stream's final event may come well
// before the end of the response body. Tearing everything down right after such a turn
// must free the caller's state (agent, session, listeners) at once, and destroying the
// router or runtime with the transfer still open must free the rest: no cycle through the
// transfer's callbacks, nothing touched after it is gone (run under ASan/LSan).
#include <durar/agent.hpp>
#include <durar/router.hpp>
#include <durar/runtime.hpp>
#include <durar/session.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <memory>
#include <string>

using namespace durar;
using durar::test::fake_response;
using durar::test::fake_vendor_server;

namespace {

namespace fs = std::filesystem;

const fs::path replies = fs::path(DURAR_TEST_DATA) / "agent" / "openai-completions";

// A whole answer ([DONE] included) whose chunked body is never terminated: the call is over
// while curl still waits for the end of the response.
fake_response stalled_after_done() {
  fake_response r = durar::test::recorded(replies / "answer_one.response.sse");
  r.stall_after = r.body.size();
  return r;
}

config make_config(const fake_vendor_server& vendor, const fs::path& state) {
  config cfg;
  cfg.paths.state_dir = state;
  cfg.env = environment(std::map<std::string, std::string, std::less<>>{
      {"HOME", state.string()}, {"FAKE_API_KEY", "sk-fake-teardown"}});
  provider_config p;
  p.base_url = vendor.base_url() + "/v1";
  p.api = "openai-completions";
  model_config m;
  m.id = "m1";
  p.models.push_back(m);
  cfg.models.providers["fake"] = p;
  cfg.agents.model.primary = "fake/m1";
  return cfg;
}

// Runs one turn on a fresh runtime, destroys the runtime, then the io_context. Returns the
// sentinel the turn's listener held, to check it was released.
std::weak_ptr<int> turn_then_teardown(fake_vendor_server& vendor, const fs::path& state) {
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> watched = sentinel;
  {
    asio::io_context io;
    auto rt = std::make_unique<runtime>(io, make_config(vendor, state));
    turn_request req;
    req.message = "hello";
    auto r = rt->run_turn(std::move(req), [sentinel](const agent_event&) {});
    sentinel.reset();
    REQUIRE(r.has_value());
    CHECK(r->stop == run_stop::done);
    rt.reset();
    // Nothing of the turn may be left once the runtime is gone, whatever the transfer does.
    CHECK(watched.expired());
  }
  return watched;
}

}  // namespace

TEST_CASE("runtime destroyed while the finished turn's stream is still open frees the turn",
          "[teardown]") {
  fake_vendor_server vendor;
  durar::test::temp_dir state;
  for (int i = 0; i < 3; ++i) {
    vendor.enqueue(stalled_after_done());
    auto watched = turn_then_teardown(vendor, state.path);
    CHECK(watched.expired());
  }
}

TEST_CASE("runtime destroyed right after a turn frees the turn, whatever the write pattern",
          "[teardown]") {
  fake_vendor_server vendor;
  durar::test::temp_dir state;
  // The race the stall makes certain: the last event and the end of the body may arrive in
  // one read or in several.
  for (std::size_t split : {0, 7, 64, 300}) {
    for (int i = 0; i < 4; ++i) {
      fake_response r = durar::test::recorded(replies / "answer_one.response.sse");
      r.split_every = split;
      vendor.enqueue(std::move(r));
      auto watched = turn_then_teardown(vendor, state.path);
      CHECK(watched.expired());
    }
  }
}

TEST_CASE("an agent whose run ended before its transfer does not outlive itself or its session",
          "[teardown]") {
  fake_vendor_server vendor;
  durar::test::temp_dir state;
  vendor.enqueue(stalled_after_done());
  const config cfg = make_config(vendor, state.path);

  asio::io_context io;
  auto router = std::make_unique<model_router>(io, cfg);
  session_store_options so;
  so.transcript_fsync = fsync_policy::never;
  so.index_fsync = fsync_policy::never;
  auto store = std::make_unique<session_store>(state.path, "main", so);
  auto opened = store->open("agent:main:main");
  REQUIRE(opened.has_value());
  std::unique_ptr<session> sess = std::move(*opened);

  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> watched = sentinel;
  agent_options o;
  o.model = "fake/m1";
  o.system_prompt = "You are a test agent.";
  o.workspace = state.path;
  auto a = std::make_unique<agent>(*router, sess.get(), std::move(o));
  a->subscribe([sentinel](const agent_event&) {});
  sentinel.reset();

  auto r = a->run(user_text("hello"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);

  // The run is over: the agent's state goes with the agent, not with the open transfer.
  a.reset();
  CHECK(watched.expired());
  sess.reset();
  store.reset();
  // The transfer is still open here; the router takes it down with everything it holds.
  router.reset();
  CHECK(watched.expired());
}

TEST_CASE("router destroyed with the finished call's transfer open, then the loop runs on",
          "[teardown]") {
  fake_vendor_server vendor;
  durar::test::temp_dir state;
  vendor.enqueue(stalled_after_done());
  const config cfg = make_config(vendor, state.path);

  asio::io_context io;
  auto router = std::make_unique<model_router>(io, cfg);
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> watched = sentinel;
  completion_request req;
  req.conv.messages.push_back(user_text("hello"));
  auto r = router->complete(std::move(req), [sentinel](const stream_event&) {});
  sentinel.reset();
  REQUIRE(r.has_value());
  // The caller's callbacks are released as soon as its result is delivered.
  CHECK(watched.expired());
  router.reset();
  // Whatever the client had queued on the loop finds nothing to call.
  io.restart();
  io.poll();
  CHECK(watched.expired());
}

TEST_CASE("runtime destroyed mid-turn ends the turn, frees it and releases its session",
          "[teardown]") {
  fake_vendor_server vendor;
  durar::test::temp_dir state;
  // The answer's first chunk arrives, then the stream stalls: the turn is mid-run.
  fake_response r = durar::test::recorded(replies / "answer_one.response.sse");
  r.stall_after = r.body.find("\n\n", r.body.find("\n\n") + 2) + 2;  // role, then text
  vendor.enqueue(std::move(r));

  asio::io_context io;
  auto rt = std::make_unique<runtime>(io, make_config(vendor, state.path));
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> watched = sentinel;
  bool done_called = false;
  bool updated = false;
  turn_request req;
  req.message = "hello";
  rt->async_turn(
      std::move(req),
      [sentinel, &updated](const agent_event& e) {
        updated |= e.kind == agent_event_kind::message_update;
      },
      [sentinel, &done_called](result<run_result>) { done_called = true; });
  sentinel.reset();
  for (int i = 0; i < 10000 && !updated && io.run_one() > 0; ++i) {
  }
  REQUIRE(updated);
  REQUIRE_FALSE(watched.expired());  // the turn is alive and holds its callbacks

  rt.reset();
  CHECK(watched.expired());
  CHECK_FALSE(done_called);
  // The loop can go on: nothing queued touches the runtime that is gone.
  io.restart();
  for (int i = 0; i < 100 && io.poll() > 0; ++i) {
  }
  CHECK_FALSE(done_called);

  // The session's lock went with the turn: a new runtime can run a turn in it.
  vendor.enqueue(durar::test::recorded(replies / "answer_one.response.sse"));
  runtime again(io, make_config(vendor, state.path));
  turn_request next;
  next.message = "hello again";
  auto out = again.run_turn(std::move(next));
  REQUIRE(out.has_value());
  CHECK(out->stop == run_stop::done);
}
