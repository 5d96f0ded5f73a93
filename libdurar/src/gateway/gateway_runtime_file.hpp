// <state dir>/gateway.json: where the gateway serving a state dir listens, so that the CLI on
// the same state dir finds it whatever port it was given (`--port 0` included); and
// <state dir>/gateway.lock, which makes that gateway the only one on the state dir.
#pragma once

#include <durar/result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace durar::gateway_detail {

// A gateway's hold on its state dir: an advisory flock(2) on <state dir>/gateway.lock, taken
// before it listens and kept until it stops. The kernel drops it when the process ends,
// however it ends, so a killed gateway leaves no stale lock; /proc/locks names the holder.
class state_dir_lock {
 public:
  // Takes the lock, or fails naming the gateway holding it: "a gateway is already running
  // for state dir X (pid N, port P); stop it first".
  static result<state_dir_lock> acquire(const std::filesystem::path& state_dir);
  state_dir_lock(state_dir_lock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  state_dir_lock& operator=(state_dir_lock&& o) noexcept;
  state_dir_lock(const state_dir_lock&) = delete;
  state_dir_lock& operator=(const state_dir_lock&) = delete;
  ~state_dir_lock();

 private:
  explicit state_dir_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Writes {"pid","port","url"} for this process (best effort: a gateway that cannot write it
// still serves; the CLI then looks at the configured port). Only the lock's holder writes it.
void write_runtime_file(const std::filesystem::path& state_dir, std::uint16_t port,
                        const std::string& ws_url);
// Removes the file if it still names this process: a gateway removes only what it wrote.
void remove_runtime_file(const std::filesystem::path& state_dir);

}  // namespace durar::gateway_detail
