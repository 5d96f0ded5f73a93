// Shared by the anthropic-messages request and decoding tests: models, endpoints, builders
// of history, and the recorded streams' decoder.
#pragma once

#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "transports/anthropic_messages.hpp"
#include "transports/transports.hpp"
#include "wire_replay.hpp"

#include <string>

namespace anthropic_test {

using namespace durar;
using wire_replay::read_data;

constexpr const char* canary = "sk-ant-api03-CANARY-never-print-me";

inline model_info claude(std::string id = "claude-sonnet-4-5", bool reasoning = true) {
  model_info m;
  m.provider = "anthropic";
  m.id = std::move(id);
  m.api = api_kind::anthropic_messages;
  m.reasoning = reasoning;
  m.input = {"text", "image"};
  m.cost = {3.0, 15.0, 0.3, 3.75};
  m.context_window = 200000;
  m.max_tokens = 64000;
  return m;
}

inline provider_info anthropic() {
  provider_info p;
  p.id = "anthropic";
  p.api = api_kind::anthropic_messages;
  p.base_url = "https://api.anthropic.com/";
  return p;
}

// Owns what a call_spec refers to.
struct fixture {
  model_info model = claude();
  provider_info provider = anthropic();
  secret key{canary};
  conversation conv;
  request_options options;

  [[nodiscard]] call_spec call() const { return {model, provider, &key, conv, options}; }
  [[nodiscard]] http_request request() const {
    auto r = detail::make_anthropic_messages_transport()->build_request(call());
    REQUIRE(r.has_value());
    return *r;
  }
  [[nodiscard]] json body() const {
    auto j = json::parse(request().body);
    REQUIRE(j.has_value());
    return *j;
  }
};

inline std::string header(const http_request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

inline tool_definition weather_tool() {
  tool_definition t;
  t.name = "get_weather";
  t.description = "Current weather for a place";
  t.parameters = json::object(
      {{"$schema", "http://json-schema.org/draft-07/schema#"},
       {"type", "object"},
       {"properties", json::object({{"location", json::object({{"type", "string"}})}})},
       {"required", json::array({"location"})},
       {"additionalProperties", false}});
  return t;
}

inline assistant_message from(const model_info& m, std::vector<content_block> content,
                              stop_reason stop = stop_reason::stop) {
  assistant_message a;
  a.api = std::string(to_string(m.api));
  a.provider = m.provider;
  a.model = m.id;
  a.content = std::move(content);
  a.stop = stop;
  return a;
}

inline tool_call_block call(std::string id, std::string name, json args) {
  tool_call_block c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.arguments = std::move(args);
  return c;
}

inline tool_result_message result_of(std::string id, std::string name, std::string text,
                                     bool is_error = false) {
  tool_result_message r;
  r.tool_call_id = std::move(id);
  r.tool_name = std::move(name);
  r.content.push_back(text_block{std::move(text), {}});
  r.is_error = is_error;
  return r;
}

inline void check_matches_file(const json& body, const std::string& file) {
  auto expected = json::parse(read_data("providers/anthropic-messages/" + file));
  REQUIRE(expected.has_value());
  INFO("sent:     " << body.dump(2));
  INFO("expected: " << expected->dump(2));
  CHECK(body == *expected);
}

inline wire_replay::run decode_file(const fixture& f, const std::string& name) {
  std::string body = read_data("providers/anthropic-messages/" + name);
  auto t = detail::make_anthropic_messages_transport();
  wire_replay::check_every_split(*t, f.call(), body);
  auto r = wire_replay::decode_whole(*t, f.call(), body);
  wire_replay::check_invariants(r);
  return r;
}

inline const text_block& text_at(const assistant_message& m, std::size_t i) {
  return std::get<text_block>(m.content.at(i));
}
inline const thinking_block& thinking_at(const assistant_message& m, std::size_t i) {
  return std::get<thinking_block>(m.content.at(i));
}
inline const tool_call_block& call_at(const assistant_message& m, std::size_t i) {
  return std::get<tool_call_block>(m.content.at(i));
}

}  // namespace anthropic_test
