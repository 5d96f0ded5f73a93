// Running a turn for C: events to the host's callback, aborts from any thread, the loop
// driven on the caller's thread, and the outcome kept in the turn handle.
#include <durar/agent.hpp>
#include <durar/message.hpp>

#include <asio/post.hpp>

#include "handles.hpp"

namespace durar::capi {

void event_sink::operator()(const durar::agent_event& e) noexcept {
  if (fn == nullptr || stopped) return;
  try {
    type.assign(to_string(e.kind));
    text.clear();
    to_json(e).dump_to(text);
  } catch (...) {
    // No memory for the event: stop the run rather than hide events from the host.
    stopped = true;
    if (abort) abort();
    return;
  }
  if (fn(user_data, type.c_str(), text.c_str(), text.size()) != 0) {
    stopped = true;
    if (abort) abort();
  }
}

run_scope::run_scope(runtime_core& core, const void* owner, std::function<void()> abort)
    : core_(core) {
  core_.busy = true;
  core_.run_owner = owner;
  core_.abort_run = std::move(abort);
  core_.run_id.fetch_add(1);
}

run_scope::~run_scope() {
  core_.busy = false;
  core_.run_owner = nullptr;
  core_.abort_run = nullptr;
}

runtime_core::~runtime_core() {
  // The runtime ends what is still in flight (a transfer whose answer was complete, a run a
  // host abandoned) without running the loop; the loop's queued handlers go with it after.
  rt.reset();
}

void drive(runtime_core& core, const std::optional<result<run_result>>& out) {
  // A loop that ran out of work before (the last run) must be restarted to run again.
  core.io.restart();
  while (!out && core.io.run_one() > 0) {
  }
}

void post_abort(const std::shared_ptr<runtime_core>& core, const void* owner) {
  // The id read here on the caller's thread ties the abort to the run in progress now: a
  // later run is not aborted by a request that arrives after this one ended.
  std::uint64_t id = core->run_id.load();
  std::weak_ptr<runtime_core> weak = core;
  asio::post(core->io, [weak, id, owner] {
    auto c = weak.lock();
    if (!c || !c->busy || c->run_id.load() != id || !c->abort_run) return;
    if (owner != nullptr && c->run_owner != owner) return;
    c->abort_run();
  });
}

durar_status finish_turn(durar_turn& turn, result<run_result>& outcome, const event_sink& sink,
                         std::string* where) {
  turn.text.clear();
  turn.stop.clear();
  turn.result_json = "{}";
  if (!outcome) {
    // The run could not start (unknown agent or model, session locked, bad options).
    turn.stop = "error";
    json j = json::object({{"stop", "error"},
                           {"error", json::object({{"code", to_string(outcome.error().code)},
                                                   {"message", outcome.error().message}})}});
    turn.result_json = j.dump();
    fail_on(&turn.error, outcome.error());
    return fail_on(where, outcome.error());
  }
  const run_result& r = *outcome;
  turn.text = text_of(r.final);
  turn.stop = std::string(to_string(r.stop));
  json messages = json::array();
  for (const auto& m : r.messages) messages.push_back(to_json(m));
  json j = json::object({{"stop", turn.stop},
                         {"turns", r.turns},
                         {"text", turn.text},
                         {"usage", to_json(r.total)},
                         {"message", to_json(message(r.final))},
                         {"messages", std::move(messages)}});
  if (!r.reason.empty()) j.set("reason", r.reason);

  durar_status s = DURAR_OK;
  std::string why;
  switch (r.stop) {
    case run_stop::done:
    case run_stop::client_tools:  // the C API offers no client tools
      break;
    case run_stop::aborted:
      s = DURAR_CANCELLED;
      why = sink.stopped ? "aborted by the event callback" : "aborted";
      break;
    case run_stop::error:
    case run_stop::timeout:
      s = to_status(r.failure.code);
      why = r.failure.message;
      break;
    case run_stop::max_turns:
    case run_stop::loop_detected:
      s = DURAR_STOPPED;
      why = r.reason.empty() ? turn.stop : r.reason;
      break;
  }
  if (s == DURAR_OK) {
    turn.error.clear();
    turn.result_json = j.dump();
    return DURAR_OK;
  }
  j.set("error", json::object({{"code", durar_status_name(s)}, {"message", why}}));
  turn.result_json = j.dump();
  fail_on(&turn.error, s, why);
  return fail_on(where, s, why);
}

}  // namespace durar::capi
