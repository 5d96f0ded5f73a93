#include "run_channel.hpp"

#include <asio/post.hpp>

namespace durar::python {

tool_request::tool_request(std::string name, json arguments, std::string call_id,
                           asio::any_io_executor executor, tool_done done)
    : name_(std::move(name)),
      arguments_(std::move(arguments)),
      call_id_(std::move(call_id)),
      executor_(std::move(executor)),
      done_(std::move(done)) {}

tool_request::~tool_request() {
  if (done_) answer(error_result("the tool call was dropped before it ran"));
}

void tool_request::answer(tool_result r) {
  if (!done_) return;
  // `done` belongs to the loop: it runs there, and is destroyed there if it never runs.
  asio::post(executor_,
             [done = std::move(done_), r = std::move(r)]() mutable { done(std::move(r)); });
  done_ = nullptr;
}

void run_channel::push(channel_item item) {
  {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
  }
  ready_.notify_one();
}

std::optional<channel_item> run_channel::pop(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, wait, [this] { return !items_.empty(); })) return std::nullopt;
  channel_item item = std::move(items_.front());
  items_.pop_front();
  return item;
}

}  // namespace durar::python
