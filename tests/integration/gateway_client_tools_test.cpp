// The caller's own function tools on /v1/responses and /v1/chat/completions: the model's
// call comes back (a function_call item, tool_calls; whole and streamed), and the caller's
// output answers it, into the session that holds the call or, for a fresh session, as text.
#include "gateway_openai_harness.hpp"

using namespace gateway_openai_test;

namespace {

const std::string weather_tools = R"("tools":[{"type":"function","name":"get_weather",
    "description":"Current weather for a city.","parameters":{"type":"object",
    "properties":{"city":{"type":"string"}},"required":["city"]}}])";

// The vendor messages of a request with the given role.
std::vector<json> messages_with_role(const json& body, const std::string& role) {
  std::vector<json> out;
  for (const auto& m : body["messages"].as_array())
    if (m["role"] == role) out.push_back(m);
  return out;
}

bool offers_tool(const json& body, const std::string& name) {
  if (!body["tools"].is_array()) return false;
  for (const auto& t : body["tools"].as_array())
    if (t["function"]["name"] == name) return true;
  return false;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a response returns the model's call to the caller's tool, and its output answers it",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(text_then_tool_call());
  auto first = h.post("/v1/responses", R"({"model":"durar","user":"u1",
      "input":"weather in Paris?",)" + weather_tools +
                                           "}");
  INFO(first->body);
  REQUIRE(first->status == 200);
  json r = first->json_body();
  CHECK(r["status"] == "completed");
  CHECK(r["tools"][0]["name"] == "get_weather");
  REQUIRE(r["output"].as_array().size() == 2);
  CHECK(r["output"][0]["type"] == "message");
  CHECK(r["output"][0]["content"][0]["text"] == "Checking.");
  const json& call = r["output"][1];
  CHECK(call["type"] == "function_call");
  CHECK(call["call_id"] == "call_1");
  CHECK(call["name"] == "get_weather");
  CHECK(parse(call["arguments"].as_string()) == json::object({{"city", "Paris"}}));
  CHECK(call["status"] == "completed");
  CHECK(offers_tool(h.vendor_body(0), "get_weather"));
  CHECK(offers_tool(h.vendor_body(0), "read"));  // the agent's own stay

  h.vendor.enqueue(reply("weather_answer"));
  auto second = h.post("/v1/responses", R"({"model":"durar","user":"u1","input":[
      {"role":"user","content":"weather in Paris?"},
      {"type":"function_call","call_id":"call_1","name":"get_weather",
       "arguments":"{\"city\":\"Paris\"}"},
      {"type":"function_call_output","call_id":"call_1","output":"18C, sunny"}],)" +
                                            weather_tools + "}");
  INFO(second->body);
  REQUIRE(second->status == 200);
  json done = second->json_body();
  CHECK(done["output"][0]["content"][0]["text"] == "It is 18°C and sunny in Paris.");
  json sent = h.vendor_body(1);
  auto results = messages_with_role(sent, "tool");
  REQUIRE(results.size() == 1);
  CHECK(results[0]["tool_call_id"] == "call_1");
  CHECK(results[0]["content"].dump().find("18C, sunny") != std::string::npos);
  // The question is in the session once: the caller's copy of it is not asked again.
  CHECK(count_of(sent.dump(), "weather in Paris?") == 1);
  CHECK(messages_with_role(sent, "user").size() == 1);
}

TEST_CASE("a streamed response adds the call as a function_call item after the text",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(text_then_tool_call());
  auto out = h.post("/v1/responses", R"({"model":"durar","stream":true,
      "input":"weather in Paris?",)" + weather_tools +
                                         "}");
  INFO(out->body);
  REQUIRE(out->status == 200);
  auto events = out->sse_events();
  auto data = out->sse_data();
  REQUIRE(data.size() == events.size() + 1);
  CHECK(data.back() == "[DONE]");
  std::vector<std::string> expected_tail = {"response.output_text.done",
                                            "response.content_part.done",
                                            "response.output_item.done",
                                            "response.output_item.added",
                                            "response.function_call_arguments.delta",
                                            "response.function_call_arguments.done",
                                            "response.output_item.done",
                                            "response.completed"};
  REQUIRE(events.size() > expected_tail.size());
  CHECK(std::vector<std::string>(events.end() - static_cast<std::ptrdiff_t>(expected_tail.size()),
                                 events.end()) == expected_tail);
  for (std::size_t i = 0; i < events.size(); ++i)
    CHECK(parse(data[i])["sequence_number"] == static_cast<std::int64_t>(i));

  json added = parse(data[events.size() - 5]);
  CHECK(added["output_index"] == 1);
  CHECK(added["item"]["type"] == "function_call");
  CHECK(added["item"]["arguments"] == "");
  json args_done = parse(data[events.size() - 3]);
  CHECK(parse(args_done["arguments"].as_string()) == json::object({{"city", "Paris"}}));
  CHECK(args_done["item_id"] == added["item"]["id"]);
  json completed = parse(data[events.size() - 1])["response"];
  CHECK(completed["status"] == "completed");
  REQUIRE(completed["output"].as_array().size() == 2);
  CHECK(completed["output"][1]["call_id"] == "call_1");

  // Chained by previous_response_id, the output alone goes on from the call.
  h.vendor.enqueue(reply("weather_answer"));
  auto next = h.post("/v1/responses", R"({"model":"durar","previous_response_id":")" +
                                          completed["id"].as_string() + R"(","input":[
      {"type":"function_call_output","call_id":"call_1","output":"18C, sunny"}],)" +
                                          weather_tools + "}");
  INFO(next->body);
  REQUIRE(next->status == 200);
  CHECK(next->json_body()["output"][0]["content"][0]["text"] == "It is 18°C and sunny in Paris.");
  auto results = messages_with_role(h.vendor_body(1), "tool");
  REQUIRE(results.size() == 1);
  CHECK(results[0]["tool_call_id"] == "call_1");
}

TEST_CASE("a caller that keeps the conversation itself gets its outputs read as text",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("weather_answer"));
  // No user, no previous_response_id: a fresh session that never saw the call.
  auto out = h.post("/v1/responses", R"({"model":"durar","input":[
      {"role":"user","content":"weather in Paris?"},
      {"type":"function_call","call_id":"call_9","name":"get_weather",
       "arguments":"{\"city\":\"Paris\"}"},
      {"type":"function_call_output","call_id":"call_9","output":"18C, sunny"}],)" +
                                         weather_tools + "}");
  INFO(out->body);
  REQUIRE(out->status == 200);
  json sent = h.vendor_body(0);
  CHECK(messages_with_role(sent, "tool").empty());
  auto users = messages_with_role(sent, "user");
  REQUIRE(users.size() == 1);
  const std::string text = users[0]["content"].dump();
  CHECK(text.find("weather in Paris?") != std::string::npos);
  CHECK(text.find("get_weather") != std::string::npos);
  CHECK(text.find("18C, sunny") != std::string::npos);
}

TEST_CASE("tool_choice narrows the caller's tools, and bad tools are refused before any turn",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  REQUIRE(h.post("/v1/responses", R"({"input":"hi","tool_choice":"none",)" + weather_tools + "}")
              ->status == 200);
  CHECK_FALSE(offers_tool(h.vendor_body(0), "get_weather"));

  h.vendor.enqueue(reply("answer_one"));
  REQUIRE(h.post("/v1/responses",
                 R"({"input":"hi","tool_choice":{"type":"function","name":"get_weather"},)" +
                     weather_tools + "}")
              ->status == 200);
  json forced = h.vendor_body(1);
  CHECK(offers_tool(forced, "get_weather"));
  CHECK(forced.dump().find("Call the tool get_weather") != std::string::npos);

  auto unknown =
      h.post("/v1/responses", R"({"input":"hi","tool_choice":{"type":"function","name":"nope"},)" +
                                  weather_tools + "}");
  CHECK(unknown->status == 400);
  CHECK(unknown->json_body()["error"]["param"] == "tool_choice");
  auto builtin = h.post("/v1/responses", R"({"input":"hi","tools":[{"type":"web_search"}]})");
  CHECK(builtin->status == 400);
  CHECK(builtin->json_body()["error"]["message"].as_string().find("only function tools") !=
        std::string::npos);
  // A name the agent's own tools have would make the model's calls ambiguous.
  auto clash =
      h.post("/v1/responses", R"({"input":"hi","tools":[{"type":"function","name":"read"}]})");
  INFO(clash->body);
  CHECK(clash->status == 400);
  CHECK(clash->json_body()["error"]["param"] == "tools");
  CHECK(clash->json_body()["error"]["message"].as_string().find("'read'") != std::string::npos);
  auto chat_clash = h.post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"function","function":{"name":"exec"}}]})");
  CHECK(chat_clash->status == 400);
  CHECK(h.vendor.requests().size() == 2);
  // Refused before any session was made for them.
  auto sessions = h.rt->sessions("main");
  REQUIRE(sessions);
  CHECK((*sessions)->list()->size() == 2);
}

TEST_CASE("a chat completion returns tool_calls, and a tool message answers them",
          "[gateway][openai]") {
  const std::string chat_tools = R"("tools":[{"type":"function","function":{"name":"get_weather",
      "description":"Current weather for a city.","parameters":{"type":"object",
      "properties":{"city":{"type":"string"}},"required":["city"]}}}])";
  harness h;
  h.vendor.enqueue(text_then_tool_call());
  auto first = h.post("/v1/chat/completions", R"({"model":"durar","user":"u2","messages":[
      {"role":"user","content":"weather in Paris?"}],)" +
                                                  chat_tools + "}");
  INFO(first->body);
  REQUIRE(first->status == 200);
  json c = first->json_body()["choices"][0];
  CHECK(c["finish_reason"] == "tool_calls");
  CHECK(c["message"]["content"] == "Checking.");
  REQUIRE(c["message"]["tool_calls"].as_array().size() == 1);
  const json& call = c["message"]["tool_calls"][0];
  CHECK(call["id"] == "call_1");
  CHECK(call["type"] == "function");
  CHECK(call["function"]["name"] == "get_weather");
  CHECK(parse(call["function"]["arguments"].as_string()) == json::object({{"city", "Paris"}}));
  CHECK(offers_tool(h.vendor_body(0), "get_weather"));

  // The SDK's loop: the whole history again, then the tool message.
  h.vendor.enqueue(reply("weather_answer"));
  auto second = h.post("/v1/chat/completions", R"({"model":"durar","user":"u2","messages":[
      {"role":"user","content":"weather in Paris?"},
      {"role":"assistant","content":"Checking.","tool_calls":[{"id":"call_1","type":"function",
       "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"18C, sunny"}],)" +
                                                   chat_tools + "}");
  INFO(second->body);
  REQUIRE(second->status == 200);
  json answer = second->json_body()["choices"][0];
  CHECK(answer["message"]["content"] == "It is 18°C and sunny in Paris.");
  CHECK(answer["finish_reason"] == "stop");
  CHECK(answer["message"].find("tool_calls") == nullptr);
  json sent = h.vendor_body(1);
  auto results = messages_with_role(sent, "tool");
  REQUIRE(results.size() == 1);
  CHECK(results[0]["tool_call_id"] == "call_1");
  CHECK(count_of(sent.dump(), "weather in Paris?") == 1);

  // Streamed: the call's index, id and name in a tool_calls delta, then its arguments, then
  // finish_reason tool_calls.
  h.vendor.enqueue(text_then_tool_call());
  auto streamed = h.post("/v1/chat/completions", R"({"model":"durar","stream":true,"messages":[
      {"role":"user","content":"weather in Paris?"}],)" +
                                                     chat_tools + "}");
  INFO(streamed->body);
  REQUIRE(streamed->status == 200);
  auto chunks = streamed->sse_data();
  REQUIRE(chunks.size() >= 5);
  CHECK(chunks.back() == "[DONE]");
  json finish = parse(chunks[chunks.size() - 2]);
  CHECK(finish["choices"][0]["finish_reason"] == "tool_calls");
  json delta = parse(chunks[chunks.size() - 4])["choices"][0]["delta"];
  REQUIRE(delta["tool_calls"].is_array());
  CHECK(delta["tool_calls"][0]["index"] == 0);
  CHECK(delta["tool_calls"][0]["id"] == "call_1");
  CHECK(delta["tool_calls"][0]["function"]["name"] == "get_weather");
  json arguments = parse(chunks[chunks.size() - 3])["choices"][0]["delta"]["tool_calls"][0];
  CHECK(arguments["index"] == 0);
  CHECK(parse(arguments["function"]["arguments"].as_string()) == json::object({{"city", "Paris"}}));

  // Without `user` every call is a fresh session: the output is read as text.
  h.vendor.enqueue(reply("weather_answer"));
  auto stateless = h.post("/v1/chat/completions", R"({"model":"durar","messages":[
      {"role":"user","content":"weather in Oslo?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_7","type":"function",
       "function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
      {"role":"tool","tool_call_id":"call_7","content":"-3C"}],)" +
                                                      chat_tools + "}");
  REQUIRE(stateless->status == 200);
  json plain = h.vendor_body(3);
  CHECK(messages_with_role(plain, "tool").empty());
  const std::string text = messages_with_role(plain, "user").back()["content"].dump();
  CHECK(text.find("weather in Oslo?") != std::string::npos);
  CHECK(text.find("get_weather with {\\\"city\\\":\\\"Oslo\\\"}") != std::string::npos);
  CHECK(text.find("-3C") != std::string::npos);
}

TEST_CASE("outputs for calls a kept session does not hold reach the model as text",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(reply("answer_one"));
  auto out = h.post("/v1/responses", R"({"model":"durar","user":"u3","input":[
      {"type":"function_call_output","call_id":"call_zz","output":"42"},
      {"role":"user","content":"and?"}]})");
  INFO(out->body);
  REQUIRE(out->status == 200);
  json sent = h.vendor_body(0);
  CHECK(messages_with_role(sent, "tool").empty());
  auto users = messages_with_role(sent, "user");
  REQUIRE(users.size() == 1);
  CHECK(users[0]["content"].dump().find("[Output of tool call call_zz]\\n42\\n\\nand?") !=
        std::string::npos);
}

namespace {

// A reply that only calls tools, streamed as OpenAI streams them: each call's id and name
// first, then its arguments in fragments. `calls`: {id, name, fragments}.
struct streamed_call {
  std::string id;
  std::string name;
  std::vector<std::string> fragments;
};
fake_response tool_calls_in_fragments(const std::vector<streamed_call>& calls) {
  auto chunk = [](const json& delta, const json& finish) {
    json c = json::object(
        {{"id", "chatcmpl-f"},
         {"object", "chat.completion.chunk"},
         {"created", 1},
         {"model", "m1"},
         {"choices", json::array({json::object(
                         {{"index", 0}, {"delta", delta}, {"finish_reason", finish}})})}});
    return "data: " + c.dump() + "\n\n";
  };
  fake_response r;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.body = chunk(json::object({{"role", "assistant"}}), json());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto index = static_cast<std::int64_t>(i);
    r.body += chunk(
        json::object(
            {{"tool_calls",
              json::array({json::object(
                  {{"index", index},
                   {"id", calls[i].id},
                   {"type", "function"},
                   {"function", json::object({{"name", calls[i].name}, {"arguments", ""}})}})})}}),
        json());
    for (const auto& f : calls[i].fragments)
      r.body +=
          chunk(json::object(
                    {{"tool_calls",
                      json::array({json::object(
                          {{"index", index}, {"function", json::object({{"arguments", f}})}})})}}),
                json());
  }
  r.body += chunk(json::object(), "tool_calls") + "data: [DONE]\n\n";
  return r;
}

const std::vector<std::string> paris_fragments = {"{\"ci", "ty\": \"Pa", "ris\"}"};

std::vector<json> parsed_data(const recording_responder& out) {
  std::vector<json> events;
  for (const auto& d : out.sse_data())
    if (d != "[DONE]") events.push_back(parse(d));
  return events;
}

}  // namespace

TEST_CASE("a streamed response streams a call's arguments as the model writes them",
          "[gateway][openai]") {
  harness h;
  // The agent's own read first (it runs inside the turn and is not shown), then the
  // caller's get_weather, its arguments in three fragments.
  h.vendor.enqueue(
      tool_calls_in_fragments({{"call_own", "read", {"{\"path\":", "\"nothing.txt\"}"}},
                               {"call_5", "get_weather", paris_fragments}}));
  auto out = h.post("/v1/responses", R"({"model":"durar","stream":true,
      "input":"weather in Paris?",)" + weather_tools +
                                         "}");
  INFO(out->body);
  REQUIRE(out->status == 200);
  CHECK(out->sse_data().back() == "[DONE]");
  // A reply that only calls tools has no message item: the call is the first output.
  CHECK(out->sse_events() ==
        std::vector<std::string>{
            "response.created", "response.in_progress", "response.output_item.added",
            "response.function_call_arguments.delta", "response.function_call_arguments.delta",
            "response.function_call_arguments.delta", "response.function_call_arguments.done",
            "response.output_item.done", "response.completed"});
  auto events = parsed_data(*out);
  REQUIRE(events.size() == 9);
  for (std::size_t i = 0; i < events.size(); ++i)
    CHECK(events[i]["sequence_number"] == static_cast<std::int64_t>(i));
  const json& added = events[2];
  CHECK(added["output_index"] == 0);
  CHECK(added["item"]["type"] == "function_call");
  CHECK(added["item"]["call_id"] == "call_5");
  CHECK(added["item"]["name"] == "get_weather");
  CHECK(added["item"]["status"] == "in_progress");
  CHECK(added["item"]["arguments"] == "");
  std::string joined;
  for (std::size_t i = 0; i < paris_fragments.size(); ++i) {
    CHECK(events[3 + i]["delta"] == paris_fragments[i]);
    CHECK(events[3 + i]["item_id"] == added["item"]["id"]);
    CHECK(events[3 + i]["output_index"] == 0);
    joined += events[3 + i]["delta"].as_string();
  }
  CHECK(events[6]["arguments"] == joined);  // the deltas add up to the arguments
  CHECK(events[6]["name"] == "get_weather");
  const json& done = events[7]["item"];
  CHECK(done["status"] == "completed");
  CHECK(parse(done["arguments"].as_string()) == json::object({{"city", "Paris"}}));
  // The final response has the items the stream opened, at the indexes it gave them.
  const json& completed = events[8]["response"];
  REQUIRE(completed["output"].as_array().size() == 1);
  CHECK(completed["output"][0] == done);
  // The agent's own call ran inside the turn, before the turn ended on the caller's.
  CHECK(h.vendor.requests().size() == 1);
  CHECK(out->body.find("call_own") == std::string::npos);
  CHECK(out->body.find("nothing.txt") == std::string::npos);

  // Each delta went out as it came, not gathered into the write that completes.
  std::size_t delta_writes = 0;
  for (const auto& c : out->chunks) {
    if (c.find("response.function_call_arguments.delta") == std::string::npos) continue;
    ++delta_writes;
    CHECK(c.find("response.completed") == std::string::npos);
  }
  CHECK(delta_writes == paris_fragments.size());
}

TEST_CASE("a streamed call's arguments reach the caller while the model is still writing",
          "[gateway][openai]") {
  harness h;
  auto stalled = tool_calls_in_fragments({{"call_5", "get_weather", paris_fragments}});
  stalled.stall_after = stalled.body.find(R"("finish_reason":"tool_calls")");
  h.vendor.enqueue(stalled);
  for (const std::string path : {"/v1/responses", "/v1/chat/completions"}) {
    INFO(path);
    const bool responses = path == "/v1/responses";
    auto out = h.call(
        "POST", path,
        responses ? R"({"model":"durar","stream":true,"input":"weather?",)" + weather_tools + "}"
                  : R"({"model":"durar","stream":true,"messages":[
          {"role":"user","content":"weather?"}],"tools":[{"type":"function",
          "function":{"name":"get_weather","parameters":{"type":"object"}}}]})");
    auto fragments_seen = [&] {
      std::size_t n = 0;
      for (const auto& d : out->sse_data()) {
        if (d == "[DONE]") continue;
        json e = parse(d);
        if (responses
                ? e["type"] == "response.function_call_arguments.delta"
                : e["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].is_string())
          ++n;
      }
      return n;
    };
    // The upstream stalls before it ends the reply, so these come from the stream alone.
    const std::size_t expected = responses ? 3 : 4;  // chat: the first chunk's "" too
    REQUIRE(durar::test::run_until(h.io, [&] { return fragments_seen() == expected; }));
    CHECK_FALSE(out->finished());
    out->disconnect();  // the run is aborted
    REQUIRE(durar::test::run_until(h.io, [&] { return out->finished(); }));
    h.io.restart();
    h.io.poll();
    if (responses) h.vendor.enqueue(stalled);
  }
}

TEST_CASE("a streamed chat completion streams tool_calls as the model writes them",
          "[gateway][openai]") {
  harness h;
  h.vendor.enqueue(
      tool_calls_in_fragments({{"call_own", "read", {"{\"path\":\"nothing.txt\"}"}},
                               {"call_5", "get_weather", paris_fragments},
                               {"call_6", "get_weather", {"{\"city\":", "\"Oslo\"}"}}}));
  auto out = h.post("/v1/chat/completions", R"({"model":"durar","stream":true,"messages":[
      {"role":"user","content":"weather in Paris and Oslo?"}],
      "tools":[{"type":"function","function":{"name":"get_weather",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]})");
  INFO(out->body);
  REQUIRE(out->status == 200);
  auto data = out->sse_data();
  REQUIRE(data.size() >= 3);
  CHECK(data.back() == "[DONE]");
  data.pop_back();
  std::vector<json> chunks;
  for (const auto& d : data) chunks.push_back(parse(d));
  CHECK(chunks.front()["choices"][0]["delta"] == json::object({{"role", "assistant"}}));
  CHECK(chunks.back()["choices"][0]["finish_reason"] == "tool_calls");
  CHECK(chunks.back()["choices"][0]["delta"] == json::object());
  // Between them: per call, a first chunk with index, id, type and name, then one chunk per
  // fragment of its arguments; no content.
  std::vector<json> deltas;
  for (std::size_t i = 1; i + 1 < chunks.size(); ++i) {
    const json& d = chunks[i]["choices"][0]["delta"];
    CHECK(d.find("content") == nullptr);
    CHECK(chunks[i]["choices"][0]["finish_reason"].is_null());
    REQUIRE(d["tool_calls"].as_array().size() == 1);
    deltas.push_back(d["tool_calls"][0]);
  }
  REQUIRE(deltas.size() == 1 + paris_fragments.size() + 1 + 2);
  CHECK(deltas[0]["index"] == 0);
  CHECK(deltas[0]["id"] == "call_5");
  CHECK(deltas[0]["type"] == "function");
  CHECK(deltas[0]["function"]["name"] == "get_weather");
  CHECK(deltas[0]["function"]["arguments"] == "");
  std::map<std::int64_t, std::string> arguments;
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    const bool first = i == 0 || i == 1 + paris_fragments.size();
    CHECK((deltas[i].find("id") != nullptr) == first);
    arguments[deltas[i]["index"].as_int()] += deltas[i]["function"]["arguments"].as_string();
  }
  for (std::size_t i = 0; i < paris_fragments.size(); ++i)
    CHECK(deltas[1 + i]["function"]["arguments"] == paris_fragments[i]);
  CHECK(deltas[4]["index"] == 1);
  CHECK(deltas[4]["id"] == "call_6");
  REQUIRE(arguments.size() == 2);
  CHECK(parse(arguments[0]) == json::object({{"city", "Paris"}}));
  CHECK(parse(arguments[1]) == json::object({{"city", "Oslo"}}));
  CHECK(out->body.find("call_own") == std::string::npos);
}
