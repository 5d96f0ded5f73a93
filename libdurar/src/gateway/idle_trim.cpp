#include "idle_trim.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace durar::gateway_detail {

void release_free_memory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

struct idle_trim::state {
  state(asio::io_context& io, std::function<bool()> b, std::chrono::milliseconds q,
        std::function<void()> r)
      : timer(io), busy(std::move(b)), release(std::move(r)), quiet(q) {}

  asio::steady_timer timer;
  std::function<bool()> busy;
  std::function<void()> release;
  std::chrono::milliseconds quiet;
  std::chrono::steady_clock::time_point last{};  // the latest activity
  bool armed = false;

  static void arm(const std::shared_ptr<state>& s, std::chrono::steady_clock::time_point at) {
    s->armed = true;
    s->timer.expires_at(at);
    s->timer.async_wait([weak = std::weak_ptr<state>(s)](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->fire(self);
    });
  }

  void fire(const std::shared_ptr<state>& self) {
    const auto now = std::chrono::steady_clock::now();
    if (now < last + quiet) return arm(self, last + quiet);  // started something since
    if (busy && busy()) return arm(self, now + quiet);
    armed = false;
    if (release) release();
  }
};

idle_trim::idle_trim(asio::io_context& io, std::function<bool()> busy,
                     std::chrono::milliseconds quiet, std::function<void()> release)
    : state_(std::make_shared<state>(io, std::move(busy), quiet, std::move(release))) {}

idle_trim::~idle_trim() = default;

void idle_trim::activity() {
  state_->last = std::chrono::steady_clock::now();
  if (!state_->armed) state::arm(state_, state_->last + state_->quiet);
}

}  // namespace durar::gateway_detail
