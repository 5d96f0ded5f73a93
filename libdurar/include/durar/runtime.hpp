// The runtime: config, router, session stores, tools and agents put together the way the
// config says, so the CLI, the gateway and the bindings do not each assemble them. A host
// that wants other parts uses agent, session_store and model_router directly instead.
//
//   asio::io_context io;
//   auto rt = durar::runtime::create(io, durar::load_options{});
//   auto r = (*rt)->run_turn({.message = "hello"}, on_event);
//
// Threading: one io_context thread, as for the agent; the blocking calls drive it.
#pragma once

#include <durar/agent.hpp>
#include <durar/config.hpp>
#include <durar/export.hpp>
#include <durar/result.hpp>
#include <durar/router.hpp>
#include <durar/session.hpp>
#include <durar/tool.hpp>
#include <durar/tools.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace durar {

// An agent as the config describes it (agents.list[] over agents.defaults).
struct agent_profile {
  std::string id;  // normalised
  std::string name;
  std::filesystem::path workspace;  // ~/.durar/workspace for the default agent,
                                    // ~/.durar/workspace-<id> for others, unless configured
  model_choice model;               // the agent's, else the defaults'
  tool_policy tool_access;
  bool is_default = false;
};

struct turn_request {
  std::string message;
  std::string agent_id;     // "" = the default agent
  std::string session_key;  // "" = agent:<id>:<session.mainKey>
  std::string model;        // override for this turn; "" = the session's or the agent's
  std::optional<thinking_level> thinking;
  std::vector<content_block> attachments;  // images
};

struct runtime_options {
  router_options router;           // state_dir defaults to the config's
  session_store_options sessions;  // policy defaults to the config's `session`
  std::function<void(const exec_approval_request&, std::function<void(exec_decision)>)>
      approve_exec;  // for tools.exec.ask; none = deny when asked
};

class DURAR_API runtime {
 public:
  static result<std::unique_ptr<runtime>> create(asio::io_context& io, const load_options& opts,
                                                 runtime_options options = {});
  runtime(asio::io_context& io, config cfg, runtime_options options = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  [[nodiscard]] const config& cfg() const noexcept;
  [[nodiscard]] model_router& router() noexcept;
  [[nodiscard]] asio::io_context& io() noexcept;

  [[nodiscard]] std::vector<agent_profile> agents() const;
  // "" = the default agent; unknown ids are not_found with a suggestion.
  [[nodiscard]] result<agent_profile> agent(std::string_view id) const;
  [[nodiscard]] result<std::shared_ptr<session_store>> sessions(std::string_view agent_id);
  // The full session key a turn runs in: "" = the agent's main session
  // (agent:<id>:<session.mainKey>), a bare name "work" = agent:<id>:work, a key with ':'
  // as given. `agent_id` "" = the default agent.
  [[nodiscard]] std::string session_key(std::string_view agent_id, std::string_view key) const;

  // Host tools join the built-ins for every agent (subject to the tool policy).
  void add_tool(std::shared_ptr<tool> t);
  // The tools an agent gets: built-ins and host tools that pass the policies.
  [[nodiscard]] std::vector<std::shared_ptr<tool>> tools_for(const agent_profile& a);

  // An agent for a session, with the system prompt built from its workspace. The session
  // must outlive the agent.
  [[nodiscard]] result<std::unique_ptr<durar::agent>> make_agent(
      const agent_profile& a, session* s, const turn_request& overrides = {});

  // Records a finished turn in the session's index entry, with the context window of the
  // model that answered (from the catalog).
  result<void> record_turn(session& s, const assistant_message& last) const;

  // One turn end to end: open the session, build the agent, run, record. `on_event` sees
  // every agent event; `done` is called once.
  void async_turn(turn_request request, std::function<void(const agent_event&)> on_event,
                  std::function<void(result<run_result>)> done,
                  asio::cancellation_slot cancel = {});
  result<run_result> run_turn(turn_request request,
                              std::function<void(const agent_event&)> on_event = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace durar
