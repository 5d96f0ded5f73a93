#include "py_agent.hpp"

#include <durar/message.hpp>

#include "py_config.hpp"
#include "py_errors.hpp"
#include "py_json.hpp"
#include "py_stream.hpp"
#include "py_tools.hpp"

#include <filesystem>
#include <optional>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <string>
#include <vector>

namespace durar::python {

py_agent::~py_agent() {
  if (!loop) return;
  // Dropped without close(): the loop never needs the GIL, so joining cannot deadlock.
  auto closing = std::move(loop);
  py::gil_scoped_release nogil;
  closing->shutdown();
}

std::shared_ptr<agent_loop> py_agent::require() const {
  if (!loop) raise_error(durar::error(errc::unavailable, "the agent is closed"));
  return loop;
}

void py_agent::close() {
  if (!loop) return;
  auto closing = std::move(loop);  // other threads see it closed from now on
  py::gil_scoped_release nogil;
  closing->shutdown();
}

py_run_result finish_run(const result<run_result>& outcome) {
  if (!outcome) raise_error(outcome.error());
  const run_result& r = *outcome;
  py_run_result out;
  out.text = text_of(r.final);
  out.stop = to_string(r.stop);
  out.stop_reason = to_string(r.final.stop);
  out.reason = r.reason;
  out.turns = r.turns;
  out.usage = to_python(to_json(r.total));
  out.message = to_python(to_json(message(r.final)));
  py::list messages;
  for (const auto& m : r.messages) messages.append(to_python(to_json(m)));
  out.messages = std::move(messages);
  if (r.stop == run_stop::error || r.stop == run_stop::timeout) {
    durar::error failure = r.failure;
    if (r.stop == run_stop::timeout && failure.code == errc::internal)
      failure.code = errc::deadline_exceeded;
    py::object e = error_object(failure);
    e.attr("result") = py::cast(std::move(out));
    raise_object(e);
  }
  return out;
}

namespace {

std::shared_ptr<py_agent> make_agent(const py::object& config, std::optional<std::string> model,
                                     std::optional<std::string> agent_id,
                                     std::optional<std::string> session_key,
                                     std::optional<std::filesystem::path> state_dir,
                                     std::optional<std::filesystem::path> workspace,
                                     const py::object& tools, const py::object& tool_choice) {
  agent_setup setup;
  setup.cfg = config_argument(config);
  setup.model = model.value_or("");
  setup.agent_id = agent_id.value_or("");
  setup.session_key = session_key.value_or("");
  if (state_dir) setup.state_dir = std::filesystem::absolute(*state_dir);
  if (workspace) setup.workspace = std::filesystem::absolute(*workspace);
  setup.tool_choice = tool_choice_argument(tool_choice);

  auto self = std::make_shared<py_agent>();
  self->tool_choice = setup.tool_choice;
  if (!tools.is_none())
    for (auto item : tools) {
      python_tool t = make_python_tool(py::reinterpret_borrow<py::object>(item), py::none(),
                                       py::none(), py::none());
      if (self->tools.count(t.definition.name) != 0)
        throw py::value_error("two tools are named '" + t.definition.name + "'");
      self->tools.emplace(t.definition.name, t.function);
      setup.tools.push_back(std::move(t.definition));
    }

  auto opened = [&] {
    py::gil_scoped_release nogil;
    return agent_loop::open(std::move(setup));
  }();
  if (!opened) raise_error(opened.error());
  self->loop = std::move(*opened);
  self->facts = self->loop->facts();
  return self;
}

py::object add_tool(const std::shared_ptr<py_agent>& self, py::object function, py::object name,
                    py::object description, py::object schema) {
  auto loop = self->require();
  python_tool t =
      make_python_tool(function, std::move(name), std::move(description), std::move(schema));
  const std::string tool_name = t.definition.name;
  if (self->tools.count(tool_name) != 0)
    raise_error(
        durar::error(errc::invalid_argument, "a tool named '" + tool_name + "' already exists"));
  // In the map before the loop knows the tool, so no call can miss its function.
  self->tools.emplace(tool_name, t.function);
  auto added = [&] {
    py::gil_scoped_release nogil;
    return loop->add_tool(std::move(t.definition));
  }();
  if (!added) {
    self->tools.erase(tool_name);
    raise_error(added.error());
  }
  return function;
}

void set_tool_choice(const std::shared_ptr<py_agent>& self, const py::object& value) {
  durar::tool_choice choice = tool_choice_argument(value);
  auto loop = self->require();
  auto changed = [&] {
    py::gil_scoped_release nogil;
    return loop->set_tool_choice(choice);
  }();
  if (!changed) raise_error(changed.error());
  self->tool_choice = std::move(choice);
}

py_run_result run(const std::shared_ptr<py_agent>& self, std::string text,
                  const py::object& on_event) {
  auto loop = self->require();
  auto started = [&] {
    py::gil_scoped_release nogil;
    return loop->start(std::move(text), !on_event.is_none());
  }();
  if (!started) raise_error(started.error());
  // An exception from on_event leaves through the pump's destructor, which aborts the run.
  run_pump pump(self, std::move(loop), std::move(*started));
  while (auto event = pump.next())
    if (!on_event.is_none()) on_event(to_python(*event));
  return finish_run(pump.outcome());
}

}  // namespace

void bind_agent(py::module_& m) {
  py::class_<py_run_result>(m, "RunResult", "How a run ended, from Agent.run() or Stream.result().")
      .def_readonly("text", &py_run_result::text, "The final assistant message's text.")
      .def_readonly("stop", &py_run_result::stop,
                    "Why the run ended: done, aborted, error, max_turns, loop_detected, timeout.")
      .def_readonly("stop_reason", &py_run_result::stop_reason,
                    "The final message's stop reason: stop, length, toolUse, error, aborted.")
      .def_readonly("reason", &py_run_result::reason)
      .def_readonly("turns", &py_run_result::turns)
      .def_readonly("usage", &py_run_result::usage, "Token counts and cost, summed over the run.")
      .def_readonly("message", &py_run_result::message, "The final assistant message (dict).")
      .def_readonly("messages", &py_run_result::messages, "Every message the run added.")
      .def("__repr__", [](const py_run_result& r) {
        return "<durar.RunResult stop=" + r.stop + " turns=" + std::to_string(r.turns) +
               " text=" + std::string(py::repr(py::str(r.text))) + ">";
      });

  py::class_<py_agent, std::shared_ptr<py_agent>>(
      m, "Agent",
      "An agent talking in one session. Owns a thread that runs the network; methods may be "
      "called from any Python thread. Close it (or use `with`) to release the session's lock.")
      .def(py::init(&make_agent), py::arg("config") = py::none(), py::kw_only(),
           py::arg("model") = py::none(), py::arg("agent_id") = py::none(),
           py::arg("session_key") = py::none(), py::arg("state_dir") = py::none(),
           py::arg("workspace") = py::none(), py::arg("tools") = py::none(),
           py::arg("tool_choice") = py::none(),
           "config: a durar.Config, a path, or None for the default config. model: a "
           "provider/model ref or alias for this agent (default: the session's, else the "
           "config's). agent_id: an agent of agents.list (default: the default agent). "
           "session_key: 'work' or 'agent:main:work' (default: the agent's main session). "
           "state_dir, workspace: override the config's. tools: callables to register as "
           "with add_tool(). tool_choice: see the tool_choice property.")
      .def("add_tool", &add_tool, py::arg("function"), py::kw_only(), py::arg("name") = py::none(),
           py::arg("description") = py::none(), py::arg("schema") = py::none(),
           "Registers a Python callable as a tool the model may call, and returns it. It is "
           "called with the arguments as one dict, on the thread consuming the run; its "
           "return value is the result (str, or JSON-able), an exception an error result. "
           "schema: a JSON schema as a dict or JSON text.")
      .def(
          "tool",
          [](const std::shared_ptr<py_agent>& self, py::object name, py::object description,
             py::object schema) {
            return py::cpp_function([self, name, description, schema](py::object function) {
              return add_tool(self, std::move(function), name, description, schema);
            });
          },
          py::kw_only(), py::arg("name") = py::none(), py::arg("description") = py::none(),
          py::arg("schema") = py::none(), "Decorator form of add_tool().")
      .def("run", &run, py::arg("text"), py::kw_only(), py::arg("on_event") = py::none(),
           "Runs one user message to the end and returns a RunResult. on_event, when given, "
           "is called with each event dict. Raises a durar.Error subclass when the run cannot "
           "start or ends in an error; an aborted run returns with stop == 'aborted'.")
      .def("stream", &start_stream, py::arg("text"),
           "Starts a run and returns a Stream: iterate it for event dicts.")
      .def(
          "abort",
          [](const py_agent& self) {
            if (self.loop) self.loop->abort();
          },
          "Aborts the run in progress, from any thread (a no-op when idle).")
      .def(
          "steer",
          [](const py_agent& self, std::string text) { self.require()->steer(std::move(text)); },
          py::arg("text"), "Adds a user message after the current turn's tool calls.")
      .def(
          "follow_up",
          [](const py_agent& self, std::string text) {
            self.require()->follow_up(std::move(text));
          },
          py::arg("text"), "Adds a user message for when the agent would otherwise stop.")
      .def_property_readonly(
          "session",
          [](const py_agent& self) {
            auto loop = self.require();
            auto view = [&] {
              py::gil_scoped_release nogil;
              return loop->session();
            }();
            if (!view) raise_error(view.error());
            return session_from(*view);
          },
          "A snapshot of the session: key, id, path, messages, totals.")
      .def_property_readonly("agent_id", [](const py_agent& self) { return self.facts.agent_id; })
      .def_property_readonly("session_key",
                             [](const py_agent& self) { return self.facts.session_key; })
      .def_property_readonly("model", [](const py_agent& self) { return self.facts.model; })
      .def_property_readonly("workspace",
                             [](const py_agent& self) { return self.facts.workspace.string(); })
      .def_property_readonly("state_dir",
                             [](const py_agent& self) { return self.facts.state_dir.string(); })
      .def_property_readonly("tools",
                             [](const py_agent& self) {
                               std::vector<std::string> names;
                               for (const auto& [name, f] : self.tools) names.push_back(name);
                               return names;
                             })
      .def_property(
          "tool_choice", [](const py_agent& self) { return tool_choice_object(self.tool_choice); },
          &set_tool_choice,
          "Whether the model may, must or must not call a tool: 'auto' (the default; None "
          "sets it too), 'none', 'required' (any tool) or {'name': tool}. Sent to the "
          "vendor as its own field. A forced choice (required, a name) holds until a model "
          "call of the run has called a tool; the run's later calls are automatic. Applies "
          "from the next run; not while one is going (UnavailableError). A name no tool "
          "has, or 'required' without tools, makes run() raise InvalidArgumentError.")
      .def_property_readonly("closed", [](const py_agent& self) { return !self.loop; })
      .def("close", &py_agent::close,
           "Aborts a run in progress, closes the session and stops the agent's thread.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](py_agent& self, const py::args&) {
             self.close();
             return false;
           })
      .def("__repr__", [](const py_agent& self) {
        return "<durar.Agent " + self.facts.agent_id + " " + self.facts.session_key + " " +
               self.facts.model + (self.loop ? "" : " (closed)") + ">";
      });
}

}  // namespace durar::python
