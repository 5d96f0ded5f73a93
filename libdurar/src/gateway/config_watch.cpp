// The config file watcher: inotify on the files' directories through an Asio descriptor,
// or a stat poll on an Asio timer; bursts collapse into one call after a quiet period.
#include "config_watch.hpp"

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace durar::gateway_detail {

namespace {

namespace fs = std::filesystem;

// What stat(2) says about a file, for polling: a rename-replace changes the inode, a write
// the size or mtime.
struct file_state {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_state&) const = default;
};

file_state state_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {true, st.st_dev, st.st_ino, st.st_size,
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// Events on a directory that may mean one of our files changed (filtered by name).
constexpr std::uint32_t dir_mask = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |
                                   IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR;

}  // namespace

struct file_watch::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& ctx, file_watch_options o, std::function<void()> f)
      : io(ctx), options(std::move(o)), on_change(std::move(f)), quiet(ctx), poll_timer(ctx) {}

  asio::io_context& io;
  file_watch_options options;
  std::function<void()> on_change;
  std::unique_ptr<asio::posix::stream_descriptor> inotify;
  std::map<int, std::set<std::string>> watched;  // watch descriptor -> file names in that dir
  asio::steady_timer quiet;                      // the debounce
  asio::steady_timer poll_timer;
  std::vector<file_state> seen;
  bool polling = false;
  bool stopped = false;

  // The directories to watch and the names that matter in each: the file's own, and for a
  // symlink its target's too (a write through the link changes the target).
  [[nodiscard]] std::map<fs::path, std::set<std::string>> targets() const {
    std::map<fs::path, std::set<std::string>> out;
    for (const auto& f : options.files) {
      fs::path abs = fs::absolute(f);
      out[abs.parent_path()].insert(abs.filename().string());
      std::error_code ec;
      fs::path real = fs::canonical(abs, ec);
      if (!ec && real != abs) out[real.parent_path()].insert(real.filename().string());
    }
    return out;
  }

  // Adds watches for directories not watched yet; the reason when one cannot be watched.
  std::string add_watches() {
    for (const auto& [dir, names] : targets()) {
      int wd = ::inotify_add_watch(inotify->native_handle(), dir.c_str(), dir_mask);
      if (wd < 0) return fmt::format("cannot watch {}: {}", dir.string(), std::strerror(errno));
      watched[wd].insert(names.begin(), names.end());
    }
    return {};
  }

  std::string start() {
    if (!options.force_poll) {
      int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (fd < 0) return start_polling(std::string("inotify: ") + std::strerror(errno));
      inotify = std::make_unique<asio::posix::stream_descriptor>(io, fd);
      if (auto problem = add_watches(); !problem.empty()) {
        inotify.reset();
        watched.clear();
        return start_polling(problem);
      }
      wait_events();
      return "inotify";
    }
    return start_polling("");
  }

  std::string start_polling(const std::string& why) {
    polling = true;
    seen.clear();
    for (const auto& f : options.files) seen.push_back(state_of(f));
    poll();
    std::string how = fmt::format("polling every {} ms", options.poll_interval.count());
    return why.empty() ? how : how + " (" + why + ")";
  }

  void poll() {
    poll_timer.expires_after(options.poll_interval);
    poll_timer.async_wait([weak = weak_from_this()](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      bool changed = false;
      for (std::size_t i = 0; i < self->options.files.size(); ++i) {
        file_state now = state_of(self->options.files[i]);
        if (!(now == self->seen[i])) changed = true;
        self->seen[i] = now;
      }
      if (changed) self->changed();
      self->poll();
    });
  }

  void wait_events() {
    inotify->async_wait(asio::posix::stream_descriptor::wait_read,
                        [weak = weak_from_this()](std::error_code ec) {
                          auto self = weak.lock();
                          if (ec || !self || self->stopped) return;
                          self->read_events();
                        });
  }

  void read_events() {
    alignas(inotify_event) std::array<char, 8192> buf{};
    bool relevant = false;
    bool lost_watch = false;
    for (;;) {
      ssize_t n = ::read(inotify->native_handle(), buf.data(), buf.size());
      if (n <= 0) break;  // EAGAIN: drained
      for (ssize_t at = 0; at < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf.data() + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        if (ev->mask & IN_Q_OVERFLOW) {
          relevant = true;  // events were dropped: assume ours were among them
        } else if (ev->mask & IN_IGNORED) {
          lost_watch = true;  // the directory went away
          watched.erase(ev->wd);
        } else if (ev->len > 0) {
          auto it = watched.find(ev->wd);
          if (it != watched.end() && it->second.count(ev->name) > 0) relevant = true;
        }
      }
    }
    if (lost_watch) {
      // A directory that can come back is watched again; one that cannot is polled.
      inotify.reset();
      watched.clear();
      start_polling("a watched directory went away");
      changed();
      return;
    }
    if (relevant) changed();
    wait_events();
  }

  // One more event of a burst: the call comes `debounce` after the last one.
  void changed() {
    quiet.expires_after(options.debounce);
    quiet.async_wait([weak = weak_from_this()](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      // A symlink may point somewhere new now.
      if (self->inotify) (void)self->add_watches();
      self->on_change();
    });
  }

  void stop() {
    stopped = true;
    quiet.cancel();
    poll_timer.cancel();
    if (inotify) {
      std::error_code ec;
      inotify->cancel(ec);
    }
  }
};

file_watch::file_watch(asio::io_context& io, file_watch_options options,
                       std::function<void()> on_change)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(on_change))) {}

file_watch::~file_watch() { impl_->stop(); }

std::string file_watch::start() { return impl_->start(); }
void file_watch::stop() { impl_->stop(); }
void file_watch::set_debounce(std::chrono::milliseconds d) { impl_->options.debounce = d; }
bool file_watch::polling() const { return impl_->polling; }

}  // namespace durar::gateway_detail
