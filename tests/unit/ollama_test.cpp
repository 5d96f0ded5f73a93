// ollama: request bodies, recorded NDJSON streams at every split, and local-server discovery.
#include <durar/catalog.hpp>
#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "transports/discovery.hpp"
#include "transports/transports.hpp"
#include "wire_fixture.hpp"
#include "wire_replay.hpp"

#include <string>

using namespace durar;
using namespace wire_fixture;
using wire_replay::check_every_split;
using wire_replay::check_invariants;
using wire_replay::decode_whole;
using wire_replay::read_data;

namespace {

const transport& ollama() {
  static auto t = detail::make_ollama_transport();
  return *t;
}

fixture local(std::string model_id, bool reasoning) {
  fixture f;
  f.provider = *catalog::builtin().provider("ollama");
  f.model.provider = "ollama";
  f.model.id = std::move(model_id);
  f.model.api = api_kind::ollama;
  f.model.reasoning = reasoning;
  f.model.input = {"text", "image"};
  f.model.max_tokens = 8192;
  f.model.cost = {1, 2, 0, 0};  // priced, so the cost path is exercised
  return f;
}

std::string ndjson(std::string_view name) {
  return read_data("providers/ollama/" + std::string(name));
}

tool_definition tool(std::string name, json parameters) {
  tool_definition t;
  t.name = std::move(name);
  t.description = "A tool";
  t.parameters = std::move(parameters);
  return t;
}

}  // namespace

// ---- requests ----------------------------------------------------------------------------

TEST_CASE("ollama: a chat request with history, think, options and images", "[ollama]") {
  fixture f = local("qwen3:8b", true);
  f.provider.base_url = "http://127.0.0.1:11434/v1/";  // the OpenAI-style form users paste
  f.model.context_tokens = 32768;
  f.options.thinking = thinking_level::medium;
  f.options.temperature = 0.2;
  f.options.max_tokens = 2048;
  f.options.params = json::object(
      {{"keep_alive", "10m"}, {"top_k", 20}, {"num_gpu", json()}, {"unrelated", true}});
  f.conv.system_prompt = "You are local.";
  f.conv.tools.push_back(
      tool("get_weather",
           json::object(
               {{"type", "object"},
                {"properties",
                 json::object(
                     {{"city", json::object({{"description", "City name"}})},
                      {"unit", json::object({{"enum", json::array({"c", "f"})}})},
                      {"opts", json::object({{"type", "object"}})},
                      {"when",
                       json::object(
                           {{"anyOf", json::array({json::object({{"type", "null"}}),
                                                   json::object({{"type", "integer"}})})}})}})}})));
  f.conv.tools.push_back(tool("no_schema", json()));
  f.conv.messages.emplace_back(
      user({text_block{"What is in this picture?", {}}, image_block{"image/png", "iVBORw0KGgo="}}));
  f.conv.messages.emplace_back(
      assistant("ollama", "ollama", "qwen3:8b",
                {thinking_block{"Need the weather.", {}, false}, text_block{"Checking.", {}},
                 call("call_1", "get_weather", json::object({{"city", "Paris"}})),
                 call("call_2", "get_weather", json::object({{"city", "Lyon"}}))},
                stop_reason::tool_use));
  f.conv.messages.emplace_back(tool_result("call_1", "get_weather", {text_block{"18C", {}}}));
  f.conv.messages.emplace_back(user({text_block{"Thanks", {}}}));  // call_2 is answered for it
  auto req = ollama().build_request(f.call());
  REQUIRE(req.has_value());
  check_golden(*req, "providers/ollama/chat.request.json");
  json body = body_of(*req);
  CHECK(req->url == "http://127.0.0.1:11434/api/chat");
  CHECK(header(*req, "Authorization").empty());  // no key, no auth
  CHECK(body["think"] == json("medium"));
  CHECK(body["options"]["num_ctx"] == json(32768));
  CHECK(body["options"]["num_predict"] == json(2048));
  CHECK(body["options"]["top_k"] == json(20));
  CHECK(!body["options"].contains("num_gpu"));
  CHECK(body["keep_alive"] == json("10m"));
  CHECK(!body.contains("unrelated"));
  const json& msgs = body["messages"];
  CHECK(msgs[1]["images"] == json::array({"iVBORw0KGgo="}));
  CHECK(msgs[2]["thinking"] == json("Need the weather."));
  CHECK(msgs[2]["tool_calls"][1]["function"]["arguments"] == json::object({{"city", "Lyon"}}));
  CHECK(msgs[3] ==
        json::object({{"role", "tool"}, {"content", "18C"}, {"tool_name", "get_weather"}}));
  CHECK(msgs[4]["content"] == json("No result provided"));
  const json& params = body["tools"][0]["function"]["parameters"];
  CHECK(params["properties"]["city"]["type"] == json("string"));
  CHECK(params["properties"]["opts"]["properties"] == json::object());
  CHECK(params["properties"]["when"]["type"] == json("integer"));
  CHECK(body["tools"][1]["function"]["parameters"] ==
        json::object({{"type", "object"}, {"properties", json::object()}}));
}

TEST_CASE("ollama: think follows the thinking level for reasoning models only", "[ollama]") {
  auto think = [](bool reasoning, thinking_level level, json params = json()) {
    fixture f = local("m", reasoning);
    f.options.thinking = level;
    f.options.params = std::move(params);
    f.conv.messages.emplace_back(user_text("hi"));
    auto req = ollama().build_request(f.call());
    REQUIRE(req.has_value());
    return body_of(*req)["think"];
  };
  CHECK(think(true, thinking_level::off) == json(false));
  CHECK(think(true, thinking_level::minimal) == json("low"));
  CHECK(think(true, thinking_level::high) == json("high"));
  CHECK(think(true, thinking_level::xhigh) == json("high"));
  CHECK(think(false, thinking_level::high).is_null());
  CHECK(think(true, thinking_level::off, json::object({{"think", true}})) == json(true));
  CHECK(think(false, thinking_level::off, json::object({{"thinking", "max"}})) == json("high"));
}

TEST_CASE("ollama: a configured key is sent, ids lose their provider prefix", "[ollama]") {
  fixture f = local("ollama/llama3.2", false);
  f.key = secret(canary_key);
  f.provider.base_url = "http://gpu-box:11434";
  f.conv.messages.emplace_back(user_text("hi"));
  auto req = ollama().build_request(f.call());
  REQUIRE(req.has_value());
  CHECK(header(*req, "Authorization") == std::string("Bearer ") + canary_key);
  CHECK(req->url == "http://gpu-box:11434/api/chat");
  json body = body_of(*req);
  CHECK(body["model"] == json("llama3.2"));
  CHECK(!body.contains("think"));
  CHECK(!body.contains("tools"));
  CHECK(body["options"] == json::object({{"num_predict", 8192}}));
}

// ---- decoding ----------------------------------------------------------------------------

TEST_CASE("ollama: a text stream", "[ollama]") {
  fixture f = local("llama3.2", false);
  const std::string body = ndjson("text.response.ndjson");
  auto r = decode_whole(ollama(), f.call(), body);
  check_invariants(r);
  CHECK(text_of(r.final) ==
        "The sky is blue because of Rayleigh scattering \xE2\x80\x94 tr\xC3\xA8s simple "
        "\xF0\x9F\x8C\xA4.");
  CHECK(r.final.stop == stop_reason::stop);
  CHECK(r.final.usage.input == 26);
  CHECK(r.final.usage.output == 13);
  CHECK(r.final.usage.total_tokens == 39);
  CHECK(r.final.usage.cost.total == Approx((26 * 1.0 + 13 * 2.0) / 1e6));
  check_every_split(ollama(), f.call(), body);
}

TEST_CASE("ollama: thinking then text", "[ollama]") {
  fixture f = local("qwen3:8b", true);
  const std::string body = ndjson("thinking.response.ndjson");
  auto r = decode_whole(ollama(), f.call(), body);
  check_invariants(r);
  REQUIRE(r.final.content.size() == 2);
  CHECK(std::get<thinking_block>(r.final.content[0]).thinking ==
        "Okay, the user wants 12 \xC3\x97 12.\nThat is 144.");
  CHECK(text_of(r.final) == "12 \xC3\x97 12 = 144.");
  check_every_split(ollama(), f.call(), body);
}

TEST_CASE("ollama: tool calls arrive whole with synthetic ids", "[ollama]") {
  fixture f = local("qwen3:8b", true);
  f.conv.tools.push_back(tool("get_weather", json::object()));
  f.conv.tools.push_back(tool("get_time", json::object()));
  const std::string body = ndjson("tool_calls.response.ndjson");
  auto r = decode_whole(ollama(), f.call(), body);
  check_invariants(r);
  CHECK(r.final.stop == stop_reason::tool_use);
  auto calls = tool_calls_of(r.final);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]->name == "get_weather");
  CHECK(calls[0]->arguments == json::object({{"city", "Paris"}, {"unit", "celsius"}}));
  CHECK(calls[1]->name == "get_time");  // "functions.get_time" named as the tool list does
  CHECK(calls[1]->arguments == json::object({{"timezone", "Europe/Paris"}}));
  CHECK(calls[0]->id.starts_with("call_"));
  CHECK(calls[0]->id != calls[1]->id);
  check_every_split(ollama(), f.call(), body);

  SECTION("ids and string arguments the server gives are used") {
    auto r2 = decode_whole(
        ollama(), f.call(),
        R"({"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_srv","function":{"name":"get_time","arguments":"{\"timezone\":\"UTC\"}"}}]},"done":false})"
        "\n{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":"
        "\"stop\"}\n");
    check_invariants(r2);
    auto c = tool_calls_of(r2.final);
    REQUIRE(c.size() == 1);
    CHECK(c[0]->id == "call_srv");
    CHECK(c[0]->arguments == json::object({{"timezone", "UTC"}}));
  }
}

TEST_CASE("ollama: done_reason length", "[ollama]") {
  fixture f = local("llama3.2", false);
  const std::string body = ndjson("length.response.ndjson");
  auto r = decode_whole(ollama(), f.call(), body);
  check_invariants(r);
  CHECK(r.final.stop == stop_reason::length);
  CHECK(text_of(r.final) == "Once upon a time");
  check_every_split(ollama(), f.call(), body);
}

TEST_CASE("ollama: errors are classified", "[ollama]") {
  fixture f = local("llama3.2", false);
  SECTION("an error line mid-stream keeps the text so far") {
    const std::string body = ndjson("error.response.ndjson");
    auto r = decode_whole(ollama(), f.call(), body);
    check_invariants(r);
    REQUIRE(r.failures == std::vector<errc>{errc::unavailable});
    CHECK(text_of(r.final) == "Partial");
    CHECK(r.final.error_message.find("unexpected EOF") != std::string::npos);
    check_every_split(ollama(), f.call(), body);
  }
  SECTION("model not found") {
    auto r = decode_whole(ollama(), f.call(),
                          "{\"error\":\"model \\\"nope\\\" not found, try pulling it first\"}\n");
    REQUIRE(r.failures == std::vector<errc>{errc::not_found});
  }
  SECTION("context") {
    auto r = decode_whole(ollama(), f.call(),
                          "{\"error\":\"the input length exceeds the context length\"}");
    REQUIRE(r.failures == std::vector<errc>{errc::context_overflow});
  }
  SECTION("an HTTP error body") {
    http_head head;
    head.status = 404;
    error e = ollama().classify_error(head, R"({"error":"model \"nope\" not found"})");
    CHECK(e.code == errc::not_found);
    CHECK(e.provider_message == "model \"nope\" not found");
  }
}

TEST_CASE("ollama: a stream that stops early or lies is a protocol error", "[ollama]") {
  fixture f = local("llama3.2", false);
  const std::string full = ndjson("text.response.ndjson");
  SECTION("no done:true") {
    auto cut = full.rfind("{\"model\"");
    auto r = decode_whole(ollama(), f.call(), std::string_view(full).substr(0, cut));
    check_invariants(r);
    REQUIRE(r.failures == std::vector<errc>{errc::protocol_error});
    CHECK(text_of(r.final).starts_with("The sky is blue"));
  }
  SECTION("an invalid line") {
    std::string broken = full;
    broken.insert(full.find('\n') + 1, "{\"message\": oops}\n");
    auto r = decode_whole(ollama(), f.call(), broken);
    check_invariants(r);
    REQUIRE(r.failures == std::vector<errc>{errc::protocol_error});
  }
  SECTION("a non-streaming body is one line") {
    auto r = decode_whole(
        ollama(), f.call(),
        R"({"model":"llama3.2","message":{"role":"assistant","content":"Hi there."},"done":true,"done_reason":"stop","prompt_eval_count":5,"eval_count":3})");
    check_invariants(r);
    CHECK(text_of(r.final) == "Hi there.");
    CHECK(r.final.usage.output == 3);
  }
}

// ---- discovery ---------------------------------------------------------------------------

TEST_CASE("discovery: listing requests for local servers", "[ollama][discovery]") {
  const auto& cat = catalog::builtin();
  auto tags = detail::build_listing_request(*cat.provider("ollama"), nullptr);
  CHECK(tags.method == "GET");
  CHECK(tags.url == "http://127.0.0.1:11434/api/tags");
  CHECK(tags.headers.empty());
  secret key(canary_key);
  auto models = detail::build_listing_request(*cat.provider("vllm"), &key);
  CHECK(models.url == "http://127.0.0.1:8000/v1/models");
  CHECK(header(models, "Authorization") == std::string("Bearer ") + canary_key);
  auto show =
      detail::build_ollama_show_request(*cat.provider("ollama"), "llama3.2:latest", nullptr);
  CHECK(show.method == "POST");
  CHECK(show.url == "http://127.0.0.1:11434/api/show");
  CHECK(show.body == R"({"model":"llama3.2:latest"})");
}

TEST_CASE("discovery: Ollama tags and show", "[ollama][discovery]") {
  const provider_info& p = *catalog::builtin().provider("ollama");
  auto listed = detail::parse_listing(p, read_data("providers/ollama/tags.listing.json"));
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 3);  // the nameless entry is skipped
  const auto& llama = (*listed)[0];
  CHECK(llama.id == "llama3.2:latest");
  CHECK(llama.provider == "ollama");
  CHECK(llama.api == api_kind::ollama);
  CHECK(!llama.reasoning);
  CHECK(llama.context_window == 128000);
  CHECK(llama.max_tokens == 8192);
  CHECK((*listed)[1].reasoning);  // deepseek-r1: guessed from the name
  CHECK((*listed)[2].input == std::vector<std::string>{"text", "image"});  // capabilities

  model_info m = llama;
  auto applied = detail::apply_ollama_show(m, read_data("providers/ollama/show.listing.json"));
  REQUIRE(applied.has_value());
  CHECK(m.context_window == 131072);
  CHECK(m.compat["supportsTools"] == json(true));
  CHECK(!m.reasoning);
}

TEST_CASE("discovery: OpenAI-compatible /models listings", "[ollama][discovery]") {
  const auto& cat = catalog::builtin();
  auto vllm = detail::parse_listing(*cat.provider("vllm"),
                                    read_data("providers/discovery/vllm_models.listing.json"));
  REQUIRE(vllm.has_value());
  REQUIRE(vllm->size() == 1);
  CHECK((*vllm)[0].id == "Qwen/Qwen3-30B-A3B");
  CHECK((*vllm)[0].context_window == 40960);  // max_model_len
  CHECK((*vllm)[0].api == api_kind::openai_completions);
  auto lms = detail::parse_listing(*cat.provider("lmstudio"),
                                   read_data("providers/discovery/lmstudio_models.listing.json"));
  REQUIRE(lms.has_value());
  REQUIRE(lms->size() == 3);
  CHECK((*lms)[1].reasoning);
  CHECK((*lms)[0].context_window == 128000);
  auto bad = detail::parse_listing(*cat.provider("lmstudio"), "<html>502</html>");
  REQUIRE(!bad.has_value());
  CHECK(bad.error().code == errc::protocol_error);
  auto wrong = detail::parse_listing(*cat.provider("ollama"), R"({"data":[]})");
  REQUIRE(!wrong.has_value());
}

TEST_CASE("ollama request: a typed top_p wins over the configured param", "[ollama]") {
  fixture f = local("qwen3:8b", false);
  f.conv.messages.emplace_back(user_text("Hi"));
  f.options.params = json::object({{"top_p", 0.5}});
  auto req = ollama().build_request(f.call());
  REQUIRE(req.has_value());
  CHECK(body_of(*req)["options"]["top_p"].as_double() == 0.5);
  f.options.top_p = 0.9;
  req = ollama().build_request(f.call());
  REQUIRE(req.has_value());
  CHECK(body_of(*req)["options"]["top_p"].as_double() == 0.9);
}
