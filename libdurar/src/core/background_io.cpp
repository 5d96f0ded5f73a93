// The background file thread: a FIFO of tasks behind a mutex, one worker.
#include "core/background_io.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace durar::detail {

namespace {

class worker {
 public:
  using clock = std::chrono::steady_clock;

  // Runs what is queued, then refuses new work: called once, at exit.
  void stop() {
    {
      std::lock_guard l(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();  // runs what is queued first
  }

  bool post(std::function<void()> task, clock::time_point at) {
    std::lock_guard l(mu_);
    if (stopping_) return false;
    queue_.emplace(at, std::move(task));  // equal times keep the order posted
    ++posted_;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    wake_.notify_all();
    return true;
  }

  void drain() {
    std::unique_lock l(mu_);
    std::uint64_t target = posted_;
    done_cv_.wait(l, [&] { return done_ >= target || !thread_.joinable(); });
  }

 private:
  void run() {
    std::unique_lock l(mu_);
    for (;;) {
      wake_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      auto first = queue_.begin();
      // A task for later waits for its time, unless the process is exiting: then now.
      if (!stopping_ && first->first > clock::now()) {
        wake_.wait_until(l, first->first);
        continue;  // something earlier may have come meanwhile
      }
      auto task = std::move(first->second);
      queue_.erase(first);
      l.unlock();
      task();
      task = nullptr;  // whatever it captured goes here, not under the lock
      l.lock();
      ++done_;
      done_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, done_cv_;
  std::multimap<clock::time_point, std::function<void()>> queue_;
  std::uint64_t posted_ = 0, done_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// Never destroyed, so a static destructor that runs late still finds it (and gets false
// from post); stopped and joined at exit, after the destructors of objects made later.
worker& the_worker() {
  static worker* w = [] {
    auto* made = new worker;
    std::atexit([] { the_worker().stop(); });
    return made;
  }();
  return *w;
}

}  // namespace

bool post_background(std::function<void()> task, std::chrono::steady_clock::time_point at) {
  return the_worker().post(std::move(task), at);
}

void drain_background() { the_worker().drain(); }

void sync_and_close_in_background(int fd) {
  if (fd < 0) return;
  auto work = [fd] {
    (void)::fsync(fd);
    ::close(fd);
  };
  if (!post_background(work)) work();
}

}  // namespace durar::detail
