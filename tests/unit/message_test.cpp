#include <durar/message.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace durar;
using Catch::Contains;

// Every test file that compares json in CHECK declares this, or the linker may pick "{?}".
namespace Catch {
template <>
struct StringMaker<durar::json> {
  static std::string convert(const durar::json& v) { return v.dump(); }
};
}  // namespace Catch

namespace {

json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

message read(const json& j) {
  auto r = message_from_json(j);
  if (!r) FAIL("message_from_json failed: " << r.error().message << "\n" << j.dump());
  return std::move(r).value();
}

// Transcript lines as the original writes them (`<sessionId>.jsonl`), one per shape.
const std::vector<std::string>
    original_lines =
        {
            R"({"type":"message","id":"a1b2c3d4","parentId":"9f8e7d6c","timestamp":"2026-04-21T09:14:03.512Z","message":{"role":"user","content":[{"type":"text","text":"What's in /srv/app? Answer in Arabic: ما الموجود؟"}],"timestamp":1776762843512}})",
            R"({"type":"message","id":"b2c3d4e5","parentId":"a1b2c3d4","timestamp":"2026-04-21T09:14:04.120Z","message":{"role":"assistant","content":[{"type":"thinking","thinking":"List the directory first.","thinkingSignature":"EqQBCkgIBxABGAIqQMd1f0bY2vGk7QWm6hZr0n5yPp3L"},{"type":"toolCall","id":"toolu_01A09q90qw90lq917835lq9","name":"exec","arguments":{"command":"ls /srv/app","timeout":30}}],"api":"anthropic-messages","provider":"anthropic","model":"claude-sonnet-4-6","usage":{"input":1843,"output":96,"cacheRead":12288,"cacheWrite":0,"totalTokens":14227,"cost":{"input":0.005529,"output":0.00144,"cacheRead":0.0036864,"cacheWrite":0,"total":0.0106554}},"stopReason":"toolUse","timestamp":1776762844120,"responseId":"msg_01XFDUDYJgAACzvnptvVoYEL"}})",
            R"({"type":"message","id":"c3d4e5f6","parentId":"b2c3d4e5","timestamp":"2026-04-21T09:14:04.290Z","message":{"role":"toolResult","toolCallId":"toolu_01A09q90qw90lq917835lq9","toolName":"exec","content":[{"type":"text","text":"README.md\nsrc\n"}],"details":{"exitCode":0,"durationMs":12,"cwd":"/srv/app"},"isError":false,"timestamp":1776762844290}})",
            R"({"type":"message","id":"d4e5f6a7","parentId":"c3d4e5f6","timestamp":"2026-04-21T09:14:06.002Z","message":{"role":"assistant","content":[{"type":"text","text":"فيه README.md والمجلد src.","textSignature":"{\"v\":1,\"id\":\"msg_68a1f0c2b7e08190a3\",\"phase\":\"final_answer\"}"}],"api":"openai-responses","provider":"openai","model":"gpt-5.4","usage":{"input":2100,"output":31,"cacheRead":0,"cacheWrite":0,"totalTokens":2131,"cost":{"input":0.00525,"output":0.000465,"cacheRead":0,"cacheWrite":0,"total":0.005715}},"stopReason":"stop","timestamp":1776762846002,"responseId":"resp_68a1f0c1a2b48190"}})",
            R"({"type":"message","id":"e5f6a7b8","parentId":"d4e5f6a7","timestamp":"2026-04-21T09:15:10.000Z","message":{"role":"user","content":[{"type":"text","text":"And this screenshot?"},{"type":"image","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==","mimeType":"image/png"}],"timestamp":1776762910000}})",
            R"({"type":"message","id":"f6a7b8c9","parentId":"e5f6a7b8","timestamp":"2026-04-21T09:15:12.400Z","message":{"role":"assistant","content":[{"type":"thinking","thinking":"","thinkingSignature":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw","redacted":true},{"type":"toolCall","id":"call_9c2d","name":"read","arguments":{},"thoughtSignature":"CiQBcsjafE8tyTQ6e0o2zrJ3nW0sJxqz"}],"api":"google-generative-ai","provider":"google","model":"gemini-3-pro-preview","usage":{"input":900,"output":12,"cacheRead":0,"cacheWrite":0,"totalTokens":912,"cost":{"input":0.0018,"output":0.000144,"cacheRead":0,"cacheWrite":0,"total":0.001944}},"stopReason":"toolUse","timestamp":1776762912400}})",
            R"({"type":"message","id":"a7b8c9d0","parentId":"f6a7b8c9","timestamp":"2026-04-21T09:15:13.000Z","message":{"role":"toolResult","toolCallId":"call_9c2d","toolName":"read","content":[{"type":"text","text":"ENOENT: no such file"}],"isError":true,"timestamp":1776762913000}})",
            R"({"type":"message","id":"b8c9d0e1","parentId":"a7b8c9d0","timestamp":"2026-04-21T09:15:20.000Z","message":{"role":"assistant","content":[],"api":"openai-completions","provider":"openrouter","model":"openai/gpt-4o","usage":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"totalTokens":0,"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},"stopReason":"error","timestamp":1776762920000,"errorMessage":"429 Rate limit exceeded: free-models-per-day"}})",
            R"({"type":"message","id":"c9d0e1f2","parentId":"b8c9d0e1","timestamp":"2026-04-21T09:15:21.000Z","message":{"role":"assistant","content":[{"type":"text","text":"Partial ans"}],"api":"openai-completions","provider":"vllm","model":"qwen3-32b","usage":{"input":10,"output":3,"cacheRead":0,"cacheWrite":0,"totalTokens":13,"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},"stopReason":"aborted","timestamp":1776762921000,"errorMessage":"Request was aborted"}})",
};

}  // namespace

TEST_CASE("stop reasons have the original's names", "[message]") {
  CHECK(to_string(stop_reason::stop) == "stop");
  CHECK(to_string(stop_reason::length) == "length");
  CHECK(to_string(stop_reason::tool_use) == "toolUse");
  CHECK(to_string(stop_reason::error) == "error");
  CHECK(to_string(stop_reason::aborted) == "aborted");
}

TEST_CASE("the original's transcript lines read and write back unchanged", "[message]") {
  for (const auto& line : original_lines) {
    INFO(line);
    json entry = parse(line);
    const json& j = entry["message"];
    message m = read(j);
    json back = to_json(m);
    CHECK(back == j);
    // Same keys in the same order, so the bytes match too.
    CHECK(back.dump() == j.dump());
    // And a second trip is stable.
    CHECK(to_json(read(back)) == back);
  }
}

TEST_CASE("transcript lines map onto the right fields", "[message]") {
  auto a = std::get<assistant_message>(read(parse(original_lines[1])["message"]));
  CHECK(a.api == "anthropic-messages");
  CHECK(a.stop == stop_reason::tool_use);
  CHECK(a.response_id == "msg_01XFDUDYJgAACzvnptvVoYEL");
  CHECK(a.usage.input == 1843);
  CHECK(a.usage.cache_read == 12288);
  CHECK(a.usage.total_tokens == 14227);
  CHECK(a.usage.cost.total == Approx(0.0106554));
  REQUIRE(a.content.size() == 2);
  CHECK(std::get<thinking_block>(a.content[0]).signature ==
        "EqQBCkgIBxABGAIqQMd1f0bY2vGk7QWm6hZr0n5yPp3L");
  const auto& call = std::get<tool_call_block>(a.content[1]);
  CHECK(call.name == "exec");
  CHECK(call.arguments == json::object({{"command", "ls /srv/app"}, {"timeout", 30}}));
  REQUIRE(tool_calls_of(a).size() == 1);
  CHECK(tool_calls_of(a)[0]->id == "toolu_01A09q90qw90lq917835lq9");

  auto r = std::get<tool_result_message>(read(parse(original_lines[2])["message"]));
  CHECK(r.tool_call_id == "toolu_01A09q90qw90lq917835lq9");
  CHECK(r.details["exitCode"] == json(0));
  CHECK_FALSE(r.is_error);

  auto u = std::get<user_message>(read(parse(original_lines[4])["message"]));
  REQUIRE(u.content.size() == 2);
  CHECK(std::get<image_block>(u.content[1]).mime_type == "image/png");
  CHECK(u.timestamp == 1776762910000);

  auto g = std::get<assistant_message>(read(parse(original_lines[5])["message"]));
  CHECK(std::get<thinking_block>(g.content[0]).redacted);
  CHECK(std::get<tool_call_block>(g.content[1]).thought_signature ==
        "CiQBcsjafE8tyTQ6e0o2zrJ3nW0sJxqz");

  auto e = std::get<assistant_message>(read(parse(original_lines[7])["message"]));
  CHECK(e.stop == stop_reason::error);
  CHECK(e.error_message == "429 Rate limit exceeded: free-models-per-day");
}

TEST_CASE("every block and role round-trips from C++ values", "[message]") {
  assistant_message a;
  a.api = "openai-completions";
  a.provider = "deepseek";
  a.model = "deepseek-reasoner";
  a.response_id = "0f5c7d2e";
  a.stop = stop_reason::length;
  a.timestamp = 1776762843512;
  a.usage.input = 14;
  a.usage.output = 96;
  a.usage.reasoning = 71;
  a.usage.total_tokens = 110;
  a.usage.cost = {0.1, 0.2, 0.3, 0.4, 1.0};
  a.content.emplace_back(thinking_block{"think \xF0\x9F\xA4\x94", "reasoning_content", false});
  a.content.emplace_back(text_block{"391", "sig"});
  tool_call_block call;
  call.id = "call_1";
  call.name = "calc";
  call.arguments = json::object({{"expr", "17*23"}, {"nested", json::array({1, 2.5, nullptr})}});
  call.thought_signature = "ts";
  a.content.emplace_back(call);

  tool_result_message r;
  r.tool_call_id = "call_1";
  r.tool_name = "calc";
  r.content.emplace_back(text_block{"391", {}});
  r.content.emplace_back(image_block{"image/jpeg", "/9j/4AAQ"});
  r.is_error = true;
  r.timestamp = 5;

  user_message u;
  u.content.emplace_back(text_block{"hi", {}});
  u.content.emplace_back(image_block{"image/png", "iVBOR"});
  u.timestamp = 7;

  for (const message& m : std::vector<message>{a, r, u}) {
    json j = to_json(m);
    INFO(j.dump());
    CHECK(to_json(read(j)) == j);
  }
  json aj = to_json(message(a));
  CHECK(aj["usage"]["reasoning"] == json(71));
  CHECK(aj["stopReason"] == json("length"));
  CHECK(aj["content"][1]["textSignature"] == json("sig"));
  CHECK(aj["content"][2]["thoughtSignature"] == json("ts"));
  CHECK_FALSE(aj.contains("errorMessage"));
  json rj = to_json(message(r));
  CHECK_FALSE(rj.contains("details"));  // undefined in the original: left out
  CHECK(rj["isError"] == json(true));
  CHECK(rj["content"][1] ==
        json::object({{"type", "image"}, {"data", "/9j/4AAQ"}, {"mimeType", "image/jpeg"}}));
}

TEST_CASE("user content may be a plain string", "[message]") {
  auto u =
      std::get<user_message>(read(parse(R"({"role":"user","content":"hello","timestamp":12})")));
  REQUIRE(u.content.size() == 1);
  CHECK(std::get<text_block>(u.content[0]).text == "hello");
  CHECK(u.timestamp == 12);
  CHECK(to_json(message(u)) ==
        parse(R"({"role":"user","content":[{"type":"text","text":"hello"}],"timestamp":12})"));
  // Tool results written by some plugins carry a string too.
  auto r = std::get<tool_result_message>(read(parse(
      R"({"role":"toolResult","toolCallId":"x","toolName":"t","content":"ok","isError":false,"timestamp":1})")));
  CHECK(std::get<text_block>(r.content[0]).text == "ok");
}

TEST_CASE("timestamps written as reals by JavaScript still read", "[message]") {
  auto u = std::get<user_message>(
      read(parse(R"({"role":"user","content":[],"timestamp":1.7767628435e12})")));
  CHECK(u.timestamp == 1776762843500);
}

TEST_CASE("unknown shapes are invalid_argument errors that name the culprit", "[message]") {
  auto bad_block = message_from_json(
      parse(R"({"role":"user","content":[{"type":"audio","data":"..."}],"timestamp":1})"));
  REQUIRE_FALSE(bad_block);
  CHECK(bad_block.error().code == errc::invalid_argument);
  CHECK_THAT(bad_block.error().message, Contains("audio"));

  auto bad_role = message_from_json(parse(R"({"role":"system","content":"x"})"));
  REQUIRE_FALSE(bad_role);
  CHECK_THAT(bad_role.error().message, Contains("system"));

  auto bad_stop = message_from_json(parse(
      R"({"role":"assistant","content":[],"stopReason":"maybe","api":"x","provider":"y","model":"z"})"));
  REQUIRE_FALSE(bad_stop);
  CHECK_THAT(bad_stop.error().message, Contains("maybe"));

  CHECK_FALSE(message_from_json(parse(R"([1,2])")));
  CHECK_FALSE(message_from_json(parse(R"({"content":[]})")));
  CHECK_FALSE(message_from_json(parse(R"({"role":"assistant","content":"text"})")));
  CHECK_FALSE(message_from_json(parse(R"({"role":"user","content":[{"text":"no type"}]})")));
}

TEST_CASE("helpers: user_text, text_of, tool_calls_of, now_ms", "[message]") {
  const auto before = now_ms();
  user_message u = user_text("hello");
  CHECK(u.timestamp >= before);
  CHECK(u.timestamp <= now_ms());
  CHECK(before > 1700000000000);  // milliseconds, not seconds
  REQUIRE(u.content.size() == 1);
  CHECK(std::get<text_block>(u.content[0]).text == "hello");

  assistant_message a;
  a.content.emplace_back(thinking_block{"hidden", {}, false});
  a.content.emplace_back(text_block{"Hello, ", {}});
  a.content.emplace_back(tool_call_block{"c1", "read", json::object(), {}});
  a.content.emplace_back(text_block{"world", {}});
  a.content.emplace_back(tool_call_block{"c2", "exec", json::object(), {}});
  CHECK(text_of(a) == "Hello, world");
  auto calls = tool_calls_of(a);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]->id == "c1");
  CHECK(calls[1]->name == "exec");
}
