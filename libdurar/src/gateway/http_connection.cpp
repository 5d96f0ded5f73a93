#include "gateway/http_connection.hpp"

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>

#include "gateway/http_responder_impl.hpp"
#include "gateway/ws_connection.hpp"
#include "gateway/ws_handshake.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace durar::gateway_detail {
namespace {

// After our last byte and FIN, how long a peer may keep sending before we close anyway.
constexpr std::chrono::milliseconds linger_timeout{2'000};
// How long a peer has to answer a close frame we sent.
constexpr std::chrono::milliseconds ws_close_timeout{5'000};
constexpr std::size_t max_gather = 64;

}  // namespace

http_connection::http_connection(std::shared_ptr<server_shared> shared,
                                 asio::ip::tcp::socket socket, std::uint64_t id)
    : shared_(std::move(shared)),
      socket_(std::move(socket)),
      id_(id),
      timer_(socket_.get_executor()),
      write_timer_(socket_.get_executor()) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  std::error_code ec;
  auto peer = socket_.remote_endpoint(ec);
  if (!ec) {
    auto address = peer.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    remote_address_ = address.to_string();
    remote_loopback_ = address.is_loopback();
  }
}

http_connection::~http_connection() = default;

void http_connection::start() {
  shared_->live.emplace(id_, weak_from_this());
  std::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  arm(deadline::header, shared_->options.header_timeout);
  do_read();
}

// ---- reading (parsing is in http_request_parse.cpp)

void http_connection::do_read() {
  if (closed_ || reading_) return;
  if (phase_ != phase::websocket && phase_ != phase::closing && inbox_size() >= max_inbox) return;
  reading_ = true;
  asio::mutable_buffer into;
  if (phase_ == phase::handling) {
    rbuf_.reset();  // no read is in flight (reading_ was false): nobody points into it
    into = asio::buffer(small_rbuf_);
  } else {
    if (!rbuf_) rbuf_ = std::make_unique_for_overwrite<char[]>(read_size);
    into = asio::buffer(rbuf_.get(), read_size);
  }
  read_into_ = static_cast<const char*>(into.data());
  socket_.async_read_some(into,
                          [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

void http_connection::on_read(const std::error_code& ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    // A client that half-closes between requests still gets what was already answered.
    if (phase_ == phase::awaiting && inbox_size() == 0 && queued_bytes_ > 0)
      close_gracefully();
    else
      abort();
    return;
  }
  std::string_view bytes(read_into_, n);
  switch (phase_) {
    case phase::closing:
      break;  // drained and dropped
    case phase::websocket:
      if (ws_) ws_->on_bytes(bytes);
      break;
    default:
      if (inbox_pos_ == inbox_.size()) {
        inbox_.clear();
        inbox_pos_ = 0;
      }
      inbox_.append(bytes);
      if (phase_ != phase::handling) parse();
      break;
  }
  do_read();
}

// ---- requests and responses

void http_connection::dispatch() {
  phase_ = phase::handling;
  arm(deadline::none, {});
  any_bytes_ = false;
  if (ws_upgrade_) {
    upgrade();
    return;
  }
  auto responder = std::make_shared<responder_impl>(weak_from_this(), ++seq_, shared_->io, head_,
                                                    http10_, keep_alive_ && !close_after_,
                                                    shared_->options.max_ws_buffered_bytes);
  active_ = responder;
  if (shared_->detached || !shared_->on_request) {
    responder->respond(503, {{"content-type", "application/json; charset=utf-8"}},
                       error_response_body(503, "the gateway is shutting down"));
    return;
  }
  try {
    shared_->on_request(std::move(req_), responder);
  } catch (...) {
    responder->fail();
  }
}

void http_connection::upgrade() {
  std::optional<int> refused;
  if (shared_->detached) {
    refused = 503;
  } else if (shared_->ws.accept) {
    try {
      refused = shared_->ws.accept(req_);
    } catch (...) {
      refused = 500;
    }
  }
  if (closed_) return;  // accept() stopped the server
  if (refused) {
    int status = (*refused >= 400 && *refused <= 599) ? *refused : 403;
    reject(status, status == 503   ? "the gateway is shutting down"
                   : status == 403 ? "this WebSocket origin is not allowed"
                                   : status_reason(status));
    return;
  }
  send(fmt::format(
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
      "sec-websocket-accept: {}\r\n\r\n",
      ws_accept_));
  phase_ = phase::websocket;
  std::string early = inbox_.substr(inbox_pos_);
  inbox_.clear();
  inbox_pos_ = 0;
  ws_ =
      std::make_shared<ws_session>(shared_, weak_from_this(), shared_->next_id++, std::move(req_));
  ws_->start(early);
}

void http_connection::response_finished(std::uint64_t seq, bool close) {
  if (closed_ || seq != seq_ || phase_ != phase::handling) return;
  active_.reset();
  if (close || close_after_ || !keep_alive_) {
    close_gracefully();
    return;
  }
  phase_ = phase::awaiting;
  arm(deadline::idle, shared_->options.idle_timeout);
  // Not from inside the responder's call: the next pipelined handler runs on a fresh stack.
  if (resume_posted_) return;
  resume_posted_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->resume_posted_ = false;
    if (self->closed_) return;
    self->parse();
    self->do_read();
  });
}

void http_connection::response_abandoned(std::uint64_t seq, bool streaming_started) {
  if (closed_ || seq != seq_ || phase_ != phase::handling) return;
  if (!streaming_started) {
    // The handler dropped its responder without answering.
    active_.reset();
    const bool close = !keep_alive_ || close_after_;
    send(simple_response(500, "internal error: the request handler gave no response", close,
                         http10_));
    response_finished(seq, close);
    return;
  }
  abort();  // a truncated chunked body must not look complete
}

void http_connection::reject(int status, std::string_view why) {
  if (closed_ || phase_ == phase::closing) return;
  active_.reset();
  // 426 says which WebSocket version we speak.
  send(simple_response(status, why, true, http10_,
                       status == 426 ? "sec-websocket-version: 13\r\n" : ""));
  close_gracefully();
}

// ---- writing

void http_connection::send(std::string bytes) {
  if (closed_ || fin_sent_ || bytes.empty()) return;
  queued_bytes_ += bytes.size();
  out_.push_back(std::move(bytes));
  flush();
}

void http_connection::flush() {
  if (writing_ || closed_ || out_.empty()) return;
  std::vector<asio::const_buffer> buffers;
  const std::size_t count = std::min(out_.size(), max_gather);
  buffers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) buffers.emplace_back(asio::buffer(out_[i]));
  writing_ = true;
  // A peer that stops reading for the idle timeout is gone (bounds every write).
  const std::uint64_t gen = ++write_gen_;
  if (shared_->options.idle_timeout.count() > 0) {
    write_timer_.expires_after(shared_->options.idle_timeout);
    write_timer_.async_wait([self = shared_from_this(), gen](const std::error_code& ec) {
      if (!ec && gen == self->write_gen_ && self->writing_) self->abort();
    });
  }
  asio::async_write(socket_, buffers,
                    [self = shared_from_this(), count](const std::error_code& ec, std::size_t n) {
                      self->on_written(ec, n, count);
                    });
}

void http_connection::on_written(const std::error_code& ec, std::size_t, std::size_t count) {
  writing_ = false;
  ++write_gen_;
  write_timer_.cancel();
  if (closed_) return;
  if (ec) {
    abort();
    return;
  }
  for (std::size_t i = 0; i < count && !out_.empty(); ++i) {
    queued_bytes_ -= out_.front().size();
    out_.pop_front();
  }
  if (!out_.empty()) {
    flush();
  } else if (phase_ == phase::closing) {
    shutdown_send();
    return;
  }
  if (queued_bytes_ < resume_below && inbox_size() > 0 &&
      (phase_ == phase::awaiting || phase_ == phase::headers || phase_ == phase::body))
    parse();
}

// ---- closing and timers

void http_connection::close_gracefully() {
  if (closed_ || phase_ == phase::closing) return;
  phase_ = phase::closing;
  arm(deadline::none, {});
  if (!writing_ && out_.empty()) shutdown_send();
  do_read();
}

void http_connection::shutdown_send() {
  if (closed_ || fin_sent_) return;
  fin_sent_ = true;
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  arm(deadline::linger, linger_timeout);
  do_read();
}

void http_connection::abort() {
  if (closed_) return;
  auto self = shared_from_this();
  closed_ = true;
  ++timer_gen_;
  timer_.cancel();
  ++write_gen_;
  write_timer_.cancel();
  std::error_code ec;
  socket_.close(ec);
  shared_->live.erase(id_);
  if (shared_->live.empty() && shared_->on_empty)
    asio::post(shared_->io, std::exchange(shared_->on_empty, nullptr));
  const bool notify = !shared_->detached;
  if (auto responder = active_.lock()) {
    active_.reset();
    responder->disconnected(notify);
  }
  if (ws_) ws_->transport_closed();
}

void http_connection::arm_ws_close_timer() {
  if (closed_ || deadline_ == deadline::ws_close || deadline_ == deadline::linger) return;
  arm(deadline::ws_close, ws_close_timeout);
}

void http_connection::stop_from_server() {
  if (closed_) return;
  if (ws_) {
    ws_->server_stopping();  // close 1001; the handshake finishes (bounded) on its own
    return;
  }
  abort();
}

void http_connection::drain_from_server() {
  if (closed_) return;
  switch (phase_) {
    case phase::websocket:
    case phase::closing:
      return;
    case phase::handling:
      close_after_ = true;  // response_finished() closes it
      return;
    default:
      close_gracefully();  // idle, or a request only half received: it will not be served
      return;
  }
}

void http_connection::arm(deadline kind, std::chrono::milliseconds after) {
  const std::uint64_t gen = ++timer_gen_;
  deadline_ = kind;
  timer_.cancel();
  if (kind == deadline::none || after.count() <= 0) {
    deadline_ = deadline::none;
    return;
  }
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this(), gen](const std::error_code& ec) {
    if (ec || gen != self->timer_gen_ || self->closed_) return;
    self->on_deadline(self->deadline_);
  });
}

void http_connection::on_deadline(deadline kind) {
  deadline_ = deadline::none;
  switch (kind) {
    case deadline::header:
      if (any_bytes_)
        reject(408, "request header timeout");
      else
        abort();  // never said a word: nothing to answer
      break;
    case deadline::body:
      reject(408, "request body timeout");
      break;
    case deadline::idle:
      close_gracefully();
      break;
    case deadline::ws_close:
    case deadline::linger:
    case deadline::none:
      abort();
      break;
  }
}

}  // namespace durar::gateway_detail
