// Where the gateway's lines go, each with its subsystem and level: a host's durar::logger
// (whose levels decide), else the host's plain line callback (info and up; debug too when
// verbose), else nowhere. Per-request and per-frame lines are built only after enabled()
// says someone reads them, so they cost nothing on a quiet gateway. No line ever formats a
// secret: callers name auth outcomes, never the values presented.
#pragma once

#include <durar/json.hpp>
#include <durar/log.hpp>

#include <functional>
#include <string_view>
#include <utility>

namespace durar::gateway_detail {

namespace log_subsystem {
inline constexpr std::string_view gateway = "gateway";        // listening, stopping
inline constexpr std::string_view http = "gateway/http";      // requests (debug)
inline constexpr std::string_view ws = "gateway/ws";          // clients, frames (debug)
inline constexpr std::string_view auth = "gateway/auth";      // refused secrets
inline constexpr std::string_view reload = "gateway/reload";  // config changes
}  // namespace log_subsystem

class gateway_log {
 public:
  gateway_log() = default;
  gateway_log(logger* sink, std::function<void(std::string_view)> lines, bool verbose)
      : sink_(sink),
        lines_(std::move(lines)),
        lines_level_(verbose ? log_level::debug : log_level::info) {}

  [[nodiscard]] bool enabled(log_level level) const noexcept {
    if (sink_ != nullptr) return sink_->enabled(level);
    return lines_ && level >= lines_level_ && level != log_level::silent;
  }
  void log(log_level level, std::string_view subsystem, std::string_view text,
           const json& fields = {}) const {
    if (sink_ != nullptr)
      sink_->log(level, subsystem, text, fields);
    else if (enabled(level))
      lines_(text);
  }
  void debug(std::string_view subsystem, std::string_view text, const json& fields = {}) const {
    log(log_level::debug, subsystem, text, fields);
  }
  void info(std::string_view subsystem, std::string_view text, const json& fields = {}) const {
    log(log_level::info, subsystem, text, fields);
  }
  void warn(std::string_view subsystem, std::string_view text, const json& fields = {}) const {
    log(log_level::warn, subsystem, text, fields);
  }

 private:
  logger* sink_ = nullptr;
  std::function<void(std::string_view)> lines_;
  log_level lines_level_ = log_level::info;
};

}  // namespace durar::gateway_detail
