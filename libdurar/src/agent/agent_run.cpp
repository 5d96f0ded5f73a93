// One run of the agent loop, as a state machine on the io_context:
//
//   start ─► turn_body ─► request_model ─► (stream) ─► handle_assistant ─┬─► run_tools ─► end_turn
//                ▲                                                        └─► end_turn
//                └──────── continue_loop ◄── after_turn (auto-compaction) ◄──────┘
//
// Everything the run adds goes to the transcript as it completes; abort and timeout set
// `stopping_` and interrupt whatever is in flight (the model call, the tools, a compaction),
// and the step that was waiting sees it and ends the run.
#include <asio/post.hpp>
#include <fmt/format.h>

#include "agent/agent_internal.hpp"

namespace durar::detail {

namespace {

void add_usage(usage& total, const usage& u) {
  total.input += u.input;
  total.output += u.output;
  total.cache_read += u.cache_read;
  total.cache_write += u.cache_write;
  total.reasoning += u.reasoning;
  total.total_tokens += u.total_tokens;
  total.cost.input += u.cost.input;
  total.cost.output += u.cost.output;
  total.cost.cache_read += u.cost.cache_read;
  total.cost.cache_write += u.cost.cache_write;
  total.cost.total += u.cost.total;
}

// What the last call put in the context window, as the vendor counted it.
std::int64_t usage_tokens(const usage& u) {
  if (u.total_tokens > 0) return u.total_tokens;
  return u.input + u.output + u.cache_read + u.cache_write;
}

std::optional<user_message> pop(std::deque<user_message>& q) {
  if (q.empty()) return std::nullopt;
  user_message m = std::move(q.front());
  q.pop_front();
  return m;
}

}  // namespace

agent_run::agent_run(std::shared_ptr<agent_state> owner, std::optional<user_message> input,
                     std::function<void(result<run_result>)> done, asio::cancellation_slot slot)
    : owner_(std::move(owner)),
      input_(std::move(input)),
      done_(std::move(done)),
      slot_(slot),
      guard_(owner_->opts.loop_limit),
      tool_called_(!input_) {}

agent_run::~agent_run() = default;

void agent_run::emit(agent_event e) { owner_->emit(e); }

void agent_run::start() {
  if (phase_ == phase::finished) return;
  std::weak_ptr<agent_run> weak = weak_from_this();
  if (slot_.is_connected()) {
    slot_.assign([weak](asio::cancellation_type) {
      if (auto self = weak.lock())
        self->abort(run_stop::aborted, error(errc::cancelled, "aborted"), "aborted");
    });
  }
  const auto limit = owner_->opts.timeout;
  if (limit.count() > 0) {
    timer_.emplace(owner_->io, limit);
    timer_->async_wait([weak, limit](std::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        std::string why = fmt::format("the run timed out after {} ms", limit.count());
        self->abort(run_stop::timeout, error(errc::deadline_exceeded, why), why);
      }
    });
  }
  agent_event e;
  e.kind = agent_event_kind::agent_start;
  emit(e);
  if (stopping_) return finish(*stopping_, stop_failure_, stop_reason_);
  turn_ = 1;
  e.kind = agent_event_kind::turn_start;
  e.turn = turn_;
  emit(e);
  // Calls a caller left unanswered (client tools it never ran) are closed before anything
  // new, as the vendors require.
  const auto open = owner_->log.open_calls();
  for (const auto& c : open) {
    tool_result_message r;
    r.tool_call_id = c.id;
    r.tool_name = c.name;
    r.content.emplace_back(text_block{"No result: the caller did not run this call", {}});
    r.details = json::object();
    r.is_error = true;
    r.timestamp = now_ms();
    if (!add_message(std::move(r)))
      return finish(run_stop::error, *append_failure_, append_failure_->message);
  }
  if (input_ && !add_message(std::move(*input_)))
    return finish(run_stop::error, *append_failure_, append_failure_->message);
  // Messages steered in before the run started go with its first turn.
  if (auto m = pop(owner_->steering)) pending_.push_back(std::move(*m));
  turn_body();
}

void agent_run::abort(run_stop why, durar::error failure, std::string reason) {
  if (phase_ == phase::finished || stopping_) return;
  stopping_ = why;
  stop_failure_ = std::move(failure);
  stop_reason_ = std::move(reason);
  // Interrupting may finish the run, which must not happen inside the caller's abort().
  asio::post(owner_->io, [self = shared_from_this()] {
    switch (self->phase_) {
      case phase::streaming:
        if (self->call_cancel_) self->call_cancel_->emit(asio::cancellation_type::terminal);
        break;
      case phase::tools:
        if (self->batch_)
          self->batch_->cancel(*self->stopping_ == run_stop::timeout ? "aborted: the run timed out"
                                                                     : "aborted");
        break;
      case phase::compacting:
        if (self->compaction_cancel_)
          self->compaction_cancel_->emit(asio::cancellation_type::terminal);
        break;
      case phase::idle:
      case phase::finished:
        break;  // the next step sees stopping_
    }
  });
}

void agent_run::detach() {
  if (phase_ == phase::finished) return;
  const phase was = phase_;
  phase_ = phase::finished;
  if (timer_) timer_->cancel();
  if (slot_.is_connected()) slot_.clear();
  done_ = nullptr;
  if (was == phase::streaming && call_cancel_)
    call_cancel_->emit(asio::cancellation_type::terminal);
  if (batch_) std::exchange(batch_, nullptr)->detach();
  if (was == phase::compacting && compaction_cancel_)
    compaction_cancel_->emit(asio::cancellation_type::terminal);
}

bool agent_run::add_message(message m) {
  auto saved = owner_->log.append(m);
  if (!saved && !append_failure_) append_failure_ = saved.error();
  out_.messages.push_back(std::move(m));
  agent_event e;
  e.turn = turn_;
  e.msg = &out_.messages.back();
  if (!std::holds_alternative<assistant_message>(out_.messages.back()) || !started_) {
    e.kind = agent_event_kind::message_start;
    emit(e);
  }
  e.kind = agent_event_kind::message_end;
  emit(e);
  return saved.has_value();
}

void agent_run::turn_body() {
  if (stopping_) return finish(*stopping_, stop_failure_, stop_reason_);
  for (auto& m : pending_) {
    started_ = false;
    if (!add_message(std::move(m)))
      return finish(run_stop::error, *append_failure_, append_failure_->message);
  }
  pending_.clear();
  request_model();
}

void agent_run::request_model() {
  phase_ = phase::streaming;
  started_ = false;
  terminal_.reset();
  const agent_options& o = owner_->opts;
  completion_request req;
  req.model = o.model;
  req.fallbacks = o.fallbacks;
  req.conv.system_prompt = o.system_prompt;
  req.conv.messages = owner_->log.context();
  req.conv.tools = owner_->tool_definitions();
  req.options = o.request;
  req.options.thinking = o.thinking;
  req.options.tool_choice = o.tool_choice.forced() && tool_called_ ? tool_choice{} : o.tool_choice;
  if (req.options.session_id.empty()) req.options.session_id = owner_->log.session_id();
  call_cancel_.emplace();
  auto self = shared_from_this();
  owner_->router.async_complete(
      std::move(req), [self](const stream_event& e) { self->on_stream_event(e); },
      [self](result<assistant_message> r) { self->on_model_done(std::move(r)); },
      call_cancel_->slot());
}

void agent_run::on_stream_event(const stream_event& e) {
  if (phase_ != phase::streaming || e.message == nullptr) return;
  if (e.kind == event_kind::done || e.kind == event_kind::error) {
    terminal_ = *e.message;  // message_end comes with the call's result
    return;
  }
  // The message so far is copied only for someone to see it.
  const bool watched = !owner_->listeners.empty();
  if (watched) partial_ = *e.message;
  agent_event ev;
  ev.turn = turn_;
  ev.msg = &partial_;
  if (!started_) {
    started_ = true;
    ev.kind = agent_event_kind::message_start;
    if (watched) emit(ev);
    if (e.kind == event_kind::start) return;
  }
  ev.kind = agent_event_kind::message_update;
  ev.stream = &e;
  if (watched) emit(ev);
}

void agent_run::on_model_done(result<assistant_message> r) {
  if (phase_ != phase::streaming) return;
  phase_ = phase::idle;
  std::optional<durar::error> failure;
  assistant_message m;
  if (r) {
    m = std::move(*r);
  } else {
    failure = r.error();
    if (terminal_) m = std::move(*terminal_);
    const stop_reason why =
        failure->code == errc::cancelled ? stop_reason::aborted : stop_reason::error;
    if (m.stop != stop_reason::aborted && m.stop != stop_reason::error) m.stop = why;
    if (m.error_message.empty()) m.error_message = failure->message;
  }
  if (m.timestamp == 0) m.timestamp = now_ms();
  handle_assistant(std::move(m), std::move(failure));
}

void agent_run::handle_assistant(assistant_message m, std::optional<durar::error> failure) {
  const agent_options& o = owner_->opts;
  add_usage(out_.total, m.usage);
  out_.final = m;
  const bool overflow = failure && failure->code == errc::context_overflow && o.auto_compact &&
                        !overflow_retried_ && !stopping_;
  const bool saved = add_message(std::move(m));
  const std::size_t index = out_.messages.size() - 1;
  if (!saved) return finish(run_stop::error, *append_failure_, append_failure_->message);

  if (overflow) {
    // Summarise older history and ask again, once; the failed reply stays in the transcript
    // (the transports never replay a failed turn).
    overflow_retried_ = true;
    durar::error original = *failure;
    return compact_then("overflow", [this, original](bool ok) {
      if (!ok) {
        return finish(run_stop::error, original,
                      "the context is too long for the model and compaction did not help");
      }
      request_model();
    });
  }
  if (failure) {
    end_turn(index, {});
    if (stopping_) return finish(*stopping_, stop_failure_, stop_reason_);
    return finish(run_stop::error, *failure, failure->message);
  }

  const auto& a = std::get<assistant_message>(out_.messages[index]);
  auto calls = tool_calls_of(a);
  if (!calls.empty()) tool_called_ = true;
  if (calls.empty()) {
    end_turn(index, {});
    return after_turn(false);
  }
  std::vector<tool_result_message> results;
  if (stopping_) {
    close_open_calls(a, *stopping_ == run_stop::timeout ? "aborted: the run timed out" : "aborted",
                     results);
    end_turn(index, std::move(results));
    return finish(*stopping_, stop_failure_, stop_reason_);
  }
  if (auto loop = guard_.observe(calls)) {
    close_open_calls(a, "Not run: " + *loop + ". Try a different approach.", results);
    end_turn(index, std::move(results));
    return finish(run_stop::loop_detected, {}, *loop);
  }
  const bool client_calls = std::any_of(calls.begin(), calls.end(), [&](const tool_call_block* c) {
    return owner_->is_client_tool(c->name);
  });
  run_tools(index, client_calls);
}

void agent_run::close_open_calls(const assistant_message& m, const std::string& why,
                                 std::vector<tool_result_message>& results) {
  // Copied first: add_message() may move the vector `m` lives in.
  std::vector<tool_call_block> calls;
  for (const auto* c : tool_calls_of(m)) calls.push_back(*c);
  for (const auto& c : calls) {
    tool_result_message r;
    r.tool_call_id = c.id;
    r.tool_name = c.name;
    r.content.emplace_back(text_block{why, {}});
    r.details = json::object();
    r.is_error = true;
    r.timestamp = now_ms();
    results.push_back(r);
    add_message(std::move(r));
  }
}

void agent_run::run_tools(std::size_t assistant_index, bool then_stop) {
  phase_ = phase::tools;
  const agent_options& o = owner_->opts;
  tool_batch_setup s;
  for (const auto* c : tool_calls_of(std::get<assistant_message>(out_.messages[assistant_index])))
    if (!owner_->is_client_tool(c->name)) s.calls.push_back(*c);
  s.tools = &o.tools;
  s.hooks = &o.hooks;
  s.parallel = o.parallel_tools;
  s.turn = turn_;
  s.agent_id = o.agent_id;
  s.session_key = owner_->log.session_key();
  s.workspace = o.workspace;
  s.executor = owner_->io.get_executor();
  auto self = shared_from_this();
  auto results = std::make_shared<std::vector<tool_result_message>>();
  s.emit = [self](const agent_event& e) { self->emit(e); };
  s.deliver = [self, results](tool_result_message m) {
    if (self->phase_ != phase::tools) return;
    results->push_back(m);
    self->started_ = false;
    self->add_message(std::move(m));
  };
  s.complete = [self, results, assistant_index, then_stop] {
    if (self->phase_ != phase::tools) return;
    self->phase_ = phase::idle;
    self->batch_.reset();  // the batch keeps itself alive until it returns
    self->end_turn(assistant_index, std::move(*results));
    if (self->append_failure_)
      return self->finish(run_stop::error, *self->append_failure_, self->append_failure_->message);
    if (self->stopping_)
      return self->finish(*self->stopping_, self->stop_failure_, self->stop_reason_);
    if (then_stop) return self->finish(run_stop::client_tools);
    self->after_turn(true);
  };
  batch_ = std::make_shared<tool_batch>(std::move(s));
  batch_->start();
}

void agent_run::end_turn(std::size_t assistant_index, std::vector<tool_result_message> results) {
  agent_event e;
  e.kind = agent_event_kind::turn_end;
  e.turn = turn_;
  e.msg = &out_.messages[assistant_index];
  e.tool_results = &results;
  emit(e);
}

void agent_run::after_turn(bool more_tools) {
  const agent_options& o = owner_->opts;
  if (o.auto_compact && !stopping_) {
    const compaction_settings settings = owner_->compaction_for(&out_.final);
    // The vendor's count for the last call plus an estimate of the tool results after it;
    // an estimate of everything when the vendor gave no count.
    std::int64_t tokens = usage_tokens(out_.final.usage);
    if (tokens > 0) {
      for (auto i = out_.messages.size(); i > 0; --i) {
        if (!std::holds_alternative<tool_result_message>(out_.messages[i - 1])) break;
        tokens += estimate_tokens(out_.messages[i - 1]);
      }
    } else {
      tokens = estimate_tokens(owner_->log.context());
    }
    if (should_compact(tokens, settings))
      return compact_then("threshold", [this, more_tools](bool) { continue_loop(more_tools); });
  }
  continue_loop(more_tools);
}

void agent_run::continue_loop(bool more_tools) {
  if (stopping_) return finish(*stopping_, stop_failure_, stop_reason_);
  agent_state& o = *owner_;
  const bool has_next = more_tools || !o.steering.empty() || !o.follow_ups.empty();
  if (!has_next) return finish(run_stop::done);
  if (o.opts.max_turns > 0 && turn_ >= o.opts.max_turns)
    return finish(run_stop::max_turns, {},
                  fmt::format("stopped after {} turns (max_turns {})", turn_, o.opts.max_turns));
  // Steering goes in before the next model call; follow-ups only once the agent would stop.
  if (auto m = pop(o.steering)) {
    pending_.push_back(std::move(*m));
  } else if (!more_tools) {
    if (auto f = pop(o.follow_ups)) pending_.push_back(std::move(*f));
  }
  ++turn_;
  agent_event e;
  e.kind = agent_event_kind::turn_start;
  e.turn = turn_;
  emit(e);
  turn_body();
}

void agent_run::compact_then(std::string_view reason, std::function<void(bool ok)> next) {
  phase_ = phase::compacting;
  compaction_cancel_.emplace();
  auto self = shared_from_this();
  run_compaction(owner_, reason, owner_->opts.compaction_instructions, &out_.final,
                 compaction_cancel_->slot(),
                 [self, next = std::move(next)](result<compaction_record> r) {
                   if (self->phase_ != phase::compacting) return;
                   self->phase_ = phase::idle;
                   if (self->stopping_)
                     return self->finish(*self->stopping_, self->stop_failure_, self->stop_reason_);
                   next(r && !r->summary.empty());
                 });
}

void agent_run::finish(run_stop stop, durar::error failure, std::string reason) {
  if (phase_ == phase::finished) return;
  phase_ = phase::finished;
  auto self = shared_from_this();
  if (timer_) timer_->cancel();
  if (slot_.is_connected()) slot_.clear();
  if (batch_) std::exchange(batch_, nullptr)->detach();
  out_.stop = stop;
  out_.turns = turn_;
  out_.failure = std::move(failure);
  if (reason.empty() && (stop == run_stop::error || stop == run_stop::timeout))
    reason = out_.failure.message;
  out_.reason = std::move(reason);
  agent_event e;
  e.kind = agent_event_kind::agent_end;
  e.outcome = &out_;
  emit(e);
  // Idle again before the handler runs, so it may start the next run.
  if (owner_->current.get() == this) owner_->current.reset();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done && !owner_->destroyed) done(std::move(out_));
}

}  // namespace durar::detail
