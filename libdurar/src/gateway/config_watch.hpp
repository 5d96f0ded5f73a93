// Watching the config file for the gateway's hot reload: one call per burst of changes.
//
// inotify, through Asio, on the directories that hold the files (and, for a symlink, its
// target's): a directory watch sees a file written in place, replaced by rename (how most
// editors save), deleted and created again, and costs nothing while nothing changes. Where
// inotify is not available (no more watches, a directory that does not exist yet), a stat
// poll on a timer stands in. Editors write several times per save, so a change is reported
// `debounce` after the last event of a burst.
#pragma once

#include <asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace durar::gateway_detail {

struct file_watch_options {
  std::vector<std::filesystem::path> files;
  std::chrono::milliseconds debounce{300};
  std::chrono::milliseconds poll_interval{1000};  // when polling
  bool force_poll = false;                        // poll even where inotify works (tests)
};

class file_watch {
 public:
  // `on_change` runs on the loop, once per burst; it is never called after stop() or the
  // destructor.
  file_watch(asio::io_context& io, file_watch_options options, std::function<void()> on_change);
  ~file_watch();
  file_watch(const file_watch&) = delete;
  file_watch& operator=(const file_watch&) = delete;

  // Starts watching; says how ("inotify", or "polling every 1000 ms" with the reason).
  std::string start();
  void stop();
  void set_debounce(std::chrono::milliseconds d);
  [[nodiscard]] bool polling() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace durar::gateway_detail
