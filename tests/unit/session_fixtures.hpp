// Helpers for the session tests: a scratch state dir, transcript files written by hand,
// messages of each role and a settable clock.
#pragma once

#include <durar/session.hpp>

#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

namespace session_test {

namespace fs = std::filesystem;
using namespace durar;

inline const fs::path data_dir = fs::path(DURAR_TEST_DATA) / "sessions";

using durar::test::temp_dir;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void spit(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

// A clock tests move by hand: reset decisions and timestamps without waiting.
struct test_clock {
  std::shared_ptr<std::chrono::system_clock::time_point> now =
      std::make_shared<std::chrono::system_clock::time_point>(
          std::chrono::milliseconds(1776762840000));  // 2026-04-21T09:14:00Z
  std::function<std::chrono::system_clock::time_point()> fn() const {
    auto p = now;
    return [p] { return *p; };
  }
  void advance(std::chrono::milliseconds d) const { *now += d; }
  void set_ms(std::int64_t ms) const {
    *now = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  }
};

inline user_message user(std::string text, std::int64_t ts = 1000) {
  user_message m;
  m.content.emplace_back(text_block{std::move(text), {}});
  m.timestamp = ts;
  return m;
}

inline assistant_message reply(std::string text, std::int64_t input = 100,
                               std::int64_t output = 10) {
  assistant_message m;
  m.content.emplace_back(text_block{std::move(text), {}});
  m.api = "openai-completions";
  m.provider = "openai";
  m.model = "gpt-5.4";
  m.usage.input = input;
  m.usage.output = output;
  m.usage.total_tokens = input + output;
  m.usage.cost.total = 0.01;
  m.timestamp = 2000;
  return m;
}

inline assistant_message calls(std::vector<std::string> ids, std::string name = "exec") {
  assistant_message m = reply("");
  m.content.clear();
  for (auto& id : ids)
    m.content.emplace_back(tool_call_block{id, name, json::object({{"command", "ls"}}), {}});
  m.stop = stop_reason::tool_use;
  return m;
}

inline tool_result_message result_of(std::string id, std::string text = "ok",
                                     std::string name = "exec") {
  tool_result_message r;
  r.tool_call_id = std::move(id);
  r.tool_name = std::move(name);
  r.content.emplace_back(text_block{std::move(text), {}});
  r.timestamp = 3000;
  return r;
}

inline std::string first_text(const message& m) {
  return std::visit(
      [](const auto& v) -> std::string {
        for (const auto& b : v.content)
          if (const auto* t = std::get_if<text_block>(&b)) return t->text;
        return "";
      },
      m);
}

inline std::string role_of(const message& m) {
  if (std::holds_alternative<user_message>(m)) return "user";
  if (std::holds_alternative<assistant_message>(m)) return "assistant";
  return "toolResult";
}

inline session_store_options quiet_options(const test_clock& clock) {
  session_store_options o;
  o.transcript_fsync = fsync_policy::never;
  o.index_fsync = fsync_policy::never;
  o.clock = clock.fn();
  o.cwd = "/srv/test";
  o.policy.reset_mode = "idle";  // no daily reset unless a test asks for one
  return o;
}

}  // namespace session_test
