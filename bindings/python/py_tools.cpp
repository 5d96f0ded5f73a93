#include "py_tools.hpp"

#include "py_json.hpp"

#include <string>

namespace durar::python {

namespace {

// The rule the vendors share for function names.
bool valid_tool_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace

python_tool make_python_tool(py::object function, py::object name, py::object description,
                             py::object schema) {
  if (!PyCallable_Check(function.ptr())) throw py::type_error("a tool must be callable");
  python_tool t;
  t.function = std::move(function);
  if (name.is_none()) {
    if (!py::hasattr(t.function, "__name__"))
      throw py::type_error("this callable has no __name__: pass name=");
    name = t.function.attr("__name__");
  }
  t.definition.name = py::str(name);
  if (!valid_tool_name(t.definition.name))
    throw py::value_error("tool name '" + t.definition.name +
                          "' must be 1 to 64 letters, digits, '_' or '-'");
  if (description.is_none())
    description = py::module_::import("inspect").attr("getdoc")(t.function);
  if (!description.is_none()) t.definition.description = py::str(description);
  if (!schema.is_none()) {
    json parameters = json_argument(schema, "the tool's schema");
    if (!parameters.is_object())
      throw py::value_error("a tool's schema must be a JSON object, e.g. {\"type\": \"object\"}");
    t.definition.parameters = std::move(parameters);
  }
  return t;
}

tool_outcome call_python_tool(const py::object& function, const json& arguments) {
  tool_outcome out;
  try {
    py::object value = function(to_python(arguments));
    if (value.is_none()) {
      out.result = text_result("");
    } else if (py::isinstance<py::str>(value)) {
      out.result = text_result(value.cast<std::string>());
    } else {
      try {
        json j = from_python(value);
        out.result = text_result(j.dump(), j);
      } catch (py::error_already_set& e) {
        out.result = error_result("the tool returned a value that is not JSON: " +
                                  std::string(py::str(e.value())));
      } catch (const py::builtin_exception& e) {
        out.result =
            error_result(std::string("the tool returned a value that is not JSON: ") + e.what());
      }
    }
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_Exception)) {
      out.result = error_result("interrupted");
      out.fatal = std::move(e);
      return out;
    }
    std::string type = py::str(e.type().attr("__name__"));
    std::string text = py::str(e.value());
    out.result = error_result(text.empty() ? type : type + ": " + text);
  } catch (const std::exception& e) {  // a C++ exception from a conversion
    out.result = error_result(e.what());
  }
  return out;
}

durar::tool_choice tool_choice_argument(py::handle value) {
  static constexpr const char* expected =
      "tool_choice must be 'auto', 'none', 'required' or {'name': tool}";
  durar::tool_choice choice;
  if (value.is_none()) return choice;
  if (py::isinstance<py::str>(value)) {
    const std::string text = value.cast<std::string>();
    if (text == "auto")
      choice.mode = tool_choice_mode::automatic;
    else if (text == "none")
      choice.mode = tool_choice_mode::none;
    else if (text == "required")
      choice.mode = tool_choice_mode::required;
    else
      throw py::value_error(std::string(expected) + ", not '" + text + "'");
    return choice;
  }
  if (!py::isinstance<py::dict>(value))
    throw py::type_error(std::string(expected) + ", not " +
                         std::string(py::str(py::type::of(value).attr("__name__"))));
  auto dict = py::reinterpret_borrow<py::dict>(value);
  for (auto [key, item] : dict) {
    const std::string k = py::str(key);
    if (k == "type") {
      if (!py::isinstance<py::str>(item) || item.cast<std::string>() != "function")
        throw py::value_error("tool_choice: 'type' can only be 'function'");
    } else if (k != "name") {
      throw py::value_error("tool_choice: unknown key '" + k + "' (" + expected + ")");
    }
  }
  if (!dict.contains("name") || !py::isinstance<py::str>(dict["name"]) ||
      dict["name"].cast<std::string>().empty())
    throw py::value_error("tool_choice: 'name' must be a tool's name");
  choice.mode = tool_choice_mode::named;
  choice.name = dict["name"].cast<std::string>();
  return choice;
}

py::object tool_choice_object(const durar::tool_choice& choice) {
  switch (choice.mode) {
    case tool_choice_mode::none:
      return py::str("none");
    case tool_choice_mode::required:
      return py::str("required");
    case tool_choice_mode::named: {
      py::dict named;
      named["name"] = choice.name;
      return named;
    }
    case tool_choice_mode::automatic:
      break;
  }
  return py::str("auto");
}

}  // namespace durar::python
