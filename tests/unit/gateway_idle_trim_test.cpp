// The gateway gives freed memory back once per quiet spell after work, never while work
// goes on, and never less than the quiet period after the latest start.
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include "gateway/idle_trim.hpp"

#include <chrono>
#include <vector>

using durar::gateway_detail::idle_trim;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

TEST_CASE("idle trim releases once after work and never without it", "[gateway][memory]") {
  asio::io_context io;
  int released = 0;
  idle_trim trim(
      io, [] { return false; }, 20ms, [&] { ++released; });
  io.run();  // nothing happened: no timer, nothing to release
  CHECK(released == 0);
  io.restart();
  const auto start = clock_type::now();
  trim.activity();
  trim.activity();
  io.run();
  CHECK(released == 1);
  CHECK(clock_type::now() - start >= 20ms);
}

TEST_CASE("idle trim waits while work is still in flight", "[gateway][memory]") {
  asio::io_context io;
  int asked = 0, released = 0;
  idle_trim trim(
      io, [&] { return ++asked <= 2; }, 5ms, [&] { ++released; });
  trim.activity();
  io.run();
  CHECK(asked == 3);
  CHECK(released == 1);
}

TEST_CASE("idle trim releases only a quiet period after the latest start", "[gateway][memory]") {
  asio::io_context io;
  std::vector<clock_type::time_point> starts, releases;
  idle_trim trim(
      io, [] { return false; }, 40ms, [&] { releases.push_back(clock_type::now()); });
  auto start = [&] {
    starts.push_back(clock_type::now());
    trim.activity();
  };
  start();
  asio::steady_timer later(io);  // a second start half-way through the quiet period
  later.expires_after(20ms);
  later.async_wait([&](std::error_code) {
    start();
    // Whenever it fired (however late), no release may follow it within 40 ms.
    for (auto& r : releases) CHECK(r - starts.front() >= 40ms);
  });
  io.run();
  REQUIRE(!releases.empty());
  CHECK(releases.back() - starts.back() >= 40ms);
  CHECK(releases.size() <= starts.size());
}

TEST_CASE("idle trim destroyed while waiting releases nothing", "[gateway][memory]") {
  asio::io_context io;
  int released = 0;
  {
    idle_trim trim(
        io, [] { return false; }, 5ms, [&] { ++released; });
    trim.activity();
  }
  io.run();
  CHECK(released == 0);
}
