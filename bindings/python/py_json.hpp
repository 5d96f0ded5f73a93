// durar::json <-> Python values: null/None, booleans, ints (64-bit, either sign), floats,
// str, list (tuples too, going in), dict with str keys. The GIL must be held.
#pragma once

#include <durar/json.hpp>

#include <pybind11/pybind11.h>

namespace durar::python {

namespace py = pybind11;

py::object to_python(const json& j);
// Throws py::type_error (TypeError) naming the path of a value JSON cannot hold, and
// py::value_error for nesting deeper than json::max_depth.
json from_python(py::handle value);
// A JSON schema or similar given as a dict or as JSON text.
json json_argument(py::handle value, const char* what);

}  // namespace durar::python
