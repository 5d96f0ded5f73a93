// Private to the agent module: the state an agent shares with its runs, the transcript it
// writes to (a session or memory), the tool batch, the loop guard and compaction.
#pragma once

#include <durar/agent.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

// Where the conversation lives: the session when there is one, else memory. Memory mode
// mirrors the session's compaction semantics so an agent behaves the same without a file.
class transcript {
 public:
  explicit transcript(session* s) : s_(s) {}

  result<void> append(const message& m);
  [[nodiscard]] std::vector<message> context() const;
  // The calls of the last assistant message without a result yet (agent::open_calls).
  [[nodiscard]] std::vector<tool_call_block> open_calls() const;
  [[nodiscard]] std::optional<compaction_plan> plan(const compaction_settings& settings) const;
  result<void> append_compaction(const compaction_record& c);
  [[nodiscard]] std::optional<compaction_record> last_compaction() const;
  result<void> model_change(std::string_view provider, std::string_view model);
  result<void> thinking_change(std::string_view level);
  [[nodiscard]] std::string session_key() const;
  [[nodiscard]] std::string session_id() const;

 private:
  session* s_;
  struct entry {
    std::string id;
    message msg;
  };
  std::vector<entry> mem_;  // memory mode: every message, oldest first
  std::optional<compaction_record> mem_compaction_;
  std::size_t next_id_ = 1;
};

// Objects with keys sorted, compact: equal arguments give equal text.
std::string canonical_json(const json& j);

// Counts identical consecutive tool calls (name + canonical arguments) across a run.
class loop_guard {
 public:
  explicit loop_guard(int limit) : limit_(limit) {}
  // Feeds one assistant message's calls in order; returns the reason once the same call has
  // been made `limit` times in a row.
  std::optional<std::string> observe(const std::vector<const tool_call_block*>& calls);

 private:
  int limit_;
  std::string last_;
  int count_ = 0;
};

using emit_fn = std::function<void(const agent_event&)>;

// What the tool batch needs from the run.
struct tool_batch_setup {
  std::vector<tool_call_block> calls;  // in the model's order
  const std::vector<std::shared_ptr<tool>>* tools = nullptr;
  const agent_hooks* hooks = nullptr;
  bool parallel = true;
  int turn = 0;
  std::string agent_id;
  std::string session_key;
  std::filesystem::path workspace;
  asio::any_io_executor executor;
  emit_fn emit;
  // Each result, in the model's order, when it is final (the run appends and announces it).
  std::function<void(tool_result_message)> deliver;
  std::function<void()> complete;  // after the last delivery
};

// Runs one assistant message's tool calls: validation, hooks, parallel or sequential
// execution, results delivered in the model's order whatever order they finish in.
class tool_batch : public std::enable_shared_from_this<tool_batch> {
 public:
  explicit tool_batch(tool_batch_setup setup);
  ~tool_batch();
  void start();
  // Abort: emits every running call's cancellation slot; calls without a result get
  // "aborted" error results (`why` says so), then the batch completes.
  void cancel(std::string why);
  // The agent is gone: nothing more is delivered or emitted.
  void detach();

 private:
  struct call_state;
  void prepare_and_launch(std::size_t i);
  std::optional<tool_result> prepare(std::size_t i);
  void launch(std::size_t i);
  void finalize(std::size_t i, tool_result r, bool run_hooks);
  void flush();
  [[nodiscard]] const tool* find_tool(std::string_view name) const;

  tool_batch_setup s_;
  std::vector<std::unique_ptr<call_state>> calls_;
  std::size_t next_start_ = 0;
  std::size_t next_deliver_ = 0;
  bool sequential_ = false;
  bool cancelling_ = false;
  bool holding_ = false;  // inside flush()/cancel(): nested flushes only set again_
  bool again_ = false;
  bool completed_ = false;
  bool detached_ = false;
  std::string cancel_reason_;
};

// Builds the summarisation request's user text from the messages to summarise.
std::string summarization_prompt(const std::vector<message>& to_summarize,
                                 std::string_view instructions);
extern const std::string_view summarization_system_prompt;

class agent_run;

// What an agent shares with its runs and callbacks in flight (agent_state is this).
struct agent_state : std::enable_shared_from_this<agent_state> {
  agent_state(model_router& r, session* s, agent_options o);

  model_router& router;
  asio::io_context& io;
  agent_options opts;
  detail::transcript log;
  std::deque<std::function<void(const agent_event&)>> listeners;  // stable under push_back
  std::deque<user_message> steering;
  std::deque<user_message> follow_ups;
  std::shared_ptr<detail::agent_run> current;
  bool compacting = false;  // a manual compaction is in flight
  std::optional<asio::cancellation_signal> compaction_cancel;
  // Runs asked for while a manual compaction was in flight, started when it ends.
  std::deque<std::function<void()>> waiting;
  bool destroyed = false;
  int emitting = 0;                              // depth of emit() calls on the stack
  mutable std::optional<tool_list> definitions;  // tool_definitions(), once asked for

  void emit(const agent_event& e);
  // The tools' and client tools' definitions, built at the first model call.
  [[nodiscard]] const tool_list& tool_definitions() const;
  [[nodiscard]] bool is_client_tool(std::string_view name) const;
  // Why the options cannot run (a client tool named like another tool), if they cannot.
  [[nodiscard]] std::optional<durar::error> options_problem() const;
  // The compaction settings for the model that answered last (its window), unless set.
  [[nodiscard]] compaction_settings compaction_for(const assistant_message* last) const;
  void start_next_waiting();
};

// One run: the state machine of agent_run.cpp.
class agent_run : public std::enable_shared_from_this<agent_run> {
 public:
  // `input` nullopt: a resumed run, which starts with the model call.
  agent_run(std::shared_ptr<agent_state> owner, std::optional<user_message> input,
            std::function<void(result<run_result>)> done, asio::cancellation_slot slot);
  ~agent_run();
  void start();
  void abort(run_stop why, durar::error failure, std::string reason);
  void detach();  // the agent is being destroyed: stop, call nothing back

 private:
  enum class phase { idle, streaming, tools, compacting, finished };

  void turn_body();
  void request_model();
  void on_stream_event(const stream_event& e);
  void on_model_done(result<assistant_message> r);
  void handle_assistant(assistant_message m, std::optional<durar::error> failure);
  // Runs the message's calls to the agent's own tools; `then_stop` ends the run after them
  // with run_stop::client_tools instead of going on.
  void run_tools(std::size_t assistant_index, bool then_stop);
  void end_turn(std::size_t assistant_index, std::vector<tool_result_message> results);
  void after_turn(bool more_tools);
  void continue_loop(bool more_tools);
  void compact_then(std::string_view reason, std::function<void(bool ok)> next);
  void close_open_calls(const assistant_message& m, const std::string& why,
                        std::vector<tool_result_message>& results);
  bool add_message(message m);  // appends, records, emits message_start/end
  void finish(run_stop stop, durar::error failure = {}, std::string reason = {});
  void emit(agent_event e);

  std::shared_ptr<agent_state> owner_;
  std::optional<user_message> input_;
  std::function<void(result<run_result>)> done_;
  asio::cancellation_slot slot_;
  std::optional<asio::steady_timer> timer_;
  phase phase_ = phase::idle;
  int turn_ = 0;
  run_result out_;
  std::vector<user_message> pending_;
  detail::loop_guard guard_;
  bool overflow_retried_ = false;
  // A model call of this run called a tool (a resumed run goes on from calls already made):
  // a forced tool_choice is spent and the rest of the run's calls are automatic.
  bool tool_called_ = false;
  std::optional<run_stop> stopping_;
  durar::error stop_failure_;
  std::string stop_reason_;
  std::optional<durar::error> append_failure_;

  // The model call in flight.
  std::optional<asio::cancellation_signal> call_cancel_;
  bool started_ = false;
  std::optional<assistant_message> terminal_;
  message partial_ = assistant_message{};  // the streaming message, for message_update
  std::shared_ptr<detail::tool_batch> batch_;
  std::optional<asio::cancellation_signal> compaction_cancel_;
};

// Compaction through the router: plans, asks the model for a summary, appends the record.
// Emits compaction_start/end; `done` once. `cancel` aborts the model call.
void run_compaction(const std::shared_ptr<agent_state>& owner, std::string_view reason,
                    std::string instructions, const assistant_message* last,
                    asio::cancellation_slot cancel,
                    std::function<void(result<compaction_record>)> done);

}  // namespace durar::detail
