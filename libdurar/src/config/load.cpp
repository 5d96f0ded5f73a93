#include "config/loading.hpp"
#include "config/schema.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace durar {
namespace detail {
namespace {

// Bigger than any hand-written config; refusing early keeps a wrong path from eating memory.
constexpr std::uintmax_t max_file_size = 16u << 20;

config_issue plain_error(const std::string& file, std::string message) {
  config_issue issue;
  issue.file = file;
  issue.message = std::move(message);
  return issue;
}

void sort_issues(std::vector<config_issue>& issues) {
  std::stable_sort(issues.begin(), issues.end(), [](const auto& a, const auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
}

bool has_error(const std::vector<config_issue>& issues) {
  return std::any_of(issues.begin(), issues.end(),
                     [](const auto& i) { return i.level == config_issue::severity::error; });
}

// The whole file, or an error message.
std::optional<std::string> read_file(const std::filesystem::path& file, std::string& error) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > max_file_size) {
    error = "file is too large for a config (" + std::to_string(size) + " bytes)";
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot read the file: " + std::generic_category().message(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

config_check check_document(document doc, environment env, config_paths paths, bool file_exists,
                            check_mode mode) {
  config_check out;
  apply_env_block(doc.root, env);
  json resolved = doc.root;
  std::vector<missing_var> missing;
  substitute_env(resolved, "", env, missing);
  if (mode.require_env) {
    for (const auto& m : missing)
      out.issues.push_back(make_issue(doc, config_issue::severity::error, m.path,
                                      "environment variable " + m.name + " is not set (write $${" +
                                          m.name + "} for a literal ${" + m.name + "})"));
  }
  auto found = validate(doc, resolved);
  out.issues.insert(out.issues.end(), found.begin(), found.end());
  if (!has_error(out.issues)) {
    config cfg;
    cfg.paths = std::move(paths);
    cfg.file_exists = file_exists;
    cfg.document = std::move(resolved);
    cfg.env = std::move(env);
    bind_config(doc, cfg, out.issues, mode.require_env);
    if (!has_error(out.issues)) {
      for (const auto& i : out.issues)
        if (i.level == config_issue::severity::warning) cfg.warnings.push_back(i);
      sort_issues(cfg.warnings);
      out.value = std::move(cfg);
    }
  }
  sort_issues(out.issues);
  return out;
}

}  // namespace detail

namespace {

// Where a load reads from and the environment it reads with, .env files included.
struct load_setting {
  environment env;
  config_paths paths;
};

result<load_setting> load_setting_of(const load_options& opts) {
  environment env = opts.env ? *opts.env : environment::from_process();
  std::error_code ec;
  auto wd = opts.working_dir.empty() ? std::filesystem::current_path(ec) : opts.working_dir;
  // ./.env first: it may set DURAR_STATE_DIR or DURAR_CONFIG_PATH.
  if (!wd.empty()) detail::merge_dotenv_file(wd / ".env", env);
  auto paths = resolve_paths(opts.paths, env);
  if (!paths) return fail(paths.error());
  detail::merge_dotenv_file(paths->state_dir / ".env", env);
  return load_setting{std::move(env), std::move(*paths)};
}

}  // namespace

config_check check_config(const load_options& opts) {
  config_check out;
  std::string file_name;
  try {
    auto setting = load_setting_of(opts);
    if (!setting) {
      out.issues.push_back(detail::plain_error("", setting.error().message));
      return out;
    }
    environment& env = setting->env;
    config_paths& paths = setting->paths;
    std::error_code ec;
    file_name = paths.config_file.string();
    bool exists = std::filesystem::exists(paths.config_file, ec);
    std::string text;
    if (exists) {
      std::string error;
      auto read = detail::read_file(paths.config_file, error);
      if (!read) {
        out.issues.push_back(detail::plain_error(file_name, error));
        return out;
      }
      text = std::move(*read);
    }
    auto parsed = detail::parse_document(std::move(text), file_name);
    if (!parsed.doc) {
      out.issues.push_back(detail::parse_issue(file_name, parsed.error));
      return out;
    }
    return detail::check_document(std::move(*parsed.doc), std::move(env), std::move(paths), exists,
                                  {});
  } catch (const std::exception& e) {
    out.value.reset();
    out.issues.push_back(
        detail::plain_error(file_name, std::string("internal error: ") + e.what()));
  } catch (...) {
    out.value.reset();
    out.issues.push_back(detail::plain_error(file_name, "internal error"));
  }
  return out;
}

result<config> default_config(const load_options& opts) {
  try {
    auto setting = load_setting_of(opts);
    if (!setting) return fail(setting.error());
    config cfg;
    std::error_code ec;
    cfg.file_exists = std::filesystem::exists(setting->paths.config_file, ec);
    cfg.paths = std::move(setting->paths);
    cfg.env = std::move(setting->env);
    return cfg;
  } catch (const std::exception& e) {
    return fail(errc::internal, std::string("internal error: ") + e.what());
  }
}

result<config> load_config(const load_options& opts) {
  config_check check = check_config(opts);
  if (check.ok()) return std::move(*check.value);
  std::string message;
  for (const auto& issue : check.issues) {
    if (issue.level != config_issue::severity::error) continue;
    if (!message.empty()) message += '\n';
    message += issue.describe();
  }
  return fail(errc::invalid_argument, message);
}

config_check check_config_text(std::string_view text, const std::string& file,
                               const environment& env) {
  config_check out;
  try {
    auto parsed = detail::parse_document(std::string(text), file);
    if (!parsed.doc) {
      out.issues.push_back(detail::parse_issue(file, parsed.error));
      return out;
    }
    config_paths paths;
    paths.config_file = file;
    return detail::check_document(std::move(*parsed.doc), env, std::move(paths), true, {});
  } catch (const std::exception& e) {
    out.value.reset();
    out.issues.push_back(detail::plain_error(file, std::string("internal error: ") + e.what()));
  } catch (...) {
    out.value.reset();
    out.issues.push_back(detail::plain_error(file, "internal error"));
  }
  return out;
}

}  // namespace durar
