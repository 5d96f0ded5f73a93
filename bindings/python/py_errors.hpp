// durar::error as Python exceptions: durar.Error, and one subclass per error code
// (AuthError for unauthenticated, RateLimitError for resource_exhausted, ...). Instances
// carry code, message, http_status, provider_message, retry_after (seconds or None),
// retryable, and result (the RunResult of a run that ended in the error, else None).
#pragma once

#include <durar/error.hpp>

#include <pybind11/pybind11.h>

namespace durar::python {

namespace py = pybind11;

void register_errors(py::module_& m);

// An exception instance for `e` (GIL held).
py::object error_object(const durar::error& e);
// Raises `e` as its Python class. The GIL must be held.
[[noreturn]] void raise_error(const durar::error& e);
// Raises an instance made by error_object() (perhaps with attributes added).
[[noreturn]] void raise_object(const py::object& instance);

}  // namespace durar::python
