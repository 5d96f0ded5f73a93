// What one run sends from the agent's loop thread to the Python thread that consumes it:
// events (already JSON), tool calls for Python callables, and the outcome. The loop thread
// never touches Python; the consumer serves tool calls in place, so a Python tool always
// runs on the thread that iterates the stream (or called run()) and the GIL is never
// wanted by two parties that wait on each other.
#pragma once

#include <durar/agent.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>
#include <durar/tool.hpp>

#include <asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace durar::python {

// A call of a Python tool, waiting for its answer. answer() posts the result to the
// agent's loop, where `done` must run; a request dropped unanswered answers with an error,
// so the run never waits for a tool nobody will call.
class tool_request {
 public:
  tool_request(std::string name, json arguments, std::string call_id,
               asio::any_io_executor executor, tool_done done);
  ~tool_request();
  tool_request(const tool_request&) = delete;
  tool_request& operator=(const tool_request&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const json& arguments() const noexcept { return arguments_; }
  [[nodiscard]] const std::string& call_id() const noexcept { return call_id_; }
  // Set from the loop when the run is aborted: the call is not worth starting any more.
  [[nodiscard]] bool cancelled() const noexcept { return cancelled_->load(); }
  [[nodiscard]] std::shared_ptr<std::atomic<bool>> cancel_flag() const { return cancelled_; }
  void answer(tool_result r);

 private:
  std::string name_;
  json arguments_;
  std::string call_id_;
  asio::any_io_executor executor_;
  tool_done done_;
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
};

struct channel_item {
  enum class kind { event, tool_call, finished };
  kind what = kind::event;
  json event;                                 // event: to_json(agent_event)
  std::shared_ptr<tool_request> call;         // tool_call
  std::optional<result<run_result>> outcome;  // finished
};

class run_channel {
 public:
  explicit run_channel(bool want_events) : want_events_(want_events) {}
  // run() without an event callback skips building event JSON nobody reads.
  [[nodiscard]] bool want_events() const noexcept { return want_events_; }

  void push(channel_item item);
  // The next item, waiting at most `wait`; nullopt when none came in time.
  std::optional<channel_item> pop(std::chrono::milliseconds wait);

 private:
  const bool want_events_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<channel_item> items_;
};

}  // namespace durar::python
