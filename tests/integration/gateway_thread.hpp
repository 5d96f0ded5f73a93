// A started gateway's loop on a thread of its own, as a host runs it: the destructor stops
// the gateway on that loop and joins the thread. Declare it after the gateway (and the
// runtime), so that it goes first.
#pragma once

#include <durar/gateway.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <future>
#include <thread>

namespace gateway_test {

class serving_thread {
 public:
  serving_thread(asio::io_context& io, durar::gateway& gw)
      : io_(io), gw_(gw), guard_(io.get_executor()), thread_([this] { io_.run(); }) {}
  ~serving_thread() {
    std::promise<void> stopped;
    asio::post(io_, [&] {
      gw_.stop();
      stopped.set_value();
    });
    stopped.get_future().wait_for(std::chrono::seconds(10));
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  serving_thread(const serving_thread&) = delete;
  serving_thread& operator=(const serving_thread&) = delete;

 private:
  asio::io_context& io_;
  durar::gateway& gw_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace gateway_test
