// An agent on its own thread: a runtime, the session it talks in and the agent, all living
// on one io_context that a private thread runs. Python threads reach them only by posting
// jobs (call() waits for the answer); nothing here knows Python, so the loop thread never
// needs the GIL and a Python thread that waits here can always release it.
#pragma once

#include <durar/agent.hpp>
#include <durar/config.hpp>
#include <durar/result.hpp>
#include <durar/runtime.hpp>
#include <durar/session.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "run_channel.hpp"

#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace durar::python {

struct agent_setup {
  durar::config cfg;
  std::string agent_id;                // "" = the config's default agent
  std::string session_key;             // "" = the agent's main session; "work" = agent:<id>:work
  std::string model;                   // "" = the session's, else the agent's
  std::filesystem::path state_dir;     // "" = the config's
  std::filesystem::path workspace;     // "" = the agent's
  std::vector<tool_definition> tools;  // host tools; their calls go to the run's channel
  durar::tool_choice tool_choice;      // agent_options::tool_choice, for every run
};

// What the agent turned out to be, for the Python properties.
struct agent_facts {
  std::string agent_id;
  std::string session_key;
  std::string model;
  std::filesystem::path workspace;
  std::filesystem::path state_dir;
};

struct session_view {
  std::string key;
  std::string id;
  std::filesystem::path path;
  json messages = json::array();  // the context, as transcript JSON
  session_totals totals;
  std::optional<std::string> model;
};
session_view view_of(const durar::session& s);

class agent_loop {
 public:
  // Starts the thread and builds everything on it; blocks until done (release the GIL).
  static result<std::shared_ptr<agent_loop>> open(agent_setup setup);
  ~agent_loop();  // shutdown()
  agent_loop(const agent_loop&) = delete;
  agent_loop& operator=(const agent_loop&) = delete;

  [[nodiscard]] const agent_facts& facts() const noexcept { return facts_; }

  // Each blocks until the loop has answered; all fail with unavailable once closed.
  result<void> add_tool(tool_definition def);
  // The agent's tool_choice from the next run on (not while running).
  result<void> set_tool_choice(durar::tool_choice choice);
  // Starts a run; its events, tool calls and outcome arrive on the returned channel.
  result<std::shared_ptr<run_channel>> start(std::string text, bool want_events);
  result<session_view> session();

  // Posted, not waited for; no-ops when idle or closed.
  void abort();
  void steer(std::string text);
  void follow_up(std::string text);

  // Aborts a run (its channel then gets a cancelled outcome), frees the agent, the session
  // (and its lock) and the runtime on the loop, lets the loop finish what that started
  // (closing connections), and joins the thread. Idempotent.
  void shutdown();
  [[nodiscard]] bool closed() const;

 private:
  agent_loop();
  result<agent_facts> build(agent_setup setup);
  result<void> make_agent();
  std::shared_ptr<tool> bridge(tool_definition def);
  void on_event(const agent_event& e);
  void teardown();
  void release_runtime();

  // Queues `job` on the loop unless closed; false when closed.
  template <class Job>
  bool post(Job&& job) {
    std::lock_guard lock(post_mutex_);
    if (closed_) return false;
    asio::post(io_, std::forward<Job>(job));
    return true;
  }
  // Runs `f` (returning a result<>) on the loop and waits for it.
  template <class F>
  auto call(F f) -> decltype(f());

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::promise<void> exited_;  // set when the thread's io_.run() has returned
  mutable std::mutex post_mutex_;
  bool closed_ = false;
  std::mutex shutdown_mutex_;
  agent_facts facts_;

  // Loop thread only.
  std::unique_ptr<runtime> rt_;
  agent_profile profile_;
  turn_request overrides_;
  std::string key_;
  std::shared_ptr<session_store> store_;
  std::unique_ptr<durar::session> session_;
  std::unique_ptr<durar::agent> agent_;
  std::shared_ptr<run_channel> current_;
  std::string claim_;  // this process's hold on the session (see claim_session)
};

template <class F>
auto agent_loop::call(F f) -> decltype(f()) {
  using R = decltype(f());
  auto promise = std::make_shared<std::promise<R>>();
  auto answer = promise->get_future();
  bool queued = post([promise, f = std::move(f)]() mutable {
    try {
      promise->set_value(f());
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  if (!queued) return fail(errc::unavailable, "the agent is closed");
  try {
    return answer.get();
  } catch (const std::future_error&) {  // the loop stopped before the job ran
    return fail(errc::unavailable, "the agent is closed");
  }
}

}  // namespace durar::python
