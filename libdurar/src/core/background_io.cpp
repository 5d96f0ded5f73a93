// The background file thread: a FIFO of tasks behind a mutex, one worker.
#include "core/background_io.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <unordered_set>
#include <vector>

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
    ++draining_;  // tasks waiting for their time are due now
    wake_.notify_all();
    done_cv_.wait(l, [&] { return done_ >= target || !thread_.joinable(); });
    --draining_;
  }

 private:
  void run() {
    std::unique_lock l(mu_);
    for (;;) {
      wake_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      auto first = queue_.begin();
      // A task for later waits for its time, unless the process is exiting or someone
      // drains the queue: then now.
      if (!stopping_ && draining_ == 0 && first->first > clock::now()) {
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
  int draining_ = 0;
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

namespace {

using clock = std::chrono::steady_clock;

struct sync_requests {
  std::mutex mu;
  std::unordered_set<std::string> paths;     // asked for, not yet taken by a flush
  std::multiset<clock::time_point> flushes;  // when the queued flushes run; none has yet
};

sync_requests& sync_queue() {
  static auto* q = new sync_requests;  // never destroyed, as the worker
  return *q;
}

void sync_file(const std::filesystem::path& p, bool whole_fs) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | (whole_fs ? O_DIRECTORY : 0));
  if (fd < 0) return;  // renamed or removed since: nothing of ours to flush there
  (void)(whole_fs ? ::syncfs(fd) : ::fsync(fd));
  ::close(fd);
}

// The flush queued for `at`: it takes every file asked for so far.
void flush_syncs(clock::time_point at) {
  std::vector<std::filesystem::path> batch;
  {
    auto& q = sync_queue();
    std::lock_guard l(q.mu);
    q.flushes.erase(q.flushes.find(at));
    batch.assign(q.paths.begin(), q.paths.end());
    q.paths.clear();
  }
  if (batch.size() <= max_separate_syncs) {
    for (const auto& p : batch) sync_file(p, false);
    return;
  }
  std::set<std::filesystem::path> folders;  // one syncfs per file system would do; per
  for (const auto& p : batch) folders.insert(p.parent_path());  // folder is simpler, as cheap
  for (const auto& f : folders) sync_file(f, true);
}

}  // namespace

void sync_in_background(std::filesystem::path p, clock::time_point due) {
  auto& q = sync_queue();
  bool post = false;
  {
    std::lock_guard l(q.mu);
    q.paths.insert(p.string());
    // Every file waiting needs a flush queued no later than its `due`; a queued flush is
    // still in `flushes` until it takes the files, under this lock.
    post = q.flushes.empty() || *q.flushes.begin() > due;
    if (post) q.flushes.insert(due);
  }
  if (post && !post_background([due] { flush_syncs(due); }, due)) flush_syncs(due);
}

std::size_t pending_syncs() {
  auto& q = sync_queue();
  std::lock_guard l(q.mu);
  return q.paths.size();
}

}  // namespace durar::detail
