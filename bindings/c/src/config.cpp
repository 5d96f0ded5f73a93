// durar_config: where the config lives and how to load it, as the CLI's global options say.
#include <durar/config.hpp>
#include <durar/environment.hpp>

#include "handles.hpp"

using durar::capi::fail_on;
using durar::capi::guarded;
using durar::capi::str_or_empty;

namespace {

durar_status null_config() {
  return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the config handle is NULL");
}

// Every setter: a change means the next runtime reads the config again.
template <class F>
durar_status set(durar_config* cfg, F&& change) {
  if (cfg == nullptr) return null_config();
  return guarded(&cfg->error, [&] {
    durar_status s = change(*cfg);
    if (s == DURAR_OK) cfg->loaded.reset();
    return s;
  });
}

}  // namespace

durar_config* durar_config_new(void) {
  try {
    return new durar_config();
  } catch (...) {
    fail_on(nullptr, DURAR_NO_MEMORY, "out of memory");
    return nullptr;
  }
}

void durar_config_free(durar_config* cfg) { delete cfg; }

const char* durar_config_error(const durar_config* cfg) {
  return cfg != nullptr ? cfg->error.c_str() : "the config handle is NULL";
}

durar_status durar_config_set_path(durar_config* cfg, const char* path) {
  return set(cfg, [&](durar_config& c) {
    if (path == nullptr || *path == '\0')
      c.paths.config_path.reset();
    else
      c.paths.config_path = std::filesystem::path(path);
    return DURAR_OK;
  });
}

durar_status durar_config_set_state_dir(durar_config* cfg, const char* dir) {
  return set(cfg, [&](durar_config& c) {
    c.state_dir = str_or_empty(dir);
    return DURAR_OK;
  });
}

durar_status durar_config_set_profile(durar_config* cfg, const char* name) {
  return set(cfg, [&](durar_config& c) {
    c.paths.profile = str_or_empty(name);
    return DURAR_OK;
  });
}

durar_status durar_config_set_working_dir(durar_config* cfg, const char* dir) {
  return set(cfg, [&](durar_config& c) {
    c.working_dir = str_or_empty(dir);
    return DURAR_OK;
  });
}

durar_status durar_config_set_env(durar_config* cfg, const char* name, const char* value) {
  return set(cfg, [&](durar_config& c) {
    if (name == nullptr || *name == '\0' || std::string_view(name).find('=') != std::string::npos)
      return fail_on(&c.error, DURAR_INVALID_ARGUMENT,
                     "durar_config_set_env: the name must be non-empty and hold no '='");
    if (value == nullptr) {
      c.env.erase(name);
      c.unset_env.insert(name);
    } else {
      c.env[name] = value;
      c.unset_env.erase(name);
    }
    return DURAR_OK;
  });
}

durar_status durar_config_inherit_env(durar_config* cfg, int inherit) {
  return set(cfg, [&](durar_config& c) {
    c.inherit_env = inherit != 0;
    return DURAR_OK;
  });
}

durar_status durar_config_set_model(durar_config* cfg, const char* model) {
  return set(cfg, [&](durar_config& c) {
    c.model = str_or_empty(model);
    return DURAR_OK;
  });
}

durar_status durar_config_set_workspace(durar_config* cfg, const char* dir) {
  return set(cfg, [&](durar_config& c) {
    c.workspace = str_or_empty(dir);
    return DURAR_OK;
  });
}

durar_status durar_config_load(durar_config* cfg) {
  if (cfg == nullptr) return null_config();
  return guarded(&cfg->error, [&] {
    cfg->loaded.reset();
    durar::environment env;
    if (cfg->inherit_env) env = durar::environment::from_process();
    // The process environment is a snapshot: an override removes a variable by rebuilding it.
    if (!cfg->unset_env.empty()) {
      auto vars = env.vars();
      for (const auto& name : cfg->unset_env) vars.erase(name);
      env = durar::environment(std::move(vars));
    }
    for (const auto& [name, value] : cfg->env) env.set(name, value);
    if (!cfg->state_dir.empty()) env.set("DURAR_STATE_DIR", cfg->state_dir);

    durar::load_options opts;
    opts.paths = cfg->paths;
    opts.env = std::move(env);
    opts.working_dir = cfg->working_dir;
    auto loaded = durar::load_config(opts);
    if (!loaded) {
      durar::error e = loaded.error();
      // Name the file even when the library's message does not (HOME unknown, unreadable).
      std::string file = cfg->paths.config_path ? cfg->paths.config_path->string() : "";
      if (!file.empty() && e.message.find(file) == std::string::npos)
        e.message = file + ": " + e.message;
      return fail_on(&cfg->error, e);
    }
    if (!cfg->model.empty()) loaded->agents.model.primary = cfg->model;
    if (!cfg->workspace.empty()) loaded->agents.workspace = cfg->workspace;
    cfg->file = loaded->paths.config_file.string();
    cfg->state_dir_text = loaded->paths.state_dir.string();
    cfg->json_text = durar::redact_secrets(loaded->document).dump();
    cfg->loaded = std::move(*loaded);
    return DURAR_OK;
  });
}

const char* durar_config_file(const durar_config* cfg) {
  return cfg != nullptr && cfg->loaded ? cfg->file.c_str() : nullptr;
}

const char* durar_config_state_dir(const durar_config* cfg) {
  return cfg != nullptr && cfg->loaded ? cfg->state_dir_text.c_str() : nullptr;
}

const char* durar_config_json(const durar_config* cfg) {
  return cfg != nullptr && cfg->loaded ? cfg->json_text.c_str() : nullptr;
}
