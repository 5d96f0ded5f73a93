// Runs a test's io_context until a condition holds, always bounded: a broken test fails
// instead of hanging. Conditions set by other threads (the fake server) are seen within 20 ms.
#pragma once

#include <asio/io_context.hpp>

#include <algorithm>
#include <chrono>

namespace durar::test {

template <class Predicate>
bool run_until(asio::io_context& io, Predicate&& done,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + limit;
  while (!done()) {
    const auto now = clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_until(std::min(deadline, now + std::chrono::milliseconds(20)));
  }
  return true;
}

}  // namespace durar::test
