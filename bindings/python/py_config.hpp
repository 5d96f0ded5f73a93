// durar.Config (a loaded, validated config), durar.load_config, and durar.Session (a
// snapshot of a conversation: key, id, path, messages, totals).
#pragma once

#include <durar/config.hpp>

#include "agent_loop.hpp"

#include <pybind11/pybind11.h>
#include <string>

namespace durar::python {

namespace py = pybind11;

struct py_config {
  durar::config cfg;
};

struct py_session {
  std::string key;  // "" for a transcript read from a file
  std::string id;
  std::string path;
  py::object messages;  // list of dicts, what the model sees next (transcript JSON)
  py::object totals;    // dict: input, output, cacheRead, cacheWrite, totalTokens, cost, ...
  py::object model;     // "provider/model" last chosen in the session, or None
};

py_session session_from(const session_view& v);

// A config from what a caller passed: a durar.Config, a path (str or os.PathLike), or None
// for the default location. Raises the mapped durar.Error.
durar::config config_argument(const py::object& config);

void bind_config(py::module_& m);

}  // namespace durar::python
