// The gateway's OpenAI-compatible API end to end: real turns through the run registry, the
// agent and the router against a fake vendor on 127.0.0.1, answered through a recording
// responder (exact bytes, no sockets) and, for the wiring, through the real gateway server.
#include "gateway_openai_harness.hpp"

using namespace gateway_openai_test;

TEST_CASE("a chat completion answers with the agent's reply and usage", "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  auto out = h.post("/v1/chat/completions", chat("hi"));
  INFO(out->body);
  REQUIRE(out->status == 200);
  json body = out->json_body();
  CHECK(body["object"] == "chat.completion");
  CHECK(body["id"].as_string().rfind("chatcmpl_", 0) == 0);
  CHECK(body["model"] == "durar");
  CHECK(body["choices"][0]["message"]["role"] == "assistant");
  CHECK(body["choices"][0]["message"]["content"] == "First answer.");
  CHECK(body["choices"][0]["finish_reason"] == "stop");
  CHECK(body["usage"]["prompt_tokens"] == 150);
  CHECK(body["usage"]["completion_tokens"] == 12);
  CHECK(body["usage"]["total_tokens"] == 162);

  json sent = h.vendor_body(0);
  CHECK(sent["model"] == "m1");
  const auto& msgs = sent["messages"].as_array();
  CHECK(msgs.back()["content"].dump().find("hi") != std::string::npos);
  CHECK(out->body.find("sk-fake-gateway-canary") == std::string::npos);
}

TEST_CASE("a streamed chat completion sends role, content, finish, then DONE",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  auto out = h.post("/v1/chat/completions",
                    chat("hi", R"("stream":true,"stream_options":{"include_usage":true},)"));
  INFO(out->body);
  REQUIRE(out->status == 200);
  CHECK(out->streamed);
  CHECK(out->header("content-type").rfind("text/event-stream", 0) == 0);
  auto data = out->sse_data();
  REQUIRE(data.size() >= 5);
  CHECK(data.back() == "[DONE]");
  json first = parse(data.front());
  CHECK(first["object"] == "chat.completion.chunk");
  CHECK(first["choices"][0]["delta"] == parse(R"({"role":"assistant"})"));
  const std::string id = first["id"].as_string();
  CHECK(id.rfind("chatcmpl_", 0) == 0);

  std::string text;
  std::optional<json> finish, usage;
  for (std::size_t i = 1; i + 1 < data.size(); ++i) {
    json c = parse(data[i]);
    CHECK(c["id"] == id);
    if (c["usage"].is_object()) {
      usage = c;
      continue;
    }
    CHECK_FALSE(finish);  // nothing but usage after the finish chunk
    const json& choice = c["choices"][0];
    if (choice["finish_reason"].is_string()) {
      finish = c;
      CHECK(choice["delta"] == json::object());
    } else {
      text += choice["delta"]["content"].as_string();
    }
  }
  CHECK(text == "First answer.");
  REQUIRE(finish);
  CHECK((*finish)["choices"][0]["finish_reason"] == "stop");
  REQUIRE(usage);
  CHECK((*usage)["choices"] == json::array());
  CHECK((*usage)["usage"]["total_tokens"] == 162);
}

TEST_CASE("the user field keeps a conversation, without it every call starts afresh",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  h.vendor.enqueue(reply("answer_two"));
  h.vendor.enqueue(reply("answer_one"));
  h.vendor.enqueue(reply("answer_two"));
  REQUIRE(h.post("/v1/chat/completions", chat("first question", R"("user":"bob",)"))->status ==
          200);
  REQUIRE(h.post("/v1/chat/completions", chat("second question", R"("user":"bob",)"))->status ==
          200);
  // Bob's second call carries his first exchange: it lives in the session, not the request.
  std::string second = sent_text(h.vendor_body(1));
  CHECK(second.find("first question") != std::string::npos);
  CHECK(second.find("First answer.") != std::string::npos);

  REQUIRE(h.post("/v1/chat/completions", chat("anonymous one"))->status == 200);
  REQUIRE(h.post("/v1/chat/completions", chat("anonymous two"))->status == 200);
  std::string fourth = sent_text(h.vendor_body(3));
  CHECK(fourth.find("anonymous one") == std::string::npos);
  CHECK(fourth.find("first question") == std::string::npos);

  auto store = h.rt->sessions("main");
  REQUIRE(store);
  auto list = (*store)->list();
  REQUIRE(list);
  std::vector<std::string> keys;
  for (const auto& s : *list) keys.push_back(s.key);
  CHECK(std::count(keys.begin(), keys.end(), "agent:main:openai-user:bob") == 1);
  CHECK(std::count_if(keys.begin(), keys.end(), [](const std::string& k) {
          return k.rfind("agent:main:openai:", 0) == 0;
        }) == 2);
}

TEST_CASE("sampling fields of a request reach the vendor request", "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  h.vendor.enqueue(reply("answer_one"));
  h.vendor.enqueue(reply("answer_one"));
  auto out = h.post("/v1/chat/completions",
                    chat("hi", R"("max_tokens":77,"temperature":0.25,"top_p":0.5,)"));
  INFO(out->body);
  REQUIRE(out->status == 200);
  json sent = h.vendor_body(0);
  INFO(sent.dump());
  // The fake provider is not OpenAI itself: it gets max_tokens, or max_completion_tokens.
  const json& budget =
      sent.contains("max_tokens") ? sent["max_tokens"] : sent["max_completion_tokens"];
  CHECK(budget == 77);
  CHECK(sent["temperature"] == 0.25);
  CHECK(sent["top_p"] == 0.5);

  auto newer = h.post("/v1/chat/completions", chat("hi", R"("max_completion_tokens":12,)"));
  REQUIRE(newer->status == 200);
  json second = h.vendor_body(1);
  const json& second_budget =
      second.contains("max_tokens") ? second["max_tokens"] : second["max_completion_tokens"];
  CHECK(second_budget == 12);
  CHECK_FALSE(second.contains("temperature"));  // unset: the model's own
  CHECK_FALSE(second.contains("top_p"));

  auto resp = h.post("/v1/responses",
                     R"({"model":"durar","input":"hi","max_output_tokens":33,"temperature":1.5})");
  INFO(resp->body);
  REQUIRE(resp->status == 200);
  json third = h.vendor_body(2);
  const json& third_budget =
      third.contains("max_tokens") ? third["max_tokens"] : third["max_completion_tokens"];
  CHECK(third_budget == 33);
  CHECK(third["temperature"] == 1.5);
  CHECK(resp->json_body()["max_output_tokens"] == 33);
  CHECK(resp->json_body()["temperature"] == 1.5);
}

TEST_CASE("sampling fields out of range are refused before any turn", "[gateway][openai]") {
  harness h;
  auto hot = h.post("/v1/chat/completions", chat("hi", R"("temperature":2.5,)"));
  CHECK(hot->status == 400);
  json body = hot->json_body();
  CHECK(body["error"]["type"] == "invalid_request_error");
  CHECK(body["error"]["param"] == "temperature");
  auto none = h.post("/v1/chat/completions", chat("hi", R"("max_tokens":0,)"));
  CHECK(none->status == 400);
  CHECK(none->json_body()["error"]["param"] == "max_tokens");
  auto resp = h.post("/v1/responses", R"({"input":"hi","max_output_tokens":-1})");
  CHECK(resp->status == 400);
  CHECK(resp->json_body()["error"]["param"] == "max_output_tokens");
  CHECK(h.vendor.requests().empty());
}

TEST_CASE("two calls into one session wait their turn", "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  h.vendor.enqueue(reply("answer_two"));
  auto a = h.call("POST", "/v1/chat/completions", chat("one", R"("user":"bob",)"));
  auto b = h.call("POST", "/v1/chat/completions", chat("two", R"("user":"bob",)"));
  REQUIRE(test::run_until(h.io, [&] { return a->finished() && b->finished(); }));
  INFO(b->body);
  CHECK(a->status == 200);
  CHECK(b->status == 200);
  CHECK(b->json_body()["choices"][0]["message"]["content"] == "Second answer.");
}

TEST_CASE("headers pick the session, the agent and the backend model", "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  h.vendor.enqueue(reply("answer_two"));
  auto out = h.post("/v1/chat/completions", chat("hi"),
                    {{"x-durar-session-key", "agent:coder:work"}, {"x-durar-model", "fake/m2"}});
  REQUIRE(out->status == 200);
  CHECK(h.vendor_body(0)["model"] == "m2");
  auto coder = h.rt->sessions("coder");
  REQUIRE(coder);
  auto found = (*coder)->find("agent:coder:work");
  REQUIRE(found);
  CHECK(found->has_value());

  // The original's header names work too.
  REQUIRE(h.post("/v1/chat/completions", chat("hi"), {{"x-openclaw-agent-id", "coder"}})->status ==
          200);
  CHECK(h.vendor_body(1)["model"] == "m1");
}

TEST_CASE("a provider failure before any output is a real HTTP error, streamed or not",
          "[gateway][openai]") {
  harness h;
  const std::string vendor_error =
      R"({"error":{"message":"Invalid value for 'messages'","type":"invalid_request_error"}})";
  h.vendor.enqueue(error_response(400, vendor_error));
  h.vendor.enqueue(error_response(400, vendor_error));
  auto whole = h.post("/v1/chat/completions", chat("hi"));
  CHECK(whole->status == 400);
  CHECK(whole->json_body()["error"]["type"] == "invalid_request_error");
  auto streamed = h.post("/v1/chat/completions", chat("hi", R"("stream":true,)"));
  CHECK(streamed->status == 400);
  CHECK_FALSE(streamed->streamed);
  CHECK(streamed->json_body()["error"]["message"].is_string());
}

TEST_CASE("a failure after the first byte ends the stream with an error event",
          "[gateway][openai]") {
  harness h;
  fake_response cut = reply("answer_one");
  // Reset the connection right after the chunk carrying "First".
  std::size_t after_first = cut.body.find("\n\n", cut.body.find("\"First\"")) + 2;
  cut.reset_after = after_first;
  h.vendor.enqueue(cut);
  auto out = h.post("/v1/chat/completions", chat("hi", R"("stream":true,)"));
  INFO(out->body);
  REQUIRE(out->status == 200);
  auto data = out->sse_data();
  REQUIRE(data.size() >= 3);
  CHECK(data.back() == "[DONE]");
  json err = parse(data[data.size() - 2]);
  REQUIRE(err["error"].is_object());
  CHECK(err["error"]["message"].is_string());
  CHECK(out->body.find("\"content\":\"First\"") != std::string::npos);
}

TEST_CASE("the client going away aborts its run", "[gateway][openai]") {
  harness h;
  fake_response stalled = reply("answer_one");
  stalled.stall_after = stalled.body.find("\n\n", stalled.body.find("\"First\"")) + 2;
  h.vendor.enqueue(stalled);
  auto out = h.call("POST", "/v1/chat/completions", chat("hi", R"("stream":true,)"));
  REQUIRE(test::run_until(h.io, [&] { return out->body.find("First") != std::string::npos; }));
  CHECK(h.gs->runs.active() == 1);
  out->disconnect();
  REQUIRE(test::run_until(h.io, [&] { return h.gs->runs.active() == 0; }));
  CHECK(out->misuse == 0);
}

TEST_CASE("responses answer whole and streamed, and chain by previous_response_id",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  h.vendor.enqueue(reply("answer_two"));
  h.vendor.enqueue(reply("answer_one"));

  auto whole = h.post("/v1/responses", R"({"model":"durar","input":"first question"})");
  INFO(whole->body);
  REQUIRE(whole->status == 200);
  json r = whole->json_body();
  CHECK(r["object"] == "response");
  CHECK(r["status"] == "completed");
  CHECK(r["id"].as_string().rfind("resp_", 0) == 0);
  CHECK(r["output"][0]["type"] == "message");
  CHECK(r["output"][0]["content"][0]["text"] == "First answer.");
  CHECK(r["usage"]["input_tokens"] == 150);
  CHECK(r["usage"]["output_tokens"] == 12);

  const std::string previous = r["id"].as_string();
  auto streamed = h.post("/v1/responses", R"({"model":"durar","stream":true,"input":[
      {"role":"user","content":[{"type":"input_text","text":"follow-up"}]}],
      "previous_response_id":")" + previous + R"("})");
  INFO(streamed->body);
  REQUIRE(streamed->status == 200);
  CHECK(sent_text(h.vendor_body(1)).find("first question") != std::string::npos);

  auto events = streamed->sse_events();
  std::vector<std::string> expected = {"response.created", "response.in_progress",
                                       "response.output_item.added", "response.content_part.added"};
  std::size_t deltas = 0;
  for (std::size_t i = 4; i < events.size() && events[i] == "response.output_text.delta"; ++i)
    ++deltas;
  CHECK(deltas >= 1);
  for (std::size_t i = 0; i < deltas; ++i) expected.push_back("response.output_text.delta");
  for (std::string e : {"response.output_text.done", "response.content_part.done",
                        "response.output_item.done", "response.completed"})
    expected.push_back(e);
  CHECK(events == expected);
  auto data = streamed->sse_data();
  REQUIRE(data.size() == events.size() + 1);
  CHECK(data.back() == "[DONE]");
  std::string text;
  for (std::size_t i = 0; i < events.size(); ++i) {
    json e = parse(data[i]);
    CHECK(e["sequence_number"] == static_cast<std::int64_t>(i));
    if (events[i] == "response.output_text.delta") text += e["delta"].as_string();
  }
  CHECK(text == "Second answer.");
  json completed = parse(data[events.size() - 1]);
  CHECK(completed["response"]["output"][0]["content"][0]["text"] == "Second answer.");

  // An id the gateway never gave out starts a fresh session instead of failing.
  REQUIRE(h.post("/v1/responses", R"({"input":"third","previous_response_id":"resp_unknown"})")
              ->status == 200);
  CHECK(sent_text(h.vendor_body(2)).find("first question") == std::string::npos);
}

TEST_CASE("a tool-using turn answers with the text of each reply, streamed or whole",
          "[gateway][openai]") {
  harness h;
  tool_definition d;
  d.name = "get_weather";
  d.description = "Current weather for a city.";
  d.parameters =
      json::object({{"type", "object"},
                    {"properties", json::object({{"city", json::object({{"type", "string"}})}})},
                    {"required", json::array({"city"})}});
  REQUIRE(h.rt->add_tool(make_tool(d,
                                   [](const json&, const tool_context&) -> result<tool_result> {
                                     return text_result("18C, sunny");
                                   }))
              .has_value());
  const std::string expected = "Checking.\n\nIt is 18°C and sunny in Paris.";
  h.vendor.enqueue(text_then_tool_call());
  h.vendor.enqueue(reply("weather_answer"));
  auto out = h.post("/v1/chat/completions", chat("weather in Paris?", R"("stream":true,)"));
  INFO(out->body);
  REQUIRE(out->status == 200);
  std::string text;
  for (const auto& d2 : out->sse_data()) {
    if (d2 == "[DONE]") break;
    json c = parse(d2);
    if (c["choices"][0]["delta"]["content"].is_string())
      text += c["choices"][0]["delta"]["content"].as_string();
  }
  CHECK(text == expected);

  h.vendor.enqueue(text_then_tool_call());
  h.vendor.enqueue(reply("weather_answer"));
  auto whole = h.post("/v1/chat/completions", chat("and again?"));
  REQUIRE(whole->status == 200);
  CHECK(whole->json_body()["choices"][0]["message"]["content"] == expected);
}

TEST_CASE("embeddings go through the router as floats or base64", "[gateway][openai]") {
  harness h;
  fake_response answer = recorded(provider_data / "embeddings.response.json");
  h.vendor.enqueue(answer);
  h.vendor.enqueue(answer);
  auto floats = h.post("/v1/embeddings", R"({"model":"durar","input":["alpha","beta"]})");
  INFO(floats->body);
  REQUIRE(floats->status == 200);
  json body = floats->json_body();
  CHECK(body["object"] == "list");
  CHECK(body["model"] == "durar");
  REQUIRE(body["data"].size() == 2);
  CHECK(body["data"][1]["index"] == 1);
  REQUIRE(body["data"][0]["embedding"].size() == 8);
  CHECK(static_cast<float>(body["data"][0]["embedding"][0].as_double()) == 0.0023064255f);
  CHECK(body["usage"]["prompt_tokens"] == 11);
  auto reqs = h.vendor.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1/embeddings");
  CHECK(parse(reqs[0].body)["model"] == "emb-1");

  auto b64 =
      h.post("/v1/embeddings",
             R"({"model":"fake/emb-1","input":["alpha","beta"],"encoding_format":"base64"})");
  REQUIRE(b64->status == 200);
  auto bytes = detail::base64_decode(b64->json_body()["data"][1]["embedding"].as_string());
  REQUIRE(bytes);
  REQUIRE(bytes->size() == 8 * 4);
  float first = 0;
  std::memcpy(&first, bytes->data(), 4);  // little-endian host, as the test machine is
  CHECK(first == -0.011284535f);
}

// ---- over real sockets -------------------------------------------------------------------

namespace {

// Sends one request with Connection: close and reads until the server closes (bounded).
std::string round_trip(std::uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return got;
}

std::string http_post(const std::string& path, const std::string& body, bool token = true) {
  std::string r = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (token) r += "Authorization: Bearer tok-gw-canary\r\n";
  r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
       "\r\n\r\n" + body;
  return r;
}

}  // namespace

TEST_CASE("the gateway serves the API over its socket", "[gateway][openai]") {
  harness h;
  gateway_options opts;
  opts.port = 0;
  auto gw = gateway::create(h.io, *h.rt, opts);
  REQUIRE(gw);
  auto started = (*gw)->start();
  INFO((started ? std::string() : started.error().describe()));
  REQUIRE(started);
  const std::uint16_t port = (*gw)->port();
  h.vendor.enqueue(reply("answer_one"));

  std::vector<std::string> answers(4);
  std::atomic<bool> client_done{false};
  std::thread client([&] {
    answers[0] = round_trip(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    answers[1] = round_trip(port, http_post("/v1/chat/completions", chat("hi"), false));
    answers[2] = round_trip(port,
                            "GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Authorization: Bearer tok-gw-canary\r\n\r\n");
    answers[3] =
        round_trip(port, http_post("/v1/chat/completions", chat("hi", R"("stream":true,)")));
    client_done = true;
  });
  bool finished = test::run_until(
      h.io, [&] { return client_done.load(); }, std::chrono::seconds(30));
  client.join();
  (*gw)->stop();
  REQUIRE(finished);

  CHECK(answers[0].rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answers[1].rfind("HTTP/1.1 401", 0) == 0);
  CHECK(answers[1].find("\"authentication_error\"") != std::string::npos);
  CHECK(answers[2].rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answers[2].find("\"durar/coder\"") != std::string::npos);
  INFO(answers[3]);
  CHECK(answers[3].rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answers[3].find("text/event-stream") != std::string::npos);
  CHECK(answers[3].find("chat.completion.chunk") != std::string::npos);
  CHECK(answers[3].find("data: [DONE]") != std::string::npos);
}
