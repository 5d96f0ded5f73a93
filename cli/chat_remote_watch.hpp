// While a turn runs on the gateway (`durar chat`, `durar agent`): Ctrl-C asks the gateway to
// abort that run, and a spinner shows until the first output. The gateway client blocks the
// caller's thread while it waits for the turn's events, so both live on a thread of their
// own, and the abort goes over a second connection (chat.abort), leaving the first to
// receive the run's end. That wait is bounded: when the run has not ended `final_wait` after
// the Ctrl-C (or at once when the abort could not be asked), the first connection is
// interrupted and its call() fails with errc::cancelled.
#pragma once

#include <durar/gateway.hpp>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "context.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace durar::cli {

class remote_turn_watch {
 public:
  // Ctrl-C is caught from here on (SIGTERM too with `sigterm`); `spinner` only for a
  // terminal. `waiting` is the connection whose call() waits for the run's end; it must
  // outlive the watch.
  remote_turn_watch(const context& ctx, gateway_client_options target, std::string session_key,
                    bool spinner, gateway_client& waiting, bool sigterm = false);
  // Ctrl-C has its default effect again once the watch is gone.
  ~remote_turn_watch();
  remote_turn_watch(const remote_turn_watch&) = delete;
  remote_turn_watch& operator=(const remote_turn_watch&) = delete;

  // The gateway accepted the turn as this run; an abort asked for before goes out now.
  void started(const std::string& run_id);
  // Something is about to be printed: the spinner goes (once).
  void output();
  // Whether Ctrl-C (or SIGTERM) came: the run's end is then an abort.
  [[nodiscard]] bool abort_asked();

  // How long after Ctrl-C the run's end is waited for.
  static constexpr std::chrono::milliseconds final_wait{8000};

 private:
  void on_signal(std::error_code ec);
  void abort_run();  // on the watch thread
  void give_up();    // on the watch thread: stops the wait for the run's end
  void spin();

  const context& ctx_;
  gateway_client_options target_;
  std::string session_key_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::steady_timer spinner_;
  asio::steady_timer deadline_;  // final_wait after the first signal
  gateway_client& waiting_;
  std::mutex mutex_;  // guards what follows, and stderr while the spinner draws
  std::string run_id_;
  bool abort_wanted_ = false;
  bool abort_asked_ = false;
  bool spinning_ = false;
  int frame_ = 0;
  std::thread thread_;
};

}  // namespace durar::cli
