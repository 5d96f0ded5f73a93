// model_router::async_embed: one model (no fallbacks: vectors of two models don't mix), the
// inputs sent in sequential batches the wire accepts, keys rotated on rate limits as for
// completions, every other failure final.
#include "transports/embeddings.hpp"

#include <durar/router.hpp>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "router/router_state.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <span>

namespace durar {

namespace {

// Larger 2xx answers are refused rather than held: 2048 vectors of 3072 floats is ~90 MB.
constexpr std::size_t max_answer_bytes = std::size_t{256} << 20;
constexpr std::size_t max_error_bytes = 64 * 1024;

struct embed_call : std::enable_shared_from_this<embed_call> {
  std::shared_ptr<detail::router_state> router;
  embedding_request request;
  std::function<void(result<embedding_result>)> done;
  detail::candidate target;
  const detail::embedding_wire* wire = nullptr;
  std::shared_ptr<const transport> classifier;  // the provider's transport reads error bodies
  embedding_result out;

  std::size_t batch_start = 0;  // first input of the batch in flight
  std::size_t batch_size = 0;
  std::size_t key_index = 0;
  bool ignore_cooldowns = false;
  bool waited_for_retry_after = false;  // once per batch
  int attempts = 0;
  bool cancelled = false;
  bool finished = false;

  // Per HTTP request.
  std::optional<asio::cancellation_signal> http_cancel;
  std::optional<asio::steady_timer> wait_timer;
  http_head head;
  std::string body;
  bool body_too_large = false;

  const secret* key() const { return target.keys.empty() ? nullptr : &target.keys[key_index].key; }
  std::string credential() const {
    return target.keys.empty() ? "" : detail::credential_id(target.keys[key_index]);
  }

  void finish(result<embedding_result> r) {
    if (finished) return;
    finished = true;
    if (!r) {
      error e = r.error();
      for (const auto& k : target.keys) detail::scrub(e, &k.key);
      r = fail(std::move(e));
    }
    if (done) done(std::move(r));
  }

  void finish_cancelled() { finish(fail(errc::cancelled, "cancelled by the caller")); }

  void cancel() {
    if (finished || cancelled) return;
    cancelled = true;
    if (wait_timer) wait_timer->cancel();  // its handler finishes the call
    if (http_cancel)
      http_cancel->emit(asio::cancellation_type::terminal);
    else if (!wait_timer)
      finish_cancelled();
  }

  // A key at or after `from` that is not cooling down for this model.
  std::optional<std::size_t> next_key(std::size_t from) const {
    return router->usable_key(target, from, ignore_cooldowns);
  }

  void start() {
    if (finished) return;
    if (cancelled) return finish_cancelled();
    if (auto k = next_key(0)) {
      key_index = *k;
    } else if (!target.keys.empty()) {
      ignore_cooldowns = true;  // every key is cooling down: probe in order, as completions do
      key_index = 0;
    }
    send_batch();
  }

  // Where a failure happened, for the message: the model, and the inputs when batched.
  std::string where() const {
    if (batch_size >= request.inputs.size()) return target.ref.str();
    return fmt::format("{} (inputs {}-{} of {})", target.ref.str(), batch_start + 1,
                       batch_start + batch_size, request.inputs.size());
  }

  void send_batch() {
    if (finished) return;
    if (cancelled) return finish_cancelled();
    if (!router->http) return finish(fail(errc::cancelled, "the router was destroyed"));
    batch_size = std::min(wire->max_batch, request.inputs.size() - batch_start);
    detail::embedding_call spec{
        *target.provider, target.ref.model, key(),
        std::span<const std::string>(request.inputs).subspan(batch_start, batch_size),
        request.dimensions};
    auto built = wire->build(spec);
    if (!built) return finish(fail(built.error()));

    ++attempts;
    route_event ev;
    ev.what = route_event::kind::attempt;
    ev.ref = target.ref;
    ev.credential = target.keys.empty() ? "" : target.keys[key_index].source;
    ev.attempt = attempts;
    router->notify(ev);

    head = {};
    body.clear();
    body_too_large = false;
    http_cancel.emplace();
    detail::http_timeouts timeouts;
    timeouts.total = request.total_timeout;

    auto self = shared_from_this();
    detail::http_callbacks cb;
    cb.on_head = [self, this](const http_head& h) {
      head = h;
      if (head.status >= 200 && head.status < 300) {
        // Reserving the announced size avoids regrowing a many-megabyte answer.
        std::size_t announced = std::strtoull(head.header("content-length").c_str(), nullptr, 10);
        body.reserve(std::min(announced, max_answer_bytes));
      }
    };
    cb.on_body = [self, this](std::string_view bytes) {
      const bool ok = head.status >= 200 && head.status < 300;
      const std::size_t cap = ok ? max_answer_bytes : max_error_bytes;
      if (body.size() + bytes.size() > cap) {
        body_too_large = ok;
        bytes = bytes.substr(0, cap - std::min(cap, body.size()));
      }
      body.append(bytes);
    };
    cb.on_complete = [self, this](result<void> r) {
      http_cancel.reset();
      on_complete(std::move(r));
    };
    router->http->start(std::move(*built), timeouts, std::move(cb), http_cancel->slot());
  }

  void on_complete(result<void> r) {
    if (finished) return;
    if (cancelled) return finish_cancelled();
    if (!r) {
      error e = r.error();
      e.message = where() + ": " + e.message;
      return finish(fail(std::move(e)));
    }
    if (head.status < 200 || head.status >= 300) {
      error e = classifier->classify_error(head, body);
      detail::scrub(e, key());
      return on_failure(std::move(e));
    }
    if (body_too_large)
      return finish(fail(errc::protocol_error, fmt::format("{}: the answer is larger than {} MiB",
                                                           where(), max_answer_bytes >> 20)));
    auto batch = wire->parse(body, batch_size);
    if (!batch) {
      error e = batch.error();
      e.message = where() + ": " + e.message;
      return finish(fail(std::move(e)));
    }
    router->cooldowns.clear(target.ref.provider, target.ref.model, credential());
    std::move(batch->vectors.begin(), batch->vectors.end(), std::back_inserter(out.vectors));
    out.input_tokens += batch->input_tokens;
    batch_start += batch_size;
    waited_for_retry_after = false;
    std::string().swap(body);  // a batch's answer is not kept across batches
    if (batch_start >= request.inputs.size()) return finish(std::move(out));
    auto self = shared_from_this();
    asio::post(router->io, [self] { self->send_batch(); });
  }

  void on_failure(error failure) {
    route_event ev;
    ev.what = route_event::kind::failed;
    ev.ref = target.ref;
    ev.credential = credential();
    ev.attempt = attempts;
    ev.failure = failure;
    router->notify(ev);
    if (!target.keys.empty()) {
      if (auto why = detail::cooldown_store::reason_for(failure)) {
        auto wait = router->cooldowns.record(target.ref.provider, target.ref.model, credential(),
                                             *why, failure.retry_after);
        route_event cool = ev;
        cool.what = route_event::kind::cooldown;
        cool.credential = target.keys[key_index].source;
        cool.cooldown = wait;
        router->notify(cool);
      }
    }
    auto self = shared_from_this();
    if (failure.code == errc::resource_exhausted) {
      // Rate limits rotate keys; when none is left, a short Retry-After is waited out once.
      if (auto k = next_key(key_index + 1)) {
        key_index = *k;
        return asio::post(router->io, [self] { self->send_batch(); });
      }
      if (failure.retry_after && *failure.retry_after <= router->options.retry_after_cap &&
          !waited_for_retry_after) {
        waited_for_retry_after = true;
        key_index = 0;
        wait_timer.emplace(router->io, *failure.retry_after);
        return wait_timer->async_wait([self](std::error_code ec) {
          self->wait_timer.reset();
          if (ec || self->cancelled) return self->finish_cancelled();
          self->send_batch();
        });
      }
    }
    failure.message = where() + ": " + failure.message;
    finish(fail(std::move(failure)));
  }
};

}  // namespace

void model_router::async_embed(embedding_request request,
                               std::function<void(result<embedding_result>)> done,
                               asio::cancellation_slot cancel) {
  auto c = std::make_shared<embed_call>();
  c->router = impl_;
  c->done = std::move(done);
  c->request = std::move(request);
  const auto& req = c->request;

  // Embedding models are not chat models: the chat allowlist does not apply to them.
  auto ref = impl_->cat.resolve_any(req.model);
  if (!ref) return c->finish(fail(ref.error()));
  c->target = impl_->make_candidate(*ref);
  c->out.ref = *ref;
  const provider_info& provider = *c->target.provider;
  if (!provider.custom_api.empty())
    return c->finish(
        fail(errc::invalid_argument, fmt::format("provider {} speaks '{}', which has no embeddings",
                                                 ref->provider, provider.custom_api)));
  c->wire = detail::embedding_wire_for(c->target.model.api);
  if (c->wire == nullptr)
    return c->finish(
        fail(errc::invalid_argument,
             fmt::format("provider {} ({}) has no embeddings API; use an OpenAI-compatible, Gemini "
                         "or Ollama provider",
                         ref->provider, to_string(c->target.model.api))));
  if (req.dimensions && *req.dimensions <= 0)
    return c->finish(fail(errc::invalid_argument,
                          fmt::format("dimensions must be positive, not {}", *req.dimensions)));
  if (provider.needs_key && c->target.keys.empty())
    return c->finish(fail(detail::missing_key_error(c->target)));
  if (req.inputs.empty()) return c->finish(std::move(c->out));
  c->classifier = impl_->transport_for(c->target);
  if (!c->classifier) c->classifier = builtin_transport(c->target.model.api);

  if (cancel.is_connected()) {
    std::weak_ptr<embed_call> weak = c;
    cancel.assign([weak](asio::cancellation_type) {
      if (auto self = weak.lock()) self->cancel();
    });
  }
  asio::post(impl_->io, [c] { c->start(); });
}

result<embedding_result> model_router::embed(embedding_request request) {
  std::optional<result<embedding_result>> out;
  async_embed(std::move(request), [&out](result<embedding_result> r) { out = std::move(r); });
  impl_->io.restart();
  while (!out && impl_->io.run_one() > 0) {
  }
  if (!out) return fail(errc::internal, "the event loop stopped before the call finished");
  return std::move(*out);
}

}  // namespace durar
