// Compaction in the agent: after a turn that filled the model's window (set by the
// config's contextWindow), on a context-overflow error (compact, then retry once), by hand,
// and a prompt that arrives while a summary is being written.
#include "agent_fixture.hpp"

using namespace agent_test;
using durar::test::error_response;

namespace {

const char* overflow_body =
    R"({"error":{"message":"This model's maximum context length is 32000 tokens. However, your messages resulted in 41000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})";

// A first exchange the later compactions can summarise.
void first_exchange(harness& h, agent& a) {
  h.enqueue("answer_one");
  auto r = a.run(user_text("hello"));
  REQUIRE(r.has_value());
  REQUIRE(r->stop == run_stop::done);
}

std::vector<std::string> line_types(const harness& h) {
  std::vector<std::string> out;
  for (auto& l : h.lines()) out.push_back(l["type"].as_string());
  return out;
}

}  // namespace

TEST_CASE("a turn that fills the model's context window is followed by compaction", "[agent]") {
  harness h("openai-completions", 32000);
  h.cfg.agents.compaction.keep_recent_tokens = 4;  // keep only the newest exchange
  auto a = h.make(h.options());
  first_exchange(h, *a);
  CHECK(h.count("compaction_start") == 0);  // 162 tokens: far from the window

  // This reply reports 30,020 tokens in use: over 32,000 minus the 20,000 reserve.
  h.enqueue("big_context_answer");
  h.enqueue("summary");
  auto r = a->run(user_text("and again"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);

  REQUIRE(h.server.requests().size() == 3);
  auto summary_request = h.request_body(2);
  std::string asked = summary_request["messages"][1]["content"].as_string();
  CHECK(asked.find("<conversation>") != std::string::npos);
  CHECK(asked.find("[User]: hello") != std::string::npos);
  CHECK(asked.find("[Assistant]: First answer.") != std::string::npos);
  CHECK(summary_request["messages"][0]["content"].as_string().find("checkpoint") !=
        std::string::npos);
  CHECK_FALSE(summary_request.contains("tools"));

  auto types = line_types(h);
  REQUIRE(types.size() == 5);
  CHECK(types.back() == "compaction");
  auto record = h.lines().back();
  CHECK(record["summary"].as_string().find("Say hello and talk about the weather") !=
        std::string::npos);
  CHECK(record["tokensBefore"].as_int() > 0);

  // The model will next see the summary, then the kept exchange.
  auto ctx = a->context();
  REQUIRE(ctx.size() == 3);
  auto* summary = std::get_if<user_message>(&ctx[0]);
  REQUIRE(summary != nullptr);
  CHECK(std::get<text_block>(summary->content[0]).text.find("Say hello") != std::string::npos);

  // compaction_start/end sit between the last turn_end and agent_end.
  auto ev = h.event_types();
  REQUIRE(ev.size() >= 4);
  CHECK(ev[ev.size() - 4] == "turn_end");
  CHECK(ev[ev.size() - 3] == "compaction_start");
  CHECK(ev[ev.size() - 2] == "compaction_end");
  const json& end = h.events[h.events.size() - 2];
  CHECK(end["reason"].as_string() == "threshold");
  CHECK(end["result"]["firstKeptEntryId"].as_string() == record["firstKeptEntryId"].as_string());
}

TEST_CASE("a context-overflow error compacts and retries the turn once", "[agent]") {
  harness h;
  auto o = h.options();
  o.compaction = compaction_settings{32000, 8000, 3};
  auto a = h.make(o);
  first_exchange(h, *a);

  h.server.enqueue(error_response(400, overflow_body));
  h.enqueue("summary");
  h.enqueue("answer_two");
  auto r = a->run(user_text("what next?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  CHECK(text_of(r->final) == "Second answer.");
  CHECK(r->turns == 1);
  REQUIRE(h.server.requests().size() == 4);
  // The retry no longer carries the summarised exchange, only its summary.
  std::string retry = h.server.requests()[3].body;
  CHECK(retry.find("Say hello and talk about the weather") != std::string::npos);
  CHECK(retry.find("First answer.") == std::string::npos);
  CHECK(retry.find("what next?") != std::string::npos);

  auto msgs = h.transcript_messages();
  REQUIRE(msgs.size() == 5);
  CHECK(msgs[3]["stopReason"].as_string() == "error");
  CHECK(msgs[4]["stopReason"].as_string() == "stop");
  auto types = line_types(h);
  CHECK(types == std::vector<std::string>{"message", "message", "message", "message", "compaction",
                                          "message"});
  bool will_retry = false;
  for (const auto& e : h.events)
    if (e["type"].as_string() == "compaction_end") will_retry = e["willRetry"].as_bool();
  CHECK(will_retry);
}

TEST_CASE("a second overflow after the retry ends the run with the error", "[agent]") {
  harness h;
  auto o = h.options();
  o.compaction = compaction_settings{32000, 8000, 3};
  auto a = h.make(o);
  first_exchange(h, *a);
  h.server.enqueue(error_response(400, overflow_body));
  h.enqueue("summary");
  h.server.enqueue(error_response(400, overflow_body));
  auto r = a->run(user_text("what next?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::error);
  CHECK(r->failure.code == errc::context_overflow);
  CHECK(h.count("compaction_start") == 1);
  CHECK(h.server.requests().size() == 4);
}

TEST_CASE("overflow with nothing to summarise fails the run without a retry", "[agent]") {
  harness h;
  auto a = h.make(h.options());
  h.server.enqueue(error_response(400, overflow_body));
  auto r = a->run(user_text(std::string(2000, 'x')));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::error);
  CHECK(r->failure.code == errc::context_overflow);
  CHECK(h.server.requests().size() == 1);
  CHECK(h.count("compaction_end") == 1);
}

TEST_CASE("compact() summarises by hand with extra instructions", "[agent]") {
  harness h;
  auto o = h.options();
  o.compaction = compaction_settings{200000, 20000, 8};
  auto a = h.make(o);
  first_exchange(h, *a);
  h.enqueue("answer_two");
  REQUIRE(a->run(user_text("second question")).has_value());
  h.enqueue("summary");
  auto c = a->compact("keep the city names");
  REQUIRE(c.has_value());
  CHECK(c->summary.find("Say hello") != std::string::npos);
  CHECK_FALSE(c->first_kept_entry_id.empty());
  CHECK(h.server.requests().back().body.find("keep the city names") != std::string::npos);
  CHECK(line_types(h).back() == "compaction");
  CHECK(h.events.back()["reason"].as_string() == "manual");

  // Right after, nothing is old enough to summarise again.
  auto again = a->compact();
  REQUIRE(again.has_value());
  CHECK(again->summary.empty());
}

TEST_CASE("a prompt that arrives during compaction waits for the summary", "[agent]") {
  harness h;
  auto o = h.options();
  o.compaction = compaction_settings{200000, 20000, 8};
  auto a = h.make(o);
  first_exchange(h, *a);
  h.enqueue("answer_two");
  REQUIRE(a->run(user_text("second question")).has_value());

  h.enqueue("summary");
  h.enqueue("final_text");
  std::optional<result<compaction_record>> compacted;
  std::optional<result<run_result>> ran;
  a->async_compact({}, [&](result<compaction_record> r) { compacted = std::move(r); });
  a->async_run(user_text("third question"), [&](result<run_result> r) { ran = std::move(r); });
  REQUIRE(durar::test::run_until(h.io, [&] { return compacted && ran; }));
  REQUIRE(compacted->has_value());
  REQUIRE(ran->has_value());
  CHECK((*ran)->stop == run_stop::done);
  REQUIRE(h.server.requests().size() == 4);
  // The run's request went out after the summary and carries it.
  std::string run_body = h.server.requests()[3].body;
  CHECK(run_body.find("Say hello and talk about the weather") != std::string::npos);
  CHECK(run_body.find("third question") != std::string::npos);
}

TEST_CASE("without a session, compaction works in memory", "[agent]") {
  harness h;
  auto o = h.options();
  o.compaction = compaction_settings{32000, 8000, 3};
  auto a = h.make(o, /*with_session=*/false);
  first_exchange(h, *a);
  h.server.enqueue(error_response(400, overflow_body));
  h.enqueue("summary");
  h.enqueue("answer_two");
  auto r = a->run(user_text("what next?"));
  REQUIRE(r.has_value());
  CHECK(r->stop == run_stop::done);
  std::string retry = h.server.requests()[3].body;
  CHECK(retry.find("Say hello and talk about the weather") != std::string::npos);
  CHECK(retry.find("First answer.") == std::string::npos);
  auto ctx = a->context();
  REQUIRE(ctx.size() >= 3);
  CHECK(std::holds_alternative<user_message>(ctx[0]));
}
