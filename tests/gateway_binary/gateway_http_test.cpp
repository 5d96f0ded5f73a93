// The real durar-gateway program, upstream the real durar-fake-vendor, driven with curl:
// what an OpenAI-compatible client sees.
#include <catch2/catch.hpp>

#include "gateway_harness.hpp"

using namespace durar;
using namespace durar::test;

TEST_CASE("gateway binary: health needs no token and models need one", "[gateway][binary]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());

  curl_reply health = gw.curl("/health", {}, false);
  REQUIRE(health.exit_code == 0);
  CHECK(health.status == 200);
  CHECK(health.json_body()["ok"] == json(true));
  CHECK(gw.curl("/readyz", {}, false).status == 200);

  curl_reply anonymous = gw.curl("/v1/models", {}, false);
  CHECK(anonymous.status == 401);
  CHECK(anonymous.json_body()["error"]["type"] == json("authentication_error"));
  CHECK(anonymous.headers.find("www-authenticate: bearer") != std::string::npos);

  curl_reply models = gw.curl("/v1/models");
  REQUIRE(models.status == 200);
  json body = models.json_body();
  CHECK(body["object"] == json("list"));
  std::vector<std::string> ids;
  for (const auto& m : body["data"].as_array()) ids.push_back(m.string_or("id"));
  CHECK(std::find(ids.begin(), ids.end(), "durar") != ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "durar/main") != ids.end());
}

TEST_CASE("gateway binary: a chat completion, whole and streamed", "[gateway][binary]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());
  const std::vector<std::string> json_post = {"-H", "content-type: application/json",
                                              "--data-binary"};

  auto whole_args = json_post;
  whole_args.push_back(chat_body("hi", false));
  curl_reply whole = gw.curl("/v1/chat/completions", whole_args);
  REQUIRE(whole.status == 200);
  json completion = whole.json_body();
  CHECK(completion["object"] == json("chat.completion"));
  CHECK(completion["choices"][0]["message"]["content"] == json(recorded_text));
  CHECK(completion["choices"][0]["finish_reason"] == json("stop"));
  CHECK(completion["usage"]["total_tokens"].is_integer());

  auto stream_args = json_post;
  stream_args.push_back(chat_body("again", true));
  stream_args.push_back("-N");
  curl_reply streamed = gw.curl("/v1/chat/completions", stream_args);
  REQUIRE(streamed.status == 200);
  CHECK(streamed.headers.find("content-type: text/event-stream") != std::string::npos);
  std::string text;
  bool done = false, finished = false;
  std::size_t pos = 0;
  while ((pos = streamed.body.find("data: ", pos)) != std::string::npos) {
    pos += 6;
    std::string line = streamed.body.substr(pos, streamed.body.find('\n', pos) - pos);
    if (line == "[DONE]") {
      done = true;
      continue;
    }
    auto chunk = json::parse(line);
    REQUIRE(chunk);
    CHECK((*chunk)["object"] == json("chat.completion.chunk"));
    const json& choice = (*chunk)["choices"][0];
    text += choice["delta"].string_or("content");
    finished = finished || choice["finish_reason"] == json("stop");
  }
  CHECK(text == recorded_text);
  CHECK(finished);
  CHECK(done);
  CHECK(gw.healthy());
}
