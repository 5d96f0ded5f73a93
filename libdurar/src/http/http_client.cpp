#include "http/http_client.hpp"

#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <curl/curl.h>
#include <fmt/format.h>

#include "http/http_transfer.hpp"

#include <cassert>
#include <cstdlib>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace durar::detail {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Idle connections kept for reuse, over every host: enough for hundreds of concurrent runs
// against a few vendors.
constexpr long max_idle_connections = 256;

bool trace_enabled() {
  const char* v = std::getenv("DURAR_HTTP_TRACE");
  return v != nullptr && std::string_view(v) == "1";
}

enum direction : int { in = 0, out = 1 };

// Asio's epoll reactor is edge-triggered while libcurl expects level-triggered readiness, so
// a socket that is already ready when we start waiting is handed to curl right away.
bool ready_now(curl_socket_t fd, direction d) {
  pollfd p{fd, static_cast<short>(d == in ? POLLIN : POLLOUT), 0};
  return ::poll(&p, 1, 0) > 0 && p.revents != 0;
}

// One socket curl asked us to watch. The descriptor is borrowed: released, never closed.
struct socket_watch {
  socket_watch(asio::io_context& io, curl_socket_t s) : descriptor(io), fd(s) {}
  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd;
  int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool armed[2] = {false, false};
  unsigned generation = 0;  // bumped when pending waits become stale
  bool active = true;
};

}  // namespace

struct http_client::impl {
  explicit impl(asio::io_context& io_);
  ~impl();
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  [[nodiscard]] bool ensure_multi();
  void start(http_request request, http_timeouts timeouts, http_callbacks callbacks,
             asio::cancellation_slot slot, http_connect_options connect);
  void add(std::uint64_t id, bool kick);
  void kick();
  void resume(const std::vector<std::uint64_t>& paused);
  void abort(std::uint64_t id, durar::error e);
  void finish(std::uint64_t id, result<void> r);
  void check_completed();
  [[nodiscard]] bool socket_action(curl_socket_t s, int flags);
  void orphan();
  void watch(curl_socket_t s, int what);
  void forget(curl_socket_t s);
  void arm(const std::shared_ptr<socket_watch>& w, direction d);
  void on_ready(const std::shared_ptr<socket_watch>& w, unsigned generation, direction d,
                const asio::error_code& ec);
  void arm_idle(transfer& t);
  void on_idle(std::uint64_t id);

  static int on_socket(CURL*, curl_socket_t s, int what, void* user, void*) noexcept;
  static int on_timer(CURLM*, long timeout_ms, void* user) noexcept;
  static curl_socket_t open_socket(void*, curlsocktype, curl_sockaddr* address) noexcept;
  static int close_socket(void* user, curl_socket_t s) noexcept;

  asio::io_context& io;
  CURLM* multi = nullptr;
  asio::steady_timer curl_timer;
  std::shared_ptr<int> alive = std::make_shared<int>(0);  // handlers hold a weak_ptr to this
  std::unordered_map<std::uint64_t, std::unique_ptr<transfer>> transfers;
  std::unordered_map<curl_socket_t, std::shared_ptr<socket_watch>> watches;
  // Easy handles of finished transfers, reset and kept for the next ones: a fresh handle is
  // a large allocation and a full setup per request (about 4 us of a 90 us local round trip).
  std::vector<CURL*> spare_easy;
  static constexpr std::size_t max_spare_easy = 32;
  callback_hold hold;  // on while kick() runs libcurl from inside start()
  std::uint64_t next_id = 1;
  std::uint64_t timer_generation = 0;  // the latest on_timer request; older ones are stale
  int in_curl = 0;  // > 0 while libcurl is on the stack: its API must not be re-entered
  bool closing = false;
  bool orphaned = false;  // the client was destroyed from inside libcurl: free on the way out
  bool trace = trace_enabled();
};

http_client::impl::impl(asio::io_context& io_) : io(io_), curl_timer(io_) {}

// libcurl and its TLS stack are set up on the first request, not with the client: a gateway
// or host that has not called a vendor yet does not pay their ~2 MB of initialised state.
bool http_client::impl::ensure_multi() {
  if (multi != nullptr) return true;
  global_init();
  multi = curl_multi_init();
  if (multi == nullptr) return false;
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &impl::on_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, static_cast<void*>(this));
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &impl::on_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, static_cast<void*>(this));
  // libcurl's default keeps four idle connections per transfer in flight, so the end of a
  // burst closes connections the next burst opens again (a TLS handshake each, with a real
  // vendor). A fixed pool keeps them; idle ones still close after libcurl's maximum age.
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, max_idle_connections);
  return true;
}

http_client::impl::~impl() {
  closing = true;
  alive.reset();
  for (auto& [id, t] : transfers) {
    if (t->slot.is_connected()) t->slot.clear();
    if (t->added) curl_multi_remove_handle(multi, t->easy);
    t->added = false;
  }
  transfers.clear();
  for (CURL* e : spare_easy) curl_easy_cleanup(e);
  spare_easy.clear();
  if (multi != nullptr) curl_multi_cleanup(multi);  // closes pooled connections via close_socket
  for (auto& [fd, w] : watches) {
    w->active = false;
    (void)w->descriptor.release();
  }
  watches.clear();
  curl_timer.cancel();
}

void http_client::impl::start(http_request request, http_timeouts timeouts,
                              http_callbacks callbacks, asio::cancellation_slot slot,
                              http_connect_options connect) {
  const std::uint64_t id = next_id++;
  auto owned =
      std::make_unique<transfer>(io, id, std::move(request), timeouts, std::move(callbacks));
  transfer& t = *owned;
  t.connect = std::move(connect);
  t.hold = &hold;
  transfers.emplace(id, std::move(owned));
  std::weak_ptr<int> token = alive;
  if (!spare_easy.empty()) {
    t.easy = spare_easy.back();
    spare_easy.pop_back();
  }

  // Failures are reported from the io_context, never from inside start().
  result<void> configured = ensure_multi()
                                ? t.configure(this, &impl::open_socket, &impl::close_socket, trace)
                                : fail(errc::internal, "curl_multi_init failed");
  if (!configured) {
    asio::post(io, [this, token, id, e = configured.error()] {
      if (!token.expired()) abort(id, e);
    });
    return;
  }

  if (slot.is_connected()) {
    t.slot = slot;
    slot.assign([this, token, id, &ctx = io](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none) return;
      // On the io thread, stop delivering bytes at once; the completion itself is posted
      // so that this handler is never destroyed while it runs.
      if (ctx.get_executor().running_in_this_thread() && !token.expired()) {
        if (auto it = transfers.find(id); it != transfers.end() && !it->second->failure)
          it->second->failure = durar::error(errc::cancelled, "request cancelled");
      }
      asio::post(ctx, [this, token, id] {
        if (!token.expired()) abort(id, durar::error(errc::cancelled, "request cancelled"));
      });
    });
  }

  if (timeouts.idle.count() > 0) arm_idle(t);
  if (timeouts.total.count() > 0) {
    t.total_timer.expires_after(timeouts.total);
    t.total_timer.async_wait(
        [this, token, id, ms = timeouts.total.count()](const asio::error_code& ec) {
          if (ec || token.expired()) return;
          abort(id, durar::error(errc::deadline_exceeded,
                                 fmt::format("total timeout: request took longer than {} ms", ms)));
        });
  }

  if (in_curl > 0) {
    asio::post(io, [this, token, id] {
      if (!token.expired()) add(id, false);
    });
  } else {
    add(id, true);
  }
}

void http_client::impl::add(std::uint64_t id, bool kick_now) {
  auto it = transfers.find(id);
  if (it == transfers.end()) return;
  transfer& t = *it->second;
  if (CURLMcode rc = curl_multi_add_handle(multi, t.easy); rc != CURLM_OK) {
    abort(id, durar::error(errc::internal,
                           fmt::format("curl_multi_add_handle: {}", curl_multi_strerror(rc))));
    return;
  }
  t.added = true;
  if (kick_now) kick();
}

// Sends what libcurl has ready now rather than from the zero timeout it asks for, which the
// loop would run after everything already queued: a pass of the loop that starts a batch of
// turns (64 clients' requests read together) would hold every upstream request until the
// last turn was set up, and their answers would come back as one batch again. Nothing
// reaches a caller from here, as start() promises: bytes that arrive at once pause their
// transfer, and the loop delivers them (and any finished transfer) next.
void http_client::impl::kick() {
  hold.on = true;
  const bool alive_after = socket_action(CURL_SOCKET_TIMEOUT, 0);
  if (!alive_after) return;  // the client was destroyed (it cannot be: no callback ran)
  hold.on = false;
  std::weak_ptr<int> token = alive;
  asio::post(io, [this, token, paused = std::exchange(hold.paused, {})] {
    if (!token.expired()) resume(paused);
  });
}

void http_client::impl::resume(const std::vector<std::uint64_t>& paused) {
  std::weak_ptr<int> token = alive;
  for (std::uint64_t id : paused) {
    auto it = transfers.find(id);
    if (it == transfers.end() || !it->second->added) continue;
    ++in_curl;
    curl_easy_pause(it->second->easy, CURLPAUSE_CONT);  // delivers the kept bytes now
    --in_curl;
    if (orphaned && in_curl == 0) {
      delete this;
      return;
    }
    if (token.expired()) return;
  }
  check_completed();
}

void http_client::impl::abort(std::uint64_t id, durar::error e) {
  auto it = transfers.find(id);
  if (it == transfers.end()) return;
  transfer& t = *it->second;
  if (!t.failure) t.failure = std::move(e);
  durar::error reported = *t.failure;
  finish(id, fail(std::move(reported)));
}

void http_client::impl::finish(std::uint64_t id, result<void> r) {
  assert(in_curl == 0);
  auto it = transfers.find(id);
  if (it == transfers.end()) return;
  std::unique_ptr<transfer> t = std::move(it->second);
  transfers.erase(it);
  if (t->slot.is_connected()) t->slot.clear();
  if (t->added) curl_multi_remove_handle(multi, t->easy);
  t->added = false;
  if (t->easy != nullptr && spare_easy.size() < max_spare_easy) {
    curl_easy_reset(t->easy);  // every option back to its default; connections stay pooled
    spare_easy.push_back(std::exchange(t->easy, nullptr));
  }
  auto on_complete = std::move(t->callbacks.on_complete);
  t.reset();
  if (!on_complete) return;
  try {
    on_complete(std::move(r));
  } catch (...) {
    // The last callback has nobody left to report to; the engine must survive it.
  }
}

void http_client::impl::check_completed() {
  std::weak_ptr<int> token = alive;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;
    char* priv = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    auto* t = reinterpret_cast<transfer*>(priv);
    result<void> r;
    if (!t->failure && code == CURLE_OK) {
      t->deliver_head();
      if (token.expired()) return;  // on_head destroyed the client
    }
    if (t->failure)
      r = fail(*t->failure);
    else if (code != CURLE_OK)
      r = fail(t->describe_failure(code));
    finish(t->id, std::move(r));
    if (token.expired()) return;  // on_complete destroyed the client
  }
}

// Returns false when the client was destroyed meanwhile (and `this` is gone).
bool http_client::impl::socket_action(curl_socket_t s, int flags) {
  int running = 0;
  ++in_curl;
  curl_multi_socket_action(multi, s, flags, &running);
  --in_curl;
  if (orphaned && in_curl == 0) {
    delete this;
    return false;
  }
  return true;
}

// The client is being destroyed by a callback running inside libcurl, which cannot be torn
// down under its own feet: silence every request now, free everything once curl returns.
void http_client::impl::orphan() {
  orphaned = true;
  closing = true;
  alive.reset();
  for (auto& [id, t] : transfers) {
    if (t->slot.is_connected()) t->slot.clear();
    if (!t->failure) t->failure = durar::error(errc::cancelled, "client destroyed");
  }
}

void http_client::impl::watch(curl_socket_t s, int what) {
  auto& w = watches[s];
  if (!w) {
    w = std::make_shared<socket_watch>(io, s);
    asio::error_code ec;
    w->descriptor.assign(s, ec);
    if (ec) {
      watches.erase(s);
      return;  // curl's own timeouts end the transfer
    }
  }
  if (w->wanted != what) {
    // A wait queued for the old interest may never fire on an edge-triggered reactor.
    if (w->armed[in] || w->armed[out]) {
      ++w->generation;
      asio::error_code ec;
      w->descriptor.cancel(ec);
      w->armed[in] = w->armed[out] = false;
    }
    w->wanted = what;
  }
  if ((what & CURL_POLL_IN) != 0) arm(w, in);
  if ((what & CURL_POLL_OUT) != 0) arm(w, out);
}

void http_client::impl::forget(curl_socket_t s) {
  auto it = watches.find(s);
  if (it == watches.end()) return;
  auto& w = *it->second;
  w.active = false;
  ++w.generation;
  (void)w.descriptor.release();  // deregisters from the reactor before curl closes the fd
  watches.erase(it);
}

void http_client::impl::arm(const std::shared_ptr<socket_watch>& w, direction d) {
  if (w->armed[d]) return;
  w->armed[d] = true;
  std::weak_ptr<int> token = alive;
  auto handler = [this, token, w, generation = w->generation, d](const asio::error_code& ec) {
    if (!token.expired()) on_ready(w, generation, d, ec);
  };
  if (ready_now(w->fd, d)) {
    asio::post(io, [handler = std::move(handler)] { handler(asio::error_code()); });
  } else {
    w->descriptor.async_wait(d == in ? asio::posix::descriptor_base::wait_read
                                     : asio::posix::descriptor_base::wait_write,
                             std::move(handler));
  }
}

void http_client::impl::on_ready(const std::shared_ptr<socket_watch>& w, unsigned generation,
                                 direction d, const asio::error_code& ec) {
  if (!w->active || generation != w->generation) return;
  w->armed[d] = false;
  int flags = d == in ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
  if (ec) flags |= CURL_CSELECT_ERR;
  if (!socket_action(w->fd, flags)) return;
  const int bit = d == in ? CURL_POLL_IN : CURL_POLL_OUT;
  if (!ec && w->active && generation == w->generation && (w->wanted & bit) != 0) arm(w, d);
  check_completed();
}

void http_client::impl::arm_idle(transfer& t) {
  std::weak_ptr<int> token = alive;
  t.idle_timer.expires_at(t.last_byte + t.timeouts.idle);
  t.idle_timer.async_wait([this, token, id = t.id](const asio::error_code& ec) {
    if (!ec && !token.expired()) on_idle(id);
  });
}

void http_client::impl::on_idle(std::uint64_t id) {
  auto it = transfers.find(id);
  if (it == transfers.end()) return;
  transfer& t = *it->second;
  // Bytes only move last_byte forward; re-arming here avoids a timer reset per byte.
  if (std::chrono::steady_clock::now() < t.last_byte + t.timeouts.idle) {
    arm_idle(t);
    return;
  }
  abort(id, durar::error(errc::deadline_exceeded,
                         fmt::format("idle timeout: no data for {} ms", t.timeouts.idle.count())));
}

int http_client::impl::on_socket(CURL*, curl_socket_t s, int what, void* user, void*) noexcept {
  auto* self = static_cast<impl*>(user);
  try {
    if (what == CURL_POLL_REMOVE)
      self->forget(s);
    else if (!self->closing)
      self->watch(s, what);
  } catch (...) {
    // Out of memory: nothing may unwind through libcurl; the request's timeouts end it.
  }
  return 0;
}

int http_client::impl::on_timer(CURLM*, long timeout_ms, void* user) noexcept try {
  auto* self = static_cast<impl*>(user);
  if (self->closing) return 0;
  const std::uint64_t generation = ++self->timer_generation;  // supersedes any earlier timer
  if (timeout_ms < 0) {
    self->curl_timer.cancel();
    return 0;
  }
  std::weak_ptr<int> token = self->alive;
  auto fire = [self, token, generation] {
    if (token.expired() || generation != self->timer_generation) return;
    if (self->socket_action(CURL_SOCKET_TIMEOUT, 0)) self->check_completed();
  };
  // curl must not be re-entered from here. A zero timeout (several per transfer) is posted:
  // arming the timer would re-arm the loop's timerfd, a system call each time.
  if (timeout_ms == 0) {
    self->curl_timer.cancel();
    asio::post(self->io, std::move(fire));
    return 0;
  }
  self->curl_timer.expires_after(std::chrono::milliseconds(timeout_ms));
  self->curl_timer.async_wait([fire = std::move(fire)](const asio::error_code& ec) {
    if (!ec) fire();
  });
  return 0;
} catch (...) {
  return -1;  // libcurl treats this as a failed timer
}

curl_socket_t http_client::impl::open_socket(void*, curlsocktype, curl_sockaddr* address) noexcept {
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

int http_client::impl::close_socket(void* user, curl_socket_t s) noexcept {
  static_cast<impl*>(user)->forget(s);
  return ::close(s);
}

http_client::http_client(asio::io_context& io) : impl_(std::make_unique<impl>(io)) {}

http_client::~http_client() {
  if (impl_->in_curl > 0) {
    impl_->orphan();
    (void)impl_.release();  // socket_action() deletes it when libcurl returns
  }
}

void http_client::start(http_request request, http_timeouts timeouts, http_callbacks callbacks,
                        asio::cancellation_slot slot, http_connect_options connect) {
  impl_->start(std::move(request), timeouts, std::move(callbacks), slot, std::move(connect));
}

std::size_t http_client::active() const noexcept { return impl_->transfers.size(); }

}  // namespace durar::detail
