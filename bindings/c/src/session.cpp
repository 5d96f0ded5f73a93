// durar_session: one conversation of a runtime's agent, open (and locked) for writing.
#include <durar/message.hpp>
#include <durar/session.hpp>

#include "handles.hpp"

using durar::capi::fail_on;
using durar::capi::guarded;
using durar::capi::str_or_empty;

namespace durar::capi {

std::string messages_json(const std::vector<durar::message>& messages) {
  json out = json::array();
  for (const auto& m : messages) out.push_back(to_json(m));
  return out.dump();
}

}  // namespace durar::capi

durar_status durar_session_open(durar_runtime* rt, const char* agent_id, const char* key,
                                durar_session** out) {
  if (rt == nullptr) return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the runtime handle is NULL");
  return guarded(&rt->error, [&] {
    if (out == nullptr)
      return fail_on(&rt->error, DURAR_INVALID_ARGUMENT, "durar_session_open: out is NULL");
    *out = nullptr;
    durar::runtime& runtime = *rt->core->rt;
    auto profile = runtime.agent(str_or_empty(agent_id));
    if (!profile) return fail_on(&rt->error, profile.error());
    auto store = runtime.sessions(profile->id);
    if (!store) return fail_on(&rt->error, store.error());
    std::string full_key = runtime.session_key(profile->id, str_or_empty(key));
    auto opened = (*store)->open(full_key);
    if (!opened) return fail_on(&rt->error, opened.error());

    auto state = std::make_shared<durar::capi::session_state>();
    state->core = rt->core;
    state->store = *store;
    state->agent_id = profile->id;
    state->s = std::move(*opened);
    auto handle = std::make_unique<durar_session>();
    handle->key = state->s->key();
    handle->id = state->s->id();
    handle->path = state->s->path().string();
    handle->state = std::move(state);
    *out = handle.release();
    return DURAR_OK;
  });
}

void durar_session_free(durar_session* s) { delete s; }

const char* durar_session_error(const durar_session* s) {
  return s != nullptr ? s->error.c_str() : "the session handle is NULL";
}

const char* durar_session_key(const durar_session* s) {
  return s != nullptr ? s->key.c_str() : nullptr;
}

const char* durar_session_id(const durar_session* s) {
  return s != nullptr ? s->id.c_str() : nullptr;
}

const char* durar_session_path(const durar_session* s) {
  return s != nullptr ? s->path.c_str() : nullptr;
}

const char* durar_session_messages_json(durar_session* s) {
  if (s == nullptr) {
    fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the session handle is NULL");
    return nullptr;
  }
  durar_status st = guarded(&s->error, [&] {
    s->json_text = durar::capi::messages_json(s->state->s->context());
    return DURAR_OK;
  });
  return st == DURAR_OK ? s->json_text.c_str() : nullptr;
}
