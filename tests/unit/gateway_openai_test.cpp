// The gateway's OpenAI-compatible HTTP API without sockets: request parsing, error mapping,
// response shapes, base64 embeddings, and the routes (auth, health, 404/405, models,
// /tools/invoke) driven through a recording responder over a runtime in a scratch dir.
#include <durar/runtime.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "../support/fake_http_responder.hpp"
#include "gateway/gateway_state.hpp"
#include "gateway/http_errors.hpp"
#include "gateway/http_routes.hpp"
#include "gateway/openai_api.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

using namespace durar;
using namespace durar::gateway_detail;
using durar::test::recording_responder;
namespace fs = std::filesystem;

namespace {

json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("durar-gw-openai-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

// Agents main (default) and coder; token auth; memorySearch for embeddings in the document.
struct gateway_fixture {
  temp_dir state;
  asio::io_context io;
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway_state> gs;
  http_handler routes;

  explicit gateway_fixture(std::vector<std::string> http_tool_allow = {},
                           json document = json::object()) {
    config cfg;
    cfg.paths.state_dir = state.path;
    cfg.env = environment(std::map<std::string, std::string, std::less<>>{
        {"HOME", state.path.string()}, {"OPENAI_API_KEY", "sk-unit-canary"}});
    cfg.agents.model.primary = "openai/gpt-5.4";
    agent_config main_agent;
    main_agent.id = "main";
    main_agent.is_default = true;
    agent_config coder;
    coder.id = "coder";
    cfg.agents.list = {main_agent, coder};
    cfg.document = std::move(document);
    rt = std::make_unique<runtime>(io, std::move(cfg));
    gateway_settings s;
    s.auth.mode = "token";
    s.auth.token = secret("tok-unit-canary");
    s.http_tool_allow = std::move(http_tool_allow);
    gs = std::make_unique<gateway_state>(io, *rt, std::move(s));
    routes = make_http_routes(*gs);
  }

  std::shared_ptr<recording_responder> call(std::string method, std::string path,
                                            std::string body = {}, header_list headers = {},
                                            bool with_token = true) {
    gateway_detail::http_request req;
    req.method = std::move(method);
    req.target = path;
    req.path = std::move(path);
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    req.remote_is_loopback = true;
    if (with_token) req.headers.emplace_back("authorization", "Bearer tok-unit-canary");
    for (auto& h : headers) req.headers.push_back(std::move(h));
    auto out = std::make_shared<recording_responder>();
    routes(std::move(req), out);
    return out;
  }

  // Runs the loop until the response ended (bounded).
  bool wait(const std::shared_ptr<recording_responder>& out) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!out->finished() && std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) io.restart();
      io.run_one_for(std::chrono::milliseconds(20));
    }
    return out->finished();
  }
};

json error_of(const recording_responder& r) {
  json j = r.json_body();
  REQUIRE(j["error"].is_object());
  return j["error"];
}

}  // namespace

// ---- errors ------------------------------------------------------------------------------

TEST_CASE("durar error codes map to HTTP statuses and OpenAI error types", "[gateway][openai]") {
  CHECK(http_status_for(error(errc::invalid_argument, "x")) == 400);
  CHECK(http_status_for(error(errc::context_overflow, "x")) == 400);
  CHECK(http_status_for(error(errc::unauthenticated, "x")) == 401);
  CHECK(http_status_for(error(errc::permission_denied, "x")) == 403);
  CHECK(http_status_for(error(errc::not_found, "x")) == 404);
  CHECK(http_status_for(error(errc::resource_exhausted, "x")) == 429);
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

TEST_CASE("request bodies that are empty, not JSON or not objects say what is wrong",
          "[gateway][openai]") {
  auto empty = parse_json_object("  ");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message.find("empty") != std::string::npos);
  auto bad = parse_json_object("{\"model\": }");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("not valid JSON") != std::string::npos);
  CHECK(bad.error().message.find("line 1") != std::string::npos);
  auto arr = parse_json_object("[1]");
  REQUIRE_FALSE(arr);
  CHECK(arr.error().message.find("array") != std::string::npos);
  CHECK(parse_json_object(R"({"a":1})").has_value());
}

// ---- models ------------------------------------------------------------------------------

TEST_CASE("model names select agents", "[gateway][openai]") {
  CHECK(agent_of_model_name("") == std::string());
  CHECK(agent_of_model_name("durar") == std::string());
  CHECK(agent_of_model_name("durar/default") == std::string());
  CHECK(agent_of_model_name("durar/coder") == std::string("coder"));
  CHECK(agent_of_model_name("Durar/Coder") == std::string("Coder"));
  CHECK(agent_of_model_name("openclaw") == std::string());
  CHECK(agent_of_model_name("openclaw:beta") == std::string("beta"));
  CHECK(agent_of_model_name("openclaw/main") == std::string("main"));
  CHECK(agent_of_model_name("agent:beta") == std::string("beta"));
  CHECK_FALSE(agent_of_model_name("gpt-4o"));
  CHECK_FALSE(agent_of_model_name("openai/gpt-5.4"));
  CHECK_FALSE(agent_of_model_name("durar/"));
  CHECK_FALSE(agent_of_model_name("durar/a/b"));
  CHECK_FALSE(agent_of_model_name("durarx"));
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

// ---- chat completions --------------------------------------------------------------------

TEST_CASE("chat requests take the last user message as the turn's input", "[gateway][openai]") {
  auto r = parse_chat_request(parse(R"({"model":"durar/coder","stream":true,"user":"bob",
    "stream_options":{"include_usage":true},
    "messages":[{"role":"system","content":"Be terse."},
                {"role":"user","content":"first"},
                {"role":"assistant","content":"ok"},
                {"role":"user","content":[{"type":"text","text":"second"},
                                          {"type":"text","text":"part two"}]}]})"));
  REQUIRE(r.ok());
  CHECK(r->model == "durar/coder");
  CHECK(r->stream);
  CHECK(r->include_usage);
  CHECK(r->user == "bob");
  CHECK(r->message.rfind("second\npart two", 0) == 0);
  CHECK(r->message.find("Be terse.") != std::string::npos);
  CHECK(r->message.find("first") == std::string::npos);
  CHECK(r->images.empty());

  auto plain = parse_chat_request(parse(R"({"messages":[{"role":"user","content":"hi"}]})"));
  REQUIRE(plain.ok());
  CHECK(plain->message == "hi");
  CHECK_FALSE(plain->stream);
  CHECK(plain->model.empty());
}

TEST_CASE("chat requests carry data: URL images and refuse URLs to fetch", "[gateway][openai]") {
  auto r = parse_chat_request(parse(R"({"messages":[{"role":"user","content":[
      {"type":"text","text":"what is this"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]})"));
  REQUIRE(r.ok());
  REQUIRE(r->images.size() == 1);
  const auto& img = std::get<image_block>(r->images[0]);
  CHECK(img.mime_type == "image/png");
  CHECK(img.data == "iVBORw0KGgo=");

  auto only = parse_chat_request(parse(R"({"messages":[{"role":"user","content":[
      {"type":"image_url","image_url":"data:image/jpeg;base64,/9j/4AAQ"}]}]})"));
  REQUIRE(only.ok());
  CHECK_FALSE(only->message.empty());

  auto remote = parse_chat_request(parse(R"({"messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]})"));
  REQUIRE_FALSE(remote.ok());
  CHECK(remote.error().status == 400);
  CHECK(remote.error().message.find("messages[0].content[0].image_url") != std::string::npos);
}

TEST_CASE("bad chat requests are 400s naming the field", "[gateway][openai]") {
  auto check = [](std::string_view body, std::string_view where, std::string_view param) {
    auto r = parse_chat_request(parse(body));
    INFO(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == 400);
    CHECK(r.error().message.find(where) != std::string::npos);
    CHECK(r.error().param == param);
  };
  check(R"({"model":"durar"})", "messages: required", "messages");
  check(R"({"messages":"hi"})", "messages: expected an array, got string", "messages");
  check(R"({"messages":[{"role":"assistant","content":"x"}]})", "no message with role 'user'",
        "messages");
  check(R"({"messages":[{"content":"x"}]})", "messages[0].role", "messages");
  check(R"({"messages":[42]})", "messages[0]: expected an object", "messages");
  check(R"({"messages":[{"role":"user","content":""}]})", "empty", "messages");
  check(R"({"messages":[{"role":"user","content":[{"type":"input_audio"}]}]})",
        "unsupported content part 'input_audio'", "messages");
  check(R"({"stream":"yes","messages":[]})", "stream: expected a boolean", "stream");
  check(R"({"model":5,"messages":[]})", "model: expected a string", "model");
}

TEST_CASE("chat completion objects and chunks have OpenAI's shape", "[gateway][openai]") {
  durar::usage u;
  u.input = 10;
  u.cache_read = 5;
  u.output = 7;
  u.reasoning = 2;
  json c = chat_completion("chatcmpl_1", 1700000000, "durar", "Hello!", "stop", u);
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

// ---- responses -----------------------------------------------------------------------------

TEST_CASE("responses requests take a string or the last user item", "[gateway][openai]") {
  auto s = parse_responses_request(parse(R"({"model":"durar","input":"hello",
      "instructions":"Answer in French.","max_output_tokens":200,"previous_response_id":"resp_1"})"));
  REQUIRE(s.ok());
  CHECK(s->message.rfind("hello", 0) == 0);
  CHECK(s->message.find("Answer in French.") != std::string::npos);
  CHECK(s->instructions == "Answer in French.");
  CHECK(s->max_output_tokens == 200);
  CHECK(s->previous_response_id == "resp_1");

  auto items = parse_responses_request(parse(R"({"input":[
      {"role":"developer","content":"Be brief."},
      {"type":"message","role":"user","content":[{"type":"input_text","text":"old"}]},
      {"type":"function_call_output","call_id":"c1","output":"42"},
      {"role":"user","content":[{"type":"input_text","text":"new"},
                                {"type":"input_image","image_url":"data:image/png;base64,AAAA"}]}]})"));
  REQUIRE(items.ok());
  CHECK(items->message.rfind("new", 0) == 0);
  CHECK(items->message.find("Be brief.") != std::string::npos);
  CHECK(items->message.find("old") == std::string::npos);
  CHECK(items->images.size() == 1);

  auto none = parse_responses_request(parse(R"({"input":[{"role":"assistant","content":"x"}]})"));
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().param == "input");
  auto missing = parse_responses_request(parse(R"({"model":"durar"})"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("input: required") != std::string::npos);
  auto bad_max = parse_responses_request(parse(R"({"input":"x","max_output_tokens":0})"));
  REQUIRE_FALSE(bad_max.ok());
  CHECK(bad_max.error().param == "max_output_tokens");
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

// ---- embeddings ----------------------------------------------------------------------------

TEST_CASE("embeddings encode as little-endian float32 in base64", "[gateway][openai]") {
  // 1.0f = 0x3f800000 -> bytes 00 00 80 3f; -2.5f = 0xc0200000 -> 00 00 20 c0
  CHECK(float32_base64({1.0f}) == "AACAPw==");
  CHECK(float32_base64({1.0f, -2.5f}) == "AACAPwAAIMA=");
  CHECK(float32_base64({}) == "");
}

TEST_CASE("embedding bodies list vectors in order with floats in short form", "[gateway][openai]") {
  embedding_result r;
  r.vectors = {{0.1f, -0.25f, 3.0f}, {1e-8f}};
  r.input_tokens = 7;
  json body = parse(embeddings_body(r, "openai/text-embedding-3-small", false));
  CHECK(body["object"] == "list");
  CHECK(body["model"] == "openai/text-embedding-3-small");
  CHECK(body["usage"] == parse(R"({"prompt_tokens":7,"total_tokens":7})"));
  REQUIRE(body["data"].size() == 2);
  CHECK(body["data"][0]["object"] == "embedding");
  CHECK(body["data"][1]["index"] == 1);
  CHECK(static_cast<float>(body["data"][0]["embedding"][0].as_double()) == 0.1f);
  CHECK(body["data"][0]["embedding"][1].as_double() == -0.25);
  std::string text = embeddings_body(r, "m", false);
  CHECK(text.find("0.1,") != std::string::npos);  // float's shortest form, not double's

  json b64 = parse(embeddings_body(r, "m", true));
  CHECK(b64["data"][0]["embedding"] == float32_base64(r.vectors[0]));
}

TEST_CASE("embedding requests take a string or strings and an encoding", "[gateway][openai]") {
  auto one = parse_embeddings_request(parse(R"({"model":"openai/x","input":"hi"})"));
  REQUIRE(one.ok());
  CHECK(one->inputs == std::vector<std::string>{"hi"});
  CHECK_FALSE(one->base64);
  auto many = parse_embeddings_request(parse(
      R"({"model":"openai/x","input":["a","b"],"encoding_format":"base64","dimensions":256})"));
  REQUIRE(many.ok());
  CHECK(many->inputs.size() == 2);
  CHECK(many->base64);
  CHECK(many->dimensions == 256);

  auto bad = [](std::string_view body, std::string_view what) {
    auto r = parse_embeddings_request(parse(body));
    INFO(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == 400);
    CHECK(r.error().message.find(what) != std::string::npos);
  };
  bad(R"({"input":"x"})", "model: required");
  bad(R"({"model":"openai/x"})", "input: required");
  bad(R"({"model":"openai/x","input":[]})", "empty");
  bad(R"({"model":"openai/x","input":[1,2,3]})", "token arrays");
  bad(R"({"model":"openai/x","input":["a",""]})", "input[1]");
  bad(R"({"model":"openai/x","input":"x","encoding_format":"int8"})", "encoding_format");
  bad(R"({"model":"openai/x","input":"x","dimensions":-1})", "dimensions");
}

// ---- /tools/invoke -------------------------------------------------------------------------

TEST_CASE("risky tools need gateway.tools.allow over HTTP", "[gateway][openai]") {
  for (std::string_view t : {"exec", "process", "write", "edit", "apply_patch", "sessions_send"})
    CHECK_FALSE(http_tool_allowed(t, {}));
  CHECK(http_tool_allowed("read", {}));
  CHECK(http_tool_allowed("sessions_list", {}));
  CHECK(http_tool_allowed("exec", {"exec"}));
  CHECK(http_tool_allowed("exec", {"group:runtime"}));
  CHECK(http_tool_allowed("apply_patch", {"*"}));
  CHECK_FALSE(http_tool_allowed("exec", {"read"}));
  CHECK_FALSE(http_tool_allowed("read", {}, {"read"}));
  CHECK_FALSE(http_tool_allowed("exec", {"*"}, {"group:runtime"}));
  CHECK(http_tool_allowed("sessions_list", {}, {"read"}));
}

TEST_CASE("tools/invoke requests are checked field by field", "[gateway][openai]") {
  auto ok = parse_tools_invoke_request(
      parse(R"({"tool":"read","args":{"path":"a.txt"},"sessionKey":"main","dryRun":true})"));
  REQUIRE(ok.ok());
  CHECK(ok->tool == "read");
  CHECK(ok->args["path"] == "a.txt");
  CHECK(ok->dry_run);
  CHECK_FALSE(parse_tools_invoke_request(parse(R"({"args":{}})")).ok());
  CHECK_FALSE(parse_tools_invoke_request(parse(R"({"tool":"read","args":[]})")).ok());
  CHECK_FALSE(parse_tools_invoke_request(parse(R"({"tool":"read","dryRun":"no"})")).ok());
}

// ---- routes --------------------------------------------------------------------------------

TEST_CASE("health answers without auth, everything else wants the token", "[gateway][openai]") {
  gateway_fixture gw;
  for (std::string path : {"/health", "/healthz", "/ready", "/readyz"}) {
    auto r = gw.call("GET", path, {}, {}, false);
    INFO(path);
    CHECK(r->status == 200);
    CHECK(r->json_body()["ok"] == true);
  }
  CHECK(gw.call("GET", "/readyz", {}, {}, false)->json_body()["status"] == "ready");

  auto anon = gw.call("GET", "/v1/models", {}, {}, false);
  CHECK(anon->status == 401);
  CHECK(error_of(*anon)["type"] == "authentication_error");
  CHECK(anon->header("www-authenticate") == "Bearer");
  auto wrong = gw.call("GET", "/v1/models", {}, {{"authorization", "Bearer nope"}}, false);
  CHECK(wrong->status == 401);
  CHECK(error_of(*wrong)["message"] == "unauthorized: gateway token mismatch");
  CHECK(wrong->body.find("tok-unit-canary") == std::string::npos);
  CHECK(gw.call("GET", "/v1/models")->status == 200);
}

TEST_CASE("repeated bad tokens are throttled with 429 and Retry-After", "[gateway][openai]") {
  gateway_fixture gw;
  std::shared_ptr<recording_responder> last;
  for (int i = 0; i < 8; ++i)
    last = gw.call("GET", "/v1/models", {}, {{"authorization", "Bearer bad"}}, false);
  CHECK(last->status == 429);
  CHECK(error_of(*last)["type"] == "rate_limit_error");
  CHECK_FALSE(last->header("retry-after").empty());
  // Health stays reachable for probes.
  CHECK(gw.call("GET", "/health", {}, {}, false)->status == 200);
}

TEST_CASE("unknown paths are 404 and wrong methods 405, in OpenAI's shape", "[gateway][openai]") {
  gateway_fixture gw;
  auto missing = gw.call("GET", "/v1/nothing");
  CHECK(missing->status == 404);
  CHECK(error_of(*missing)["message"] == "Unknown route: GET /v1/nothing");
  auto method = gw.call("GET", "/v1/chat/completions");
  CHECK(method->status == 405);
  CHECK(method->header("allow") == "POST");
  CHECK(error_of(*method)["code"] == "method_not_allowed");
  CHECK(gw.call("POST", "/v1/models")->status == 405);
  CHECK(gw.call("DELETE", "/health", {}, {}, false)->status == 405);
}

TEST_CASE("GET /v1/models lists the agents and /v1/models/{id} finds one", "[gateway][openai]") {
  gateway_fixture gw;
  auto list = gw.call("GET", "/v1/models");
  REQUIRE(list->status == 200);
  json body = list->json_body();
  std::vector<std::string> ids;
  for (const auto& m : body["data"].as_array()) ids.push_back(m["id"].as_string());
  CHECK(ids == std::vector<std::string>{"durar", "durar/default", "durar/main", "durar/coder"});

  auto one = gw.call("GET", "/v1/models/durar/coder");
  CHECK(one->status == 200);
  CHECK(one->json_body()["id"] == "durar/coder");
  CHECK(gw.call("GET", "/v1/models/durar")->status == 200);
  auto unknown = gw.call("GET", "/v1/models/durar/nobody");
  CHECK(unknown->status == 404);
  CHECK(error_of(*unknown)["code"] == "model_not_found");
  CHECK(gw.call("GET", "/v1/models/gpt-4o")->status == 404);
}

TEST_CASE("chat completions refuse bad input before anything runs", "[gateway][openai]") {
  gateway_fixture gw;
  auto bad_json = gw.call("POST", "/v1/chat/completions", "{\"messages\": [");
  CHECK(bad_json->status == 400);
  CHECK(error_of(*bad_json)["message"].as_string().find("line 1") != std::string::npos);

  auto no_messages = gw.call("POST", "/v1/chat/completions", R"({"model":"durar"})");
  CHECK(no_messages->status == 400);
  CHECK(error_of(*no_messages)["param"] == "messages");

  const std::string hi = R"("messages":[{"role":"user","content":"hi"}])";
  auto not_agent = gw.call("POST", "/v1/chat/completions", R"({"model":"gpt-4o",)" + hi + "}");
  CHECK(not_agent->status == 404);
  CHECK(error_of(*not_agent)["code"] == "model_not_found");
  CHECK(error_of(*not_agent)["message"].as_string().find("x-durar-model") != std::string::npos);

  auto no_agent = gw.call("POST", "/v1/chat/completions", R"({"model":"durar/ghost",)" + hi + "}");
  CHECK(no_agent->status == 404);
  auto header_agent = gw.call("POST", "/v1/chat/completions", R"({"model":"durar",)" + hi + "}",
                              {{"x-durar-agent-id", "ghost"}});
  CHECK(header_agent->status == 404);
  auto backend = gw.call("POST", "/v1/chat/completions", R"({"model":"durar",)" + hi + "}",
                         {{"x-durar-model", "nosuchprovider/m"}});
  CHECK(backend->status == 404);
  CHECK(error_of(*backend)["message"].as_string().rfind("x-durar-model", 0) == 0);
  auto other_agents_session =
      gw.call("POST", "/v1/chat/completions", R"({"model":"durar",)" + hi + "}",
              {{"x-durar-agent-id", "main"}, {"x-durar-session-key", "agent:coder:work"}});
  CHECK(other_agents_session->status == 400);
  CHECK(error_of(*other_agents_session)["message"].as_string().find("belongs to agent 'coder'") !=
        std::string::npos);
  // Streaming requests too get their error as a status, not a 200 stream.
  auto stream_bad = gw.call("POST", "/v1/chat/completions",
                            R"({"model":"durar/ghost","stream":true,)" + hi + "}");
  CHECK(stream_bad->status == 404);
  CHECK_FALSE(stream_bad->streamed);
}

TEST_CASE("responses and embeddings refuse bad input with 400s and 404s", "[gateway][openai]") {
  gateway_fixture gw;
  CHECK(gw.call("POST", "/v1/responses", R"({"model":"durar"})")->status == 400);
  CHECK(gw.call("POST", "/v1/responses", R"({"model":"nope","input":"x"})")->status == 404);
  auto emb = gw.call("POST", "/v1/embeddings", R"({"model":"durar/main","input":"x"})");
  CHECK(emb->status == 400);
  CHECK(error_of(*emb)["message"].as_string().find("memorySearch") != std::string::npos);
  CHECK(gw.call("POST", "/v1/embeddings", R"({"model":"nope/x","input":"x"})")->status == 404);
  CHECK(gw.call("POST", "/v1/embeddings", R"({"model":"bare","input":"x"})")->status == 404);
}

TEST_CASE("an agent's embedding model comes from memorySearch", "[gateway][openai]") {
  gateway_fixture gw({}, parse(R"({"agents":{"defaults":{"memorySearch":{"provider":"openai"}},
      "list":[{"id":"main"},{"id":"coder","memorySearch":{"provider":"mistral","model":"mistral-embed"}}]}})"));
  gateway_detail::http_request req;
  auto main_model = resolve_embedding_model(*gw.gs, req, "durar");
  REQUIRE(main_model.ok());
  CHECK(*main_model == "openai/text-embedding-3-small");
  auto coder_model = resolve_embedding_model(*gw.gs, req, "durar/coder");
  REQUIRE(coder_model.ok());
  CHECK(*coder_model == "mistral/mistral-embed");
  auto direct = resolve_embedding_model(*gw.gs, req, "openai/text-embedding-3-large");
  REQUIRE(direct.ok());
  CHECK(*direct == "openai/text-embedding-3-large");
  req.headers.emplace_back("x-durar-model", "ollama/nomic-embed-text");
  auto overridden = resolve_embedding_model(*gw.gs, req, "durar");
  REQUIRE(overridden.ok());
  CHECK(*overridden == "ollama/nomic-embed-text");
}

TEST_CASE("endpoints the config turns off answer 404", "[gateway][openai]") {
  gateway_fixture gw({}, parse(R"({"gateway":{"http":{"endpoints":{
      "chatCompletions":{"enabled":false},"responses":{"enabled":true}}}}})"));
  auto off =
      gw.call("POST", "/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}]})");
  CHECK(off->status == 404);
  CHECK(error_of(*off)["message"].as_string().find("chatCompletions.enabled") != std::string::npos);
  CHECK(gw.call("POST", "/v1/responses", R"({"model":"durar"})")->status == 400);
}

TEST_CASE("tools/invoke runs an allowed tool and refuses risky ones", "[gateway][openai]") {
  gateway_fixture gw;
  fs::path ws = gw.state.path / "workspace";
  fs::create_directories(ws);
  std::ofstream(ws / "note.txt") << "hello from the workspace\n";

  auto read = gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"note.txt"}})");
  REQUIRE(gw.wait(read));
  INFO(read->body);
  CHECK(read->status == 200);
  json body = read->json_body();
  CHECK(body["ok"] == true);
  CHECK(body["result"]["content"][0]["type"] == "text");
  CHECK(body["result"]["content"][0]["text"].as_string().find("hello from the workspace") !=
        std::string::npos);

  auto exec = gw.call("POST", "/tools/invoke", R"({"tool":"exec","args":{"command":"true"}})");
  CHECK(exec->status == 404);
  CHECK(exec->json_body()["ok"] == false);
  CHECK(exec->json_body()["error"]["type"] == "forbidden");
  CHECK(exec->json_body()["error"]["message"].as_string().find("gateway.tools.allow") !=
        std::string::npos);

  auto unknown = gw.call("POST", "/tools/invoke", R"({"tool":"teleport"})");
  CHECK(unknown->status == 404);
  CHECK(unknown->json_body()["error"]["type"] == "not_found");

  auto bad_args = gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":42}})");
  CHECK(bad_args->status == 400);
  CHECK(bad_args->json_body()["error"]["type"] == "invalid_request");

  auto missing_file =
      gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"absent.txt"}})");
  REQUIRE(gw.wait(missing_file));
  CHECK(missing_file->status == 400);
  CHECK(missing_file->json_body()["error"]["type"] == "tool_error");

  auto dry = gw.call("POST", "/tools/invoke",
                     R"({"tool":"read","args":{"path":"note.txt"},"dryRun":true})");
  CHECK(dry->status == 200);
  CHECK(dry->json_body()["result"]["dryRun"] == true);
  CHECK(dry->json_body()["result"]["sessionKey"] == "agent:main:main");

  CHECK(gw.call("POST", "/tools/invoke", "nope")->status == 400);
}

TEST_CASE("gateway.tools.allow opens a risky tool to HTTP", "[gateway][openai]") {
  gateway_fixture gw({"write"});
  auto write = gw.call("POST", "/tools/invoke",
                       R"({"tool":"write","args":{"path":"out.txt","content":"x"},"dryRun":true})");
  CHECK(write->status == 200);
  CHECK(gw.call("POST", "/tools/invoke", R"({"tool":"exec","args":{"command":"true"}})")->status ==
        404);
}

TEST_CASE("gateway.tools in the config file is honoured too", "[gateway][openai]") {
  gateway_fixture gw({}, parse(R"({"gateway":{"tools":{"allow":["exec"],"deny":["read"]}}})"));
  CHECK(
      gw.call("POST", "/tools/invoke", R"({"tool":"exec","args":{"command":"true"},"dryRun":true})")
          ->status == 200);
  auto read = gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"x"}})");
  CHECK(read->status == 404);
  CHECK(read->json_body()["error"]["type"] == "forbidden");
}
