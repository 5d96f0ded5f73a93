#include "chat_remote_watch.hpp"

#include <asio/post.hpp>

#include "output.hpp"

#include <csignal>

namespace durar::cli {

namespace {
// A loopback gateway answers chat.abort at once; a hung one must not hold Ctrl-C for long.
constexpr std::chrono::milliseconds abort_wait{3000};
}  // namespace

remote_turn_watch::remote_turn_watch(const context& ctx, gateway_client_options target,
                                     std::string session_key, bool spinner, gateway_client& waiting,
                                     bool sigterm)
    : ctx_(ctx),
      target_(std::move(target)),
      session_key_(std::move(session_key)),
      signals_(io_, SIGINT),
      spinner_(io_),
      deadline_(io_),
      waiting_(waiting),
      spinning_(spinner) {
  target_.timeout = abort_wait;
  if (sigterm) signals_.add(SIGTERM);
  signals_.async_wait([this](std::error_code ec, int) { on_signal(ec); });
  spin();
  thread_ = std::thread([this] { io_.run(); });
}

remote_turn_watch::~remote_turn_watch() {
  output();
  // With its waits cancelled the thread's io_context runs out of work and the thread ends
  // (after an abort in flight, which is bounded by abort_wait).
  asio::post(io_, [this] {
    signals_.cancel();
    spinner_.cancel();
    deadline_.cancel();
  });
  thread_.join();
}

void remote_turn_watch::started(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  run_id_ = run_id;
  if (abort_wanted_) {
    abort_wanted_ = false;
    asio::post(io_, [this] { abort_run(); });
  }
}

void remote_turn_watch::output() {
  std::lock_guard lock(mutex_);
  if (!spinning_) return;
  spinning_ = false;
  print(stderr, "\r\033[K");
}

bool remote_turn_watch::abort_asked() {
  std::lock_guard lock(mutex_);
  return abort_asked_;
}

void remote_turn_watch::on_signal(std::error_code ec) {
  if (ec) return;
  // Another Ctrl-C asks again (the first may have found the run not yet started).
  signals_.async_wait([this](std::error_code e, int) { on_signal(e); });
  {
    std::lock_guard lock(mutex_);
    if (!abort_asked_) {
      // Counted from the first Ctrl-C, so a gateway that never accepts the turn (or never
      // ends the run) holds the terminal for final_wait at most.
      abort_asked_ = true;
      deadline_.expires_after(final_wait);
      deadline_.async_wait([this](std::error_code e) {
        if (!e) give_up();
      });
    }
    if (run_id_.empty()) {  // not accepted yet: started() sends the abort
      abort_wanted_ = true;
      return;
    }
  }
  abort_run();
}

void remote_turn_watch::abort_run() {
  std::string run_id;
  {
    std::lock_guard lock(mutex_);
    run_id = run_id_;
  }
  // The chat's own connection is busy waiting for this run's events: a second one asks.
  auto client = gateway_client::connect(target_);
  result<json> answer = fail(errc::unavailable, "");
  if (!client)
    answer = fail(client.error());
  else
    answer = (*client)->call("chat.abort",
                             json::object({{"sessionKey", session_key_}, {"runId", run_id}}));
  if (!answer) {
    output();
    print(
        stderr,
        ctx_.styles.yellow("could not ask the gateway to abort: " + answer.error().message) + "\n");
    give_up();  // nothing will end the run soon
  }
}

void remote_turn_watch::give_up() {
  deadline_.cancel();
  waiting_.interrupt();
}

void remote_turn_watch::spin() {
  std::lock_guard lock(mutex_);
  if (!spinning_) return;
  static constexpr std::string_view frames[] = {"|", "/", "-", "\\"};
  print(stderr, "\r" + ctx_.styles.dim(std::string(frames[frame_++ % 4]) + " thinking"));
  spinner_.expires_after(std::chrono::milliseconds(120));
  spinner_.async_wait([this](std::error_code ec) {
    if (!ec) spin();
  });
}

}  // namespace durar::cli
