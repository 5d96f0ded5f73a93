// The agent's public face: options, listeners, queues, and the blocking calls, which drive
// the router's io_context through the same asynchronous path the async calls take.
#include <durar/agent.hpp>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "agent/agent_internal.hpp"

#include <algorithm>
#include <mutex>
#include <set>

namespace durar {

struct agent::impl : detail::agent_state {
  using agent_state::agent_state;
};

namespace detail {

agent_state::agent_state(model_router& r, session* s, agent_options o)
    : router(r), io(r.io()), opts(std::move(o)), log(s) {
  opts.request.thinking = opts.thinking;
}

void agent_state::emit(const agent_event& e) {
  // By index: a listener may subscribe another (the deque keeps references valid).
  const std::size_t n = listeners.size();
  ++emitting;
  for (std::size_t i = 0; i < n && !destroyed; ++i) {
    try {
      listeners[i](e);
    } catch (...) {  // NOLINT(bugprone-empty-catch)
      // A listener's failure is its own; the run and the other listeners go on.
    }
  }
  // A listener that destroyed the agent could not drop the listeners while one ran.
  if (--emitting == 0 && destroyed) listeners.clear();
}

namespace {

// Agents made with the same tool objects (a runtime gives every agent of a profile the same
// ones) share one list of their definitions: a transport renders it once, and each model call
// after that finds the rendering by identity instead of comparing schemas. A tool's definition
// is fixed for its lifetime (tool.hpp), so the objects are the key, held weakly: the cache
// keeps no tool alive, and a live weak reference means the very same object.
tool_list shared_definitions(const std::vector<std::shared_ptr<tool>>& tools) {
  struct entry {
    std::vector<std::weak_ptr<tool>> key;
    tool_list list;
  };
  struct shared {
    std::mutex lock;
    std::vector<entry> cache;  // the latest used first
  };
  constexpr std::size_t kept = 8;   // tool sets: profiles, and hosts' own agents
  static auto* state = new shared;  // never destroyed: agents may be made during exit
  std::mutex& lock = state->lock;
  std::vector<entry>& cache = state->cache;
  auto same = [&tools](const entry& e) {
    if (e.key.size() != tools.size()) return false;
    for (std::size_t i = 0; i < tools.size(); ++i) {
      if (e.key[i].owner_before(tools[i]) || tools[i].owner_before(e.key[i])) return false;
    }
    return true;
  };
  {
    std::lock_guard<std::mutex> hold(lock);
    if (auto hit = std::find_if(cache.begin(), cache.end(), same); hit != cache.end()) {
      std::rotate(cache.begin(), hit, hit + 1);
      return cache.front().list;
    }
  }
  std::vector<tool_definition> defs;
  defs.reserve(tools.size());
  for (const auto& t : tools)
    if (t) defs.push_back(t->definition());
  entry made{{tools.begin(), tools.end()}, tool_list(std::move(defs))};
  std::lock_guard<std::mutex> hold(lock);
  cache.erase(std::remove_if(cache.begin(), cache.end(),
                             [](const entry& e) {
                               return std::any_of(e.key.begin(), e.key.end(),
                                                  [](const auto& w) { return w.expired(); });
                             }),
              cache.end());
  if (cache.size() == kept) cache.pop_back();
  cache.insert(cache.begin(), made);
  return made.list;
}

}  // namespace

const tool_list& agent_state::tool_definitions() const {
  if (!definitions) {
    tool_list own = shared_definitions(opts.tools);
    if (opts.client_tools.empty()) {
      definitions = std::move(own);
    } else {
      std::vector<tool_definition> all = own.items();
      all.insert(all.end(), opts.client_tools.begin(), opts.client_tools.end());
      definitions = tool_list(std::move(all));
    }
  }
  return *definitions;
}

bool agent_state::is_client_tool(std::string_view name) const {
  return std::any_of(opts.client_tools.begin(), opts.client_tools.end(),
                     [&](const tool_definition& d) { return d.name == name; });
}

std::optional<durar::error> agent_state::options_problem() const {
  std::set<std::string, std::less<>> names;
  for (const auto& t : opts.tools)
    if (t) names.insert(t->definition().name);
  for (const auto& d : opts.client_tools) {
    if (d.name.empty()) return error(errc::invalid_argument, "a client tool has no name");
    if (!names.insert(d.name).second)
      return error(errc::invalid_argument,
                   fmt::format("client tool '{}': the agent has a tool of that name already; "
                               "rename it",
                               d.name));
  }
  const durar::tool_choice& choice = opts.tool_choice;
  if (choice.mode == tool_choice_mode::required && names.empty())
    return error(errc::invalid_argument, "tool_choice required, but the agent has no tools");
  if (choice.mode == tool_choice_mode::named && !names.contains(choice.name))
    return error(
        errc::invalid_argument,
        fmt::format("tool_choice names '{}', which is not one of the agent's tools", choice.name));
  return std::nullopt;
}

compaction_settings agent_state::compaction_for(const assistant_message* last) const {
  if (opts.compaction) return *opts.compaction;
  std::int64_t window = 0;
  const catalog& cat = router.models();
  if (last != nullptr && !last->provider.empty())
    if (const model_info* m = cat.model({last->provider, last->model}))
      window = m->effective_context();
  if (window == 0 && !opts.model.empty())
    if (auto ref = cat.resolve(opts.model))
      if (const model_info* m = cat.model(*ref)) window = m->effective_context();
  if (window == 0) window = compaction_settings{}.context_window;
  return compaction_settings_for(router.cfg(), window);
}

void agent_state::start_next_waiting() {
  if (waiting.empty() || current || compacting) return;
  auto next = std::move(waiting.front());
  waiting.pop_front();
  next();
}

}  // namespace detail

agent::agent(model_router& router, session* store_session, agent_options options)
    : impl_(std::make_shared<impl>(router, store_session, std::move(options))) {}

agent::~agent() {
  impl_->destroyed = true;
  impl_->waiting.clear();
  // A call still winding down holds this state; it must not keep the listeners (and what
  // they captured: the caller's state, a runtime's generation) alive with it.
  if (impl_->emitting == 0) impl_->listeners.clear();
  if (impl_->current) {
    auto run = std::move(impl_->current);
    run->detach();
  }
  if (impl_->compaction_cancel) impl_->compaction_cancel->emit(asio::cancellation_type::terminal);
}

void agent::subscribe(std::function<void(const agent_event&)> listener) {
  if (listener) impl_->listeners.push_back(std::move(listener));
}

void agent::start_run(std::optional<user_message> input,
                      std::function<void(result<run_result>)> done, asio::cancellation_slot slot) {
  auto self = impl_;
  if (self->current) {
    asio::post(self->io, [done = std::move(done)] {
      done(fail(errc::unavailable,
                "the agent is already running; use steer() or follow_up() to add a message"));
    });
    return;
  }
  if (auto problem = self->options_problem()) {
    asio::post(self->io, [done = std::move(done), e = std::move(*problem)] { done(fail(e)); });
    return;
  }
  if (self->compacting) {
    // A prompt that arrives while history is being summarised waits for the summary.
    std::weak_ptr<impl> weak = self;
    self->waiting.push_back(
        [weak, input = std::move(input), done = std::move(done), slot]() mutable {
          if (auto owner = weak.lock()) {
            auto run =
                std::make_shared<detail::agent_run>(owner, std::move(input), std::move(done), slot);
            owner->current = run;
            asio::post(owner->io, [run] { run->start(); });
          }
        });
    return;
  }
  auto run = std::make_shared<detail::agent_run>(self, std::move(input), std::move(done), slot);
  self->current = run;
  asio::post(self->io, [run] { run->start(); });
}

result<run_result> agent::run(user_message input) { return run_blocking(std::move(input)); }

result<run_result> agent::resume() { return run_blocking(std::nullopt); }

std::vector<tool_call_block> agent::open_calls() const { return impl_->log.open_calls(); }

result<void> agent::answer(std::vector<tool_result_message> results) {
  if (impl_->current)
    return fail(errc::unavailable, "the agent is running; answer its calls after the run ends");
  const auto open = impl_->log.open_calls();
  std::set<std::string, std::less<>> seen;
  for (auto& r : results) {
    auto call = std::find_if(open.begin(), open.end(),
                             [&](const tool_call_block& c) { return c.id == r.tool_call_id; });
    if (call == open.end())
      return fail(errc::not_found, fmt::format(
                                       "no open tool call '{}' to answer; open calls: {}",
                                       r.tool_call_id, open.empty() ? std::string("none") : [&] {
                                         std::string ids;
                                         for (const auto& c : open)
                                           ids += (ids.empty() ? "" : ", ") + c.id;
                                         return ids;
                                       }()));
    if (!seen.insert(r.tool_call_id).second)
      return fail(errc::invalid_argument,
                  fmt::format("tool call '{}' is answered twice", r.tool_call_id));
    r.tool_name = call->name;
    if (r.timestamp == 0) r.timestamp = now_ms();
  }
  for (const auto& r : results)
    if (auto a = impl_->log.append(message(r)); !a) return a;
  return {};
}

result<run_result> agent::run_blocking(std::optional<user_message> input) {
  std::optional<result<run_result>> out;
  start_run(std::move(input), [&out](result<run_result> r) { out = std::move(r); }, {});
  asio::io_context& io = impl_->io;
  io.restart();
  while (!out && io.run_one() > 0) {
  }
  if (!out) {
    // The loop was stopped under us: the run must not write to `out` later.
    if (impl_->current) std::exchange(impl_->current, nullptr)->detach();
    return fail(errc::internal, "the event loop stopped before the run finished");
  }
  return std::move(*out);
}

void agent::abort() {
  if (impl_->current)
    impl_->current->abort(run_stop::aborted, error(errc::cancelled, "aborted"), "aborted");
  if (impl_->compacting && impl_->compaction_cancel) {
    // Posted: the router's cancellation may finish the call, and that must not run inside
    // the caller's abort().
    std::weak_ptr<impl> weak = impl_;
    asio::post(impl_->io, [weak] {
      if (auto self = weak.lock(); self && self->compacting && self->compaction_cancel)
        self->compaction_cancel->emit(asio::cancellation_type::terminal);
    });
  }
}

void agent::steer(user_message m) { impl_->steering.push_back(std::move(m)); }
void agent::follow_up(user_message m) { impl_->follow_ups.push_back(std::move(m)); }
bool agent::running() const noexcept { return impl_->current != nullptr; }

void agent::async_compact(std::string instructions,
                          std::function<void(result<compaction_record>)> done) {
  auto self = impl_;
  auto later = [self](std::function<void(result<compaction_record>)> d, durar::error e) {
    asio::post(self->io, [d = std::move(d), e = std::move(e)] { d(fail(e)); });
  };
  if (self->current)
    return later(std::move(done),
                 error(errc::unavailable, "the agent is running; compact after the run ends"));
  if (self->compacting)
    return later(std::move(done), error(errc::unavailable, "a compaction is already running"));
  self->compacting = true;
  self->compaction_cancel.emplace();
  std::optional<assistant_message> last;
  for (const auto& m : self->log.context())
    if (const auto* a = std::get_if<assistant_message>(&m)) last = *a;
  std::weak_ptr<impl> weak = self;
  auto finish = [weak, done = std::move(done)](result<compaction_record> r) mutable {
    auto owner = weak.lock();
    if (!owner) return;
    // Reported from the loop, never from inside async_compact().
    asio::post(owner->io, [owner, r = std::move(r), done = std::move(done)]() mutable {
      owner->compacting = false;
      if (owner->destroyed) return;
      done(std::move(r));
      owner->start_next_waiting();
    });
  };
  detail::run_compaction(self, "manual", std::move(instructions), last ? &*last : nullptr,
                         self->compaction_cancel->slot(), std::move(finish));
}

result<compaction_record> agent::compact(std::string instructions) {
  std::optional<result<compaction_record>> out;
  async_compact(std::move(instructions),
                [&out](result<compaction_record> r) { out = std::move(r); });
  asio::io_context& io = impl_->io;
  io.restart();
  while (!out && io.run_one() > 0) {
  }
  if (!out) return fail(errc::internal, "the event loop stopped before the compaction finished");
  return std::move(*out);
}

result<void> agent::set_model(std::string ref) {
  auto resolved = impl_->router.models().resolve(ref);
  if (!resolved) return fail(resolved.error());
  if (auto r = impl_->log.model_change(resolved->provider, resolved->model); !r) return r;
  impl_->opts.model = std::move(ref);
  return {};
}

result<void> agent::set_thinking(thinking_level level) {
  if (auto r = impl_->log.thinking_change(to_string(level)); !r) return r;
  impl_->opts.thinking = level;
  impl_->opts.request.thinking = level;
  return {};
}

const agent_options& agent::options() const noexcept { return impl_->opts; }

std::vector<message> agent::context() const { return impl_->log.context(); }

}  // namespace durar
