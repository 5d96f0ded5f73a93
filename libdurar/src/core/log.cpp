// The logger: level filtering, redaction, the daily JSON-lines file and the console.
#include <durar/catalog.hpp>
#include <durar/log.hpp>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "core/log_redact.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace durar {
namespace {

constexpr std::string_view date_token = "YYYY-MM-DD";
constexpr std::size_t min_secret_size = 6;

struct level_name {
  std::string_view name;
  log_level level;
};
constexpr level_name level_names[] = {
    {"trace", log_level::trace}, {"debug", log_level::debug},   {"info", log_level::info},
    {"warn", log_level::warn},   {"warning", log_level::warn},  {"error", log_level::error},
    {"fatal", log_level::fatal}, {"silent", log_level::silent}, {"off", log_level::silent},
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::tm local_tm(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  return tm;
}

std::string local_date(const std::tm& tm) {
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// ISO 8601 local time with milliseconds and the UTC offset: sortable and unambiguous.
std::string iso_time(std::chrono::system_clock::time_point when, const std::tm& tm) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  ms = ((ms % 1000) + 1000) % 1000;
  long off = tm.tm_gmtoff;
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  return fmt::format("{}T{:02}:{:02}:{:02}.{:03}{}{:02}:{:02}", local_date(tm), tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ms, sign, off / 3600, (off / 60) % 60);
}

std::filesystem::path with_date(const std::filesystem::path& pattern, const std::string& date) {
  std::string name = pattern.filename().string();
  auto pos = name.find(date_token);
  if (pos == std::string::npos) return pattern;
  name.replace(pos, date_token.size(), date);
  return pattern.parent_path() / name;
}

errc errno_code(int e) {
  if (e == EACCES || e == EPERM || e == EROFS) return errc::permission_denied;
  if (e == ENOENT || e == ENOTDIR) return errc::not_found;
  return errc::internal;
}

// Stable per subsystem so a subsystem keeps its colour across lines and runs.
std::string_view subsystem_color(std::string_view name) {
  constexpr std::string_view palette[] = {"36", "35", "34", "96", "95", "94"};
  std::uint32_t h = 2166136261u;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return palette[h % std::size(palette)];
}

std::string_view level_color(std::string_view level) {
  if (level == "info") return "32";
  if (level == "warn") return "33";
  if (level == "error") return "31";
  if (level == "fatal") return "1;31";
  return "2";
}

std::string paint(bool on, std::string_view code, std::string_view text) {
  if (!on) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

bool is_reserved(std::string_view key) {
  return key == "time" || key == "level" || key == "subsystem" || key == "message";
}

void append_fields(std::string& out, const json& record) {
  if (!record.is_object()) return;
  for (const auto& [k, v] : record.as_object()) {
    if (is_reserved(k)) continue;
    out += ' ';
    out += k;
    out += '=';
    bool plain = v.is_string() && !v.as_string().empty() &&
                 v.as_string().find_first_of(" \t\r\n\"=") == std::string::npos;
    out += plain ? v.as_string() : v.dump();
  }
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk costs the line, never the caller
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string_view to_string(log_level level) noexcept {
  switch (level) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::fatal:
      return "fatal";
    case log_level::silent:
      return "silent";
  }
  return "info";
}

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
  for (const auto& n : level_names)
    if (iequals(text, n.name)) return n.level;
  return std::nullopt;
}

std::string_view to_string(console_style style) noexcept {
  switch (style) {
    case console_style::pretty:
      return "pretty";
    case console_style::compact:
      return "compact";
    case console_style::json:
      return "json";
  }
  return "pretty";
}

std::optional<console_style> parse_console_style(std::string_view text) noexcept {
  for (auto s : {console_style::pretty, console_style::compact, console_style::json})
    if (iequals(text, to_string(s))) return s;
  return std::nullopt;
}

std::filesystem::path log_file_for(const std::filesystem::path& pattern,
                                   std::chrono::system_clock::time_point when) {
  return with_date(pattern, local_date(local_tm(when)));
}

logger_options logger_options_from(const config& cfg) {
  logger_options o;
  const std::string& file = cfg.logging.file;
  if (file.empty()) {
    o.file = cfg.paths.state_dir / "logs" / ("durar-" + std::string(date_token) + ".log");
  } else if (file.rfind("~/", 0) == 0 && cfg.env.get("HOME")) {
    o.file = std::filesystem::path(*cfg.env.get("HOME")) / file.substr(2);
  } else {
    o.file = file;
  }
  o.file_level = parse_log_level(cfg.logging.level).value_or(log_level::info);
  o.console_level = parse_log_level(cfg.logging.console_level).value_or(log_level::info);
  o.style = parse_console_style(cfg.logging.console_style).value_or(console_style::pretty);
  o.redact_patterns = cfg.logging.redact_sensitive;
  o.env = cfg.env;
  if (auto v = cfg.env.get("DURAR_LOG_LEVEL")) {
    if (auto l = parse_log_level(*v)) o.file_level = o.console_level = *l;
  }
  return o;
}

std::string format_log_record(const json& record, const log_format& format) {
  if (format.style == console_style::json) return record.dump();
  std::string time = record.string_or("time");
  std::string level = record.string_or("level", "info");
  std::string subsystem = record.string_or("subsystem");
  std::string out;
  if (format.style == console_style::pretty) {
    // The time of day: "2025-06-01T14:03:05.123+02:00" -> "14:03:05.123".
    auto t = time.find('T');
    if (!format.full_time && t != std::string::npos) time = time.substr(t + 1, 12);
    if (!time.empty()) out += paint(format.color, "2", time) + ' ';
    std::string padded = fmt::format("{:<5}", level);
    out += paint(format.color, level_color(level), padded) + ' ';
  }
  if (!subsystem.empty())
    out += paint(format.color, subsystem_color(subsystem), "[" + subsystem + "]") + ' ';
  if (format.style == console_style::compact && level != "info")
    out += paint(format.color, level_color(level), level + ":") + ' ';
  out += record.string_or("message");
  append_fields(out, record);
  return out;
}

// ---- logger

struct logger::impl {
  logger_options opts;
  bool color = false;
  std::mutex write_mu;  // one line at a time, whole, to each sink
  int fd = -1;
  std::filesystem::path open_path;
  mutable std::mutex secrets_mu;
  std::vector<std::string> secrets;  // longest first

  ~impl() {
    if (fd >= 0) ::close(fd);
  }

  result<void> open(const std::filesystem::path& path) {
    if (fd >= 0) ::close(fd);
    fd = -1;
    open_path = path;
    std::error_code ec;
    auto dir = path.parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec))
      if (auto made = detail::create_private_dirs(dir); !made)
        return fail(errc::permission_denied, "the log directory: " + made.error().message);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      int e = errno;
      return fail(errno_code(e),
                  "cannot open the log file " + path.string() + ": " + std::strerror(e));
    }
    return {};
  }

  // The file for `date`, reopened when the day (and with it the name) changes.
  void write_file(const std::string& line, const std::string& date) {
    auto path = with_date(opts.file, date);
    if (path != open_path) (void)open(path);
    if (fd >= 0) write_all(fd, line);
  }
};

logger::logger() = default;
logger::~logger() = default;

result<std::unique_ptr<logger>> logger::create(logger_options options) {
  std::unique_ptr<logger> log(new logger());
  log->impl_ = std::make_unique<impl>();
  impl& m = *log->impl_;
  m.opts = std::move(options);
  if (!m.opts.clock) m.opts.clock = [] { return std::chrono::system_clock::now(); };
  if (m.opts.console) {
    if (m.opts.color == color_mode::automatic) {
      environment env = m.opts.env ? *m.opts.env : environment::from_process();
      bool no_color = !env.get("NO_COLOR").value_or("").empty();
      bool dumb = env.get("TERM").value_or("") == "dumb";
      m.color = !no_color && !dumb && ::isatty(::fileno(m.opts.console)) != 0;
    } else {
      m.color = m.opts.color == color_mode::always;
    }
  }
  if (!m.opts.file.empty()) {
    if (auto r = m.open(log_file_for(m.opts.file, m.opts.clock())); !r) return fail(r.error());
  }
  log->update_min_level();
  return log;
}

void logger::update_min_level() {
  log_level file = impl_->opts.file.empty() ? log_level::silent : impl_->opts.file_level;
  log_level console = impl_->opts.console ? impl_->opts.console_level : log_level::silent;
  min_level_.store(static_cast<std::uint8_t>(std::min(file, console)), std::memory_order_relaxed);
}

void logger::set_console_level(log_level level) {
  std::lock_guard lock(impl_->write_mu);
  impl_->opts.console_level = level;
  update_min_level();
}

void logger::set_file_level(log_level level) {
  std::lock_guard lock(impl_->write_mu);
  impl_->opts.file_level = level;
  update_min_level();
}

std::filesystem::path logger::file_path() const {
  if (impl_->opts.file.empty()) return {};
  return log_file_for(impl_->opts.file, impl_->opts.clock());
}

bool logger::console_colored() const noexcept { return impl_->color; }

void logger::add_secret(std::string value) {
  if (value.size() < min_secret_size) return;
  std::lock_guard lock(impl_->secrets_mu);
  auto& s = impl_->secrets;
  if (std::find(s.begin(), s.end(), value) != s.end()) return;
  auto at = std::find_if(s.begin(), s.end(),
                         [&](const std::string& x) { return x.size() < value.size(); });
  s.insert(at, std::move(value));
}

void logger::add_config_secrets(const config& cfg) {
  if (cfg.gateway.auth_token) add_secret(cfg.gateway.auth_token->reveal());
  if (cfg.gateway.auth_password) add_secret(cfg.gateway.auth_password->reveal());
  // The token the gateway keeps for itself when none is configured (see gateway.hpp).
  if (!cfg.paths.state_dir.empty()) {
    bool exists = false;
    if (auto t = detail::read_file(cfg.paths.state_dir / "gateway.token", exists); t && exists) {
      std::string token = *t;
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
        token.pop_back();
      add_secret(std::move(token));
    }
  }
  for (const auto& [id, p] : cfg.models.providers)
    if (p.api_key) add_secret(p.api_key->reveal());
  if (auto cat = catalog::from_config(cfg)) {
    for (const auto& p : cat->providers())
      for (const auto& c : resolve_credentials(p, cfg.env)) add_secret(c.key.reveal());
  }
  // Credential-like keys anywhere in the file: channel tokens, tool keys, and the like.
  std::vector<const json*> stack{&cfg.document};
  while (!stack.empty()) {
    const json* j = stack.back();
    stack.pop_back();
    if (j->is_array()) {
      for (const auto& v : j->as_array()) stack.push_back(&v);
    } else if (j->is_object()) {
      for (const auto& [k, v] : j->as_object()) {
        if (v.is_string() && detail::credential_name(k)) add_secret(v.as_string());
        stack.push_back(&v);
      }
    }
  }
  // Variables named like credentials; a *_KEYS list holds several.
  for (const auto& [name, value] : cfg.env.vars()) {
    // An init-capture: clang before 16 cannot capture a structured binding.
    auto ends = [&n = name](std::string_view s) {
      return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
    };
    if (!(ends("_KEY") || ends("_KEYS") || ends("_TOKEN") || ends("_SECRET") || ends("_PASSWORD") ||
          name.find("_API_KEY") != std::string::npos))
      continue;
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t end = value.find_first_of(",;", start);
      if (end == std::string::npos) end = value.size();
      std::string part = value.substr(start, end - start);
      auto b = part.find_first_not_of(" \t");
      auto e = part.find_last_not_of(" \t");
      if (b != std::string::npos && e - b + 1 >= 8) add_secret(part.substr(b, e - b + 1));
      start = end + 1;
    }
  }
}

std::string logger::redact(std::string_view text) const {
  std::string out;
  {
    std::lock_guard lock(impl_->secrets_mu);
    out = detail::mask_known_secrets(text, impl_->secrets);
  }
  return impl_->opts.redact_patterns ? redact_log_text(out) : out;
}

namespace {

json redact_value(const logger& log, std::string_view key, const json& v) {
  if (detail::credential_name(key) && !v.is_null() && !v.is_bool()) return json("***");
  if (v.is_string()) return json(log.redact(v.as_string()));
  if (v.is_array()) {
    json out = json::array();
    for (const auto& item : v.as_array()) out.push_back(redact_value(log, "", item));
    return out;
  }
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, item] : v.as_object()) out.set(k, redact_value(log, k, item));
    return out;
  }
  return v;
}

}  // namespace

void logger::log(log_level level, std::string_view subsystem, std::string_view text,
                 const json& fields) {
  if (!enabled(level)) return;
  impl& m = *impl_;
  auto now = m.opts.clock();
  std::tm tm = local_tm(now);
  json record = json::object({{"time", iso_time(now, tm)},
                              {"level", std::string(to_string(level))},
                              {"subsystem", std::string(subsystem)},
                              {"message", redact(text)}});
  if (fields.is_object())
    for (const auto& [k, v] : fields.as_object())
      if (!is_reserved(k)) record.set(k, redact_value(*this, k, v));
  std::string date = local_date(tm);

  std::lock_guard lock(m.write_mu);
  if (!m.opts.file.empty() && level >= m.opts.file_level) m.write_file(record.dump() + "\n", date);
  if (m.opts.console && level >= m.opts.console_level) {
    std::string line = format_log_record(record, {m.opts.style, m.color, false}) + "\n";
    std::fwrite(line.data(), 1, line.size(), m.opts.console);
    std::fflush(m.opts.console);
  }
}

void logger::trace(std::string_view s, std::string_view msg, const json& f) {
  log(log_level::trace, s, msg, f);
}
void logger::debug(std::string_view s, std::string_view msg, const json& f) {
  log(log_level::debug, s, msg, f);
}
void logger::info(std::string_view s, std::string_view msg, const json& f) {
  log(log_level::info, s, msg, f);
}
void logger::warn(std::string_view s, std::string_view msg, const json& f) {
  log(log_level::warn, s, msg, f);
}
void logger::error(std::string_view s, std::string_view msg, const json& f) {
  log(log_level::error, s, msg, f);
}
void logger::fatal(std::string_view s, std::string_view msg, const json& f) {
  log(log_level::fatal, s, msg, f);
}

std::function<void(std::string_view)> logger::line_sink(std::string subsystem, log_level level) {
  return [this, subsystem = std::move(subsystem), level](std::string_view line) {
    log(level, subsystem, line);
  };
}

// ---- subsystem_log

bool subsystem_log::enabled(log_level level) const noexcept { return parent_->enabled(level); }
void subsystem_log::log(log_level level, std::string_view text, const json& fields) const {
  parent_->log(level, subsystem_, text, fields);
}
void subsystem_log::trace(std::string_view m, const json& f) const { log(log_level::trace, m, f); }
void subsystem_log::debug(std::string_view m, const json& f) const { log(log_level::debug, m, f); }
void subsystem_log::info(std::string_view m, const json& f) const { log(log_level::info, m, f); }
void subsystem_log::warn(std::string_view m, const json& f) const { log(log_level::warn, m, f); }
void subsystem_log::error(std::string_view m, const json& f) const { log(log_level::error, m, f); }
void subsystem_log::fatal(std::string_view m, const json& f) const { log(log_level::fatal, m, f); }
subsystem_log subsystem_log::sub(std::string_view name) const {
  return {*parent_, subsystem_.empty() ? std::string(name) : subsystem_ + "/" + std::string(name)};
}

}  // namespace durar
