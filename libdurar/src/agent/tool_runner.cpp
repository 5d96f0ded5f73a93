// One assistant message's tool calls: each is validated against its schema, passed by the
// before hook, run (all at once, or one by one when a tool or the options ask), passed
// through the after hook, and delivered in the model's order whatever order they finish in.
// Every failure is an error result the model reads; nothing throws out of here.
#include <fmt/format.h>

#include "agent/agent_internal.hpp"

#include <exception>

namespace durar::detail {

namespace {

std::string what_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

struct tool_batch::call_state {
  std::shared_ptr<tool> impl;
  bool started = false;   // tool_execution_start emitted
  bool launched = false;  // the handler was called
  bool done = false;
  tool_result result;
  asio::cancellation_signal cancel;
};

tool_batch::tool_batch(tool_batch_setup setup) : s_(std::move(setup)) {
  calls_.reserve(s_.calls.size());
  for (std::size_t i = 0; i < s_.calls.size(); ++i)
    calls_.push_back(std::make_unique<call_state>());
}

tool_batch::~tool_batch() = default;

const tool* tool_batch::find_tool(std::string_view name) const {
  if (s_.tools == nullptr) return nullptr;
  for (const auto& t : *s_.tools)
    if (t && t->definition().name == name) return t.get();
  return nullptr;
}

void tool_batch::start() {
  sequential_ = !s_.parallel;
  for (const auto& call : s_.calls)
    if (const tool* t = find_tool(call.name); t != nullptr && t->sequential()) sequential_ = true;
  flush();
}

std::optional<tool_result> tool_batch::prepare(std::size_t i) {
  const tool_call_block& call = s_.calls[i];
  call_state& c = *calls_[i];
  c.started = true;
  agent_event start;
  start.kind = agent_event_kind::tool_execution_start;
  start.turn = s_.turn;
  start.tool_call = &call;
  if (!detached_) s_.emit(start);
  if (detached_ || cancelling_) return error_result(cancel_reason_);

  const tool* t = find_tool(call.name);
  if (t == nullptr) {
    std::string names;
    if (s_.tools != nullptr)
      for (const auto& other : *s_.tools)
        if (other) names += (names.empty() ? "" : ", ") + other->definition().name;
    return error_result(fmt::format("Tool {} not found. Available tools: {}", call.name,
                                    names.empty() ? std::string("none") : names));
  }
  for (const auto& other : *s_.tools)
    if (other.get() == t) c.impl = other;
  if (auto valid = validate_arguments(t->definition().parameters, call.arguments); !valid) {
    // The model reads this and usually repairs the call on its next turn.
    return error_result(fmt::format("Invalid arguments for tool {}:\n{}\n\nArguments received:\n{}",
                                    call.name, valid.error().message, call.arguments.dump(2)));
  }
  if (s_.hooks != nullptr && s_.hooks->before_tool) {
    try {
      if (auto reason = s_.hooks->before_tool(call))
        return error_result(reason->empty() ? std::string("Tool call blocked") : *reason);
    } catch (...) {
      return error_result("Tool call blocked: the before_tool hook failed: " +
                          what_of(std::current_exception()));
    }
  }
  return std::nullopt;
}

void tool_batch::launch(std::size_t i) {
  const tool_call_block& call = s_.calls[i];
  call_state& c = *calls_[i];
  c.launched = true;
  auto self = shared_from_this();
  tool_context ctx;
  ctx.tool_call_id = call.id;
  ctx.agent_id = s_.agent_id;
  ctx.session_key = s_.session_key;
  ctx.workspace = s_.workspace;
  ctx.executor = s_.executor;
  ctx.cancel = c.cancel.slot();
  ctx.on_update = [self, i](const tool_result& partial) {
    if (self->detached_ || self->calls_[i]->done) return;
    agent_event e;
    e.kind = agent_event_kind::tool_execution_update;
    e.turn = self->s_.turn;
    e.tool_call = &self->s_.calls[i];
    e.tool_output = &partial;
    self->s_.emit(e);
  };
  // The callback holds the batch: the cancellation signal outlives the handler's slot.
  tool_done done = [self, i](tool_result r) {
    if (self->detached_ || self->calls_[i]->done) return;  // late, or a second call
    self->finalize(i, std::move(r), true);
  };
  try {
    c.impl->async_run(call.arguments, std::move(ctx), std::move(done));
  } catch (...) {
    if (!c.done) finalize(i, error_result(what_of(std::current_exception())), true);
  }
}

void tool_batch::prepare_and_launch(std::size_t i) {
  if (auto immediate = prepare(i)) return finalize(i, std::move(*immediate), false);
  launch(i);
}

void tool_batch::finalize(std::size_t i, tool_result r, bool run_hooks) {
  call_state& c = *calls_[i];
  c.done = true;
  if (run_hooks && !detached_ && s_.hooks != nullptr && s_.hooks->after_tool) {
    try {
      s_.hooks->after_tool(s_.calls[i], r);
    } catch (...) {
      r = error_result("the after_tool hook failed: " + what_of(std::current_exception()));
    }
  }
  c.result = std::move(r);
  if (c.started && !detached_) {
    agent_event e;
    e.kind = agent_event_kind::tool_execution_end;
    e.turn = s_.turn;
    e.tool_call = &s_.calls[i];
    e.tool_output = &c.result;
    s_.emit(e);
  }
  flush();
}

// Starts what may start and delivers what is final, in order. Re-entrant calls (a tool
// finishing inside its own launch) only ask the running loop to go round again.
void tool_batch::flush() {
  if (holding_) {
    again_ = true;
    return;
  }
  auto self = shared_from_this();
  holding_ = true;
  const std::size_t n = calls_.size();
  do {
    again_ = false;
    if (detached_) break;
    bool all_done = true;
    for (const auto& c : calls_) all_done = all_done && c->done;
    // Sequential calls are announced one by one; parallel ones once all are final.
    if (sequential_ || all_done) {
      while (next_deliver_ < n && calls_[next_deliver_]->done && !detached_) {
        const tool_call_block& call = s_.calls[next_deliver_];
        call_state& c = *calls_[next_deliver_];
        ++next_deliver_;
        tool_result_message m;
        m.tool_call_id = call.id;
        m.tool_name = call.name;
        m.content = c.result.content;
        m.details = c.result.details;
        m.is_error = c.result.is_error;
        m.timestamp = now_ms();
        s_.deliver(std::move(m));
      }
    }
    if (!cancelling_ && !detached_) {
      if (sequential_) {
        // The next call starts once the previous one is final and announced.
        if (next_start_ < n && next_deliver_ == next_start_) {
          prepare_and_launch(next_start_++);
          again_ = true;
        }
      } else if (next_start_ < n) {
        while (next_start_ < n) prepare_and_launch(next_start_++);
        again_ = true;  // calls may have finished while launching
      }
    }
  } while (again_);
  holding_ = false;
  if (next_deliver_ == n && !completed_ && !detached_) {
    completed_ = true;
    s_.complete();
  }
}

void tool_batch::cancel(std::string why) {
  if (completed_ || cancelling_ || detached_) return;
  auto self = shared_from_this();
  cancelling_ = true;
  cancel_reason_ = std::move(why);
  const bool was_holding = holding_;
  holding_ = true;
  // Running handlers hear the abort first; one that answers at once keeps its own result.
  for (auto& c : calls_)
    if (c->launched && !c->done) c->cancel.emit(asio::cancellation_type::terminal);
  for (std::size_t i = 0; i < calls_.size(); ++i) {
    call_state& c = *calls_[i];
    if (c.done) continue;
    if (c.started) {
      finalize(i, error_result(cancel_reason_), false);
    } else {
      c.done = true;  // never started: a result for the transcript, no execution events
      c.result = error_result(cancel_reason_);
    }
  }
  holding_ = was_holding;
  flush();
}

void tool_batch::detach() {
  if (detached_) return;
  detached_ = true;
  for (auto& c : calls_)
    if (c->launched && !c->done) c->cancel.emit(asio::cancellation_type::terminal);
}

}  // namespace durar::detail
