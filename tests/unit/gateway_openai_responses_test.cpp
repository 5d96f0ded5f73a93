// The OpenAI-compatible API's response shapes: error mapping and bodies, the model list,
// chat completion objects and chunks, answer text, and the responses event stream.
#include "gateway_openai_fixture.hpp"

using namespace gateway_openai_test;

TEST_CASE("durar error codes map to HTTP statuses and OpenAI error types", "[gateway][openai]") {
  CHECK(http_status_for(error(errc::invalid_argument, "x")) == 400);
  CHECK(http_status_for(error(errc::context_overflow, "x")) == 400);
  CHECK(http_status_for(error(errc::unauthenticated, "x")) == 401);
  CHECK(http_status_for(error(errc::permission_denied, "x")) == 403);
  CHECK(http_status_for(error(errc::not_found, "x")) == 404);
  error rate_limited(errc::resource_exhausted, "x");
  rate_limited.http_status = 429;
  CHECK(http_status_for(rate_limited) == 429);
  // The gateway's own disk full (no HTTP exchange) is not a rate limit.
  CHECK(http_status_for(error(errc::resource_exhausted, "File too large")) == 507);
  // A vendor's in-stream rate-limit event (no HTTP status of its own) still is one.
  error in_stream(errc::resource_exhausted, "anthropic: rate limited (rate_limit_error)");
  in_stream.provider_message = "Number of requests has exceeded your rate limit";
  CHECK(http_status_for(in_stream) == 429);
  CHECK(http_status_for(error(errc::internal, "x")) == 500);
  CHECK(http_status_for(error(errc::protocol_error, "x")) == 502);
  CHECK(http_status_for(error(errc::unavailable, "x")) == 503);
  CHECK(http_status_for(error(errc::deadline_exceeded, "x")) == 504);
  // The provider refusing the gateway's key is not the caller's credentials failing.
  error upstream(errc::unauthenticated, "openai: invalid key");
  upstream.http_status = 401;
  CHECK(http_status_for(upstream) == 502);

  CHECK(error_type_for(400) == "invalid_request_error");
  CHECK(error_type_for(401) == "authentication_error");
  CHECK(error_type_for(404) == "not_found_error");
  CHECK(error_type_for(429) == "rate_limit_error");
  CHECK(error_type_for(503) == "server_error");

  api_error overflow = to_api_error(error(errc::context_overflow, "prompt too long"));
  CHECK(overflow.code == "context_length_exceeded");
  CHECK(to_api_error(error(errc::not_found, "no such thing")).code == "not_found");
}

TEST_CASE("error bodies have OpenAI's four fields with nulls when unknown", "[gateway][openai]") {
  json body = error_body(bad_request("messages: expected an array", "messages"));
  CHECK(body == parse(R"({"error":{"message":"messages: expected an array",
      "type":"invalid_request_error","param":"messages","code":null}})"));
  json plain = error_body(not_found("gone"));
  CHECK(plain["error"]["param"].is_null());
  CHECK(plain["error"]["code"].is_null());
  CHECK(plain["error"]["type"] == "not_found_error");
}

TEST_CASE("respond_error adds Retry-After in whole seconds and WWW-Authenticate on 401",
          "[gateway][openai]") {
  recording_responder r;
  error limited(errc::resource_exhausted, "slow down");
  limited.retry_after = std::chrono::milliseconds(1500);
  respond_error(r, to_api_error(limited));
  CHECK(r.status == 429);
  CHECK(r.header("retry-after") == "2");
  CHECK(r.header("content-type").rfind("application/json", 0) == 0);
  CHECK(error_of(r)["code"] == "rate_limit_exceeded");

  recording_responder u;
  api_error e = to_api_error(error(errc::unauthenticated, "who are you"));
  respond_error(u, e);
  CHECK(u.status == 401);
  CHECK(u.header("www-authenticate") == "Bearer");
}

TEST_CASE("the model list is durar, durar/default and one entry per agent", "[gateway][openai]") {
  agent_profile a, b;
  a.id = "main";
  b.id = "coder";
  json list = models_list({a, b}, 1700000000);
  CHECK(list["object"] == "list");
  REQUIRE(list["data"].size() == 4);
  std::vector<std::string> ids;
  for (const auto& m : list["data"].as_array()) {
    ids.push_back(m["id"].as_string());
    CHECK(m["object"] == "model");
    CHECK(m["created"] == 1700000000);
    CHECK(m["owned_by"] == "durar");
  }
  CHECK(ids == std::vector<std::string>{"durar", "durar/default", "durar/main", "durar/coder"});
}

TEST_CASE("chat completion objects and chunks have OpenAI's shape", "[gateway][openai]") {
  durar::usage u;
  u.input = 10;
  u.cache_read = 5;
  u.output = 7;
  u.reasoning = 2;
  json c = parse(chat_completion_body("chatcmpl_1", 1700000000, "durar", "Hello!", "stop", u));
  CHECK(c == parse(R"({"id":"chatcmpl_1","object":"chat.completion","created":1700000000,
    "model":"durar","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!",
    "refusal":null},"logprobs":null,"finish_reason":"stop"}],
    "usage":{"prompt_tokens":15,"completion_tokens":7,"total_tokens":22,
      "prompt_tokens_details":{"cached_tokens":5},
      "completion_tokens_details":{"reasoning_tokens":2}}})"));

  json first = chat_chunk("chatcmpl_1", 1, "durar", json::object({{"role", "assistant"}}));
  CHECK(first["object"] == "chat.completion.chunk");
  CHECK(first["choices"][0]["delta"] == parse(R"({"role":"assistant"})"));
  CHECK(first["choices"][0]["finish_reason"].is_null());
  json last = chat_chunk("chatcmpl_1", 1, "durar", json::object(), "length");
  CHECK(last["choices"][0]["delta"] == json::object());
  CHECK(last["choices"][0]["finish_reason"] == "length");
  CHECK(sse_data(json::object({{"a", 1}})) == "data: {\"a\":1}\n\n");
  CHECK(sse_event("x.y", json::object()) == "event: x.y\ndata: {}\n\n");
}

TEST_CASE("answer text is the assistant text deltas with a blank line between messages",
          "[gateway][openai]") {
  turn_text t;
  durar::message user = user_text("hi");
  durar::message assistant = assistant_message{};
  auto start = [&](const durar::message& m) {
    agent_event e;
    e.kind = agent_event_kind::message_start;
    e.msg = &m;
    return t.feed(e);
  };
  auto delta = [&](event_kind k, std::string_view d) {
    stream_event s;
    s.kind = k;
    s.delta = d;
    agent_event e;
    e.kind = agent_event_kind::message_update;
    e.msg = &assistant;
    e.stream = &s;
    return t.feed(e);
  };
  CHECK(start(user).empty());
  CHECK(start(assistant).empty());
  CHECK(delta(event_kind::thinking_delta, "hmm").empty());
  CHECK(delta(event_kind::text_delta, "Let me ") == "Let me ");
  CHECK(delta(event_kind::text_delta, "check.") == "check.");
  CHECK(delta(event_kind::toolcall_delta, "{\"a\"").empty());
  CHECK(start(assistant).empty());  // after the tool ran, the next turn's reply
  CHECK(delta(event_kind::text_delta, "Done.") == "\n\nDone.");
  CHECK(t.text() == "Let me check.\n\nDone.");

  turn_text silent_first;
  agent_event s1;
  s1.kind = agent_event_kind::message_start;
  s1.msg = &assistant;
  silent_first.feed(s1);  // a message with only a tool call: no separator before the text
  silent_first.feed(s1);
  stream_event s;
  s.kind = event_kind::text_delta;
  s.delta = "Only text.";
  agent_event u1;
  u1.kind = agent_event_kind::message_update;
  u1.msg = &assistant;
  u1.stream = &s;
  CHECK(silent_first.feed(u1) == "Only text.");
}

TEST_CASE("runs report errors and timeouts, keep partial answers otherwise", "[gateway][openai]") {
  result<run_result> not_started = fail(errc::not_found, "unknown agent");
  REQUIRE(run_failure(not_started));
  CHECK(run_failure(not_started)->code == errc::not_found);

  run_result errored;
  errored.stop = run_stop::error;
  errored.failure = error(errc::unavailable, "overloaded");
  CHECK(run_failure(result<run_result>(errored))->code == errc::unavailable);

  run_result timed_out;
  timed_out.stop = run_stop::timeout;
  auto t = run_failure(result<run_result>(timed_out));
  REQUIRE(t);
  CHECK(t->code == errc::deadline_exceeded);

  run_result looped;
  looped.stop = run_stop::loop_detected;
  CHECK_FALSE(run_failure(result<run_result>(looped)));
  run_result cut;
  cut.final.stop = stop_reason::length;
  CHECK(finish_reason_of(cut) == "length");
  CHECK(finish_reason_of(looped) == "stop");
}

TEST_CASE("the responses stream sends its events in order with growing sequence numbers",
          "[gateway][openai]") {
  response_meta meta;
  meta.id = "resp_1";
  meta.item_id = "msg_1";
  meta.created_at = 1700000000;
  meta.model = "durar";
  responses_stream s(meta);
  recording_responder r;
  r.start_stream(200, sse_headers());
  r.write(s.open());
  r.write(s.delta("Hel"));
  r.write(s.delta("lo"));
  durar::usage u;
  u.input = 3;
  u.output = 2;
  r.write(s.complete("Hello", u));

  CHECK(r.sse_events() ==
        std::vector<std::string>{"response.created", "response.in_progress",
                                 "response.output_item.added", "response.content_part.added",
                                 "response.output_text.delta", "response.output_text.delta",
                                 "response.output_text.done", "response.content_part.done",
                                 "response.output_item.done", "response.completed"});
  auto data = r.sse_data();
  REQUIRE(data.size() == 10);
  for (std::size_t i = 0; i < data.size(); ++i) {
    json e = parse(data[i]);
    CHECK(e["sequence_number"] == static_cast<std::int64_t>(i));
    CHECK(e["type"] == r.sse_events()[i]);
  }
  json created = parse(data[0]);
  CHECK(created["response"]["status"] == "in_progress");
  CHECK(created["response"]["output"] == json::array());
  CHECK(created["response"]["usage"].is_null());
  CHECK(parse(data[4])["delta"] == "Hel");
  CHECK(parse(data[4])["item_id"] == "msg_1");
  CHECK(parse(data[6])["text"] == "Hello");
  json done = parse(data[9])["response"];
  CHECK(done["status"] == "completed");
  CHECK(done["id"] == "resp_1");
  CHECK(done["object"] == "response");
  CHECK(done["output"][0]["type"] == "message");
  CHECK(done["output"][0]["role"] == "assistant");
  CHECK(done["output"][0]["content"][0] ==
        parse(R"({"type":"output_text","text":"Hello","annotations":[]})"));
  CHECK(done["usage"]["input_tokens"] == 3);
  CHECK(done["usage"]["output_tokens"] == 2);
  CHECK(done["usage"]["total_tokens"] == 5);

  responses_stream f(meta);
  std::string failed = f.open() + f.fail("Hel", u, to_api_error(error(errc::unavailable, "down")));
  CHECK(failed.find("event: response.failed") != std::string::npos);
  CHECK(failed.find("\"status\":\"failed\"") != std::string::npos);
  CHECK(failed.find("\"message\":\"down\"") != std::string::npos);
  CHECK(failed.find("response.completed") == std::string::npos);
}
