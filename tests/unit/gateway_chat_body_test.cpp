// The non-streamed chat.completion body is written directly into a string; it must be the
// same bytes as the json tree it was built as before, dumped, for every kind of run result.
#include <catch2/catch.hpp>

#include "gateway/openai_api.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace durar;
using namespace durar::gateway_detail;

namespace {

// The body as the gateway built it before it was written directly: a json tree, dumped.
json tree_body(const std::string& id, std::int64_t created, const std::string& model,
               const std::string& content, std::string_view finish_reason, const durar::usage& u,
               json tool_calls) {
  const bool calls = !tool_calls.is_null();
  json message = json::object({{"role", "assistant"},
                               {"content", calls && content.empty() ? json() : json(content)},
                               {"refusal", json()}});
  if (calls) message.set("tool_calls", std::move(tool_calls));
  json choice = json::object({{"index", 0},
                              {"message", std::move(message)},
                              {"logprobs", json()},
                              {"finish_reason", finish_reason}});
  return json::object({{"id", id},
                       {"object", "chat.completion"},
                       {"created", created},
                       {"model", model},
                       {"choices", json::array({std::move(choice)})},
                       {"usage", chat_usage(u)}});
}

json parsed(std::string_view text) {
  auto r = json::parse(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

tool_call_block call(std::string id, std::string name, json arguments) {
  tool_call_block c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.arguments = std::move(arguments);
  return c;
}

// The direct body against the tree's dump, byte for byte; `calls` null for a reply without
// calls to the caller's tools.
void check_same(const std::string& id, std::int64_t created, const std::string& model,
                const std::string& content, std::string_view finish, const durar::usage& u,
                const std::vector<tool_call_block>* calls = nullptr) {
  json tree_calls;
  std::vector<const tool_call_block*> ptrs;
  if (calls != nullptr) {
    tree_calls = json::array();
    for (const auto& c : *calls) {
      tree_calls.push_back(chat_tool_call(c));
      ptrs.push_back(&c);
    }
  }
  const std::string expected =
      tree_body(id, created, model, content, finish, u, std::move(tree_calls)).dump();
  const std::string direct = chat_completion_body(id, created, model, content, finish, u,
                                                  calls != nullptr ? &ptrs : nullptr);
  CHECK(direct == expected);
  CHECK(json::parse(direct).has_value());
}

}  // namespace

TEST_CASE("chat completion body: plain answers match the tree's bytes", "[gateway][openai]") {
  durar::usage u;
  u.input = 10;
  u.cache_read = 5;
  u.cache_write = 3;
  u.output = 7;
  u.reasoning = 2;
  check_same("chatcmpl_1", 1700000000, "durar", "Hello!", "stop", u);
  check_same("chatcmpl_2", 1700000001, "durar/coder", "cut", "length", u);
  check_same("chatcmpl_3", 0, "durar", "", "stop", durar::usage{});
  const std::string direct =
      chat_completion_body("chatcmpl_1", 1700000000, "durar", "Hello!", "stop", u);
  CHECK(direct ==
        R"({"id":"chatcmpl_1","object":"chat.completion","created":1700000000,"model":"durar",)"
        R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello!",)"
        R"("refusal":null},"logprobs":null,"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":18,"completion_tokens":7,"total_tokens":25,)"
        R"("prompt_tokens_details":{"cached_tokens":5},)"
        R"("completion_tokens_details":{"reasoning_tokens":2}}})");
}

TEST_CASE("chat completion body: escapes, unicode and extreme numbers match", "[gateway][openai]") {
  durar::usage u;
  u.input = std::numeric_limits<std::int64_t>::max() / 4;
  u.cache_read = 1;
  u.output = 123456789012345;
  u.reasoning = -1;  // never sent by a vendor; still written as the tree writes it
  const std::string text =
      "quote \" backslash \\ newline \n tab \t cr \r ctl \x01\x1f del \x7f "
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 bad \xFF\xC3 end </script>";
  check_same("chatcmpl_\"x\"", -5, "durar/\xE2\x9C\x93\\", text, "stop", u);
  check_same("id", 1, "m", std::string("nul \0 inside", 12), "content_filter", u);
  check_same("id", std::numeric_limits<std::int64_t>::min(), "", "a", "", u);
  check_same(std::string(300, 'x'), 1, "durar", std::string(20000, 'y') + "\xE2\x82", "length", u);
}

TEST_CASE("chat completion body: calls to the caller's tools match", "[gateway][openai]") {
  durar::usage u;
  u.input = 40;
  u.output = 12;
  const std::vector<tool_call_block> calls = {
      call("call_1", "get_weather", parsed(R"({"city":"Zürich","units":"c","days":3})")),
      call("call_\"2\"", "search\n", parsed(R"({"q":"a \"b\" \\ c","n":-1,"f":1.5,"e":1e300,
        "z":0.0,"big":18446744073709551615,"list":[true,false,null,{"x":[]}],"o":{}})")),
      call("call_3", "noargs", json::object()),
  };
  check_same("chatcmpl_t", 1700000000, "durar", "", "tool_calls", u, &calls);
  check_same("chatcmpl_t", 1700000000, "durar", "Let me look that up.", "tool_calls", u, &calls);
  const std::vector<tool_call_block> one = {call("c", "f", parsed(R"({"s":"\u0001\u00e9"})"))};
  check_same("chatcmpl_t", 1, "durar", "", "tool_calls", u, &one);
  // Stopped on client tools, none of them the caller's: an empty list, content null.
  const std::vector<tool_call_block> none;
  check_same("chatcmpl_t", 1, "durar", "", "tool_calls", u, &none);
  check_same("chatcmpl_t", 1, "durar", "text", "tool_calls", u, &none);
  const std::vector<const tool_call_block*> no_calls;
  CHECK(chat_completion_body("i", 1, "m", "", "tool_calls", u, &no_calls)
            .find(R"("content":null,"refusal":null,"tool_calls":[]})") != std::string::npos);
}
