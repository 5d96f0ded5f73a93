#include <durar/router.hpp>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "router/router_state.hpp"

#include <optional>

namespace durar {

std::string_view to_string(route_event::kind k) noexcept {
  switch (k) {
    case route_event::kind::attempt:
      return "route_attempt";
    case route_event::kind::failed:
      return "route_failed";
    case route_event::kind::cooldown:
      return "cooldown";
  }
  return "unknown";
}

namespace {

// Failures another model or key may not have; everything else ends the call at once
// (context overflow triggers compaction upstream, an abort is the caller's wish).
bool worth_failing_over(errc code) {
  switch (code) {
    case errc::resource_exhausted:
    case errc::unauthenticated:
    case errc::permission_denied:
    case errc::unavailable:
    case errc::deadline_exceeded:
    case errc::protocol_error:
    case errc::not_found:
      return true;
    default:
      return false;
  }
}

using detail::candidate;
using detail::scrub;

}  // namespace

namespace {

// One call: walks the candidates and their keys until an attempt finishes or none is left.
struct call : std::enable_shared_from_this<call> {
  std::shared_ptr<detail::router_state> router;
  completion_request request;
  event_callback on_event;
  std::function<void(result<assistant_message>)> done;
  std::vector<candidate> candidates;

  std::size_t model_index = 0;
  std::size_t key_index = 0;
  bool waited_for_retry_after = false;
  bool ignore_cooldowns = false;
  bool skipped_cooling = false;
  int attempts = 0;
  bool cancelled = false;
  bool finished = false;
  bool content_forwarded = false;
  int forwarding = 0;  // > 0 while on_event runs: it must not be destroyed under itself
  std::vector<std::string> failures;  // one line per failed attempt, for the final error

  // Per attempt.
  std::unique_ptr<stream_builder> builder;
  std::unique_ptr<stream_decoder> decoder;
  std::shared_ptr<const transport> wire;
  std::optional<asio::cancellation_signal> http_cancel;
  std::optional<asio::steady_timer> wait_timer;
  http_head head;
  std::string error_body;
  const secret* key = nullptr;

  void finish(result<assistant_message> r) {
    if (finished) return;
    finished = true;
    // The attempt's transfer can outlive the result (a stream's final event may come well
    // before the end of its body) and it holds this call; the caller's callbacks, and the
    // state they hold (an agent that pins this router), must go now, not with the transfer.
    auto report = std::move(done);
    done = nullptr;
    if (forwarding == 0) on_event = nullptr;  // else forward() drops it on the way out
    if (report) report(std::move(r));
  }

  // The caller's options, with the model's `params` from the config underneath the
  // caller's own (a key the caller sets wins).
  request_options options_for(const model_ref& ref) const {
    request_options opts = request.options;
    auto it = router->cfg.agents.models.find(ref.str());
    if (it == router->cfg.agents.models.end() || !it->second.params.is_object()) return opts;
    json merged = it->second.params;
    if (opts.params.is_object())
      for (const auto& [k, v] : opts.params.as_object()) merged.set(k, v);
    opts.params = std::move(merged);
    // The params every API understands become typed options unless the caller set them.
    if (const json* t = opts.params.find("temperature"); t && t->is_number() && !opts.temperature)
      opts.temperature = t->as_double();
    for (const char* name : {"topP", "top_p"})
      if (const json* p = opts.params.find(name); p && p->is_number() && !opts.top_p)
        opts.top_p = p->as_double();
    if (const json* m = opts.params.find("maxTokens"); m && m->is_integer() && !opts.max_tokens)
      opts.max_tokens = m->as_int();
    return opts;
  }

  void forward(const stream_event& e) {
    if (!on_event) return;
    ++forwarding;
    on_event(e);
    if (--forwarding == 0 && finished) on_event = nullptr;
  }

  void cancel() {
    if (finished || cancelled) return;
    cancelled = true;
    if (wait_timer) wait_timer->cancel();
    if (http_cancel)
      http_cancel->emit(asio::cancellation_type::terminal);
    else if (!wait_timer)
      fail_terminal(error(errc::cancelled, "cancelled by the caller"));
  }

  // Keys of the current candidate that are not cooling down for its model.
  std::optional<std::size_t> next_key(const candidate& c, std::size_t from) const {
    return router->usable_key(c, from, ignore_cooldowns);
  }

  void advance_model() {
    ++model_index;
    key_index = 0;
    waited_for_retry_after = false;
  }

  void start_next() {
    if (finished) return;
    if (cancelled) return fail_terminal(error(errc::cancelled, "cancelled by the caller"));
    while (model_index < candidates.size()) {
      const candidate& c = candidates[model_index];
      if (c.provider->needs_key && c.keys.empty()) {
        error e = detail::missing_key_error(c);
        note_failure(c, "", e);
        last_error = e;
        advance_model();
        continue;
      }
      if (!c.keys.empty()) {
        auto k = next_key(c, key_index);
        if (!k) {
          failures.push_back(c.ref.str() + ": every key is cooling down");
          skipped_cooling = true;
          advance_model();
          continue;
        }
        key_index = *k;
      }
      return attempt(c);
    }
    if (!ignore_cooldowns && skipped_cooling && attempts == 0) {
      // Everything is cooling down: probe in order rather than refuse outright.
      ignore_cooldowns = true;
      failures.clear();
      model_index = 0;
      key_index = 0;
      return start_next();
    }
    fail_all();
  }

  void note_failure(const candidate& c, const std::string& cred, const error& e) {
    failures.push_back(fmt::format("{}: {}", c.ref.str(), e.message));
    route_event ev;
    ev.what = route_event::kind::failed;
    ev.ref = c.ref;
    ev.credential = cred;
    ev.attempt = attempts;
    ev.failure = e;
    router->notify(ev);
  }

  void fail_all() {
    error e(errc::unavailable, "no model could answer");
    if (last_error) e = *last_error;
    if (failures.size() > 1) {
      std::string all;
      for (const auto& f : failures) all += "\n  " + f;
      e.message = "every model failed:" + all;
    }
    fail_terminal(e);
  }

  // Ends the call with start + error events of their own, for failures outside an attempt.
  void fail_terminal(const error& e) {
    if (finished) return;
    assistant_message m;
    if (!candidates.empty()) {
      const auto& c = candidates[std::min(model_index, candidates.size() - 1)];
      m.provider = c.ref.provider;
      m.model = c.ref.model;
      m.api = std::string(to_string(c.model.api));
    }
    stream_builder terminal(std::move(m), {}, [this](const stream_event& ev) { forward(ev); });
    terminal.fail(e);
    finish(fail(e));
  }

  std::optional<error> last_error;

  void attempt(const candidate& c) {
    if (!router->http) return finish(fail(errc::cancelled, "the router was destroyed"));
    ++attempts;
    wire = router->transport_for(c);
    key = c.keys.empty() ? nullptr : &c.keys[key_index].key;
    const std::string cred = c.keys.empty() ? "" : detail::credential_id(c.keys[key_index]);
    if (!wire) {
      error e(errc::invalid_argument, "no transport for api '" + c.provider->custom_api + "'");
      note_failure(c, cred, e);
      last_error = e;
      advance_model();
      return start_next();
    }
    route_event ev;
    ev.what = route_event::kind::attempt;
    ev.ref = c.ref;
    ev.credential = c.keys.empty() ? "" : c.keys[key_index].source;
    ev.attempt = attempts;
    router->notify(ev);

    call_spec spec{c.model, *c.provider, key, request.conv, options_for(c.ref)};
    auto built = wire->build_request(spec);
    if (!built) return finish(fail(built.error()));  // our request is wrong: no fallback helps

    assistant_message initial;
    initial.api = std::string(to_string(c.model.api));
    initial.provider = c.ref.provider;
    initial.model = c.ref.model;
    auto self = shared_from_this();
    builder = std::make_unique<stream_builder>(
        std::move(initial), c.model.cost,
        [this](const stream_event& e) { on_attempt_event(e); });  // the call owns the builder
    decoder = wire->make_decoder(spec, *builder);
    head = {};
    error_body.clear();
    // A failed attempt's transfer may still be open (an error event came before the end of
    // its body): stop it, and let nothing of it reach this attempt's state.
    if (http_cancel) http_cancel->emit(asio::cancellation_type::terminal);
    http_cancel.emplace();
    const int mine = attempts;

    detail::http_timeouts timeouts;
    timeouts.connect = request.options.connect_timeout;
    timeouts.idle = request.options.idle_timeout;
    timeouts.total = request.options.total_timeout;
    if (c.provider->timeout_seconds)
      timeouts.total =
          std::chrono::milliseconds(static_cast<std::int64_t>(*c.provider->timeout_seconds * 1000));

    detail::http_callbacks cb;
    cb.on_head = [self, this, mine](const http_head& h) {
      if (mine == attempts) head = h;
    };
    cb.on_body = [self, this, mine](std::string_view bytes) {
      if (mine != attempts) return;
      if (head.status >= 200 && head.status < 300) {
        if (decoder && !builder->finished()) decoder->feed(bytes);
      } else if (error_body.size() < 64 * 1024) {
        error_body.append(bytes.substr(0, 64 * 1024 - error_body.size()));
      }
    };
    cb.on_complete = [self, this, mine](result<void> r) {
      if (mine != attempts) return;  // a superseded attempt's transfer
      http_cancel.reset();
      if (builder->finished()) return;
      if (!r) {
        error e = r.error();
        if (cancelled) e = error(errc::cancelled, "cancelled by the caller");
        builder->fail(e);
      } else if (head.status < 200 || head.status >= 300) {
        error e = wire->classify_error(head, error_body);
        scrub(e, key);
        builder->fail(e);
      } else {
        decoder->finish();
        if (!builder->finished())
          builder->fail(error(errc::protocol_error, "the stream ended without a final event"));
      }
    };
    router->http->start(std::move(*built), timeouts, std::move(cb), http_cancel->slot());
  }

  // Events of the current attempt: `start` is held until content shows the attempt is the
  // one the caller will see.
  void on_attempt_event(const stream_event& e) {
    if (finished) return;
    if (e.kind == event_kind::start) return;
    const candidate& c = candidates[model_index];
    // Which key served the attempt, for its cooldown: asked at the end only, not per delta.
    auto cred = [&] {
      return c.keys.empty() ? std::string() : detail::credential_id(c.keys[key_index]);
    };
    if (e.kind != event_kind::error) {
      if (!content_forwarded) {
        content_forwarded = true;
        // Committed to this attempt: no fallback will send the conversation again, and a
        // stream can stay open for minutes (the history, prompt and tool schemas: ~20 KB
        // for a bare turn, megabytes for a long session). Decoders keep what they need.
        request.conv = conversation{};
        stream_event s = e;
        s.kind = event_kind::start;
        s.delta = {};
        forward(s);
      }
      forward(e);
      if (e.kind == event_kind::done) {
        router->cooldowns.clear(c.ref.provider, c.ref.model, cred());
        finish(*e.message);
      }
      return;
    }

    error failure = e.failure != nullptr ? *e.failure : error(errc::internal, "unknown failure");
    scrub(failure, key);
    if (content_forwarded || cancelled || !worth_failing_over(failure.code)) {
      if (!content_forwarded) {
        stream_event s = e;
        s.kind = event_kind::start;
        forward(s);
      }
      stream_event out = e;
      out.failure = &failure;
      forward(out);
      return finish(fail(failure));
    }

    last_error = failure;
    const std::string failed_key = cred();
    note_failure(c, failed_key, failure);
    if (!failed_key.empty()) {
      if (auto why = detail::cooldown_store::reason_for(failure)) {
        auto wait = router->cooldowns.record(c.ref.provider, c.ref.model, failed_key, *why,
                                             failure.retry_after);
        route_event ev;
        ev.what = route_event::kind::cooldown;
        ev.ref = c.ref;
        ev.credential = c.keys[key_index].source;
        ev.attempt = attempts;
        ev.failure = failure;
        ev.cooldown = wait;
        router->notify(ev);
      }
    }
    auto self = shared_from_this();
    if (failure.code == errc::resource_exhausted) {
      // Rate limits rotate keys; when none is left, a short Retry-After is waited out once.
      if (auto k = next_key(c, key_index + 1)) {
        key_index = *k;
        return asio::post(router->io,
                          [self] { self->attempt(self->candidates[self->model_index]); });
      }
      if (failure.retry_after && *failure.retry_after <= router->options.retry_after_cap &&
          !waited_for_retry_after) {
        waited_for_retry_after = true;
        key_index = 0;
        wait_timer.emplace(router->io, *failure.retry_after);
        return wait_timer->async_wait([self](std::error_code ec) {
          self->wait_timer.reset();
          if (ec || self->cancelled)
            return self->fail_terminal(error(errc::cancelled, "cancelled by the caller"));
          self->attempt(self->candidates[self->model_index]);
        });
      }
    }
    advance_model();
    asio::post(router->io, [self] { self->start_next(); });
  }
};

}  // namespace

model_router::model_router(asio::io_context& io, const config& cfg, router_options options) {
  auto cat = catalog::from_config(cfg);
  impl_ = std::make_shared<detail::router_state>(
      io, cfg, cat ? std::move(*cat) : catalog::builtin(), std::move(options));
}

model_router::~model_router() {
  // Calls in flight hold the router state through their HTTP callbacks; dropping the
  // client drops those callbacks and so the calls.
  impl_->http.reset();
}

const catalog& model_router::models() const noexcept { return impl_->cat; }

asio::io_context& model_router::io() const noexcept { return impl_->io; }
const config& model_router::cfg() const noexcept { return impl_->cfg; }

result<void> model_router::add_provider(provider_info provider) {
  return impl_->cat.add_provider(std::move(provider));
}

void model_router::add_transport(std::string api_name, std::shared_ptr<const transport> t) {
  impl_->transports[std::move(api_name)] = std::move(t);
}

void model_router::on_route(std::function<void(const route_event&)> observer) {
  impl_->observer = std::move(observer);
}

std::vector<cooldown_entry> model_router::cooldowns() const { return impl_->cooldowns.entries(); }

void model_router::async_complete(completion_request request, event_callback on_event,
                                  std::function<void(result<assistant_message>)> done,
                                  asio::cancellation_slot cancel) {
  auto c = std::make_shared<call>();
  c->router = impl_;
  c->on_event = std::move(on_event);
  c->done = std::move(done);
  auto planned = impl_->plan(request);
  c->request = std::move(request);
  if (!planned) return c->finish(fail(planned.error()));
  c->candidates = std::move(*planned);
  if (cancel.is_connected()) {
    std::weak_ptr<call> weak = c;
    cancel.assign([weak](asio::cancellation_type) {
      if (auto self = weak.lock()) self->cancel();
    });
  }
  asio::post(impl_->io, [c] { c->start_next(); });
}

result<assistant_message> model_router::complete(completion_request request,
                                                 event_callback on_event) {
  std::optional<result<assistant_message>> out;
  async_complete(std::move(request), std::move(on_event),
                 [&out](result<assistant_message> r) { out = std::move(r); });
  impl_->io.restart();
  while (!out && impl_->io.run_one() > 0) {
  }
  if (!out) return fail(errc::internal, "the event loop stopped before the call finished");
  return std::move(*out);
}

}  // namespace durar
