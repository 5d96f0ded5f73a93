// Compaction planning: token estimates, settings with the reserve floor, and where the cut
// falls (recent history kept, tool calls never separated from their results).
#include <catch2/catch.hpp>

#include "session_fixtures.hpp"

using namespace session_test;
using namespace durar;
using Catch::Contains;

namespace {

std::string words(std::size_t chars) { return std::string(chars, 'x'); }

struct scratch {
  temp_dir tmp;
  test_clock clock;
  session_store store{tmp.path, "main", quiet_options(clock)};
  std::unique_ptr<session> s;
  scratch() {
    auto o = store.open("agent:main:main");
    REQUIRE(o);
    s = std::move(o).value();
  }
  std::string add(const message& m) {
    auto id = s->append(m);
    REQUIRE(id);
    return *id;
  }
};

compaction_settings keep(std::int64_t tokens) {
  compaction_settings c;
  c.keep_recent_tokens = tokens;
  return c;
}

std::string role_text(const message& m) { return role_of(m) + ":" + first_text(m); }

}  // namespace

TEST_CASE("token estimates are characters over four, images a fixed cost", "[session]") {
  CHECK(estimate_tokens(message(user("abcd"))) == 1);
  CHECK(estimate_tokens(message(user("abcde"))) == 2);
  CHECK(estimate_tokens(message(user("ما"))) == 1);  // UTF-16 units, not bytes
  CHECK(estimate_tokens(message(user("😀😀"))) == 1);  // two surrogate pairs
  assistant_message a = reply("12345678");
  a.content.emplace_back(thinking_block{"abcd", "sig-not-counted", false});
  a.content.emplace_back(tool_call_block{"id", "exec", json::object({{"c", 1}}), {}});
  // 8 + 4 + len("exec") + len({"c":1}) = 8 + 4 + 4 + 7 = 23 -> 6
  CHECK(estimate_tokens(message(a)) == 6);
  tool_result_message r = result_of("id", "abcd");
  r.content.emplace_back(image_block{"image/png", "AAAA"});
  CHECK(estimate_tokens(message(r)) == (4 + 4800) / 4);
  CHECK(estimate_tokens(std::vector<message>{user("abcd"), user("abcd")}) == 2);
}

TEST_CASE("compaction settings: reserve at least the floor, capped for small windows",
          "[session]") {
  config cfg;
  auto s = compaction_settings_for(cfg, 200000);
  CHECK(s.context_window == 200000);
  CHECK(s.reserve_tokens == 20000);  // 16,384 raised to the 20,000 floor
  CHECK(s.keep_recent_tokens == 20000);

  cfg.agents.compaction.reserve_tokens = 30000;
  CHECK(compaction_settings_for(cfg, 200000).reserve_tokens == 30000);
  cfg.agents.compaction.reserve_tokens = 1000;
  cfg.agents.compaction.reserve_tokens_floor = 0;
  CHECK(compaction_settings_for(cfg, 200000).reserve_tokens == 1000);

  cfg.agents.compaction.reserve_tokens.reset();
  cfg.agents.compaction.reserve_tokens_floor = 20000;
  // A 16k window: the floor may take at most 16,384 - 8,000.
  CHECK(compaction_settings_for(cfg, 16384).reserve_tokens == 16384);
  CHECK(compaction_settings_for(cfg, 24000).reserve_tokens == 16384);
  cfg.agents.compaction.reserve_tokens = 0;
  CHECK(compaction_settings_for(cfg, 24000).reserve_tokens == 16000);
  CHECK(compaction_settings_for(cfg, 8000).reserve_tokens == 4000);

  cfg.agents.context_tokens = 100000;  // a configured cap below the model's window
  CHECK(compaction_settings_for(cfg, 200000).context_window == 100000);
  cfg.agents.compaction.keep_recent_tokens = 5000;
  CHECK(compaction_settings_for(cfg, 0).keep_recent_tokens == 5000);

  compaction_settings t;
  t.context_window = 100000;
  t.reserve_tokens = 20000;
  CHECK_FALSE(should_compact(80000, t));
  CHECK(should_compact(80001, t));
}

TEST_CASE("the cut keeps the newest turns and summarises the rest", "[session]") {
  scratch x;
  x.add(user("q1 " + words(400)));
  x.add(reply("a1 " + words(400)));
  x.add(user("q2 " + words(400)));
  x.add(reply("a2 " + words(400)));
  std::string q3 = x.add(user("q3 " + words(400)));
  x.add(reply("a3 " + words(400)));
  // Each message is ~101 tokens: keeping 100 keeps only a3, splitting q3's turn.
  auto plan = plan_compaction(*x.s, keep(100));
  REQUIRE(plan);
  CHECK(plan->first_kept_entry_id == x.s->entries()[5].id);  // cut at a3 (an assistant message)
  REQUIRE(plan->to_summarize.size() == 5);
  CHECK_THAT(role_text(plan->to_summarize.front()), Contains("user:q1"));
  CHECK_THAT(role_text(plan->to_summarize.back()), Contains("user:q3"));
  CHECK(plan->tokens_before == 110);  // the last usage (100 + 10): nothing after it

  auto whole_turns = plan_compaction(*x.s, keep(150));
  REQUIRE(whole_turns);
  CHECK(whole_turns->first_kept_entry_id == q3);
  CHECK(whole_turns->to_summarize.size() == 4);

  CHECK_FALSE(plan_compaction(*x.s, keep(100000)));  // everything fits: nothing to do
}

TEST_CASE("the cut never separates a tool call from its result", "[session]") {
  scratch x;
  x.add(user("start " + words(40)));
  std::string call = x.add(calls({"c1"}));
  x.add(result_of("c1", "r " + words(4000)));  // ~1000 tokens
  x.add(reply("done"));
  auto plan = plan_compaction(*x.s, keep(500));
  REQUIRE(plan);
  // Reaching 500 tokens lands on the result, which cannot start the kept part: the cut
  // moves to the next cut point and the whole call/result pair is summarised, or stays.
  const auto& es = x.s->entries();
  std::size_t cut = 0;
  while (es[cut].id != plan->first_kept_entry_id) ++cut;
  CHECK(es[cut].raw["message"]["role"] != json("toolResult"));
  bool call_kept = cut <= 1, result_kept = cut <= 2;
  CHECK(call_kept == result_kept);

  // A result that comes after another message (out of the usual order) still pulls the
  // cut back to its call.
  scratch y;
  y.add(user("go"));
  std::string call2 = y.add(calls({"k1"}));
  y.add(reply("aside " + words(40)));
  y.add(result_of("k1", words(4000)));
  y.add(user("next " + words(40)));
  auto p2 = plan_compaction(*y.s, keep(1020));  // reaches "aside"
  REQUIRE(p2);
  CHECK(p2->first_kept_entry_id == call2);
  REQUIRE(p2->to_summarize.size() == 1);
  CHECK(role_text(p2->to_summarize[0]) == "user:go");
}

TEST_CASE("a second compaction starts from the first one's kept entry", "[session]") {
  scratch x;
  x.add(user("q1 " + words(400)));
  x.add(reply("a1 " + words(400)));
  std::string q2 = x.add(user("q2 " + words(400)));
  x.add(reply("a2 " + words(400)));
  REQUIRE(x.s->append_compaction({"summary one", q2, 400, json()}));
  CHECK_FALSE(plan_compaction(*x.s, keep(10)));  // just compacted
  x.add(user("q3 " + words(400)));
  x.add(reply("a3 " + words(400)));
  auto plan = plan_compaction(*x.s, keep(100));
  REQUIRE(plan);
  REQUIRE(plan->to_summarize.size() == 4);
  CHECK_THAT(first_text(plan->to_summarize[0]), Contains("summary one"));
  CHECK_THAT(first_text(plan->to_summarize[1]), Contains("q2"));
  CHECK_THAT(first_text(plan->to_summarize[3]), Contains("q3"));
}

TEST_CASE("settings entries just before the cut stay with the kept turns", "[session]") {
  scratch x;
  x.add(user("q1 " + words(400)));
  x.add(reply("a1 " + words(400)));
  auto change = x.s->append_model_change("openai", "gpt-5.4");
  REQUIRE(change);
  x.add(user("q2 " + words(400)));
  x.add(reply("a2 " + words(400)));
  auto plan = plan_compaction(*x.s, keep(150));
  REQUIRE(plan);
  CHECK(plan->first_kept_entry_id == *change);
}
