// The OpenAI-compatible API's request parsing: bodies, model names, chat messages and
// images, responses input, and /tools/invoke requests and their tool policy.
#include "gateway_openai_fixture.hpp"

using namespace gateway_openai_test;

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

TEST_CASE("sampling fields reach the parsed request", "[gateway][openai]") {
  auto chat = parse_chat_request(parse(R"({"max_tokens":64,"temperature":0.2,"top_p":0.9,
      "messages":[{"role":"user","content":"hi"}]})"));
  REQUIRE(chat.ok());
  CHECK(chat->sampling.max_tokens == 64);
  CHECK(chat->sampling.temperature == 0.2);
  CHECK(chat->sampling.top_p == 0.9);

  // The SDKs' newer name wins over the older one; both are checked.
  auto both = parse_chat_request(parse(R"({"max_tokens":64,"max_completion_tokens":32,
      "messages":[{"role":"user","content":"hi"}]})"));
  REQUIRE(both.ok());
  CHECK(both->sampling.max_tokens == 32);

  auto none = parse_chat_request(parse(R"({"temperature":null,
      "messages":[{"role":"user","content":"hi"}]})"));
  REQUIRE(none.ok());
  CHECK_FALSE(none->sampling.max_tokens);
  CHECK_FALSE(none->sampling.temperature);
  CHECK_FALSE(none->sampling.top_p);

  auto edges = parse_chat_request(parse(R"({"temperature":2,"top_p":0,
      "messages":[{"role":"user","content":"hi"}]})"));
  REQUIRE(edges.ok());
  CHECK(edges->sampling.temperature == 2.0);
  CHECK(edges->sampling.top_p == 0.0);

  auto resp = parse_responses_request(
      parse(R"({"input":"x","max_output_tokens":100,"temperature":1.5,"top_p":0.5})"));
  REQUIRE(resp.ok());
  CHECK(resp->max_output_tokens == 100);
  CHECK(resp->sampling.max_tokens == 100);
  CHECK(resp->sampling.temperature == 1.5);
  CHECK(resp->sampling.top_p == 0.5);

  turn_request turn;
  apply_sampling(turn, resp->sampling);
  CHECK(turn.max_tokens == 100);
  CHECK(turn.temperature == 1.5);
  CHECK(turn.top_p == 0.5);
}

TEST_CASE("sampling fields out of range are 400s naming the field", "[gateway][openai]") {
  auto check_chat = [](std::string_view fields, std::string_view param, std::string_view what) {
    std::string body =
        "{" + std::string(fields) + R"(,"messages":[{"role":"user","content":"hi"}]})";
    auto r = parse_chat_request(parse(body));
    INFO(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == 400);
    CHECK(r.error().type == "invalid_request_error");
    CHECK(r.error().param == param);
    CHECK(r.error().message.find(what) != std::string::npos);
    json shape = error_body(r.error());
    CHECK(shape["error"]["param"] == std::string(param));
  };
  check_chat(R"("temperature":2.5)", "temperature", "between 0 and 2");
  check_chat(R"("temperature":-0.1)", "temperature", "between 0 and 2");
  check_chat(R"("temperature":"hot")", "temperature", "expected a number, got string");
  check_chat(R"("top_p":1.01)", "top_p", "between 0 and 1");
  check_chat(R"("max_tokens":0)", "max_tokens", "positive integer");
  check_chat(R"("max_tokens":-5)", "max_tokens", "positive integer");
  check_chat(R"("max_tokens":1.5)", "max_tokens", "positive integer");
  check_chat(R"("max_tokens":"many")", "max_tokens", "positive integer");
  check_chat(R"("max_completion_tokens":0,"max_tokens":10)", "max_completion_tokens",
             "positive integer");
  check_chat(R"("max_tokens":1e12)", "max_tokens", "positive integer");

  auto resp = parse_responses_request(parse(R"({"input":"x","top_p":-1})"));
  REQUIRE_FALSE(resp.ok());
  CHECK(resp.error().param == "top_p");
  auto hot = parse_responses_request(parse(R"({"input":"x","temperature":3})"));
  REQUIRE_FALSE(hot.ok());
  CHECK(hot.error().param == "temperature");
}

TEST_CASE("responses tools are function tools, narrowed by tool_choice", "[gateway][openai]") {
  auto r = parse_responses_request(parse(R"({"input":"x","tools":[
      {"type":"function","name":"a","description":"A.","parameters":{"type":"object"}},
      {"type":"function","name":"b","strict":true}],"tool_choice":"required"})"));
  REQUIRE(r.ok());
  REQUIRE(r->tools.tools.size() == 2);
  CHECK(r->tools.tools[0].description == "A.");
  CHECK(r->tools.tools[1].parameters["type"] == "object");  // the default schema
  CHECK(r->tools.echo.as_array().size() == 2);
  CHECK(r->tools.choice == "required");
  CHECK(r->message.find("Call one of these tools before you answer: a, b.") != std::string::npos);

  auto one = parse_responses_request(parse(
      R"({"input":"x","tools":[{"type":"function","name":"a"},{"type":"function","name":"b"}],
          "tool_choice":{"type":"function","function":{"name":"b"}}})"));
  REQUIRE(one.ok());
  REQUIRE(one->tools.tools.size() == 1);
  CHECK(one->tools.tools[0].name == "b");
  auto none = parse_responses_request(
      parse(R"({"input":"x","tools":[{"type":"function","name":"a"}],"tool_choice":"none"})"));
  REQUIRE(none.ok());
  CHECK(none->tools.tools.empty());

  auto check = [](const char* body, const char* what, const char* param) {
    auto bad = parse_responses_request(parse(body));
    INFO(body);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find(what) != std::string::npos);
    CHECK(bad.error().param == param);
  };
  check(R"({"input":"x","tools":{}})", "tools: expected an array", "tools");
  check(R"({"input":"x","tools":[{"type":"file_search"}]})", "only function tools", "tools");
  check(R"({"input":"x","tools":[{"type":"function"}]})", "tools[0].name: required", "tools");
  check(R"({"input":"x","tools":[{"type":"function","name":"a"},{"type":"function","name":"a"}]})",
        "given twice", "tools");
  check(R"({"input":"x","tools":[{"type":"function","name":"a","parameters":[]}]})",
        "parameters: expected an object", "tools");
  check(R"({"input":"x","tool_choice":"required"})", "no tools are given", "tool_choice");
  check(R"({"input":"x","tool_choice":"sometimes"})", "expected auto, none", "tool_choice");
  check(R"({"input":"x","tools":[{"type":"function","name":"a"}],
            "tool_choice":{"type":"function","name":"z"}})",
        "no tool named 'z'", "tool_choice");
}

TEST_CASE("function_call_output items after the model's last item are the turn's outputs",
          "[gateway][openai]") {
  // Only outputs: no new user message; as text, with the call the input carried.
  auto only = parse_responses_request(parse(R"({"instructions":"Be brief.","input":[
      {"role":"user","content":"weather?"},
      {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"},
      {"type":"function_call_output","call_id":"c1","output":"-3C"},
      {"type":"function_call_output","call_id":"c2",
       "output":[{"type":"input_text","text":"part one"},{"type":"input_text","text":"two"}]}]})"));
  REQUIRE(only.ok());
  REQUIRE(only->tool_outputs.size() == 2);
  CHECK(only->tool_outputs[0].call_id == "c1");
  CHECK(only->tool_outputs[0].output == "-3C");
  CHECK(only->tool_outputs[1].output == "part one\ntwo");
  CHECK(only->message.empty());
  const std::string& text = only->message_with_outputs;
  CHECK(text.rfind("weather?", 0) == 0);
  CHECK(text.find("get_weather with {\"city\":\"Oslo\"} (call c1)") != std::string::npos);
  CHECK(text.find("[Output of tool call c2]\npart one") != std::string::npos);
  CHECK(text.find("Be brief.") != std::string::npos);

  // A user message after the outputs is new input too.
  auto both = parse_responses_request(parse(R"({"input":[
      {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
      {"type":"function_call_output","call_id":"c1","output":"ok"},
      {"role":"user","content":"and now?"}]})"));
  REQUIRE(both.ok());
  CHECK(both->tool_outputs.size() == 1);
  CHECK(both->message == "and now?");

  // Outputs before the model's last item are history.
  auto old = parse_responses_request(parse(R"({"input":[
      {"type":"function_call_output","call_id":"c0","output":"old"},
      {"role":"assistant","content":"done"},
      {"role":"user","content":"next"}]})"));
  REQUIRE(old.ok());
  CHECK(old->tool_outputs.empty());

  auto no_id =
      parse_responses_request(parse(R"({"input":[{"type":"function_call_output","output":"x"}]})"));
  REQUIRE_FALSE(no_id.ok());
  CHECK(no_id.error().message.find("input[0].call_id: required") != std::string::npos);
}

TEST_CASE("chat requests take Chat Completions tools and the tool messages of the new input",
          "[gateway][openai]") {
  auto r = parse_chat_request(parse(R"({"messages":[
      {"role":"tool","tool_call_id":"c0","content":"old"},
      {"role":"user","content":"weather?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
       "function":{"name":"get_weather","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"c1","content":[{"type":"text","text":"sunny"}]}],
      "tools":[{"type":"function","function":{"name":"get_weather","description":"W."}}],
      "tool_choice":{"type":"function","function":{"name":"get_weather"}}})"));
  REQUIRE(r.ok());
  REQUIRE(r->tools.tools.size() == 1);
  CHECK(r->tools.tools[0].description == "W.");
  REQUIRE(r->tool_outputs.size() == 1);  // c0 came before the last assistant message
  CHECK(r->tool_outputs[0].call_id == "c1");
  CHECK(r->tool_outputs[0].output == "sunny");
  CHECK(r->message.empty());
  CHECK(r->message_with_outputs.find("You called get_weather with {} (call c1)") !=
        std::string::npos);
  CHECK(r->message_with_outputs.find("Call the tool get_weather") != std::string::npos);

  auto bad = parse_chat_request(parse(R"({"messages":[{"role":"user","content":"x"}],
      "tools":[{"type":"function","function":{"description":"no name"}}]})"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("tools[0].function.name: required") != std::string::npos);
  auto no_id = parse_chat_request(parse(R"({"messages":[{"role":"tool","content":"x"}]})"));
  REQUIRE_FALSE(no_id.ok());
  CHECK(no_id.error().message.find("messages[0].tool_call_id: required") != std::string::npos);
}
