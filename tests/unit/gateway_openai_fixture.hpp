// Shared by the OpenAI-compatible HTTP API tests, which need no sockets: a runtime in a
// scratch dir with agents main and coder behind token auth, and its routes answered through a
// recording responder.
#pragma once

#include <durar/runtime.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "../support/fake_http_responder.hpp"
#include "../support/temp_dir.hpp"
#include "gateway/gateway_state.hpp"
#include "gateway/http_errors.hpp"
#include "gateway/http_routes.hpp"
#include "gateway/openai_api.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gateway_openai_test {

using namespace durar;
using namespace durar::gateway_detail;
using durar::test::recording_responder;
namespace fs = std::filesystem;

inline json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

// Agents main (default) and coder; token auth; memorySearch for embeddings in the document.
struct gateway_fixture {
  durar::test::temp_dir state;
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

inline json error_of(const recording_responder& r) {
  json j = r.json_body();
  REQUIRE(j["error"].is_object());
  return j["error"];
}

}  // namespace gateway_openai_test
