// The OpenAI-compatible API tests' harness: a runtime with provider "fake" on a fake vendor,
// the gateway's routes answered through a recording responder, and readers for requests.
#pragma once

#include <durar/gateway.hpp>
#include <durar/runtime.hpp>
#include <durar/tool.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "core/base64.hpp"
#include "fake_http_responder.hpp"
#include "fake_vendor_server.hpp"
#include "gateway/gateway_state.hpp"
#include "gateway/http_routes.hpp"
#include "io_wait.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace gateway_openai_test {

using namespace durar;
using namespace durar::gateway_detail;
using durar::test::error_response;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::recording_responder;
namespace fs = std::filesystem;

inline const fs::path agent_data = fs::path(DURAR_TEST_DATA) / "agent" / "openai-completions";
inline const fs::path provider_data =
    fs::path(DURAR_TEST_DATA) / "providers" / "openai-completions";

inline fake_response reply(const std::string& name) {
  return recorded(agent_data / (name + ".response.sse"));
}

inline json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

// Provider "fake" (openai-completions, models m1 and m2) on the fake vendor; agents main
// (default) and coder; memorySearch embeds with fake/emb-1; gateway token auth.
struct harness {
  fake_vendor_server vendor;
  durar::test::temp_dir state;
  asio::io_context io;
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway_state> gs;
  http_handler routes;

  harness() {
    config cfg;
    cfg.paths.state_dir = state.path;
    cfg.env = environment(std::map<std::string, std::string, std::less<>>{
        {"HOME", state.path.string()}, {"FAKE_API_KEY", "sk-fake-gateway-canary"}});
    provider_config p;
    p.base_url = vendor.base_url() + "/v1";
    p.api = "openai-completions";
    for (std::string id : {"m1", "m2"}) {
      model_config m;
      m.id = id;
      p.models.push_back(m);
    }
    cfg.models.providers["fake"] = p;
    cfg.agents.model.primary = "fake/m1";
    agent_config main_agent;
    main_agent.id = "main";
    main_agent.is_default = true;
    agent_config coder;
    coder.id = "coder";
    cfg.agents.list = {main_agent, coder};
    cfg.gateway.auth_token = secret("tok-gw-canary");
    cfg.document =
        parse(R"({"agents":{"defaults":{"memorySearch":{"provider":"fake","model":"emb-1"}}}})");
    rt = std::make_unique<runtime>(io, std::move(cfg));
    gateway_settings s;
    s.auth.mode = "token";
    s.auth.token = secret("tok-gw-canary");
    gs = std::make_unique<gateway_state>(io, *rt, std::move(s));
    routes = make_http_routes(*gs);
  }

  std::shared_ptr<recording_responder> call(std::string method, std::string path,
                                            std::string body = {}, header_list headers = {}) {
    gateway_detail::http_request req;
    req.method = std::move(method);
    req.target = path;
    req.path = std::move(path);
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    req.remote_is_loopback = true;
    req.headers.emplace_back("authorization", "Bearer tok-gw-canary");
    for (auto& h : headers) req.headers.push_back(std::move(h));
    auto out = std::make_shared<recording_responder>();
    routes(std::move(req), out);
    return out;
  }

  std::shared_ptr<recording_responder> post(std::string path, std::string body,
                                            header_list headers = {}) {
    auto out = call("POST", std::move(path), std::move(body), std::move(headers));
    REQUIRE(test::run_until(io, [&] { return out->finished(); }));
    // As over a socket, the next request arrives after what the loop already has queued.
    io.restart();
    io.poll();
    CHECK(out->misuse == 0);
    return out;
  }

  // The vendor request body of call `i` (0-based).
  json vendor_body(std::size_t i) {
    auto reqs = vendor.requests();
    REQUIRE(reqs.size() > i);
    return parse(reqs[i].body);
  }
};

inline std::string chat(std::string_view text, std::string extra = {}) {
  return R"({"model":"durar",)" + extra + R"("messages":[{"role":"user","content":")" +
         std::string(text) + R"("}]})";
}

// The text of every message the vendor was sent, joined.
inline std::string sent_text(const json& body) {
  std::string all;
  for (const auto& m : body["messages"].as_array()) all += m["content"].dump() + "\n";
  return all;
}

// A reply that says something, then calls get_weather for Paris.
inline fake_response text_then_tool_call() {
  auto chunk = [](const std::string& delta, const std::string& finish) {
    return "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,"
           "\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":" +
           delta + ",\"finish_reason\":" + finish + "}]}\n\n";
  };
  fake_response r;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.body = chunk(R"({"role":"assistant","content":"Checking."})", "null") +
           chunk(R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":)"
                 R"({"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]})",
                 "null") +
           chunk("{}", "\"tool_calls\"") + "data: [DONE]\n\n";
  return r;
}

}  // namespace gateway_openai_test
