// durar::logger: a log with two sinks, each with its own level. The file gets one JSON
// object per line ({time, level, subsystem, message, ...fields}), a new file each local
// day; the console gets readable lines (pretty, compact or json) with subsystem prefixes
// and colours on a terminal. Secrets are masked before either sink sees a line.
//
//   auto log = durar::logger::create(durar::logger_options_from(cfg));
//   if (!log) ...;                                   // the log file could not be opened
//   (*log)->add_config_secrets(cfg);                 // gateway token, provider keys
//   (*log)->info("gateway", "listening on http://127.0.0.1:18789");
//   auto http = (*log)->sub("gateway/http");
//   if (http.enabled(durar::log_level::debug)) http.debug("GET /v1/models");
//
// Threading: every member may be called from any thread; lines are written whole, one at a
// time. A line below both sinks' levels returns before anything is formatted.
#pragma once

#include <durar/config.hpp>
#include <durar/environment.hpp>
#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace durar {

// Ordered by severity; `silent` as a sink's level turns the sink off.
enum class log_level : std::uint8_t { trace, debug, info, warn, error, fatal, silent };

DURAR_API std::string_view to_string(log_level level) noexcept;
// The config's names, case-insensitive, plus "warning" and "off"; nullopt for others.
DURAR_API std::optional<log_level> parse_log_level(std::string_view text) noexcept;

enum class console_style : std::uint8_t {
  pretty,   // "14:03:05.123 info  [gateway] message key=value"
  compact,  // "[gateway] message", the level only when it is not info
  json,     // the file's JSON line
};

DURAR_API std::string_view to_string(console_style style) noexcept;
DURAR_API std::optional<console_style> parse_console_style(std::string_view text) noexcept;

enum class color_mode : std::uint8_t {
  automatic,  // when the console is a terminal, NO_COLOR is unset and TERM is not "dumb"
  always,
  never,
};

struct logger_options {
  // The file sink. "YYYY-MM-DD" in the file name stands for the local date of each line,
  // so a new file starts every day; a name without it is one file. Empty: no file.
  // Files are created with mode 0600 (and their directory 0700), appended to, and written
  // one whole line per write.
  std::filesystem::path file;
  log_level file_level = log_level::info;
  // The console sink; nullptr for none. Not owned.
  std::FILE* console = stderr;
  log_level console_level = log_level::info;
  console_style style = console_style::pretty;
  color_mode color = color_mode::automatic;
  // Mask values that look like credentials (sk-..., AIza..., Bearer ..., "apiKey": "...",
  // token=..., Authorization headers, ?key=, PEM private keys). Values registered with
  // add_secret() are masked either way.
  bool redact_patterns = true;
  // Where NO_COLOR and TERM are read; nullopt: this process's environment.
  std::optional<environment> env;
  // The time of each line and the date of the file; empty: the system clock. For tests.
  std::function<std::chrono::system_clock::time_point()> clock;
};

// The options the config asks for: logging.file (default <state dir>/logs/durar-YYYY-MM-DD.log;
// a leading "~/" means HOME), logging.level, logging.consoleLevel (default info),
// logging.consoleStyle (default pretty) and logging.redactSensitive. DURAR_LOG_LEVEL, when
// set to a level, overrides both levels for one run.
DURAR_API logger_options logger_options_from(const config& cfg);

// The file `pattern` names for the local date of `when` ("YYYY-MM-DD" replaced).
DURAR_API std::filesystem::path log_file_for(const std::filesystem::path& pattern,
                                             std::chrono::system_clock::time_point when);

// `text` with every credential-shaped value replaced by "***" (the patterns of
// logger_options::redact_patterns). Recognisable prefixes stay: "sk-***", "Bearer ***".
DURAR_API std::string redact_log_text(std::string_view text);

struct log_format {
  console_style style = console_style::pretty;
  bool color = false;
  bool full_time = false;  // pretty: the whole timestamp instead of the time of day
};

// One record as the file holds it ({time, level, subsystem, message, ...}) as a line for
// people, without the newline: what the console sink prints and what `durar logs` shows.
DURAR_API std::string format_log_record(const json& record, const log_format& format);

class logger;

// A logger bound to one subsystem ("gateway/ws"); a cheap value, valid while its logger is.
class DURAR_API subsystem_log {
 public:
  subsystem_log(logger& parent, std::string subsystem)
      : parent_(&parent), subsystem_(std::move(subsystem)) {}

  [[nodiscard]] bool enabled(log_level level) const noexcept;
  void log(log_level level, std::string_view text, const json& fields = {}) const;
  void trace(std::string_view text, const json& fields = {}) const;
  void debug(std::string_view text, const json& fields = {}) const;
  void info(std::string_view text, const json& fields = {}) const;
  void warn(std::string_view text, const json& fields = {}) const;
  void error(std::string_view text, const json& fields = {}) const;
  void fatal(std::string_view text, const json& fields = {}) const;
  // "gateway" -> "gateway/http".
  [[nodiscard]] subsystem_log sub(std::string_view name) const;
  [[nodiscard]] const std::string& name() const noexcept { return subsystem_; }

 private:
  logger* parent_;
  std::string subsystem_;
};

class DURAR_API logger {
 public:
  // Opens the file for today (creating its directory) so a bad path fails now, naming
  // it; a later day's file that cannot be opened costs that day's file lines only.
  static result<std::unique_ptr<logger>> create(logger_options options);
  ~logger();
  logger(const logger&) = delete;
  logger& operator=(const logger&) = delete;

  // Whether a line at `level` reaches any sink; check it before building costly messages.
  [[nodiscard]] bool enabled(log_level level) const noexcept {
    return level != log_level::silent &&
           static_cast<std::uint8_t>(level) >= min_level_.load(std::memory_order_relaxed);
  }
  // `fields` (an object, or null) become further members of the line; string values are
  // redacted like the message, and values under credential-like keys are masked whole.
  void log(log_level level, std::string_view subsystem, std::string_view text,
           const json& fields = {});
  void trace(std::string_view subsystem, std::string_view text, const json& fields = {});
  void debug(std::string_view subsystem, std::string_view text, const json& fields = {});
  void info(std::string_view subsystem, std::string_view text, const json& fields = {});
  void warn(std::string_view subsystem, std::string_view text, const json& fields = {});
  void error(std::string_view subsystem, std::string_view text, const json& fields = {});
  void fatal(std::string_view subsystem, std::string_view text, const json& fields = {});
  [[nodiscard]] subsystem_log sub(std::string subsystem) { return {*this, std::move(subsystem)}; }

  // For APIs that take one line at a time, such as gateway_options::log: each line is
  // logged at `level` under `subsystem`. The logger must outlive the function.
  [[nodiscard]] std::function<void(std::string_view)> line_sink(std::string subsystem,
                                                                log_level level = log_level::info);

  // A value never to print, masked in every line from now on; values shorter than 4
  // characters are ignored (they would mask ordinary words).
  void add_secret(std::string value);
  // Registers the config's credentials: the gateway token and password (config,
  // DURAR_GATEWAY_TOKEN / DURAR_GATEWAY_PASSWORD, or <state dir>/gateway.token), every
  // provider key the catalog resolves,
  // credential-like values in the config file, and environment variables named *_KEY,
  // *_KEYS, *_TOKEN, *_SECRET or *_PASSWORD.
  void add_config_secrets(const config& cfg);
  // `text` as a sink would write it: registered secrets, then (when enabled) patterns.
  [[nodiscard]] std::string redact(std::string_view text) const;

  void set_console_level(log_level level);
  void set_file_level(log_level level);
  // The file the next line goes to ("" without a file sink).
  [[nodiscard]] std::filesystem::path file_path() const;
  [[nodiscard]] bool console_colored() const noexcept;

 private:
  logger();
  void update_min_level();
  struct DURAR_LOCAL impl;
  std::unique_ptr<impl> impl_;
  std::atomic<std::uint8_t> min_level_{static_cast<std::uint8_t>(log_level::silent)};
};

}  // namespace durar
