// Host tools written in Python: a callable with a name, a description and a JSON schema.
// The callable gets the validated arguments as one dict; what it returns becomes the tool
// result (a str as is, None as "", anything else as its JSON text); an exception becomes
// an error result ("ValueError: no such city") that the model reads.
#pragma once

#include <durar/json.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>
#include <durar/tool.hpp>

#include <optional>
#include <pybind11/pybind11.h>

namespace durar::python {

namespace py = pybind11;

struct python_tool {
  tool_definition definition;
  py::object function;
};

// Checks and completes a registration: name defaults to the function's __name__, the
// description to its docstring, the schema (dict or JSON text) to an object without
// properties. Raises TypeError/ValueError (via pybind11) on bad input.
python_tool make_python_tool(py::object function, py::object name, py::object description,
                             py::object schema);

struct tool_outcome {
  tool_result result;
  // Set when the callable raised a BaseException that is not an Exception (KeyboardInterrupt,
  // SystemExit): the caller aborts the run and re-raises it.
  std::optional<py::error_already_set> fatal;
};
// Calls the tool. The GIL must be held.
tool_outcome call_python_tool(const py::object& function, const json& arguments);

// A tool_choice from Python: None or 'auto', 'none', 'required', or {'name': tool} (the
// OpenAI shape {'type': 'function', 'name': tool} too). Raises TypeError/ValueError.
durar::tool_choice tool_choice_argument(py::handle value);
// Back to Python: 'auto', 'none', 'required' or {'name': tool}.
py::object tool_choice_object(const durar::tool_choice& choice);

}  // namespace durar::python
