// Gives the allocator's free memory back to the system once the gateway is quiet again.
//
// A burst of requests grows glibc's heap to its peak; what the burst freed stays resident
// (glibc only shrinks the heap's top, which a few long-lived objects pin), about 2 MB after
// 64 clients. Trimming once per quiet spell costs nothing while busy: activity() only reads
// the clock, and the timer runs once per `quiet` at most.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace durar::gateway_detail {

// malloc_trim(0) under glibc (every arena), nothing elsewhere.
void release_free_memory();

class idle_trim {
 public:
  static constexpr std::chrono::milliseconds default_quiet{1000};

  // `busy` says work is still in flight (then the trim waits another `quiet`); `release`
  // is what a trim does. Used on the io_context's thread only.
  explicit idle_trim(asio::io_context& io, std::function<bool()> busy,
                     std::chrono::milliseconds quiet = default_quiet,
                     std::function<void()> release = release_free_memory);
  ~idle_trim();
  idle_trim(const idle_trim&) = delete;
  idle_trim& operator=(const idle_trim&) = delete;

  // Work started: release once nothing has started for `quiet` and nothing is busy.
  void activity();

 private:
  struct state;
  std::shared_ptr<state> state_;  // the timer's handler holds it weakly
};

}  // namespace durar::gateway_detail
