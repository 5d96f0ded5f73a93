// durar_runtime: the config's agents, sessions and tools on one loop, and one-call turns.
#include <durar/runtime.hpp>

#include <asio/cancellation_signal.hpp>

#include "handles.hpp"

using durar::capi::fail_on;
using durar::capi::guarded;

namespace {

durar_status null_runtime() {
  return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the runtime handle is NULL");
}

}  // namespace

durar_status durar_runtime_new(durar_config* cfg, durar_runtime** out) {
  if (out == nullptr)
    return fail_on(cfg != nullptr ? &cfg->error : nullptr, DURAR_INVALID_ARGUMENT,
                   "durar_runtime_new: out is NULL");
  *out = nullptr;
  if (cfg == nullptr)
    return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "durar_runtime_new: the config is NULL");
  return guarded(&cfg->error, [&] {
    if (!cfg->loaded)
      if (durar_status s = durar_config_load(cfg); s != DURAR_OK) return s;
    auto handle = std::make_unique<durar_runtime>();
    handle->core = std::make_shared<durar::capi::runtime_core>();
    handle->core->rt = std::make_unique<durar::runtime>(handle->core->io, *cfg->loaded);
    *out = handle.release();
    return DURAR_OK;
  });
}

void durar_runtime_free(durar_runtime* rt) { delete rt; }

const char* durar_runtime_error(const durar_runtime* rt) {
  return rt != nullptr ? rt->error.c_str() : "the runtime handle is NULL";
}

durar_status durar_runtime_run(durar_runtime* rt, durar_turn* turn, durar_event_fn on_event,
                               void* user_data) {
  if (rt == nullptr) return null_runtime();
  return guarded(&rt->error, [&] {
    if (turn == nullptr)
      return fail_on(&rt->error, DURAR_INVALID_ARGUMENT, "durar_runtime_run: the turn is NULL");
    auto& core = *rt->core;
    if (core.busy)
      return fail_on(&rt->error, DURAR_MISUSE,
                     "a run is in progress in this runtime's family; runs do not nest");
    if (turn->request.message.empty())
      return fail_on(&rt->error, DURAR_INVALID_ARGUMENT,
                     "the turn has no message (durar_turn_set_message)");

    asio::cancellation_signal cancel;
    durar::capi::event_sink sink;
    sink.fn = on_event;
    sink.user_data = user_data;
    sink.abort = [&cancel] { cancel.emit(asio::cancellation_type::terminal); };
    durar::capi::run_scope scope(core, rt, sink.abort);

    std::optional<durar::result<durar::run_result>> out;
    core.rt->async_turn(
        turn->request, [&sink](const durar::agent_event& e) { sink(e); },
        [&out](durar::result<durar::run_result> r) { out = std::move(r); }, cancel.slot());
    durar::capi::drive(core, out);
    if (!out)
      return fail_on(&rt->error, DURAR_INTERNAL, "the event loop stopped before the turn ended");
    return durar::capi::finish_turn(*turn, *out, sink, &rt->error);
  });
}

durar_status durar_runtime_abort(durar_runtime* rt) {
  if (rt == nullptr) return null_runtime();
  // No message is written here: another thread may be reading this handle's.
  try {
    durar::capi::post_abort(rt->core, nullptr);
    return DURAR_OK;
  } catch (...) {
    return fail_on(nullptr, DURAR_NO_MEMORY, "out of memory");
  }
}

durar_status durar_runtime_add_tool(durar_runtime* rt, const durar_tool* tool) {
  if (rt == nullptr) return null_runtime();
  return guarded(&rt->error, [&] {
    if (tool == nullptr)
      return fail_on(&rt->error, DURAR_INVALID_ARGUMENT,
                     "durar_runtime_add_tool: the tool is NULL");
    // The runtime refuses a second tool of a name (the model's call would be ambiguous).
    if (auto added = rt->core->rt->add_tool(durar::capi::make_host_tool(*tool)); !added)
      return fail_on(&rt->error, added.error());
    return DURAR_OK;
  });
}
