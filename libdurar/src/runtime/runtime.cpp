// The runtime: the config's agents, their session stores and tools, and one-call turns.
#include <durar/runtime.hpp>
#include <durar/suggest.hpp>
#include <durar/workspace.hpp>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "agent/system_prompt.hpp"
#include "runtime/runtime_impl.hpp"

#include <algorithm>
#include <map>

namespace durar {

namespace {

std::filesystem::path expand_home(const std::string& path, const environment& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    std::string home = env.get("HOME").value_or("");
    return std::filesystem::path(home) / path.substr(path.size() > 1 ? 2 : 1);
  }
  return path;
}

// The workspace the original would use: configured, else <state>/workspace for the
// default agent and <state>/workspace-<id> for the others.
std::filesystem::path workspace_of(const config& cfg, const agent_config* a, bool is_default,
                                   const std::string& id) {
  if (a != nullptr && !a->workspace.empty()) return expand_home(a->workspace, cfg.env);
  if (is_default && !cfg.agents.workspace.empty())
    return expand_home(cfg.agents.workspace, cfg.env);
  return cfg.paths.state_dir / (is_default ? std::string("workspace") : "workspace-" + id);
}

struct placed_outputs {
  bool answered = false;  // some outputs became tool results
  std::string unplaced;   // the others, as text for the model ("" when none)
};

// A caller's tool outputs: those answering the calls the session stopped on become their
// results; the rest (the caller kept the conversation itself, or the session moved on) are
// text the model reads before the caller's message.
result<placed_outputs> answer_open_calls(durar::agent& a, std::vector<tool_output> outputs) {
  const auto open = a.open_calls();
  std::vector<tool_result_message> results;
  placed_outputs out;
  for (auto& o : outputs) {
    auto is = [&](const auto& x) { return x.tool_call_id == o.call_id; };
    const bool is_open = std::any_of(open.begin(), open.end(),
                                     [&](const tool_call_block& c) { return c.id == o.call_id; }) &&
                         std::none_of(results.begin(), results.end(), is);
    if (!is_open) {
      if (!out.unplaced.empty()) out.unplaced += "\n\n";
      out.unplaced += fmt::format("[Output of tool call {}{}]\n{}", o.call_id,
                                  o.is_error ? ", an error" : "", o.output);
      continue;
    }
    tool_result_message r;
    r.tool_call_id = std::move(o.call_id);
    r.content.emplace_back(text_block{std::move(o.output), {}});
    r.details = json::object();
    r.is_error = o.is_error;
    results.push_back(std::move(r));
  }
  if (!results.empty()) {
    if (auto r = a.answer(std::move(results)); !r) return fail(r.error());
    out.answered = true;
  }
  return out;
}

}  // namespace

runtime::impl::impl(asio::io_context& ctx, config c, runtime_options opts)
    : io(ctx),
      options(std::move(opts)),
      processes(std::make_shared<process_registry>(ctx.get_executor())) {
  auto gen = std::make_shared<generation>();
  gen->cfg = std::make_shared<const config>(std::move(c));
  gen->router = make_router(*gen->cfg);
  current = std::move(gen);
  published.store(current->cfg);
}

runtime::impl::~impl() {
  // Destroying a turn's agent detaches its run (its handler is never called) and breaks the
  // loop turn → agent → handler → turn; closing its session releases the lock.
  for (auto& weak : turns)
    if (auto t = weak.lock()) {
      t->a.reset();
      t->s.reset();
    }
}

std::shared_ptr<model_router> runtime::impl::make_router(const config& c) const {
  router_options o = options.router;
  if (o.state_dir.empty()) o.state_dir = c.paths.state_dir;
  return std::make_shared<model_router>(io, c, std::move(o));
}

runtime::runtime(asio::io_context& io, config cfg, runtime_options options)
    : impl_(std::make_unique<impl>(io, std::move(cfg), std::move(options))) {}

runtime::~runtime() = default;

result<std::unique_ptr<runtime>> runtime::create(asio::io_context& io, const load_options& opts,
                                                 runtime_options options) {
  auto cfg = load_config(opts);
  if (!cfg) return fail(cfg.error());
  auto rt = std::make_unique<runtime>(io, std::move(*cfg), std::move(options));
  rt->impl_->source = opts;
  return rt;
}

const config& runtime::cfg() const noexcept { return impl_->cfg(); }
model_router& runtime::router() noexcept { return impl_->router(); }
std::shared_ptr<const config> runtime::snapshot() const { return impl_->published.load(); }
asio::io_context& runtime::io() noexcept { return impl_->io; }

std::vector<agent_profile> runtime::agents() const {
  const config& cfg = impl_->cfg();
  std::vector<agent_profile> out;
  if (cfg.agents.list.empty()) {
    agent_profile main;
    main.id = "main";
    main.workspace = workspace_of(cfg, nullptr, true, main.id);
    main.model = cfg.agents.model;
    main.tool_access = {};
    main.is_default = true;
    out.push_back(std::move(main));
    return out;
  }
  // The default agent: the one marked default, else the first.
  std::size_t default_index = 0;
  for (std::size_t i = 0; i < cfg.agents.list.size(); ++i)
    if (cfg.agents.list[i].is_default) {
      default_index = i;
      break;
    }
  for (std::size_t i = 0; i < cfg.agents.list.size(); ++i) {
    const agent_config& a = cfg.agents.list[i];
    agent_profile p;
    p.id = normalize_agent_id(a.id);
    p.name = a.name;
    p.is_default = i == default_index;
    p.workspace = workspace_of(cfg, &a, p.is_default, p.id);
    p.model = a.model.value_or(cfg.agents.model);
    if (a.model && a.model->fallbacks.empty() && !a.model->primary.empty())
      p.model.fallbacks = {};  // an agent naming only a primary has no fallbacks of its own
    p.tool_access = a.tool_access;
    out.push_back(std::move(p));
  }
  return out;
}

result<agent_profile> runtime::agent(std::string_view id) const {
  auto all = agents();
  if (id.empty()) {
    for (auto& a : all)
      if (a.is_default) return a;
  }
  std::string wanted = normalize_agent_id(id);
  std::vector<std::string> names;
  for (auto& a : all) {
    if (a.id == wanted) return a;
    names.push_back(a.id);
  }
  std::string text = "unknown agent '" + std::string(id) + "'";
  if (auto near = suggest(wanted, names); !near.empty())
    text += " (did you mean '" + near + "'?)";
  else
    text += "; agents: " + [&] {
      std::string s;
      for (auto& n : names) s += (s.empty() ? "" : ", ") + n;
      return s;
    }();
  return fail(errc::not_found, text);
}

std::string runtime::session_key(std::string_view agent_id, std::string_view key) const {
  if (key.find(':') != std::string_view::npos) return std::string(key);
  std::string id = normalize_agent_id(agent_id);
  if (agent_id.empty())
    if (auto p = agent(""); p) id = p->id;
  if (key.empty()) return main_session_key(id, impl_->cfg().session.main_key);
  return "agent:" + id + ":" + std::string(key);
}

result<std::shared_ptr<session_store>> runtime::sessions(std::string_view agent_id) {
  auto profile = agent(agent_id);
  if (!profile) return fail(profile.error());
  if (auto it = impl_->stores.find(profile->id); it != impl_->stores.end()) return it->second;
  session_store_options opts = impl_->options.sessions;
  opts.policy = impl_->cfg().session;
  auto store = std::make_shared<session_store>(impl_->cfg().paths.state_dir, profile->id, opts);
  impl_->stores.emplace(profile->id, store);
  return store;
}

result<void> runtime::add_tool(std::shared_ptr<tool> t) {
  if (t == nullptr) return fail(errc::invalid_argument, "add_tool: the tool is null");
  const std::string& name = t->definition().name;
  bool taken = false;
  for (const auto& h : impl_->host_tools) taken |= h->definition().name == name;
  for (const auto& profile : agents())
    for (const auto& built : tools_for(profile)) taken |= built->definition().name == name;
  if (taken) return fail(errc::invalid_argument, "a tool named '" + name + "' exists already");
  impl_->host_tools.push_back(std::move(t));
  impl_->tool_sets.clear();
  return {};
}

namespace {

bool same_tools_profile(const agent_profile& x, const agent_profile& y) {
  return x.id == y.id && x.workspace == y.workspace && x.tool_access.allow == y.tool_access.allow &&
         x.tool_access.deny == y.tool_access.deny;
}

}  // namespace

std::vector<std::shared_ptr<tool>> runtime::tools_for(const agent_profile& a) {
  for (const auto& set : impl_->tool_sets)
    if (same_tools_profile(set.profile, a)) return set.tools;
  auto made = build_tools(a);
  impl_->tool_sets.push_back({a, made});
  return made;
}

std::vector<std::shared_ptr<tool>> runtime::build_tools(const agent_profile& a) {
  const config& cfg = impl_->cfg();
  std::vector<std::shared_ptr<tool>> all;
  fs_options fs{a.workspace, cfg.tools.fs_workspace_only};
  all.push_back(make_read_tool(fs));
  all.push_back(make_write_tool(fs));
  all.push_back(make_edit_tool(fs));
  all.push_back(make_apply_patch_tool(fs));

  exec_options ex;
  ex.workspace = a.workspace;
  ex.security = cfg.tools.exec_security;
  ex.ask = cfg.tools.exec_ask;
  ex.safe_bins = cfg.tools.exec_safe_bins;
  ex.approve = impl_->options.approve_exec;
  ex.timeout = std::chrono::seconds(cfg.tools.exec_timeout_sec);
  ex.background_after = std::chrono::milliseconds(cfg.tools.exec_background_ms);
  all.push_back(make_exec_tool(ex, impl_->processes));
  all.push_back(make_process_tool(impl_->processes));

  if (cfg.tools.web_fetch_enabled) {
    web_fetch_options wf;
    wf.max_chars = static_cast<std::size_t>(cfg.tools.web_fetch_max_chars);
    wf.allow_private = cfg.tools.web_fetch_allow_private;
    all.push_back(make_web_fetch_tool(impl_->io, wf));
  }
  if (auto store = sessions(a.id); store) {
    all.push_back(make_sessions_list_tool(*store));
    all.push_back(make_sessions_history_tool(*store));
  }
  // sessions_send runs a turn of the same agent in another session; a turn into the
  // session that is calling it fails on the session lock, which the tool reports.
  std::string agent_id = a.id;
  all.push_back(make_sessions_send_tool([this, agent_id](
                                            std::string key, std::string text,
                                            std::function<void(result<std::string>)> reply) {
    turn_request req;
    req.agent_id = agent_id;
    req.session_key = std::move(key);
    req.message = std::move(text);
    async_turn(std::move(req), {}, [reply = std::move(reply)](result<run_result> r) {
      if (!r) return reply(fail(r.error()));
      if (r->stop != run_stop::done)
        return reply(fail(r->failure.code == errc::internal ? errc::tool_failed : r->failure.code,
                          r->reason.empty() ? r->failure.message : r->reason));
      reply(text_of(r->final));
    });
  }));
  all.insert(all.end(), impl_->host_tools.begin(), impl_->host_tools.end());

  std::vector<std::shared_ptr<tool>> allowed;
  for (auto& t : all)
    if (tool_allowed(t->definition().name, cfg.tools.access, a.tool_access))
      allowed.push_back(std::move(t));
  return allowed;
}

result<std::unique_ptr<durar::agent>> runtime::make_agent(const agent_profile& a, session* s,
                                                          const turn_request& overrides) {
  const config& cfg = impl_->cfg();
  agent_options opts;
  // Model: this turn's override, else the session's choice, else the agent's.
  opts.model = overrides.model;
  if (opts.model.empty() && s != nullptr)
    if (auto m = s->model()) opts.model = *m;
  if (opts.model.empty()) opts.model = a.model.primary;
  opts.fallbacks = a.model.fallbacks;
  // A turn without a model fails here, before anything reaches the transcript.
  if (opts.model.empty())
    return fail(errc::invalid_argument,
                "no model given and agents.defaults.model.primary is not set; pick one with "
                "'durar models set <provider/model>'");
  const catalog& models = impl_->router().models();
  auto ref = models.resolve(opts.model);
  if (!ref) return fail(ref.error());

  std::optional<thinking_level> thinking = overrides.thinking;
  if (!thinking && s != nullptr)
    if (auto t = s->thinking_level()) thinking = parse_thinking_level(*t);
  if (!thinking && !cfg.agents.thinking_default.empty())
    thinking = parse_thinking_level(cfg.agents.thinking_default);
  opts.thinking = thinking.value_or(thinking_level::off);
  // The caller's sampling wins over the model's configured params: the router lays those
  // under what the request sets.
  opts.request.max_tokens = overrides.max_tokens;
  opts.request.temperature = overrides.temperature;
  opts.request.top_p = overrides.top_p;

  opts.tools = tools_for(a);
  opts.client_tools = overrides.client_tools;
  opts.tool_choice = overrides.tool_choice;
  // The prompt lists the tools' names and summaries straight from their definitions (the
  // schemas go to the model with each call); its other fields then move into the options.
  system_prompt_inputs prompt;
  prompt.workspace = a.workspace;
  prompt.agent_id = a.id;
  prompt.model = std::move(opts.model);
  prompt.timezone = cfg.agents.user_timezone;
  prompt.max_chars_per_file = cfg.agents.bootstrap_max_chars;
  prompt.max_chars_total = cfg.agents.bootstrap_total_max_chars;
  opts.system_prompt = detail::build_system_prompt(prompt, opts.tools, opts.client_tools);
  opts.agent_id = std::move(prompt.agent_id);
  opts.workspace = std::move(prompt.workspace);
  opts.model = std::move(prompt.model);

  if (cfg.agents.timeout_seconds) opts.timeout = std::chrono::seconds(*cfg.agents.timeout_seconds);
  std::int64_t window = 200000;
  if (const model_info* m = models.model(*ref)) window = m->effective_context();
  if (cfg.agents.context_tokens) window = std::min(window, *cfg.agents.context_tokens);
  opts.compaction = compaction_settings_for(cfg, window);
  // The agent keeps the generation it was made from (config and router) for as long as it
  // lives, whatever reloads happen meanwhile: its no-op listener holds it.
  auto made = std::make_unique<durar::agent>(*impl_->current->router, s, std::move(opts));
  made->subscribe([pin = impl_->current](const agent_event&) {});
  return made;
}

void runtime::async_turn(turn_request request, std::function<void(const agent_event&)> on_event,
                         std::function<void(result<run_result>)> done,
                         asio::cancellation_slot cancel) {
  // Failures before the run starts are reported on the loop too, never re-entrantly.
  auto fail_later = [this, &done](durar::error e) {
    asio::post(impl_->io, [done = std::move(done), e = std::move(e)] { done(fail(e)); });
  };
  auto profile = agent(request.agent_id);
  if (!profile) return fail_later(profile.error());
  auto store = sessions(profile->id);
  if (!store) return fail_later(store.error());
  std::string key = session_key(profile->id, request.session_key);
  // Calls the session stopped on stay open for the caller's outputs to answer.
  const bool answering = !request.tool_outputs.empty();
  auto opened = (*store)->open(key, {.close_unanswered_calls = !answering});
  if (!opened) return fail_later(opened.error());

  // The session and the agent live until the run's handler has returned.
  using turn_state = detail::runtime_turn;
  auto state = std::make_shared<turn_state>();
  std::erase_if(impl_->turns, [](const auto& t) { return t.expired(); });
  impl_->turns.push_back(state);
  state->s = std::move(*opened);
  auto made = make_agent(*profile, state->s.get(), request);
  if (!made) return fail_later(made.error());
  state->a = std::move(*made);
  if (on_event) state->a->subscribe(std::move(on_event));
  if (cancel.is_connected()) {
    std::weak_ptr<turn_state> weak = state;
    cancel.assign([weak](asio::cancellation_type) {
      if (auto st = weak.lock(); st && st->a) st->a->abort();
    });
  }

  std::string text = std::move(request.message);
  bool answered = false;
  if (answering) {
    auto placed = answer_open_calls(*state->a, std::move(request.tool_outputs));
    if (!placed) return fail_later(placed.error());
    answered = placed->answered;
    if (!placed->unplaced.empty())
      text = text.empty() ? placed->unplaced : placed->unplaced + "\n\n" + text;
  }
  const bool resume = answered && text.empty() && request.attachments.empty();
  user_message input = user_text(std::move(text));
  for (auto& block : request.attachments) input.content.push_back(std::move(block));
  asio::io_context& io = impl_->io;
  auto on_done = [this, state, &io, done = std::move(done)](result<run_result> r) mutable {
    if (r && state->s) (void)record_turn(*state->s, r->final);
    // The agent is still on the stack of its own completion: free it, and close the session
    // (its lock with it), on the loop first; only then report, so the caller can start the
    // next turn in the same session at once.
    asio::post(io, [state = std::move(state), done = std::move(done), r = std::move(r)]() mutable {
      state.reset();
      done(std::move(r));
    });
  };
  if (resume) {
    state->a->async_resume(std::move(on_done));
  } else {
    state->a->async_run(std::move(input), std::move(on_done));
  }
}

result<void> runtime::record_turn(session& s, const assistant_message& last) const {
  const model_info* m = impl_->router().models().model({last.provider, last.model});
  return s.record_turn(last, m != nullptr ? m->effective_context() : 0);
}

result<run_result> runtime::run_turn(turn_request request,
                                     std::function<void(const agent_event&)> on_event) {
  std::optional<result<run_result>> out;
  async_turn(std::move(request), std::move(on_event),
             [&out](result<run_result> r) { out = std::move(r); });
  impl_->io.restart();
  while (!out && impl_->io.run_one() > 0) {
  }
  if (!out) return fail(errc::internal, "the event loop stopped before the turn finished");
  return std::move(*out);
}

}  // namespace durar
