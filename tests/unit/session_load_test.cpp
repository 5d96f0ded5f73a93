// Loading transcripts: the tree and its active branch, the context after a compaction, torn
// and bad lines, unanswered tool calls, and a transcript the original wrote.
#include <catch2/catch.hpp>

#include "session/session_internal.hpp"
#include "session_fixtures.hpp"

#include <sstream>

using namespace session_test;
using namespace durar;
using Catch::Contains;

namespace Catch {
template <>
struct StringMaker<durar::json> {
  static std::string convert(const durar::json& v) { return v.dump(); }
};
}  // namespace Catch

namespace {

constexpr std::string_view header =
    R"({"type":"session","version":3,"id":"s-1","timestamp":"2026-04-21T09:00:00.000Z","cwd":"/srv"})";

std::string msg_line(std::string_view id, std::string_view parent, std::string_view role,
                     std::string_view text) {
  std::string parent_json = parent.empty() ? "null" : "\"" + std::string(parent) + "\"";
  std::string m =
      role == "assistant"
          ? R"({"role":"assistant","content":[{"type":"text","text":")" + std::string(text) +
                R"("}],"api":"x","provider":"p","model":"m","usage":{"input":1,"output":1,"cacheRead":0,"cacheWrite":0,"totalTokens":2,"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},"stopReason":"stop","timestamp":2})"
          : R"({"role":"user","content":")" + std::string(text) + R"(","timestamp":1})";
  return R"({"type":"message","id":")" + std::string(id) + R"(","parentId":)" + parent_json +
         R"(,"timestamp":"2026-04-21T09:00:01.000Z","message":)" + m + "}";
}

std::vector<std::string> texts(const std::vector<message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(role_of(m) + ":" + first_text(m));
  return out;
}

std::unique_ptr<session> load(const fs::path& p) {
  auto s = session_store::read_file(p);
  if (!s) FAIL(s.error().describe());
  return std::move(s).value();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST_CASE("the active branch runs from the last entry to the root", "[session]") {
  temp_dir tmp;
  auto p = tmp.path / "s-1.jsonl";
  // a -> b -> c, then a second branch from b: b -> d -> e (written last, so active).
  spit(p, std::string(header) + "\n" + msg_line("a", "", "user", "one") + "\n" +
              msg_line("b", "a", "assistant", "two") + "\n" +
              msg_line("c", "b", "user", "abandoned") + "\n" + msg_line("d", "b", "user", "three") +
              "\n" + msg_line("e", "d", "assistant", "four") + "\n");
  auto s = load(p);
  CHECK(s->id() == "s-1");
  CHECK_FALSE(s->writable());
  CHECK(s->entries().size() == 5);
  std::vector<std::string> ids;
  for (const auto* e : s->branch()) ids.push_back(e->id);
  CHECK(ids == std::vector<std::string>{"a", "b", "d", "e"});
  CHECK(texts(s->context()) ==
        std::vector<std::string>{"user:one", "assistant:two", "user:three", "assistant:four"});
  CHECK(s->report().warnings.empty());
}

TEST_CASE("a parent cycle in a hand-edited file does not hang", "[session]") {
  temp_dir tmp;
  auto p = tmp.path / "s-1.jsonl";
  spit(p, std::string(header) + "\n" + msg_line("a", "b", "user", "one") + "\n" +
              msg_line("b", "a", "assistant", "two") + "\n");
  auto s = load(p);
  CHECK(s->branch().size() <= 3);
}

TEST_CASE("after a compaction the context is the summary, then the kept entries", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  auto& ses = **s;
  REQUIRE(ses.append(user("old question")));
  REQUIRE(ses.append(reply("old answer")));
  auto kept = ses.append(user("recent question"));
  REQUIRE(kept);
  REQUIRE(ses.append(reply("recent answer")));
  REQUIRE(ses.append_compaction({"we talked about old things", *kept, 5000, json()}));
  REQUIRE(ses.append_model_change("anthropic", "claude-sonnet-4-6"));
  REQUIRE(ses.append(user("new question")));

  auto ctx = texts(ses.context());
  REQUIRE(ctx.size() == 4);
  CHECK_THAT(ctx[0], Contains("user:") && Contains("we talked about old things"));
  CHECK(ctx[1] == "user:recent question");
  CHECK(ctx[2] == "assistant:recent answer");
  CHECK(ctx[3] == "user:new question");
  auto c = ses.last_compaction();
  REQUIRE(c);
  CHECK(c->first_kept_entry_id == *kept);
  CHECK(c->tokens_before == 5000);
  CHECK(ses.model() == "anthropic/claude-sonnet-4-6");

  // The same, read back from disk.
  auto again = load(ses.path());
  CHECK(texts(again->context()) == texts(ses.context()));

  // A compaction must keep from an entry that exists.
  auto bad = ses.append_compaction({"x", "nope", 1, json()});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
}

TEST_CASE("a torn last line is skipped with a warning and cut off when writing", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  fs::path path;
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    REQUIRE((*s)->append(user("first")));
    REQUIRE((*s)->append(reply("second")));
    path = (*s)->path();
  }
  std::string whole = slurp(path);
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << R"({"type":"message","id":"deadbeef","parentId":"x","timestamp":"2026-04-21T09:0)";
  }
  auto ro = load(path);
  CHECK(ro->entries().size() == 2);
  CHECK(ro->report().torn_lines_skipped == 1);
  CHECK_THAT(joined(ro->report().warnings), Contains("line 4: torn last line skipped (77 bytes)"));
  CHECK(slurp(path).size() == whole.size() + 77);  // reading never writes

  auto s = store.open("agent:main:main");
  REQUIRE(s);
  CHECK((*s)->report().torn_lines_skipped == 1);
  CHECK(slurp(path) == whole);  // the fragment is gone
  REQUIRE((*s)->append(user("third")));
  s->reset();
  auto back = load(path);
  CHECK(back->report().warnings.empty());
  CHECK(texts(back->context()) ==
        std::vector<std::string>{"user:first", "assistant:second", "user:third"});
}

TEST_CASE("bad lines are skipped and counted, the file keeps them", "[session]") {
  temp_dir tmp;
  auto p = tmp.path / "s-1.jsonl";
  std::string text = std::string(header) + "\n" + msg_line("a", "", "user", "one") + "\n" +
                     "this is not json\n" + R"({"no":"type"})" + "\n\n" +
                     msg_line("b", "a", "assistant", "two") + "\n";
  spit(p, text);
  auto s = load(p);
  CHECK(s->report().bad_lines_skipped == 2);
  CHECK(s->report().torn_lines_skipped == 0);
  auto w = joined(s->report().warnings);
  CHECK_THAT(w, Contains("line 3: not JSON"));
  CHECK_THAT(w, Contains("line 4: not an entry"));
  CHECK(texts(s->context()) == std::vector<std::string>{"user:one", "assistant:two"});
  CHECK(slurp(p) == text);
}

TEST_CASE("a whole last entry without its newline is kept, and appending adds one", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  fs::path path;
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    REQUIRE((*s)->append(user("first")));
    path = (*s)->path();
  }
  std::string text = slurp(path);
  text.pop_back();
  spit(path, text);
  CHECK(load(path)->entries().size() == 1);
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    CHECK((*s)->entries().size() == 1);
    REQUIRE((*s)->append(reply("second")));
  }
  auto back = load(path);
  CHECK(back->report().warnings.empty());
  CHECK(back->entries().size() == 2);
}

TEST_CASE("a file that is not a transcript is an error naming it", "[session]") {
  temp_dir tmp;
  auto p = tmp.path / "notes.jsonl";
  spit(p, R"({"hello":"world"})"
          "\n");
  auto s = session_store::read_file(p);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::invalid_argument);
  CHECK_THAT(s.error().message, Contains("notes.jsonl") && Contains("not a session transcript"));
  auto missing = session_store::read_file(tmp.path / "nope.jsonl");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
}

TEST_CASE("tool calls an interrupted turn left unanswered get error results", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  fs::path path;
  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    REQUIRE((*s)->append(user("list and count")));
    REQUIRE((*s)->append(calls({"call_1", "call_2"})));
    REQUIRE((*s)->append(result_of("call_1", "a b c")));
    path = (*s)->path();
  }  // the process "died" before call_2 finished

  auto ro = load(path);  // read-only: reported, not written
  CHECK(ro->report().orphaned_tool_calls_repaired == 0);
  CHECK_THAT(joined(ro->report().warnings), Contains("read-only"));
  CHECK(ro->entries().size() == 3);

  {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    CHECK((*s)->report().orphaned_tool_calls_repaired == 1);
    REQUIRE((*s)->entries().size() == 4);
    const auto& last = (*s)->entries().back();
    CHECK(last.raw["message"]["role"] == json("toolResult"));
    CHECK(last.raw["message"]["toolCallId"] == json("call_2"));
    CHECK(last.raw["message"]["isError"] == json(true));
    CHECK(last.raw["message"]["content"][0]["text"] == json("No result provided"));
    auto ctx = (*s)->context();
    REQUIRE(ctx.size() == 4);
    CHECK(role_of(ctx.back()) == "toolResult");
  }
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  CHECK((*s)->report().orphaned_tool_calls_repaired == 0);  // repaired once, on disk
  CHECK((*s)->entries().size() == 4);
}

TEST_CASE("an unanswered call inside the conversation is answered in the context", "[session]") {
  temp_dir tmp;
  test_clock clock;
  session_store store(tmp.path, "main", quiet_options(clock));
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  REQUIRE((*s)->append(user("go")));
  REQUIRE((*s)->append(calls({"c1", "c2"})));
  REQUIRE((*s)->append(result_of("c2")));
  REQUIRE((*s)->append(user("never mind")));
  auto ctx = (*s)->context();
  REQUIRE(ctx.size() == 5);
  CHECK(role_of(ctx[2]) == "toolResult");
  CHECK(std::get<tool_result_message>(ctx[2]).tool_call_id == "c2");
  REQUIRE(role_of(ctx[3]) == "toolResult");
  CHECK(std::get<tool_result_message>(ctx[3]).tool_call_id == "c1");
  CHECK(std::get<tool_result_message>(ctx[3]).is_error);
  CHECK(role_of(ctx[4]) == "user");
  CHECK((*s)->entries().size() == 4);  // nothing written for it

  // Aborted turns never ran their calls: nothing to answer.
  assistant_message aborted = calls({"c3"});
  aborted.stop = stop_reason::aborted;
  REQUIRE((*s)->append(aborted));
  REQUIRE((*s)->append(user("again")));
  CHECK((*s)->context().size() == 7);
}

TEST_CASE("a transcript written by the original loads unchanged", "[session]") {
  auto p = data_dir / "original.jsonl";
  auto s = load(p);
  CHECK(s->report().warnings.empty());
  CHECK(s->id() == "01a20195-a9db-7733-9217-5c5d58793b09");

  std::istringstream lines(slurp(p));
  std::string line;
  std::getline(lines, line);  // header
  std::size_t i = 0;
  while (std::getline(lines, line)) {
    REQUIRE(i < s->entries().size());
    CHECK(s->entries()[i].raw == parse(line));
    ++i;
  }
  CHECK(i == s->entries().size());
  CHECK(s->entries().size() == 15);

  CHECK(s->model() == "openai/gpt-5.4");
  CHECK(s->thinking_level() == "low");
  auto c = s->last_compaction();
  REQUIRE(c);
  CHECK(c->first_kept_entry_id == "75522a32");
  CHECK(c->tokens_before == 2832);

  auto ctx = texts(s->context());
  REQUIRE(ctx.size() == 6);
  CHECK_THAT(ctx[0], Contains("The user asked for the file list"));
  CHECK(ctx[1] == "user:Now summarise README.md, in Arabic: لخّص");
  CHECK(ctx[2] == "assistant:ملخص: مشروع تجريبي.");
  CHECK(ctx[3] == "user:Remember the deadline is Friday.");
  CHECK(ctx[4] == "user:Thanks!");
  CHECK(ctx[5] == "assistant:You're welcome.");

  auto t = s->totals();
  CHECK(t.assistant_messages == 4);
  CHECK(t.input == 1200 + 1300 + 1500 + 400);
  CHECK(t.output == 40 + 12 + 20 + 5);
  CHECK(t.cost == Approx(0.0042 + 0.00408 + 0.0048 + 0.001275));
}

TEST_CASE("appending to the original's transcript continues its tree", "[session]") {
  temp_dir tmp;
  test_clock clock;
  auto dir = tmp.path / "agents" / "main" / "sessions";
  fs::create_directories(dir);
  fs::copy_file(data_dir / "original.jsonl", dir / "01a20195-a9db-7733-9217-5c5d58793b09.jsonl");
  spit(
      dir / "sessions.json",
      R"({"agent:main:main":{"sessionId":"01a20195-a9db-7733-9217-5c5d58793b09","updatedAt":1776762840000}})");
  session_store store(tmp.path, "main", quiet_options(clock));
  std::string before = slurp(dir / "01a20195-a9db-7733-9217-5c5d58793b09.jsonl");
  auto s = store.open("agent:main:main");
  REQUIRE(s);
  auto id = (*s)->append(user("one more"));
  REQUIRE(id);
  std::string after = slurp(dir / "01a20195-a9db-7733-9217-5c5d58793b09.jsonl");
  REQUIRE(after.size() > before.size());
  CHECK(after.substr(0, before.size()) == before);  // earlier lines untouched
  json last = parse(after.substr(before.size()));
  CHECK(last["parentId"] == json("f24d9503"));
  CHECK(last["id"] == json(*id));
  CHECK(texts((*s)->context()).back() == "user:one more");
}

// ---- a long transcript read again after its session closed ---------------------------
// Parsed entries of a closed session are kept and reused by the next parse of that file
// when the file still starts with the same bytes (transcript_load.cpp). Whatever happened to
// the file, a read must give exactly what a first parse of it gives.

namespace {

// A transcript past the size whose entries are kept (256 KiB): `n` alternating user and
// assistant lines of about 600 bytes, chained.
std::string long_transcript(int n, std::string_view marker = "") {
  std::string out = std::string(header) + "\n";
  std::string parent;
  for (int i = 0; i < n; ++i) {
    std::string number = std::to_string(i);
    std::string id = "e" + std::string(7 - number.size(), '0') + number;
    std::string text = "turn " + number + " " + std::string(marker) + " " + std::string(560, 'x');
    out += msg_line(id, parent, i % 2 == 0 ? "user" : "assistant", text) + "\n";
    parent = id;
  }
  return out;
}

// `a` reads as `b` does, entry by entry, in its report and in its context.
void check_same(const session& a, const session& b) {
  REQUIRE(a.entries().size() == b.entries().size());
  for (std::size_t i = 0; i < a.entries().size(); ++i) {
    const session_entry& x = a.entries()[i];
    const session_entry& y = b.entries()[i];
    INFO("entry " << i);
    CHECK(x.id == y.id);
    CHECK(x.parent_id == y.parent_id);
    CHECK(x.type == y.type);
    CHECK(x.timestamp == y.timestamp);
    CHECK(x.raw == y.raw);
    CHECK(x.msg.has_value() == y.msg.has_value());
  }
  CHECK(a.report().warnings == b.report().warnings);
  CHECK(a.report().bad_lines_skipped == b.report().bad_lines_skipped);
  CHECK(texts(a.context()) == texts(b.context()));
}

}  // namespace

TEST_CASE("a long transcript read again after more lines were appended", "[session]") {
  temp_dir tmp;
  auto p = tmp.path / "s-1.jsonl";
  std::string text = long_transcript(500);
  // A bad line early on: its warning and the numbering of later lines must survive reuse.
  text.insert(text.find('\n') + 1, "not json\n");
  spit(p, text);
  REQUIRE(text.size() > (std::size_t{256} << 10));
  { load(p); }  // closed: its entries are kept
  std::string more = msg_line("f0000001", "e0000499", "user", "later") + "\nnot json either\n" +
                     msg_line("f0000002", "f0000001", "assistant", "reply") + "\n";
  spit(p, text + more);
  auto again = load(p);  // reuses the kept entries
  auto fresh = load(p);  // nothing kept while `again` is open: a full parse
  REQUIRE(again->entries().size() == 502);
  check_same(*again, *fresh);
  CHECK(again->report().bad_lines_skipped == 2);
  CHECK_THAT(joined(again->report().warnings), Contains("line 504"));
  CHECK(texts(again->context()).back() == "assistant:reply");
}

TEST_CASE("a long transcript rewritten in place is parsed again", "[session]") {
  temp_dir tmp;
  auto p = tmp.path / "s-1.jsonl";
  std::string text = long_transcript(500, "a");
  spit(p, text);
  { load(p); }
  SECTION("same size, one line changed") {
    std::string changed = long_transcript(500, "b");
    REQUIRE(changed.size() == text.size());
    spit(p, changed);
    auto s = load(p);
    CHECK_THAT(first_text(s->context()[250]), Contains("turn 250 b"));
  }
  SECTION("cut short") {
    std::string shorter = long_transcript(480, "a");
    spit(p, shorter);
    auto s = load(p);
    CHECK(s->entries().size() == 480);
  }
  SECTION("the same bytes") {
    auto s = load(p);
    auto fresh = load(p);
    check_same(*s, *fresh);
  }
}

TEST_CASE("a long session reopened by its store continues where it ended", "[session]") {
  temp_dir tmp;
  test_clock clock;
  auto dir = tmp.path / "agents" / "main" / "sessions";
  fs::create_directories(dir);
  spit(dir / "s-1.jsonl", long_transcript(500));
  spit(
      dir / "sessions.json",
      R"({"agent:main:main":{"sessionId":"s-1","updatedAt":1776762840000,"sessionStartedAt":1776762840000}})");
  session_store store(tmp.path, "main", quiet_options(clock));
  for (int turn = 0; turn < 3; ++turn) {
    auto s = store.open("agent:main:main");
    REQUIRE(s);
    REQUIRE((*s)->entries().size() == 500 + 2 * static_cast<std::size_t>(turn));
    REQUIRE((*s)->append(user("question " + std::to_string(turn))));
    REQUIRE((*s)->append(reply("answer " + std::to_string(turn))));
    auto fresh = session_store::read_file(dir / "s-1.jsonl");
    REQUIRE(fresh);
    check_same(**s, **fresh);
    CHECK(texts((*s)->context()).back() == "assistant:answer " + std::to_string(turn));
  }
}

TEST_CASE("a kept transcript's check and the next mark's hash take one pass", "[session]") {
  // take_parsed checks the kept prefix and hashes the rest in the same pass; the hash it
  // gives for the whole file must be the one a first parse of that file keeps.
  using namespace durar::detail;
  const std::string content = long_transcript(520);
  REQUIRE(content.size() > (std::size_t{300} << 10));
  const fs::path p = "/nonexistent/kept-hash.jsonl";
  for (std::size_t prefix : {std::size_t{256} << 10, (std::size_t{256} << 10) + 1,
                             (std::size_t{256} << 10) + 31, content.size() - 7, content.size()}) {
    for (std::size_t whole : {prefix, prefix + 5, content.size()}) {
      if (whole < prefix || whole > content.size()) continue;
      std::string_view all = std::string_view(content).substr(0, whole);
      auto mark = mark_of(all.substr(0, prefix), 1, 0);
      REQUIRE(mark);
      CHECK(mark->hash == transcript_hash(all.substr(0, prefix)));
      keep_parsed(p, *mark, {});
      std::optional<std::uint64_t> whole_hash;
      auto kept = take_parsed(p, all, whole_hash);
      REQUIRE(kept);
      REQUIRE(whole_hash);
      CHECK(*whole_hash == transcript_hash(all));
      CHECK(mark_of(all, 1, 0, whole_hash)->hash == mark_of(all, 1, 0)->hash);
    }
  }
  // A changed byte anywhere in the prefix, or a shorter file, is not taken.
  auto mark = mark_of(content, 1, 0);
  REQUIRE(mark);
  for (std::size_t at : {std::size_t{0}, std::size_t{31}, content.size() / 2, content.size() - 1}) {
    std::string changed = content;
    changed[at] ^= 1;
    keep_parsed(p, *mark, {});
    std::optional<std::uint64_t> whole_hash;
    CHECK_FALSE(take_parsed(p, changed, whole_hash));
  }
  keep_parsed(p, *mark, {});
  std::optional<std::uint64_t> whole_hash;
  CHECK_FALSE(take_parsed(p, std::string_view(content).substr(0, content.size() - 1), whole_hash));
  // Trailing zero bytes and lengths count.
  CHECK(transcript_hash(std::string(40, 'a')) != transcript_hash(std::string(40, 'a') + '\0'));
  CHECK(transcript_hash("") != transcript_hash(std::string(1, '\0')));
}

TEST_CASE("a repeated entry id: the branch goes through the last entry with it", "[session]") {
  // branch_of takes the line before an entry as its parent without a lookup only while ids
  // are unique; a hand-edited file with a repeated id still follows the last one.
  temp_dir tmp;
  auto p = tmp.path / "s-1.jsonl";
  spit(p, std::string(header) + "\n" + msg_line("a0000001", "", "user", "one") + "\n" +
              msg_line("a0000002", "a0000001", "assistant", "first two") + "\n" +
              msg_line("a0000002", "a0000001", "assistant", "second two") + "\n" +
              msg_line("a0000003", "a0000002", "user", "three") + "\n" +
              msg_line("a0000004", "a0000003", "assistant", "four") + "\n");
  auto s = load(p);
  CHECK(texts(s->context()) == std::vector<std::string>{"user:one", "assistant:second two",
                                                        "user:three", "assistant:four"});
  // And with unique ids, a parent further back than the line before is still found.
  spit(p, std::string(header) + "\n" + msg_line("b0000001", "", "user", "one") + "\n" +
              msg_line("b0000002", "b0000001", "assistant", "abandoned") + "\n" +
              msg_line("b0000003", "b0000001", "assistant", "retried") + "\n" +
              msg_line("b0000004", "b0000003", "user", "next") + "\n");
  auto t = load(p);
  CHECK(texts(t->context()) ==
        std::vector<std::string>{"user:one", "assistant:retried", "user:next"});
}
