#include <catch2/catch.hpp>

#include "openai_completions_fixture.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace durar;
using namespace oai_test;
using Catch::Contains;

namespace {

struct decoded {
  assistant_message final;
  assistant_message folded;
  bool fold_finished = false;
  int terminals = 0;
  std::vector<errc> failures;
  std::vector<event_kind> kinds;
};

decoded decode(std::string_view bytes, const std::vector<std::size_t>& cuts = {},
               const model_info& model = gpt54(), const secret* key = nullptr,
               bool bytewise = false) {
  decoded d;
  event_fold fold;
  assistant_message init;
  init.api = "openai-completions";
  init.provider = model.provider;
  init.model = model.id;
  init.timestamp = 1000;
  stream_builder b(init, model.cost, [&](const stream_event& e) {
    fold.apply(e);
    d.kinds.push_back(e.kind);
    if (e.kind == event_kind::done || e.kind == event_kind::error) ++d.terminals;
    if (e.failure != nullptr) d.failures.push_back(e.failure->code);
  });
  provider_info provider = native_provider();
  conversation conv;
  request_options options;
  call_spec spec{model, provider, key, conv, options};
  auto dec = oai().make_decoder(spec, b);
  if (bytewise) {
    for (char c : bytes) dec->feed(std::string_view(&c, 1));
  } else {
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
      dec->feed(bytes.substr(at, cut - at));
      at = cut;
    }
    dec->feed(bytes.substr(at));
  }
  dec->finish();
  d.final = b.message();
  d.folded = fold.message();
  d.fold_finished = fold.finished();
  return d;
}

// The recorded stream gives the same message however the bytes are split, and a client that
// folds only the events ends up with exactly the terminal message.
decoded decode_everywhere(const std::string& bytes, const model_info& model = gpt54()) {
  decoded whole = decode(bytes, {}, model);
  REQUIRE(whole.terminals == 1);
  REQUIRE(whole.fold_finished);
  REQUIRE(as_json(whole.folded) == as_json(whole.final));
  const json expected = as_json(whole.final);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    decoded d = decode(bytes, {cut}, model);
    INFO("split at " << cut);
    REQUIRE(d.terminals == 1);
    REQUIRE(as_json(d.final) == expected);
    REQUIRE(as_json(d.folded) == expected);
  }
  decoded bw = decode(bytes, {}, model, nullptr, true);
  REQUIRE(as_json(bw.final) == expected);
  REQUIRE(as_json(bw.folded) == expected);
  return whole;
}

const tool_call_block& call_at(const assistant_message& m, std::size_t i) {
  REQUIRE(i < m.content.size());
  REQUIRE(std::holds_alternative<tool_call_block>(m.content[i]));
  return std::get<tool_call_block>(m.content[i]);
}

}  // namespace

// ---- decoding ----------------------------------------------------------------------------

TEST_CASE("text stream, split anywhere", "[openai-completions]") {
  auto d = decode_everywhere(slurp("text.response.sse"));
  const auto& m = d.final;
  CHECK(m.stop == stop_reason::stop);
  CHECK(text_of(m) ==
        "Marhaba! Durar (\xD8\xAF\xD9\x8F\xD8\xB1\xD9\x8E\xD8\xB1) means \"pearls\" in Arabic "
        "\xF0\x9F\xA6\xAA\xE2\x9C\xA8. How can I help?");
  CHECK(m.content.size() == 1);
  CHECK(m.response_id == "chatcmpl-CqT1xYb8Kf3nZ0aR2sVw9LmE4pHuJ");
  CHECK(m.model == "gpt-5.4");  // the catalog id, not the vendor's dated echo
  CHECK(m.usage.input == 19);
  CHECK(m.usage.output == 17);
  CHECK(m.usage.total_tokens == 36);
  CHECK(d.kinds.front() == event_kind::start);
  CHECK(d.kinds.back() == event_kind::done);
}

TEST_CASE("parallel tool calls interleaved by index land in their own blocks",
          "[openai-completions]") {
  auto d = decode_everywhere(slurp("parallel_tool_calls.response.sse"));
  const auto& m = d.final;
  CHECK(m.stop == stop_reason::tool_use);
  REQUIRE(m.content.size() == 2);
  CHECK(call_at(m, 0).id == "call_Xq3CtwYV9tP2kD1sR7mN0bLe");
  CHECK(call_at(m, 0).name == "get_weather");
  CHECK(call_at(m, 0).arguments == json::object({{"city", "Riyadh"}, {"unit", "celsius"}}));
  CHECK(call_at(m, 1).id == "call_8fJkQ2wZyH5vT0cX1nB4sDmA");
  CHECK(call_at(m, 1).name == "get_time");
  CHECK(call_at(m, 1).arguments == json::object({{"tz", "Asia/Riyadh"}}));
}

TEST_CASE("servers that reuse index 0 or send no index still split calls by id",
          "[openai-completions]") {
  auto chunk = [](std::string tc) {
    return "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[" + tc +
           "]},\"finish_reason\":null}]}\n\n";
  };
  std::string reused =
      chunk(R"({"index":0,"id":"a","function":{"name":"f","arguments":"{\"n\":"}})") +
      chunk(R"({"index":0,"function":{"arguments":"1}"}})") +
      chunk(R"({"index":0,"id":"b","function":{"name":"g","arguments":"{\"n\":2}"}})") +
      "data: "
      "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}"
      "\n\ndata: [DONE]\n\n";
  auto d = decode_everywhere(reused);
  REQUIRE(d.final.content.size() == 2);
  CHECK(call_at(d.final, 0).arguments == json::object({{"n", 1}}));
  CHECK(call_at(d.final, 1).name == "g");
  CHECK(call_at(d.final, 1).arguments == json::object({{"n", 2}}));

  std::string by_id =
      chunk(R"({"id":"a","function":{"name":"f","arguments":""}})") +
      chunk(R"({"id":"b","function":{"name":"g","arguments":"{\"y\":"}})") +
      chunk(R"({"id":"a","function":{"arguments":"{\"x\":1}"}})") +
      chunk(R"({"id":"b","function":{"arguments":"2}"}})") +
      "data: "
      "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  auto e = decode_everywhere(by_id);
  CHECK(e.final.stop == stop_reason::tool_use);  // "stop" with calls means the calls are wanted
  CHECK(call_at(e.final, 0).arguments == json::object({{"x", 1}}));
  CHECK(call_at(e.final, 1).arguments == json::object({{"y", 2}}));
}

TEST_CASE("reasoning_content becomes a thinking block before the text", "[openai-completions]") {
  model_info ds = qwen();
  ds.provider = "deepseek";
  ds.id = "deepseek-reasoner";
  ds.cost = {0.28, 0.42, 0.028, 0};
  auto d = decode_everywhere(slurp("reasoning.response.sse"), ds);
  const auto& m = d.final;
  REQUIRE(m.content.size() == 2);
  const auto& th = std::get<thinking_block>(m.content[0]);
  CHECK(th.thinking ==
        "The user asks for 17 \xC3\x97 23. 17 \xC3\x97 20 = 340, 17 \xC3\x97 3 = 51, so 391.");
  CHECK(th.signature == "reasoning_content");
  CHECK(std::get<text_block>(m.content[1]).text == "17 \xC3\x97 23 = **391**.");
  CHECK(m.usage.reasoning == 71);
  CHECK(m.usage.output == 96);
  CHECK(m.usage.cost.output == Approx(96 * 0.42 / 1e6));
}

TEST_CASE("vLLM-style reasoning field and a tool call", "[openai-completions]") {
  auto d = decode_everywhere(slurp("reasoning_tool_call.response.sse"), qwen());
  const auto& m = d.final;
  REQUIRE(m.content.size() == 2);
  CHECK(std::get<thinking_block>(m.content[0]).signature == "reasoning");
  CHECK(call_at(m, 1).name == "exec");
  CHECK(call_at(m, 1).id == "chatcmpl-tool-4b1e9f0c2a7d4c3e");
  CHECK(call_at(m, 1).arguments == json::object({{"command", "ls -la /srv/app"}}));
  CHECK(m.stop == stop_reason::tool_use);
  CHECK(m.usage.input == 310);
}

TEST_CASE("cached prompt tokens: input excludes them, cost prices them apart",
          "[openai-completions]") {
  auto d = decode_everywhere(slurp("cached_usage.response.sse"));
  const auto& u = d.final.usage;
  CHECK(u.input == 402);
  CHECK(u.cache_read == 2048);
  CHECK(u.output == 14);
  CHECK(u.total_tokens == 2464);
  CHECK(u.cost.input == Approx(402 * 2.5 / 1e6));
  CHECK(u.cost.cache_read == Approx(2048 * 1.25 / 1e6));
  CHECK(u.cost.output == Approx(14 * 10 / 1e6));
  CHECK(u.cost.total == Approx(u.cost.input + u.cost.cache_read + u.cost.output));
  CHECK(text_of(d.final) == "Per the cached project notes, the deploy runs at 02:00 UTC.");
}

TEST_CASE("length stop", "[openai-completions]") {
  auto d = decode_everywhere(slurp("length.response.sse"));
  CHECK(d.final.stop == stop_reason::length);
  CHECK(text_of(d.final) == "Once upon a time, in a city of glass towers, there lived");
}

TEST_CASE("a whole chat.completion body maps to the same events", "[openai-completions]") {
  auto d = decode_everywhere(slurp("non_streaming.response.json"));
  const auto& m = d.final;
  CHECK(m.stop == stop_reason::tool_use);
  REQUIRE(m.content.size() == 3);
  CHECK(std::get<text_block>(m.content[0]).text == "Checking both.");
  CHECK(call_at(m, 1).arguments == json::object({{"path", "README.md"}}));
  CHECK(
      call_at(m, 2).arguments ==
      json::object({{"path", "docs/\xD9\x85\xD9\x84\xD8\xA7\xD8\xAD\xD8\xB8\xD8\xA7\xD8\xAA.md"}}));
  CHECK(m.usage.input == 176);
  CHECK(m.usage.cache_read == 1024);
  CHECK(m.response_id == "chatcmpl-CqT4cP5mNx9Zt2Sa7Jr1QgUd3WyEk");
}

TEST_CASE("an error object inside the stream fails it, keeping what came before",
          "[openai-completions]") {
  auto d = decode_everywhere(slurp("error_in_stream.response.sse"));
  CHECK(d.final.stop == stop_reason::error);
  REQUIRE(d.failures.size() == 1);
  CHECK(d.failures[0] == errc::unavailable);  // an upstream 502
  CHECK_THAT(d.final.error_message, Contains("Upstream error from OpenAI"));
  CHECK(text_of(d.final) == "Let me check that");

  auto quota = decode(
      "data: {\"error\":{\"message\":\"You exceeded your current "
      "quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}\n\n");
  REQUIRE(quota.failures.size() == 1);
  CHECK(quota.failures[0] == errc::resource_exhausted);
  CHECK_THAT(quota.final.error_message, Contains("billing"));
}

TEST_CASE("bad input is an error event, never a crash", "[openai-completions]") {
  SECTION("invalid JSON in an event") {
    auto d = decode(
        "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"
        "data: {\"id\":\"x\",\"choices\":[{\"ind\n\n"
        "data: [DONE]\n\n");
    REQUIRE(d.terminals == 1);
    CHECK(d.failures == std::vector<errc>{errc::protocol_error});
    CHECK_THAT(d.final.error_message, Contains("invalid JSON"));
    CHECK(text_of(d.final) == "hi");
    CHECK(d.fold_finished);
  }
  SECTION("a stream that ends without finish_reason or [DONE]") {
    std::string s = slurp("text.response.sse");
    s = s.substr(0, s.find("\"finish_reason\":\"stop\""));
    s = s.substr(0, s.rfind("data: "));
    auto d = decode(s);
    CHECK(d.failures == std::vector<errc>{errc::protocol_error});
    CHECK_THAT(d.final.error_message, Contains("stream ended early"));
  }
  SECTION("finish_reason without [DONE] is complete") {
    auto d = decode(
        "data: "
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}"
        "\n\n");
    CHECK(d.failures.empty());
    CHECK(d.final.stop == stop_reason::stop);
  }
  SECTION("an empty body") {
    auto d = decode("");
    CHECK(d.failures == std::vector<errc>{errc::protocol_error});
  }
  SECTION("events of the wrong shape are skipped") {
    auto d = decode("data: []\n\n");
    CHECK(d.failures == std::vector<errc>{errc::protocol_error});
    auto e = decode(
        "data: {\"choices\":\"nope\"}\n\ndata: "
        "{\"choices\":[{\"delta\":{\"content\":7,\"tool_calls\":{}}}]}\n\ndata: [DONE]\n\n");
    CHECK(e.failures.empty());
    CHECK(e.final.content.empty());
  }
  SECTION("content_filter is an error") {
    auto d = decode(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"I "
        "can\"},\"finish_reason\":\"content_filter\"}]}\n\ndata: [DONE]\n\n");
    CHECK(d.final.stop == stop_reason::error);
    CHECK_THAT(d.final.error_message, Contains("content_filter"));
  }
  SECTION("a throwing event callback does not escape feed()") {
    int calls = 0;
    assistant_message init;
    stream_builder b(init, {}, [&](const stream_event& e) {
      if (e.kind == event_kind::text_delta && ++calls == 1) throw std::runtime_error("host bug");
    });
    model_info model = gpt54();
    provider_info provider = native_provider();
    conversation conv;
    request_options options;
    call_spec spec{model, provider, nullptr, conv, options};
    auto dec = oai().make_decoder(spec, b);
    CHECK_NOTHROW(dec->feed(slurp("text.response.sse")));
    CHECK_NOTHROW(dec->finish());
    CHECK(b.finished());
    CHECK(b.message().stop == stop_reason::error);
  }
}

TEST_CASE("the API key never reaches an error message", "[openai-completions]") {
  secret key("sk-canary-9f8e7d6c5b4a");
  auto d = decode(
      "data: {\"error\":{\"message\":\"Incorrect API key provided: "
      "sk-canary-9f8e7d6c5b4a\",\"code\":\"invalid_api_key\"}}\n\n",
      {}, gpt54(), &key);
  REQUIRE(d.failures == std::vector<errc>{errc::unauthenticated});
  CHECK(d.final.error_message.find("sk-canary") == std::string::npos);
  CHECK_THAT(d.final.error_message, Contains("***"));
}

TEST_CASE("HTTP errors are classified from the OpenAI error body", "[openai-completions]") {
  auto classify = [](int status, std::string body,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    http_head h;
    h.status = status;
    h.headers = std::move(headers);
    return oai().classify_error(h, body);
  };
  auto quota = classify(
      429,
      R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
  CHECK(quota.code == errc::resource_exhausted);
  CHECK_THAT(quota.message, Contains("billing"));
  CHECK(quota.http_status == 429);
  CHECK_THAT(quota.provider_message, Contains("exceeded your current quota"));

  auto overflow = classify(
      400,
      R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})");
  CHECK(overflow.code == errc::context_overflow);

  auto rate = classify(
      429,
      R"({"error":{"message":"Rate limit reached for gpt-4o","type":"tokens","code":"rate_limit_exceeded"}})",
      {{"retry-after", "20"}});
  CHECK(rate.code == errc::resource_exhausted);
  REQUIRE(rate.retry_after);
  CHECK(rate.retry_after->count() == 20000);

  CHECK(
      classify(
          401,
          R"({"error":{"message":"Incorrect API key provided: sk-***abcd.","type":"invalid_request_error","code":"invalid_api_key"}})")
          .code == errc::unauthenticated);
  CHECK(
      classify(
          404,
          R"({"error":{"message":"The model `gpt-9` does not exist","type":"invalid_request_error","code":"model_not_found"}})")
          .code == errc::not_found);
  CHECK(classify(
            500,
            R"({"error":{"message":"The server had an error","type":"server_error","code":null}})")
            .code == errc::unavailable);
  CHECK(classify(503, "<html>Service Unavailable</html>").code == errc::unavailable);
  CHECK(
      classify(
          400,
          R"({"error":{"message":"Invalid value for 'tool_choice'","type":"invalid_request_error","code":null}})")
          .code == errc::invalid_argument);
  // Statuses whose body says nothing: the mapping every transport shares.
  CHECK(classify(413, "<html>Request Entity Too Large</html>").code == errc::context_overflow);
  CHECK(classify(402, "").code == errc::resource_exhausted);
  CHECK(classify(408, "").code == errc::deadline_exceeded);
  CHECK(classify(409, "conflict").code == errc::invalid_argument);
  CHECK(classify(529, "").code == errc::unavailable);
  CHECK(classify(302, "<html>moved</html>").code == errc::protocol_error);
}

TEST_CASE("usage on the choice (Moonshot) counts when the chunk's usage is null",
          "[openai-completions]") {
  auto d = decode_everywhere(
      "data: {\"id\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},"
      "\"finish_reason\":null}],\"usage\":null}\n\n"
      "data: {\"id\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\","
      "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":2,\"total_tokens\":22,"
      "\"cached_tokens\":0}}],\"usage\":null}\n\n"
      "data: [DONE]\n\n");
  CHECK(d.final.usage.input == 20);
  CHECK(d.final.usage.output == 2);
  CHECK(d.final.usage.total_tokens == 22);
}
