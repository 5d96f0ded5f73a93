#include "py_json.hpp"

#include <string>

namespace durar::python {

py::object to_python(const json& j) {
  switch (j.type()) {
    case json_type::null:
      return py::none();
    case json_type::boolean:
      return py::bool_(j.as_bool());
    case json_type::integer:
      return py::int_(j.as_int());
    case json_type::uinteger:
      return py::int_(j.as_uint());
    case json_type::real:
      return py::float_(j.as_double());
    case json_type::string:
      return py::str(j.as_string());
    case json_type::array: {
      const auto& items = j.as_array();
      py::list out(items.size());
      for (std::size_t i = 0; i < items.size(); ++i) out[i] = to_python(items[i]);
      return out;
    }
    case json_type::object: {
      py::dict out;
      for (const auto& [key, value] : j.as_object()) out[py::str(key)] = to_python(value);
      return out;
    }
  }
  return py::none();
}

namespace {

std::string where(const std::string& path) { return path.empty() ? "/" : path; }

std::string type_name(py::handle v) { return py::str(py::type::of(v).attr("__name__")); }

json convert(py::handle v, const std::string& path, std::size_t depth) {
  if (depth > json::max_depth)
    throw py::value_error("nested too deeply for JSON at " + where(path));
  if (v.is_none()) return nullptr;
  // bool before int: in Python True is an int.
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v)) {
    int overflow = 0;
    long long i = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
    if (overflow == 0) return json(i);
    if (overflow > 0) {
      unsigned long long u = PyLong_AsUnsignedLongLong(v.ptr());
      if (!PyErr_Occurred()) return json(u);
      PyErr_Clear();
    }
    throw py::value_error("integer out of JSON's 64-bit range at " + where(path));
  }
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::dict>(v)) {
    json_object members;
    for (auto [key, value] : v.cast<py::dict>()) {
      if (!py::isinstance<py::str>(key))
        throw py::type_error("JSON object keys must be str, got " + type_name(key) + " at " +
                             where(path));
      auto name = key.cast<std::string>();
      members.emplace_back(name, convert(value, path + "/" + name, depth + 1));
    }
    return json(std::move(members));
  }
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    json_array items;
    std::size_t i = 0;
    for (auto item : v) items.push_back(convert(item, path + "/" + std::to_string(i++), depth + 1));
    return json(std::move(items));
  }
  throw py::type_error("a " + type_name(v) + " is not JSON (at " + where(path) + ")");
}

}  // namespace

json from_python(py::handle value) { return convert(value, "", 0); }

json json_argument(py::handle value, const char* what) {
  if (py::isinstance<py::str>(value)) {
    auto parsed = json::parse(value.cast<std::string>());
    if (!parsed)
      throw py::value_error(std::string(what) + " is not valid JSON: " + parsed.error().message);
    return std::move(*parsed);
  }
  return from_python(value);
}

}  // namespace durar::python
