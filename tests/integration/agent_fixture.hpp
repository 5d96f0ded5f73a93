// Helpers for the agent tests: a fake vendor with recorded replies, a router and a session
// in a scratch state dir, an agent whose every event is recorded, and readers for what
// reached the transcript and the vendor.
#pragma once

#include <durar/agent.hpp>
#include <durar/session.hpp>
#include <durar/tool.hpp>

#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "io_wait.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace agent_test {

namespace fs = std::filesystem;
using namespace durar;
using durar::test::fake_response;
using durar::test::fake_vendor_server;

inline const fs::path data_dir = fs::path(DURAR_TEST_DATA) / "agent";

// tests/data/agent/<api>/<name>.response.{sse,ndjson}
inline fake_response reply(const std::string& api, const std::string& name) {
  fs::path base = data_dir / api / (name + ".response.sse");
  if (!fs::exists(base)) base = data_dir / api / (name + ".response.ndjson");
  INFO(base.string());
  REQUIRE(fs::exists(base));
  return durar::test::recorded(base);
}

using durar::test::temp_dir;

inline json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

// The vendor's base URL convention per wire API (CONTRACTS.md).
inline std::string base_url_for(const std::string& api, const std::string& root) {
  if (api == "openai-completions" || api == "openai-responses") return root + "/v1";
  if (api == "google-generative-ai") return root + "/v1beta";
  return root;
}

inline tool_definition weather_definition() {
  tool_definition d;
  d.name = "get_weather";
  d.description = "Current weather for a city.";
  d.parameters =
      json::object({{"type", "object"},
                    {"properties", json::object({{"city", json::object({{"type", "string"}})}})},
                    {"required", json::array({"city"})},
                    {"additionalProperties", false}});
  return d;
}

inline tool_definition simple_definition(std::string name) {
  tool_definition d;
  d.name = std::move(name);
  d.description = "A test tool.";
  return d;
}

struct harness {
  std::string api;
  fake_vendor_server server;
  temp_dir state;
  asio::io_context io;
  config cfg;
  std::unique_ptr<model_router> router;
  std::unique_ptr<session_store> store;
  std::unique_ptr<session> sess;
  std::vector<json> events;

  // Provider "fake" speaking `api_name` with model m1; `window` sets its contextWindow.
  explicit harness(std::string api_name = "openai-completions",
                   std::optional<std::int64_t> window = std::nullopt, bool reasoning = false)
      : api(std::move(api_name)) {
    cfg.env = environment(
        std::map<std::string, std::string, std::less<>>{{"FAKE_API_KEY", "sk-fake-agent-test"}});
    provider_config p;
    p.base_url = base_url_for(api, server.base_url());
    p.api = api;
    model_config m;
    m.id = "m1";
    m.context_window = window;
    m.reasoning = reasoning;
    m.cost = model_cost{1.0, 2.0, 0, 0};
    p.models.push_back(m);
    cfg.models.providers["fake"] = p;
    cfg.agents.model.primary = "fake/m1";
    cfg.paths.state_dir = state.path;
  }

  // Builds the router and opens the session; call after adjusting cfg.
  void open() {
    router = std::make_unique<model_router>(io, cfg);
    session_store_options o;
    o.transcript_fsync = fsync_policy::never;
    o.index_fsync = fsync_policy::never;
    store = std::make_unique<session_store>(state.path, "main", o);
    auto s = store->open("agent:main:main");
    REQUIRE(s.has_value());
    sess = std::move(*s);
  }

  agent_options options() const {
    agent_options o;
    o.model = "fake/m1";
    o.system_prompt = "You are a test agent.";
    o.workspace = state.path;
    return o;
  }

  std::unique_ptr<agent> make(agent_options o, bool with_session = true) {
    if (!router) open();
    auto a = std::make_unique<agent>(*router, with_session ? sess.get() : nullptr, std::move(o));
    a->subscribe([this](const agent_event& e) { events.push_back(to_json(e)); });
    return a;
  }

  void enqueue(const std::string& name) { server.enqueue(reply(api, name)); }

  // The transcript as written: every line after the header, parsed.
  std::vector<json> lines() const {
    std::ifstream in(sess->path(), std::ios::binary);
    std::vector<json> out;
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (header) {
        header = false;
        continue;
      }
      out.push_back(parse(line));
    }
    return out;
  }

  // The messages of the transcript file, as a reader of the file sees them.
  std::vector<json> transcript_messages() const {
    std::vector<json> out;
    for (auto& l : lines())
      if (l["type"].as_string() == "message") out.push_back(l["message"]);
    return out;
  }

  json request_body(std::size_t i) const {
    auto reqs = server.requests();
    REQUIRE(reqs.size() > i);
    return parse(reqs[i].body);
  }

  // Event types in order, with runs of message_update folded into one.
  std::vector<std::string> event_types() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      const std::string& t = e["type"].as_string();
      if (t == "message_update" && !out.empty() && out.back() == t) continue;
      out.push_back(t);
    }
    return out;
  }

  std::size_t count(const std::string& type) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e["type"].as_string() == type;
    return n;
  }
};

inline std::string text_of_json(const json& message) {
  const json& c = message["content"];
  if (c.is_string()) return c.as_string();
  std::string out;
  for (const auto& b : c.as_array())
    if (b["type"].as_string() == "text") out += b["text"].as_string();
  return out;
}

}  // namespace agent_test
