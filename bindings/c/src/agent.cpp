// durar_agent: an agent that keeps its conversation across runs, in a session or in memory.
#include <durar/agent.hpp>
#include <durar/runtime.hpp>

#include "handles.hpp"

using durar::capi::fail_on;
using durar::capi::guarded;

namespace {

durar_status null_agent() {
  return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the agent handle is NULL");
}

}  // namespace

durar_status durar_agent_new(durar_runtime* rt, durar_session* session, const durar_turn* settings,
                             durar_agent** out) {
  if (rt == nullptr) return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the runtime handle is NULL");
  return guarded(&rt->error, [&] {
    if (out == nullptr)
      return fail_on(&rt->error, DURAR_INVALID_ARGUMENT, "durar_agent_new: out is NULL");
    *out = nullptr;
    durar::turn_request overrides = settings != nullptr ? settings->request : durar::turn_request{};
    durar::runtime& runtime = *rt->core->rt;
    if (session != nullptr && session->state->core != rt->core)
      return fail_on(&rt->error, DURAR_INVALID_ARGUMENT,
                     "the session was opened by another runtime");
    std::string agent_id = overrides.agent_id;
    if (agent_id.empty() && session != nullptr) agent_id = session->state->agent_id;
    auto profile = runtime.agent(agent_id);
    if (!profile) return fail_on(&rt->error, profile.error());
    if (session != nullptr && profile->id != session->state->agent_id)
      return fail_on(&rt->error, DURAR_INVALID_ARGUMENT,
                     "the session belongs to agent '" + session->state->agent_id +
                         "', not to agent '" + profile->id + "'");

    auto handle = std::make_unique<durar_agent>();
    handle->core = rt->core;
    if (session != nullptr) handle->session = session->state;
    auto made = runtime.make_agent(*profile, session != nullptr ? session->state->s.get() : nullptr,
                                   overrides);
    if (!made) return fail_on(&rt->error, made.error());
    handle->agent = std::move(*made);
    // One listener for the agent's life, forwarding to whichever run is in progress.
    durar_agent* self = handle.get();
    handle->agent->subscribe([self](const durar::agent_event& e) {
      if (self->sink != nullptr) (*self->sink)(e);
    });
    *out = handle.release();
    return DURAR_OK;
  });
}

void durar_agent_free(durar_agent* agent) { delete agent; }

const char* durar_agent_error(const durar_agent* agent) {
  return agent != nullptr ? agent->error.c_str() : "the agent handle is NULL";
}

durar_status durar_agent_run(durar_agent* agent, durar_turn* turn, durar_event_fn on_event,
                             void* user_data) {
  if (agent == nullptr) return null_agent();
  return guarded(&agent->error, [&] {
    if (turn == nullptr)
      return fail_on(&agent->error, DURAR_INVALID_ARGUMENT, "durar_agent_run: the turn is NULL");
    auto& core = *agent->core;
    if (core.busy)
      return fail_on(&agent->error, DURAR_MISUSE,
                     "a run is in progress in this runtime's family; runs do not nest");
    if (turn->request.message.empty())
      return fail_on(&agent->error, DURAR_INVALID_ARGUMENT,
                     "the turn has no message (durar_turn_set_message)");

    durar::capi::event_sink sink;
    sink.fn = on_event;
    sink.user_data = user_data;
    durar::agent* a = agent->agent.get();
    sink.abort = [a] { a->abort(); };
    durar::capi::run_scope scope(core, agent, sink.abort);
    agent->sink = &sink;
    struct unhook {
      durar_agent* h;
      ~unhook() { h->sink = nullptr; }
    } unhook_sink{agent};

    std::optional<durar::result<durar::run_result>> out;
    a->async_run(durar::user_text(turn->request.message),
                 [&out](durar::result<durar::run_result> r) { out = std::move(r); });
    durar::capi::drive(core, out);
    if (!out)
      return fail_on(&agent->error, DURAR_INTERNAL, "the event loop stopped before the run ended");
    // The session's index entry learns the turn's model and usage, as a runtime turn does.
    if (*out && agent->session) (void)core.rt->record_turn(*agent->session->s, (*out)->final);
    return durar::capi::finish_turn(*turn, *out, sink, &agent->error);
  });
}

durar_status durar_agent_abort(durar_agent* agent) {
  if (agent == nullptr) return null_agent();
  try {
    durar::capi::post_abort(agent->core, agent);
    return DURAR_OK;
  } catch (...) {
    return fail_on(nullptr, DURAR_NO_MEMORY, "out of memory");
  }
}

durar_status durar_agent_set_model(durar_agent* agent, const char* model) {
  if (agent == nullptr) return null_agent();
  return guarded(&agent->error, [&] {
    if (model == nullptr || *model == '\0')
      return fail_on(&agent->error, DURAR_INVALID_ARGUMENT, "durar_agent_set_model: no model");
    if (auto r = agent->agent->set_model(model); !r) return fail_on(&agent->error, r.error());
    return DURAR_OK;
  });
}

const char* durar_agent_context_json(durar_agent* agent) {
  if (agent == nullptr) {
    null_agent();
    return nullptr;
  }
  durar_status st = guarded(&agent->error, [&] {
    agent->json_text = durar::capi::messages_json(agent->agent->context());
    return DURAR_OK;
  });
  return st == DURAR_OK ? agent->json_text.c_str() : nullptr;
}
