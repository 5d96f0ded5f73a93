// The `durar` Python module: configs, agents that stream, Python tools, errors.
#include <durar/version.hpp>

#include "py_agent.hpp"
#include "py_config.hpp"
#include "py_errors.hpp"

#include <pybind11/pybind11.h>
#include <string>

PYBIND11_MODULE(durar, m) {
  namespace dp = durar::python;
  m.doc() =
      "Durar from Python: load a config, make an Agent, run() or stream() a message, give the "
      "model Python functions as tools. Errors are durar.Error subclasses.";
  m.attr("__version__") = std::string(durar::version());
  dp::register_errors(m);
  dp::bind_config(m);
  dp::bind_agent(m);
  dp::bind_stream(m);
}
