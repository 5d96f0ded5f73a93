// The runtime: config, router, session stores, tools and agents put together the way the
// config says, so the CLI, the gateway and the bindings do not each assemble them. A host
// that wants other parts uses agent, session_store and model_router directly instead.
//
//   asio::io_context io;
//   auto rt = durar::runtime::create(io, durar::load_options{});
//   auto r = (*rt)->run_turn({.message = "hello"}, on_event);
//
// Threading: one io_context thread, as for the agent; the blocking calls drive it.
//
// The config can change while it runs: reload() reads the file again and swaps in a new
// immutable snapshot (see apply() for what takes effect at once and what needs a restart).
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

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

// A caller's output for one client tool call (turn_request::tool_outputs).
struct tool_output {
  std::string call_id;
  std::string output;
  bool is_error = false;
};

struct turn_request {
  std::string message;
  std::string agent_id;     // "" = the default agent
  std::string session_key;  // "" = agent:<id>:<session.mainKey>
  std::string model;        // override for this turn; "" = the session's or the agent's
  std::optional<thinking_level> thinking;
  std::vector<content_block> attachments;  // images
  // Sampling for this turn's model calls, over the model's configured params
  // (agents.defaults.models[ref].params); unset = those, else the model's own defaults.
  std::optional<std::int64_t> max_tokens;  // output tokens per model call, >= 1
  std::optional<double> temperature;
  std::optional<double> top_p;  // left out where the model rejects sampling parameters
  // Tools the caller runs itself (an API client's functions), offered beside the agent's
  // own: a reply that calls one ends the turn with run_stop::client_tools, the call open in
  // the session until the caller's next turn brings its output (agent_options::client_tools).
  std::vector<tool_definition> client_tools;
  // Over the agent's tools and `client_tools` (agent_options::tool_choice: a forced choice
  // holds until a model call of the turn called a tool).
  durar::tool_choice tool_choice;
  // The caller's outputs for client tool calls. Those answering the calls the session's last
  // turn stopped on become their tool results; any other (the caller kept the conversation
  // itself, or the session moved on) reaches the model as text ahead of `message`. `message`
  // may be empty when outputs are given: the model then goes on from them.
  std::vector<tool_output> tool_outputs;
};

// ---- config reload --------------------------------------------------------------------

// How a running program takes a changed config file (gateway.reload.mode).
enum class reload_mode : std::uint8_t {
  off,      // changes are not applied
  hot,      // what can change live does; the rest waits for the next start (and is logged)
  restart,  // any change that has an effect restarts the program
  hybrid,   // hot when every change can be applied live, else restart (the default)
};
// "off", "hot", "restart", "hybrid"; "" is the default (hybrid); nullopt for anything else.
DURAR_API std::optional<reload_mode> parse_reload_mode(std::string_view text) noexcept;
DURAR_API std::string_view to_string(reload_mode mode) noexcept;

// What a changed key takes to apply.
enum class reload_effect : std::uint8_t {
  none,     // nothing: read afresh where it is used (gateway.reload.*), or a key of the
            // original's that Durar does not use
  hot,      // applied to the running program: models, providers, agents, tools, session
            // policy, logging levels, gateway auth and HTTP endpoints, credentials
  restart,  // only a new process applies it: the listener (gateway.port, bind,
            // customBindHost, tls, ...), logging.file and style, the state dir
};
DURAR_API std::string_view to_string(reload_effect effect) noexcept;

struct config_change {
  // A key path as `durar config get` takes it ("agents.defaults.model.primary",
  // `agents.defaults.models["openai/gpt-5.4"].alias`); an array changes as a whole
  // ("agents.list"). "$env.NAME" is a variable that came from a .env file, "$paths.state_dir"
  // and "$paths.config_file" the resolved locations. Never a value: values may be secrets.
  std::string path;
  reload_effect effect = reload_effect::hot;
};

// The effect of a change to `path` (as in config_change::path).
DURAR_API reload_effect reload_effect_of(std::string_view path);
// The keys whose values differ between two configs, each with its effect, in document order.
DURAR_API std::vector<config_change> diff_config(const config& before, const config& after);

struct reload_report {
  enum class outcome : std::uint8_t {
    unchanged,  // the new config says what the running one says
    applied,    // the new config serves from now on
    restart,    // a restart is needed to apply it; the running config keeps serving until the
                // host restarts (see runtime::on_reload)
    ignored,    // the mode is off: nothing applied
  };
  outcome what = outcome::unchanged;
  reload_mode mode = reload_mode::hybrid;  // the running config's mode, which decided
  std::vector<config_change> changes;
  // Hot mode: the restart-only keys among `changes`; the new snapshot holds them, the
  // program acts on them at its next start.
  std::vector<std::string> pending_restart;
  std::shared_ptr<const config> cfg;  // the config serving after this reload

  // "agents.defaults.model.primary, gateway.port (restart)": the keys, effects other than hot
  // named.
  [[nodiscard]] DURAR_API std::string describe_changes() const;
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

  // The running config and the router built from it. A reload replaces both; references are
  // for use at once, on the loop's thread (a turn pins what it started with, see snapshot()).
  [[nodiscard]] const config& cfg() const noexcept;
  [[nodiscard]] model_router& router() noexcept;
  // The running config as an immutable snapshot, swapped whole by a reload. Holders keep the
  // one they took; a turn runs to its end on the config and router it started with. Any
  // thread may call this.
  [[nodiscard]] std::shared_ptr<const config> snapshot() const;
  [[nodiscard]] asio::io_context& io() noexcept;

  [[nodiscard]] std::vector<agent_profile> agents() const;
  // "" = the default agent; unknown ids are not_found with a suggestion.
  [[nodiscard]] result<agent_profile> agent(std::string_view id) const;
  [[nodiscard]] result<std::shared_ptr<session_store>> sessions(std::string_view agent_id);
  // The full session key a turn runs in: "" = the agent's main session
  // (agent:<id>:<session.mainKey>), a bare name "work" = agent:<id>:work, a key with ':'
  // as given. `agent_id` "" = the default agent.
  [[nodiscard]] std::string session_key(std::string_view agent_id, std::string_view key) const;

  // Host tools join the built-ins for every agent (subject to the tool policy). A name that
  // a built-in or an earlier host tool has is refused (invalid_argument): the model's call
  // would be ambiguous, and vendors reject two functions of one name.
  result<void> add_tool(std::shared_ptr<tool> t);
  // The tools an agent gets: built-ins and host tools that pass the policies. Built once per
  // config generation and shared by its turns.
  [[nodiscard]] std::vector<std::shared_ptr<tool>> tools_for(const agent_profile& a);

  // An agent for a session, with the system prompt built from its workspace. The session
  // must outlive the agent. The agent keeps the config and router it was made with for its
  // whole life, whatever reloads happen meanwhile.
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

  // Reads the config again the way create() did (same path options, environment and working
  // dir; a runtime made from a config in hand reads cfg().paths.config_file with this
  // process's environment) and applies it as apply() does. An unreadable or invalid file is
  // the error (invalid_argument, one "file:line:column: error: key: what" per problem) and
  // the running config stays.
  result<reload_report> reload();
  // Applies `next` as `mode` says (default: the running config's gateway.reload.mode):
  // unchanged when nothing differs; ignored when off; restart (nothing applied) when the
  // mode is restart and a change has an effect, or hybrid and a change is restart-only;
  // else applied: the new snapshot is swapped in, the router rebuilt when models, agents or
  // credentials changed, session stores made afresh when session.* changed. Turns already
  // running finish on the old snapshot. A reload check that fails is the error, and nothing
  // is applied. Listeners hear every applied or restart outcome.
  result<reload_report> apply(config next, std::optional<reload_mode> mode = std::nullopt);

  // Who acts on reloads: `check` (optional) sees each new config before it is applied and
  // may refuse it; `listener` hears each applied or restart outcome, after the swap. A
  // restart outcome is the host's to carry out (e.g. gateway::shutdown with
  // restart_expected, then exec itself again). Both run on the loop's thread. Returns an id
  // for remove_reload_listener().
  using reload_check = std::function<result<void>(const config& next)>;
  using reload_listener = std::function<void(const reload_report&)>;
  std::uint64_t on_reload(reload_listener listener, reload_check check = {});
  void remove_reload_listener(std::uint64_t id);

 private:
  std::vector<std::shared_ptr<tool>> build_tools(const agent_profile& a);

  struct DURAR_LOCAL impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace durar
