// Cooldowns per (provider, model, credential): how long a failing key stays out of rotation.
// 1 min, 5 min, 25 min, then 1 h for repeated auth/rate-limit/timeout failures; billing
// failures 5 h doubling to 24 h. Persisted as JSON in the state dir.
#pragma once

#include <durar/error.hpp>
#include <durar/router.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace durar::detail {

enum class cooldown_reason { auth, rate_limit, timeout, billing };

class cooldown_store {
 public:
  using clock_fn = std::function<std::chrono::system_clock::time_point()>;
  cooldown_store(std::filesystem::path file, clock_fn clock);

  // The reason a failure cools its key down, or nullopt for failures that don't.
  static std::optional<cooldown_reason> reason_for(const error& e);

  // Records a failure and returns the cooldown it started.
  std::chrono::milliseconds record(const std::string& provider, const std::string& model,
                                   const std::string& credential, cooldown_reason why,
                                   std::optional<std::chrono::milliseconds> retry_after);
  void clear(const std::string& provider, const std::string& model, const std::string& credential);
  // Time left, zero when usable.
  [[nodiscard]] std::chrono::milliseconds remaining(const std::string& provider,
                                                    const std::string& model,
                                                    const std::string& credential) const;
  [[nodiscard]] std::vector<cooldown_entry> entries() const;

 private:
  void load();
  void save() const;
  std::filesystem::path file_;
  clock_fn clock_;
  std::vector<cooldown_entry> entries_;
};

// A credential's identity for cooldowns and logs: its source and a short fingerprint.
std::string credential_id(const credential& c);

}  // namespace durar::detail
