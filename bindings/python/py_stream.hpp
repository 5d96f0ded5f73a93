// One run as a Python thread consumes it: the channel's events in order, with the run's
// Python tool calls served in place between them. Shared by agent.run() and durar.Stream.
#pragma once

#include <durar/agent.hpp>
#include <durar/json.hpp>

#include "py_agent.hpp"
#include "run_channel.hpp"

#include <memory>
#include <optional>
#include <pybind11/pybind11.h>

namespace durar::python {

class run_pump {
 public:
  run_pump(std::shared_ptr<py_agent> agent, std::shared_ptr<agent_loop> loop,
           std::shared_ptr<run_channel> channel);
  ~run_pump();  // close()
  run_pump(const run_pump&) = delete;
  run_pump& operator=(const run_pump&) = delete;

  // The next event, nullopt once the run has ended (outcome() is then set). The GIL is
  // held on entry and released while waiting; tool calls run with it. Ctrl-C (or a tool
  // raising KeyboardInterrupt/SystemExit) aborts the run, waits for its end, and raises.
  std::optional<json> next();
  [[nodiscard]] bool finished() const noexcept { return outcome_.has_value(); }
  [[nodiscard]] const result<run_result>& outcome() const { return *outcome_; }

  void abort();
  // Aborts and waits (bounded) for the end, answering tool calls with errors without
  // running Python. Never raises. Idempotent.
  void close();

 private:
  std::optional<channel_item> wait_item();
  void serve(tool_request& call);
  [[noreturn]] void abort_and_raise(py::error_already_set e);

  std::shared_ptr<py_agent> agent_;   // keeps the tools' callables
  std::shared_ptr<agent_loop> loop_;  // before channel_: the loop outlives its requests
  std::shared_ptr<run_channel> channel_;
  std::optional<result<run_result>> outcome_;
};

// Starts a run and returns its durar.Stream. Raises when the run cannot start.
py::object start_stream(const std::shared_ptr<py_agent>& agent, std::string text);

}  // namespace durar::python
