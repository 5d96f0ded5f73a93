#include "py_stream.hpp"

#include "py_errors.hpp"
#include "py_json.hpp"
#include "py_tools.hpp"

#include <chrono>
#include <string>

namespace durar::python {

namespace {

// How often a waiting thread looks for Ctrl-C (signals reach Python only between waits).
constexpr std::chrono::milliseconds signal_poll{100};
// An aborted run ends within a loop iteration or two; this only guards against a bug.
constexpr std::chrono::seconds abort_grace{30};

}  // namespace

run_pump::run_pump(std::shared_ptr<py_agent> agent, std::shared_ptr<agent_loop> loop,
                   std::shared_ptr<run_channel> channel)
    : agent_(std::move(agent)), loop_(std::move(loop)), channel_(std::move(channel)) {}

run_pump::~run_pump() { close(); }

std::optional<channel_item> run_pump::wait_item() {
  for (;;) {
    std::optional<channel_item> item;
    {
      py::gil_scoped_release nogil;
      item = channel_->pop(signal_poll);
    }
    if (item) return item;
    if (PyErr_CheckSignals() != 0) abort_and_raise(py::error_already_set());
  }
}

std::optional<json> run_pump::next() {
  while (!outcome_) {
    auto item = wait_item();
    switch (item->what) {
      case channel_item::kind::event:
        return std::move(item->event);
      case channel_item::kind::tool_call:
        serve(*item->call);
        break;
      case channel_item::kind::finished:
        outcome_ = std::move(item->outcome);
        break;
    }
  }
  return std::nullopt;
}

void run_pump::serve(tool_request& call) {
  if (call.cancelled()) return call.answer(error_result("aborted"));
  auto it = agent_->tools.find(call.name());
  if (it == agent_->tools.end())
    return call.answer(error_result("no Python function is registered for " + call.name()));
  py::object function = it->second;  // a reference of our own: the tool may remove itself
  tool_outcome out = call_python_tool(function, call.arguments());
  // Abort before answering: the loop then drops the answer instead of going on with it.
  if (out.fatal) loop_->abort();
  call.answer(std::move(out.result));
  if (out.fatal) abort_and_raise(std::move(*out.fatal));
}

void run_pump::abort_and_raise(py::error_already_set e) {
  close();
  throw std::move(e);
}

void run_pump::abort() { loop_->abort(); }

void run_pump::close() {
  if (outcome_) return;
  loop_->abort();
  const auto deadline = std::chrono::steady_clock::now() + abort_grace;
  while (!outcome_) {
    std::optional<channel_item> item;
    {
      py::gil_scoped_release nogil;
      item = channel_->pop(signal_poll);
    }
    if (!item) {
      if (std::chrono::steady_clock::now() >= deadline)
        outcome_ = result<run_result>(fail(errc::internal, "the run did not end after abort"));
      continue;
    }
    if (item->what == channel_item::kind::tool_call) item->call->answer(error_result("aborted"));
    if (item->what == channel_item::kind::finished) outcome_ = std::move(item->outcome);
  }
}

namespace {

// durar.Stream: `for event in agent.stream(text)`.
struct py_stream {
  run_pump pump;

  py_stream(std::shared_ptr<py_agent> agent, std::shared_ptr<agent_loop> loop,
            std::shared_ptr<run_channel> channel)
      : pump(std::move(agent), std::move(loop), std::move(channel)) {}

  py::object next() {
    if (auto event = pump.next()) return to_python(*event);
    throw py::stop_iteration();
  }

  py_run_result result() {
    while (pump.next()) {
    }
    return finish_run(pump.outcome());
  }
};

}  // namespace

void bind_stream(py::module_& m) {
  py::class_<py_stream>(m, "Stream",
                        "The events of one run, as dicts ({'type': 'message_update', ...}), "
                        "from agent.stream(). Python tools run on the iterating thread, "
                        "between events.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &py_stream::next)
      .def("result", &py_stream::result,
           "Waits for the end, skipping events not read yet, and returns the RunResult; "
           "raises like Agent.run() when the run ended in an error.")
      .def_property_readonly(
          "finished", [](const py_stream& s) { return s.pump.finished(); },
          "True once the last event was read.")
      .def(
          "abort", [](py_stream& s) { s.pump.abort(); },
          "Aborts the run; keep iterating to see it end (agent_end with stop 'aborted').")
      .def(
          "close", [](py_stream& s) { s.pump.close(); },
          "Aborts the run if it is still going and waits for its end, discarding events.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](py_stream& s, const py::args&) {
        s.pump.close();
        return false;
      });
}

py::object start_stream(const std::shared_ptr<py_agent>& agent, std::string text) {
  auto loop = agent->require();
  auto started = [&] {
    py::gil_scoped_release nogil;
    return loop->start(std::move(text), true);
  }();
  if (!started) raise_error(started.error());
  return py::cast(std::make_unique<py_stream>(agent, std::move(loop), std::move(*started)));
}

}  // namespace durar::python
