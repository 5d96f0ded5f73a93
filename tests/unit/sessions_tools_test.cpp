// The sessions_list, sessions_history and sessions_send tools over a real session store.
#include <durar/tools.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "session_fixtures.hpp"

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

struct tool_call {
  asio::io_context io;
  std::optional<tool_result> out;

  tool_result run(tool& t, const json& args, std::string session_key = "agent:main:main") {
    tool_context ctx;
    ctx.tool_call_id = "call_1";
    ctx.agent_id = "main";
    ctx.session_key = std::move(session_key);
    ctx.executor = io.get_executor();
    out.reset();
    t.async_run(args, ctx, [this](tool_result r) { out = std::move(r); });
    io.restart();
    io.run_for(std::chrono::seconds(10));
    REQUIRE(out);
    return *out;
  }
};

std::string text_of_result(const tool_result& r) {
  REQUIRE(!r.content.empty());
  return std::get<text_block>(r.content[0]).text;
}

// Three sessions: the main one (a tool turn), a cron run, a labelled group; updated in that
// order a minute apart, with the real clock so activeMinutes has something to compare.
struct three_sessions {
  temp_dir tmp;
  std::shared_ptr<session_store> store;
  three_sessions() {
    auto o = quiet_options(test_clock{});
    o.clock = {};
    store = std::make_shared<session_store>(tmp.path, "main", o);
    {
      auto s = store->open("agent:main:main");
      REQUIRE(s);
      REQUIRE((*s)->append(user("Deploy the site please")));
      assistant_message a = calls({"c1"});
      a.content.insert(a.content.begin(), thinking_block{"plan it", "SIGNATURE", false});
      REQUIRE((*s)->append(a));
      REQUIRE((*s)->append(result_of("c1", "deployed")));
      REQUIRE((*s)->append(reply("Done: key sk-abcdefghijklmnopqrstuvwx rotated")));
      REQUIRE((*s)->record_turn(reply("x"), 200000));
    }
    {
      auto s = store->open("agent:main:cron:nightly");
      REQUIRE(s);
      REQUIRE((*s)->append(user("nightly report")));
    }
    {
      auto s = store->open("agent:main:telegram:group:42");
      REQUIRE(s);
      REQUIRE((*s)->append(user("hello group")));
    }
    // Spread the update times and label the group, as the host would.
    auto index = store->dir() / "sessions.json";
    REQUIRE(store->flush());
    json doc = parse(slurp(index));
    std::int64_t now = now_ms();
    doc["agent:main:main"].set("updatedAt", now - 3 * 60000);
    doc["agent:main:cron:nightly"].set("updatedAt", now - 2 * 60000);
    doc["agent:main:telegram:group:42"].set("updatedAt", now - 60000);
    doc["agent:main:telegram:group:42"].set("label", "team");
    doc["agent:main:telegram:group:42"].set("channel", "telegram");
    doc["agent:main:cron:nightly"].set("updatedAt", now - 2 * 3600000);
    spit(index, doc.dump(2));
  }
};

std::vector<std::string> keys_of(const json& payload) {
  std::vector<std::string> out;
  for (const auto& row : payload["sessions"].as_array()) out.push_back(row.string_or("key"));
  return out;
}

}  // namespace

TEST_CASE("sessions_list lists and filters the agent's sessions", "[session][tools]") {
  three_sessions fx;
  auto t = make_sessions_list_tool(fx.store);
  CHECK(t->definition().name == "sessions_list");
  REQUIRE(validate_arguments(t->definition().parameters, json::object({{"limit", 2}})));
  tool_call call;

  auto all = call.run(*t, json::object());
  CHECK_FALSE(all.is_error);
  CHECK(all.details["count"] == json(3));
  CHECK(keys_of(all.details) == std::vector<std::string>{"agent:main:telegram:group:42",
                                                         "agent:main:main",
                                                         "agent:main:cron:nightly"});
  CHECK(parse(text_of_result(all)) == all.details);  // the model reads the same JSON
  const json& group = all.details["sessions"][0];
  CHECK(group["kind"] == json("group"));
  CHECK(group["label"] == json("team"));
  CHECK(group["channel"] == json("telegram"));
  const json& main = all.details["sessions"][1];
  CHECK(main["kind"] == json("main"));
  CHECK(main["contextTokens"] == json(200000));
  CHECK(main["model"] == json("gpt-5.4"));
  CHECK(all.details["sessions"][2]["kind"] == json("cron"));
  CHECK(all.details["sessions"][2]["channel"] == json("internal"));

  auto crons = call.run(*t, parse(R"({"kinds":["cron"]})"));
  CHECK(keys_of(crons.details) == std::vector<std::string>{"agent:main:cron:nightly"});
  auto recent = call.run(*t, parse(R"({"activeMinutes":10})"));
  CHECK(recent.details["count"] == json(2));
  auto one = call.run(*t, parse(R"({"limit":1})"));
  CHECK(keys_of(one.details) == std::vector<std::string>{"agent:main:telegram:group:42"});
  auto labelled = call.run(*t, parse(R"({"label":"team"})"));
  CHECK(labelled.details["count"] == json(1));
  auto searched = call.run(*t, parse(R"({"search":"NIGHTLY"})"));
  CHECK(keys_of(searched.details) == std::vector<std::string>{"agent:main:cron:nightly"});
  auto other_agent = call.run(*t, parse(R"({"agentId":"coder"})"));
  CHECK(other_agent.details["count"] == json(0));

  auto rich = call.run(
      *t,
      parse(
          R"({"kinds":["main"],"messageLimit":2,"includeDerivedTitles":true,"includeLastMessage":true})"));
  const json& row = rich.details["sessions"][0];
  CHECK(row["derivedTitle"] == json("Deploy the site please"));
  CHECK_THAT(row["lastMessagePreview"].as_string(), Contains("Done: key *** rotated"));
  REQUIRE(row["messages"].size() == 2);  // tool results left out
  CHECK(row["messages"][0]["role"] == json("assistant"));
  CHECK(row["messages"][1]["role"] == json("assistant"));
}

TEST_CASE("sessions_history returns a sanitised, bounded transcript", "[session][tools]") {
  three_sessions fx;
  auto t = make_sessions_history_tool(fx.store);
  tool_call call;

  auto h = call.run(*t, parse(R"({"sessionKey":"main"})"));
  CHECK_FALSE(h.is_error);
  CHECK(h.details["sessionKey"] == json("agent:main:main"));
  const json& ms = h.details["messages"];
  REQUIRE(ms.size() == 3);
  CHECK(ms[0]["content"][0]["text"] == json("Deploy the site please"));
  CHECK_FALSE(ms[1]["content"][0].contains("thinkingSignature"));
  CHECK_FALSE(ms[1].contains("usage"));
  CHECK(ms[2]["content"][0]["text"] == json("Done: key *** rotated"));
  CHECK(h.details["contentRedacted"] == json(true));
  CHECK(h.details["contentTruncated"] == json(true));  // usage and signatures dropped
  CHECK(h.details["droppedMessages"] == json(false));

  auto with_tools = call.run(*t, parse(R"({"sessionKey":"agent:main:main","includeTools":true})"));
  CHECK(with_tools.details["messages"].size() == 4);
  auto last = call.run(*t, parse(R"({"sessionKey":"main","limit":1})"));
  REQUIRE(last.details["messages"].size() == 1);
  CHECK(last.details["messages"][0]["role"] == json("assistant"));

  // By session id, and an unknown reference.
  auto info = fx.store->find("agent:main:cron:nightly");
  auto by_id = call.run(*t, json::object({{"sessionKey", (*info)->session_id}}));
  CHECK(by_id.details["sessionKey"] == json("agent:main:cron:nightly"));
  auto missing = call.run(*t, parse(R"({"sessionKey":"agent:main:nope"})"));
  CHECK(missing.is_error);
  CHECK(missing.details["status"] == json("error"));
}

TEST_CASE("sessions_history cuts long texts and keeps the newest messages under 80 KB",
          "[session][tools]") {
  temp_dir tmp;
  test_clock clock;
  auto store = std::make_shared<session_store>(tmp.path, "main", quiet_options(clock));
  {
    auto s = store->open("agent:main:main");
    REQUIRE(s);
    for (int i = 0; i < 40; ++i)
      REQUIRE((*s)->append(user("m" + std::to_string(i) + " " + std::string(3900, 'x'))));
    REQUIRE((*s)->append(user("long " + std::string(9000, 'y'))));
  }
  auto t = make_sessions_history_tool(store);
  tool_call call;
  auto h = call.run(*t, parse(R"({"sessionKey":"main"})"));
  CHECK(h.details["droppedMessages"] == json(true));
  CHECK(h.details["truncated"] == json(true));
  CHECK(h.details["bytes"].as_int() <= 80 * 1024);
  const json& ms = h.details["messages"];
  REQUIRE(ms.size() >= 2);
  REQUIRE(ms.size() < 41);
  CHECK_THAT(ms[ms.size() - 1]["content"][0]["text"].as_string(), Contains("…(truncated)…"));
  CHECK_THAT(ms[ms.size() - 2]["content"][0]["text"].as_string(), Contains("m39 "));
}

TEST_CASE("sessions_send runs a turn elsewhere and returns the reply", "[session][tools]") {
  std::vector<std::pair<std::string, std::string>> sent;
  std::function<void(std::function<void(result<std::string>)>)> answer;
  auto t = make_sessions_send_tool(
      [&](std::string key, std::string message, std::function<void(result<std::string>)> reply) {
        sent.emplace_back(key, message);
        answer(std::move(reply));
      });
  CHECK(t->definition().name == "sessions_send");
  tool_call call;

  answer = [](auto reply) { reply(std::string("all green")); };
  auto ok = call.run(*t, parse(R"({"sessionKey":"agent:main:ops","message":"status?"})"));
  CHECK_FALSE(ok.is_error);
  CHECK(ok.details["status"] == json("ok"));
  CHECK(ok.details["reply"] == json("all green"));
  CHECK(ok.details["sessionKey"] == json("agent:main:ops"));
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].first == "agent:main:ops");
  CHECK_THAT(sent[0].second, Contains("agent:main:main") && Contains("not written by the user") &&
                                 Contains("status?"));

  answer = [](auto reply) { reply(fail(errc::unavailable, "model overloaded")); };
  auto failed = call.run(*t, parse(R"({"sessionKey":"agent:main:ops","message":"x"})"));
  CHECK(failed.is_error);
  CHECK(failed.details["error"] == json("model overloaded"));

  answer = [](auto) {};  // never answers
  auto queued =
      call.run(*t, parse(R"({"sessionKey":"agent:main:ops","message":"x","timeoutSeconds":0})"));
  CHECK(queued.details["status"] == json("accepted"));
  auto timeout =
      call.run(*t, parse(R"({"sessionKey":"agent:main:ops","message":"x","timeoutSeconds":1})"));
  CHECK(timeout.is_error);
  CHECK(timeout.details["status"] == json("timeout"));

  auto self = call.run(*t, parse(R"({"sessionKey":"agent:main:main","message":"x"})"));
  CHECK(self.is_error);
  CHECK_THAT(self.details["error"].as_string(), Contains("current session"));
  CHECK(sent.size() == 4);  // the call to itself was never sent
}
