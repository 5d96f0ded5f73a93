#include "py_errors.hpp"

#include <durar/result.hpp>

#include <array>
#include <string>

namespace durar::python {

namespace {

struct error_class {
  errc code;
  const char* name;
  const char* doc;
};

// Names say what a caller would catch; codes stay the library's (see durar/error.hpp).
constexpr std::array<error_class, 12> error_classes{{
    {errc::cancelled, "CancelledError", "The run or call was aborted."},
    {errc::deadline_exceeded, "DeadlineExceededError", "A connect, idle or total timeout passed."},
    {errc::unauthenticated, "AuthError", "Missing or wrong API key (HTTP 401)."},
    {errc::permission_denied, "PermissionDeniedError",
     "The key lacks access, or a policy refused."},
    {errc::resource_exhausted, "RateLimitError",
     "Rate limit or quota (HTTP 429); see retry_after."},
    {errc::invalid_argument, "InvalidArgumentError", "Bad input: config, model options, JSON."},
    {errc::context_overflow, "ContextOverflowError", "The prompt is too long for the model."},
    {errc::not_found, "NotFoundError", "Unknown model, agent, file or session."},
    {errc::unavailable, "UnavailableError", "Server error, overload, reset, or a busy agent."},
    {errc::protocol_error, "ProtocolError", "The vendor broke its wire format."},
    {errc::tool_failed, "ToolError", "A tool reported failure."},
    {errc::internal, "InternalError", "A bug in Durar."},
}};

// Class objects, owned by the module (and never released: they live as long as Python).
PyObject* base_class = nullptr;
std::array<PyObject*, error_classes.size()> classes{};

PyObject* class_for(errc code) {
  for (std::size_t i = 0; i < error_classes.size(); ++i)
    if (error_classes[i].code == code) return classes[i];
  return base_class;
}

}  // namespace

void register_errors(py::module_& m) {
  base_class = PyErr_NewExceptionWithDoc(
      "durar.Error",
      "Base class of every Durar error. Attributes: code (str), message (str), http_status "
      "(int, 0 without HTTP), provider_message (str), retry_after (float seconds or None), "
      "retryable (bool), result (the RunResult of a run that ended in this error, or None).",
      PyExc_Exception, nullptr);
  if (base_class == nullptr) throw py::error_already_set();
  py::object base = py::reinterpret_borrow<py::object>(base_class);
  base.attr("code") = py::none();
  base.attr("message") = py::str("");
  base.attr("http_status") = 0;
  base.attr("provider_message") = py::str("");
  base.attr("retry_after") = py::none();
  base.attr("retryable") = false;
  base.attr("result") = py::none();
  m.add_object("Error", base);

  for (std::size_t i = 0; i < error_classes.size(); ++i) {
    const auto& c = error_classes[i];
    std::string qualified = std::string("durar.") + c.name;
    classes[i] = PyErr_NewExceptionWithDoc(qualified.c_str(), c.doc, base_class, nullptr);
    if (classes[i] == nullptr) throw py::error_already_set();
    py::object cls = py::reinterpret_borrow<py::object>(classes[i]);
    cls.attr("code") = py::str(std::string(to_string(c.code)));
    m.add_object(c.name, cls);
  }

  // value() on a failed result, should binding code ever call it.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const bad_result_access& e) {
      py::object instance = error_object(e.error());
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(instance.ptr())), instance.ptr());
    }
  });
}

py::object error_object(const durar::error& e) {
  py::object cls = py::reinterpret_borrow<py::object>(class_for(e.code));
  py::object instance = cls(e.message);
  instance.attr("code") = py::str(std::string(to_string(e.code)));
  instance.attr("message") = py::str(e.message);
  instance.attr("http_status") = e.http_status;
  instance.attr("provider_message") = py::str(e.provider_message);
  if (e.retry_after)
    instance.attr("retry_after") = static_cast<double>(e.retry_after->count()) / 1000.0;
  instance.attr("retryable") = e.retryable();
  return instance;
}

void raise_object(const py::object& instance) {
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(instance.ptr())), instance.ptr());
  throw py::error_already_set();
}

void raise_error(const durar::error& e) { raise_object(error_object(e)); }

}  // namespace durar::python
