// Calling a built-in tool the way the agent does (on an io_context, with a cancellation
// slot) and waiting for its answer, always bounded.
#pragma once

#include <durar/json.hpp>
#include <durar/tool.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "io_wait.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tool_test {

// One call in flight: its answer (once), progress updates, and the signal that aborts it.
struct pending_call {
  std::optional<durar::tool_result> result;
  int answers = 0;
  std::vector<durar::tool_result> updates;
  asio::cancellation_signal cancel;

  [[nodiscard]] bool done() const { return answers > 0; }
};

inline durar::tool_context context_for(asio::io_context& io, pending_call& call) {
  durar::tool_context ctx;
  ctx.tool_call_id = "call_1";
  ctx.agent_id = "main";
  ctx.executor = io.get_executor();
  ctx.cancel = call.cancel.slot();
  ctx.on_update = [&call](const durar::tool_result& r) { call.updates.push_back(r); };
  return ctx;
}

inline std::unique_ptr<pending_call> start(asio::io_context& io, durar::tool& t,
                                           const durar::json& args) {
  auto call = std::make_unique<pending_call>();
  auto* raw = call.get();
  t.async_run(args, context_for(io, *call), [raw](durar::tool_result r) {
    ++raw->answers;
    raw->result = std::move(r);
  });
  return call;
}

// Runs the loop until the call answers; fails the test (and returns an error) if it doesn't.
inline durar::tool_result finish(asio::io_context& io, pending_call& call,
                                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const bool answered = durar::test::run_until(
      io, [&] { return call.done(); }, limit);
  REQUIRE(answered);
  CHECK(call.answers == 1);
  return *call.result;
}

inline durar::tool_result call(asio::io_context& io, durar::tool& t, const durar::json& args,
                               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto c = start(io, t, args);
  return finish(io, *c, limit);
}

inline std::string text(const durar::tool_result& r) {
  std::string out;
  for (const auto& b : r.content)
    if (const auto* t = std::get_if<durar::text_block>(&b)) out += t->text;
  return out;
}

}  // namespace tool_test
