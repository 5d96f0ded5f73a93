#include "run_registry.hpp"

#include <asio/post.hpp>

#include "session/session_internal.hpp"

#include <algorithm>

namespace durar::gateway_detail {

std::string run_registry::resolve_key(const turn_request& request) const {
  return rt_.session_key(request.agent_id, request.session_key);
}

std::string run_registry::start(turn_request request,
                                std::function<void(const agent_event&)> on_event,
                                std::function<void(result<run_result>)> done) {
  auto r = std::make_shared<run>();
  r->id = detail::new_session_id();
  if (closed_) {
    asio::post(io_, [done = std::move(done)] {
      if (done) done(fail(errc::unavailable, "the gateway is shutting down"));
    });
    return r->id;
  }
  request.session_key = resolve_key(request);
  r->request = std::move(request);
  r->on_event = std::move(on_event);
  r->done = std::move(done);
  r->cancel = std::make_shared<asio::cancellation_signal>();
  std::string key = r->request.session_key;
  lanes_[key].push_back(r);
  trim_.activity();
  // Start on the loop, never inside the caller's stack.
  asio::post(io_, [this, key] { pump(key); });
  return r->id;
}

void run_registry::pump(const std::string& key) {
  auto lane = lanes_.find(key);
  if (lane == lanes_.end() || lane->second.empty()) {
    if (lane != lanes_.end()) lanes_.erase(lane);
    check_idle();
    return;
  }
  std::shared_ptr<run> head = lane->second.front();
  if (head->running) return;
  head->running = true;
  auto finished = [this, key, head](result<run_result> r) {
    auto it = lanes_.find(key);
    if (it != lanes_.end()) {
      auto& q = it->second;
      q.erase(std::remove(q.begin(), q.end(), head), q.end());
    }
    log_failure(*head, r);
    if (head->done) head->done(std::move(r));
    asio::post(io_, [this, key] { pump(key); });
  };
  rt_.async_turn(head->request, head->on_event, std::move(finished), head->cancel->slot());
}

// A failed run's reason (an upstream 5xx, a refused key, a timeout), for the operator: the
// client got a 502 or an error event, the log says why. Aborts are not failures.
void run_registry::log_failure(const run& r, const result<run_result>& outcome) const {
  if (log_ == nullptr || !log_->enabled(log_level::warn)) return;
  const durar::error* e = nullptr;
  std::string_view how = "failed";
  if (!outcome) {
    if (outcome.error().code != errc::cancelled) e = &outcome.error();
  } else if (outcome->stop == run_stop::error) {
    e = &outcome->failure;
  } else if (outcome->stop == run_stop::timeout) {
    e = &outcome->failure;
    how = "timed out";
  }
  if (e == nullptr) return;
  const std::string& key = r.request.session_key;
  // error::message never holds secrets; a vendor's own text might echo one back.
  std::string reason = redact_log_text(e->describe());
  log_->warn(log_subsystem::gateway,
             "run " + r.id + " (session " + key + ") " + std::string(how) + ": " + reason,
             json::object({{"runId", r.id}, {"sessionKey", key}}));
}

bool run_registry::abort(const std::string& run_id) {
  for (auto& [key, q] : lanes_) {
    for (auto it = q.begin(); it != q.end(); ++it) {
      std::shared_ptr<run> r = *it;
      if (r->id != run_id) continue;
      if (r->running) {
        r->cancel->emit(asio::cancellation_type::terminal);
      } else {
        q.erase(it);
        asio::post(io_, [this, r] {
          if (r->done) r->done(fail(errc::cancelled, "aborted before it started"));
          check_idle();
        });
      }
      return true;
    }
  }
  return false;
}

std::vector<std::string> run_registry::abort_session(const std::string& session_key) {
  std::vector<std::string> ids = runs_of(session_key);
  // Queued ones first, so the running one's end does not start the next.
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) abort(*it);
  return ids;
}

void run_registry::abort_all() {
  std::vector<std::string> keys;
  for (const auto& [key, q] : lanes_) keys.push_back(key);
  for (const auto& key : keys) abort_session(key);
}

void run_registry::when_idle(std::function<void()> f) {
  on_idle_ = std::move(f);
  asio::post(io_, [this] { check_idle(); });
}

void run_registry::check_idle() {
  if (!on_idle_ || active() != 0) return;
  auto f = std::move(on_idle_);
  on_idle_ = nullptr;
  f();
}

std::size_t run_registry::active() const {
  std::size_t n = 0;
  for (const auto& [key, q] : lanes_) n += q.size();
  return n;
}

std::vector<std::string> run_registry::runs_of(const std::string& session_key) const {
  std::vector<std::string> ids;
  if (auto it = lanes_.find(session_key); it != lanes_.end())
    for (const auto& r : it->second) ids.push_back(r->id);
  return ids;
}

}  // namespace durar::gateway_detail
