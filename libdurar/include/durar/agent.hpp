// The agent loop: ask the model (through the router), run the tool calls it makes, send
// the results back, until it stops. Every message lands in the session as it completes;
// events stream to subscribers as things happen.
//
// Event order of a run: agent_start, then per turn: turn_start, message_start/end for the
// user (or steering) message, message_start, message_update* (carrying the provider's
// stream events), message_end for the assistant message, tool_execution_start/update*/end
// per tool call, message_start/end per tool result, turn_end; finally agent_end.
// Compaction, when it runs, is bracketed by compaction_start/compaction_end.
//
// Threading: an agent lives on one io_context and is used from its thread. run() drives
// that io_context itself and must not be called from inside it.
#pragma once

#include <durar/error.hpp>
#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>
#include <durar/result.hpp>
#include <durar/router.hpp>
#include <durar/session.hpp>
#include <durar/tool.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_signal.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

enum class agent_event_kind {
  agent_start,
  turn_start,
  message_start,
  message_update,
  message_end,
  tool_execution_start,
  tool_execution_update,
  tool_execution_end,
  turn_end,
  agent_end,
  compaction_start,
  compaction_end,
};
DURAR_API std::string_view to_string(agent_event_kind k) noexcept;  // "tool_execution_start"

// Why a run ended.
enum class run_stop {
  done,           // the model stopped (stop or length)
  aborted,        // abort() or the cancellation slot
  error,          // a provider or session error; `failure` says which
  max_turns,      // agent_options::max_turns reached
  loop_detected,  // the same tool call with the same arguments, loop_limit times in a row
  timeout,        // agent_options::timeout passed
  client_tools,   // the model called tools the caller runs (agent_options::client_tools):
                  // the calls are in `final`, without results until agent::answer()
};
DURAR_API std::string_view to_string(run_stop s) noexcept;

struct run_result {
  run_stop stop = run_stop::done;
  assistant_message final;        // the last assistant message (partial when aborted)
  std::vector<message> messages;  // everything this run added, in order
  durar::usage total;             // summed over the run's assistant messages
  int turns = 0;
  durar::error failure;  // stop is error or timeout
  std::string reason;    // for people: "loop detected: exec {\"command\":\"ls\"} 3 times"
};

struct agent_event {
  agent_event_kind kind = agent_event_kind::agent_start;
  int turn = 0;                                   // 1-based; 0 outside turns
  const message* msg = nullptr;                   // message_* (the message so far), turn_end
  const stream_event* stream = nullptr;           // message_update
  const tool_call_block* tool_call = nullptr;     // tool_execution_*
  const tool_result* tool_output = nullptr;       // tool_execution_update/end
  const run_result* outcome = nullptr;            // agent_end
  const compaction_record* compaction = nullptr;  // compaction_end (nullptr when it failed)
  const std::vector<tool_result_message>* tool_results = nullptr;  // turn_end, in model order
  std::string_view compaction_reason;     // compaction_*: "threshold", "overflow", "manual"
  const durar::error* failure = nullptr;  // compaction_end when it failed
};
// The event as JSON for `--json` output and the gateway: {"type":"tool_execution_end",
// "turn":1,"toolCallId":...,"toolName":...,"result":{...},"isError":false}, ...
// A message_update carries only its stream event ("assistantMessageEvent"), not the message
// so far, so its size does not grow with the answer; message_end has the whole message.
DURAR_API json to_json(const agent_event& e);

struct agent_hooks {
  // Before a validated tool call runs: a returned reason blocks it (an error result
  // carrying the reason goes to the model).
  std::function<std::optional<std::string>(const tool_call_block&)> before_tool;
  // After it ran: may rewrite the result.
  std::function<void(const tool_call_block&, tool_result&)> after_tool;
};

struct agent_options {
  std::string agent_id = "main";
  std::string model;  // ref or alias; "" = the router's default (agents.defaults.model)
  std::vector<std::string> fallbacks;
  thinking_level thinking = thinking_level::off;
  std::string system_prompt;  // as assembled by build_system_prompt() (workspace.hpp)
  std::filesystem::path workspace;
  std::vector<std::shared_ptr<tool>> tools;
  // Tools the caller runs itself (an API client's own functions): offered to the model
  // beside `tools`, under names none of them has. A reply that calls one ends the run, after
  // the agent's own calls in it ran, with run_stop::client_tools; the caller answers the
  // calls (answer()) and resumes (async_resume()) or sends its next message.
  std::vector<tool_definition> client_tools;
  // Over `tools` and `client_tools`. A forced choice (required, named) holds for a run's
  // model calls until one of them called a tool; the run's later calls are automatic, so
  // the model can answer. A resumed run goes on from calls already made: automatic. A name
  // no tool has, or required without tools, is an invalid_argument error at the run's start.
  durar::tool_choice tool_choice;
  agent_hooks hooks;
  // Temperature, timeouts, params (thinking and tool_choice are set from above).
  request_options request;
  int max_turns = 100;
  int loop_limit = 3;
  bool parallel_tools = true;            // a tool's sequential() still forces order for it
  std::chrono::milliseconds timeout{0};  // whole run; 0 = none
  // Compaction: after a turn when context exceeds window - reserve, and once on a
  // context-overflow error before retrying the turn.
  bool auto_compact = true;
  std::optional<compaction_settings> compaction;  // default: from the model's window
  std::string compaction_instructions;            // extra guidance for the summary
};

class DURAR_API agent {
 public:
  // `store_session` may be nullptr: the conversation then lives in memory only. The
  // router and the session must outlive the agent.
  agent(model_router& router, session* store_session, agent_options options);
  ~agent();  // aborts a run in progress; its completion handler is not called
  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  // Every event of every run, in order, on the io_context's thread.
  void subscribe(std::function<void(const agent_event&)> listener);

  // Runs one user message to the end. Completion signature void(result<run_result>):
  // an error result only when the run could not start (already running, bad options);
  // everything after the start is a run_result with its `stop`. Works with callbacks,
  // asio::use_future and asio::use_awaitable. Emitting the token's cancellation slot
  // aborts, as abort() does.
  template <class CompletionToken>
  auto async_run(user_message input, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(result<run_result>)>(
        [this](auto handler, user_message in) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          // Handlers of use_future and use_awaitable are move-only; std::function copies.
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          start_run(
              std::optional<user_message>(std::move(in)),
              [shared](result<run_result>&& r) {
                auto& h = *shared;
                std::move(h)(std::move(r));
              },
              slot);
        },
        token, std::move(input));
  }
  // Blocking: drives the router's io_context until the run ends.
  result<run_result> run(user_message input);

  // Runs the model on the conversation as it stands, without a new user message: after
  // answer() gave the results of the client tool calls the last run stopped on. Completion
  // as async_run().
  template <class CompletionToken>
  auto async_resume(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(result<run_result>)>(
        [this](auto handler) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          start_run(
              std::nullopt,
              [shared](result<run_result>&& r) {
                auto& h = *shared;
                std::move(h)(std::move(r));
              },
              slot);
        },
        token);
  }
  result<run_result> resume();

  // The tool calls of the conversation's last assistant message that have no result yet:
  // the client tool calls a run stopped on (run_stop::client_tools). Empty otherwise.
  [[nodiscard]] std::vector<tool_call_block> open_calls() const;
  // Appends results for open calls, in the order given (tool_call_id names the call; the
  // tool name is taken from it). A run that starts with calls still open gives them an
  // error result first. Errors: the agent is running (unavailable), an id that is not an
  // open call or comes twice (not_found, invalid_argument; nothing is appended).
  result<void> answer(std::vector<tool_result_message> results);

  void abort();                    // no-op when idle
  void steer(user_message m);      // delivered after the current turn's tool calls
  void follow_up(user_message m);  // delivered when the agent would otherwise stop
  [[nodiscard]] bool running() const noexcept;

  // Summarises older history into a compaction entry now (`/compact [instructions]`).
  // not_found-free: nothing to compact returns a record with an empty summary.
  void async_compact(std::string instructions, std::function<void(result<compaction_record>)> done);
  result<compaction_record> compact(std::string instructions = {});

  // Changes apply from the next turn; recorded in the session.
  result<void> set_model(std::string ref);
  result<void> set_thinking(thinking_level level);
  [[nodiscard]] const agent_options& options() const noexcept;
  // The conversation as the model will see it next.
  [[nodiscard]] std::vector<message> context() const;

 private:
  result<run_result> run_blocking(std::optional<user_message> input);
  // `input` nullopt: resume without a user message.
  void start_run(std::optional<user_message> input, std::function<void(result<run_result>)> done,
                 asio::cancellation_slot slot);
  struct DURAR_LOCAL impl;
  std::shared_ptr<impl> impl_;  // shared with callbacks in flight
};

}  // namespace durar
