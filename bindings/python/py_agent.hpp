// The Python-facing agent: the loop (agent_loop.hpp) plus what only Python may touch, the
// tools' callables. Shared with the Streams it starts, so a stream keeps both alive.
#pragma once

#include <durar/agent.hpp>

#include "agent_loop.hpp"

#include <map>
#include <memory>
#include <pybind11/pybind11.h>
#include <string>

namespace durar::python {

namespace py = pybind11;

struct py_agent {
  std::shared_ptr<agent_loop> loop;  // null once closed
  std::map<std::string, py::object> tools;
  agent_facts facts;
  durar::tool_choice tool_choice;  // as the loop's agent has it

  ~py_agent();
  // The loop, or UnavailableError when closed.
  std::shared_ptr<agent_loop> require() const;
  void close();  // GIL held on entry; released while the loop shuts down
};

// What run() returns and what a finished stream reports.
struct py_run_result {
  std::string text;         // the final assistant message's text
  std::string stop;         // why the run ended: done, aborted, error, max_turns, ...
  std::string stop_reason;  // the final message's: stop, length, toolUse, error, aborted
  std::string reason;
  int turns = 0;
  py::object usage;     // dict, summed over the run
  py::object message;   // dict, the final assistant message (transcript JSON)
  py::object messages;  // list of dicts, everything the run added
};

// The run's result, or raises: a run that could not start or ended in error/timeout raises
// the mapped durar.Error (with .result set when there is one). GIL held.
py_run_result finish_run(const result<run_result>& outcome);

void bind_agent(py::module_& m);
void bind_stream(py::module_& m);

}  // namespace durar::python
