// A call to a transport, owned in one place (call_spec only refers), plus golden request
// files: tests/data/providers/<api>/<case>.request.json holds {method, url, headers, body}.
// DURAR_REGEN_REQUESTS=1 rewrites them from the current builder (review the diff).
#pragma once

#include <durar/catalog.hpp>
#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "wire_replay.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

namespace wire_fixture {

inline constexpr const char* canary_key = "sk-canary-DO-NOT-LEAK-7f3a9c";

struct fixture {
  durar::model_info model;
  durar::provider_info provider;
  std::optional<durar::secret> key;
  durar::conversation conv;
  durar::request_options options;

  [[nodiscard]] durar::call_spec call() const {
    return {model, provider, key ? &*key : nullptr, conv, options};
  }
};

inline durar::json request_json(const durar::http_request& req) {
  durar::json headers = durar::json::object();
  for (const auto& [k, v] : req.headers) headers.set(k, v);
  auto body = durar::json::parse(req.body);
  REQUIRE(body.has_value());
  return durar::json::object(
      {{"method", req.method}, {"url", req.url}, {"headers", headers}, {"body", *body}});
}

inline void check_golden(const durar::http_request& req, const std::string& relative) {
  durar::json actual = request_json(req);
  const std::string path = std::string(DURAR_TEST_DATA) + "/" + relative;
  if (const char* regen = std::getenv("DURAR_REGEN_REQUESTS"); regen != nullptr && *regen == '1') {
    std::ofstream(path, std::ios::binary) << actual.dump(2) << "\n";
  }
  auto expected = durar::json::parse(wire_replay::read_data(relative));
  REQUIRE(expected.has_value());
  INFO("expected: " << expected->dump(2));
  INFO("actual:   " << actual.dump(2));
  CHECK(actual == *expected);
}

inline durar::json body_of(const durar::http_request& req) {
  auto body = durar::json::parse(req.body);
  REQUIRE(body.has_value());
  return *body;
}

inline std::string header(const durar::http_request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers)
    if (k == name) return v;
  return {};
}

inline durar::assistant_message assistant(std::string api, std::string provider, std::string model,
                                          std::vector<durar::content_block> content,
                                          durar::stop_reason stop = durar::stop_reason::stop) {
  durar::assistant_message m;
  m.api = std::move(api);
  m.provider = std::move(provider);
  m.model = std::move(model);
  m.content = std::move(content);
  m.stop = stop;
  m.timestamp = 1;
  return m;
}

inline durar::tool_call_block call(std::string id, std::string name, durar::json args) {
  durar::tool_call_block c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.arguments = std::move(args);
  return c;
}

inline durar::tool_result_message tool_result(std::string id, std::string name,
                                              std::vector<durar::content_block> content) {
  durar::tool_result_message r;
  r.tool_call_id = std::move(id);
  r.tool_name = std::move(name);
  r.content = std::move(content);
  r.timestamp = 1;
  return r;
}

inline durar::user_message user(std::vector<durar::content_block> content) {
  durar::user_message u;
  u.content = std::move(content);
  u.timestamp = 1;
  return u;
}

}  // namespace wire_fixture
