// The caller's tool_choice on /v1/responses and /v1/chat/completions reaches the vendor as a
// request field (the fake vendor speaks openai-completions), beside the instruction the
// model reads; a request that only brings outputs goes on unforced, so the model can answer.
#include "gateway_openai_harness.hpp"

using namespace gateway_openai_test;

namespace {

const std::string weather_tools = R"("tools":[{"type":"function","name":"get_weather",
    "description":"Current weather for a city.","parameters":{"type":"object",
    "properties":{"city":{"type":"string"}},"required":["city"]}}])";

const std::string chat_tools = R"("tools":[{"type":"function","function":{"name":"get_weather",
    "description":"Current weather for a city.","parameters":{"type":"object",
    "properties":{"city":{"type":"string"}},"required":["city"]}}}])";

const json forced_weather =
    json::object({{"type", "function"}, {"function", json::object({{"name", "get_weather"}})}});

}  // namespace

TEST_CASE("a named tool_choice on /v1/responses is sent to the vendor as tool_choice",
          "[gateway][openai][tool-choice]") {
  harness h;
  h.vendor.enqueue(text_then_tool_call());
  auto first = h.post("/v1/responses", R"({"model":"durar","user":"u1","input":"weather?",
      "tool_choice":{"type":"function","name":"get_weather"},)" +
                                           weather_tools + "}");
  INFO(first->body);
  REQUIRE(first->status == 200);
  json sent = h.vendor_body(0);
  CHECK(sent["tool_choice"] == forced_weather);
  CHECK(sent.dump().find("Call the tool get_weather") != std::string::npos);  // kept as well
  CHECK(first->json_body()["tool_choice"] ==
        json::object({{"type", "function"}, {"name", "get_weather"}}));

  // The output alone goes on from the call: not forced, so the model can answer.
  h.vendor.enqueue(reply("weather_answer"));
  auto second = h.post("/v1/responses", R"({"model":"durar","user":"u1","input":[
      {"type":"function_call_output","call_id":"call_1","output":"18C, sunny"}],
      "tool_choice":{"type":"function","name":"get_weather"},)" +
                                            weather_tools + "}");
  INFO(second->body);
  REQUIRE(second->status == 200);
  CHECK(h.vendor_body(1)["tool_choice"] == json("auto"));
  CHECK(second->json_body()["output"][0]["content"][0]["text"] == "It is 18°C and sunny in Paris.");
}

TEST_CASE("required on /v1/chat/completions is sent to the vendor, auto and none are not forced",
          "[gateway][openai][tool-choice]") {
  harness h;
  h.vendor.enqueue(text_then_tool_call());
  auto forced = h.post("/v1/chat/completions", R"({"model":"durar","messages":[
      {"role":"user","content":"weather in Paris?"}],"tool_choice":"required",)" +
                                                   chat_tools + "}");
  INFO(forced->body);
  REQUIRE(forced->status == 200);
  CHECK(h.vendor_body(0)["tool_choice"] == json("required"));

  h.vendor.enqueue(text_then_tool_call());
  auto named = h.post("/v1/chat/completions", R"({"model":"durar","messages":[
      {"role":"user","content":"weather in Paris?"}],
      "tool_choice":{"type":"function","function":{"name":"get_weather"}},)" +
                                                  chat_tools + "}");
  REQUIRE(named->status == 200);
  CHECK(h.vendor_body(1)["tool_choice"] == forced_weather);

  for (const char* choice : {R"("auto")", R"("none")"}) {
    INFO(choice);
    h.vendor.enqueue(reply("answer_one"));
    const std::size_t at = h.vendor.requests().size();
    auto out = h.post("/v1/chat/completions", R"({"model":"durar","messages":[
        {"role":"user","content":"hi"}],"tool_choice":)" +
                                                  std::string(choice) + "," + chat_tools + "}");
    REQUIRE(out->status == 200);
    CHECK(h.vendor_body(at)["tool_choice"] == json("auto"));  // the proxy default, spelled out
  }
}
