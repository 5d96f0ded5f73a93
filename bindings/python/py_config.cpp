#include "py_config.hpp"

#include <durar/session.hpp>

#include "py_errors.hpp"
#include "py_json.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

namespace durar::python {

namespace {

py_config load(std::optional<std::filesystem::path> path,
               std::optional<std::map<std::string, std::string>> env,
               std::optional<std::string> profile) {
  load_options opts;
  opts.paths.config_path = path;
  if (profile) opts.paths.profile = *profile;
  environment vars = environment::from_process();
  if (env)
    for (const auto& [name, value] : *env) vars.set(name, value);
  opts.env = std::move(vars);
  result<config> loaded = [&] {
    py::gil_scoped_release nogil;
    return load_config(opts);
  }();
  if (!loaded) raise_error(loaded.error());
  // The library treats a missing file as an empty config (first run); a path the caller
  // named is a mistake when it is not there.
  if (path && !loaded->file_exists)
    raise_error(durar::error(errc::not_found, "no config file at " + path->string()));
  return py_config{std::move(*loaded)};
}

py::dict totals_dict(const session_totals& t) {
  py::dict d;
  d["input"] = t.input;
  d["output"] = t.output;
  d["cacheRead"] = t.cache_read;
  d["cacheWrite"] = t.cache_write;
  d["totalTokens"] = t.total_tokens;
  d["cost"] = t.cost;
  d["assistantMessages"] = t.assistant_messages;
  return d;
}

}  // namespace

py_session session_from(const session_view& v) {
  py_session s;
  s.key = v.key;
  s.id = v.id;
  s.path = v.path.string();
  s.messages = to_python(v.messages);
  s.totals = totals_dict(v.totals);
  s.model = v.model ? py::object(py::str(*v.model)) : py::object(py::none());
  return s;
}

durar::config config_argument(const py::object& config) {
  if (config.is_none()) return load(std::nullopt, std::nullopt, std::nullopt).cfg;
  if (py::isinstance<py_config>(config)) return config.cast<const py_config&>().cfg;
  return load(config.cast<std::filesystem::path>(), std::nullopt, std::nullopt).cfg;
}

void bind_config(py::module_& m) {
  py::class_<py_config>(m, "Config",
                        "A loaded and validated configuration. Make one with durar.load_config().")
      .def_property_readonly(
          "config_file", [](const py_config& c) { return c.cfg.paths.config_file.string(); },
          "The config file's path (it may not exist).")
      .def_property_readonly("file_exists", [](const py_config& c) { return c.cfg.file_exists; })
      .def_property_readonly(
          "state_dir", [](const py_config& c) { return c.cfg.paths.state_dir.string(); },
          "Where sessions and credentials live.")
      .def_property_readonly("profile", [](const py_config& c) { return c.cfg.paths.profile; })
      .def_property_readonly(
          "default_model", [](const py_config& c) { return c.cfg.agents.model.primary; },
          "agents.defaults.model.primary, or '' when unset.")
      .def_property_readonly(
          "warnings",
          [](const py_config& c) {
            py::list out;
            for (const auto& w : c.cfg.warnings) out.append(w.describe());
            return out;
          },
          "Validation warnings, as 'file:line:column: warning: key: what'.")
      .def(
          "to_dict", [](const py_config& c) { return to_python(redact_secrets(c.cfg.document)); },
          "The file's content after ${VAR} substitution, secrets shown as '***'.")
      .def("__repr__", [](const py_config& c) {
        return "<durar.Config " + c.cfg.paths.config_file.string() +
               (c.cfg.file_exists ? "" : " (no file)") + ">";
      });

  m.def("load_config", &load, py::arg("path") = py::none(), py::kw_only(),
        py::arg("env") = py::none(), py::arg("profile") = py::none(),
        "Loads and validates a config. path: a file (YAML, JSON or JSON5); None looks where "
        "the CLI looks (DURAR_CONFIG_PATH, ~/.durar/durar.yaml, ...). env: variables laid over "
        "the process environment for ${VAR} and API keys. Raises NotFoundError when `path` "
        "does not exist and InvalidArgumentError listing every problem when it is invalid.");

  py::class_<py_session>(m, "Session",
                         "A snapshot of a conversation: agent.session, or Session.load(path).")
      .def_readonly("key", &py_session::key)
      .def_readonly("id", &py_session::id)
      .def_readonly("path", &py_session::path)
      .def_readonly("messages", &py_session::messages)
      .def_readonly("totals", &py_session::totals)
      .def_readonly("model", &py_session::model)
      .def_static(
          "load",
          [](const std::filesystem::path& path) {
            auto read = [&] {
              py::gil_scoped_release nogil;
              return session_store::read_file(path);
            }();
            if (!read) raise_error(read.error());
            return session_from(view_of(**read));
          },
          py::arg("path"), "Reads a transcript file (.jsonl) without locking or changing it.")
      .def("__repr__", [](const py_session& s) {
        return "<durar.Session " + (s.key.empty() ? s.path : s.key) + " (" +
               std::to_string(py::len(s.messages)) + " messages)>";
      });
}

}  // namespace durar::python
