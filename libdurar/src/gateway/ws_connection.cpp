#include "gateway/ws_connection.hpp"

#include "core/base64.hpp"
#include "gateway/http_connection.hpp"

#include <algorithm>
#include <cstring>

namespace durar::gateway_detail {
namespace {

// Codes an endpoint may put in a close frame (RFC 6455 7.4); others become 1000.
bool sendable_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

// A close reason is at most 123 bytes; cut at a UTF-8 character boundary.
std::string_view clip_reason(std::string_view reason) {
  if (reason.size() <= 123) return reason;
  std::size_t n = 123;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return reason.substr(0, n);
}

}  // namespace

bool ws_key_valid(std::string_view client_key) {
  if (client_key.size() != 24) return false;
  auto bytes = detail::base64_decode(client_key);
  return bytes && bytes->size() == 16;
}

ws_session::ws_session(std::shared_ptr<server_shared> shared, std::weak_ptr<http_connection> conn,
                       std::uint64_t id, http_request request)
    : shared_(shared),
      max_buffered_(shared->options.max_ws_buffered_bytes),
      conn_(std::move(conn)),
      id_(id),
      request_(std::move(request)) {
  wslay_event_callbacks callbacks{};
  callbacks.recv_callback = &ws_session::recv_cb;
  callbacks.send_callback = &ws_session::send_cb;
  callbacks.on_msg_recv_callback = &ws_session::msg_cb;
  if (wslay_event_context_server_init(&ctx_, &callbacks, this) != 0) {
    ctx_ = nullptr;
    failed_ = true;
    return;
  }
  wslay_event_config_set_max_recv_msg_length(ctx_, shared->options.max_ws_message_bytes);
}

// The server's state while its handlers may still be called (not after stop()).
std::shared_ptr<server_shared> ws_session::handlers_owner() const {
  auto s = shared_.lock();
  if (!s || s->detached) return nullptr;
  return s;
}

ws_session::~ws_session() {
  if (ctx_) wslay_event_context_free(ctx_);
}

void ws_session::start(std::string_view early_bytes) {
  auto self = shared_from_this();
  if (!ctx_) {
    if (auto c = conn_.lock()) c->abort();
    return;
  }
  if (auto s = handlers_owner(); s && s->ws.on_open) {
    try {
      s->ws.on_open(self);
    } catch (...) {
      close(1011, "internal error");
    }
  }
  if (!early_bytes.empty()) on_bytes(early_bytes);
}

void ws_session::on_bytes(std::string_view bytes) {
  if (!ctx_ || transport_closed_ || failed_) return;
  auto self = shared_from_this();
  in_ = bytes;
  const int r = wslay_event_recv(ctx_);
  in_ = {};
  if (r != 0 || failed_) {  // out of memory or a failed callback: nothing sane is left to say
    failed_ = true;
    if (auto c = conn_.lock()) c->abort();
    return;
  }
  flush();
  deliver();
}

void ws_session::deliver() {
  auto texts = std::move(texts_);
  texts_.clear();
  for (auto& text : texts) {
    // Messages that came before the peer's close still count; after our close they do not.
    auto s = handlers_owner();
    if (transport_closed_ || initiated_code_ != 0 || !s || !s->ws.on_text) break;
    try {
      s->ws.on_text(shared_from_this(), std::move(text));
    } catch (...) {
      close(1011, "internal error");
    }
  }
}

void ws_session::flush() {
  if (!ctx_ || transport_closed_) return;
  auto c = conn_.lock();
  if (!c || c->closed()) return;
  const int r = wslay_event_send(ctx_);
  if (!out_.empty()) {
    c->send(std::move(out_));
    out_.clear();
  }
  if (r != 0) {
    failed_ = true;
    c->abort();
    return;
  }
  if (wslay_event_get_close_sent(ctx_)) {
    // Both closes exchanged, or wslay stopped reading (it failed the connection): end TCP.
    // The WebSocket is closed now, whenever the TCP connection ends.
    if (wslay_event_get_close_received(ctx_) || !wslay_event_get_read_enabled(ctx_)) {
      c->close_gracefully();
      report_close();
    } else {
      c->arm_ws_close_timer();
    }
  }
}

void ws_session::transport_closed() {
  transport_closed_ = true;
  report_close();
}

void ws_session::server_stopping() {
  close(1001, "going away");
  report_close();
}

void ws_session::report_close() {
  if (reported_) return;
  reported_ = true;
  std::uint16_t code = initiated_code_;
  if (code == 0 && ctx_ && wslay_event_get_close_received(ctx_))
    code = wslay_event_get_status_code_received(ctx_);
  if (code == 0 && ctx_ && wslay_event_get_close_sent(ctx_))
    code = wslay_event_get_status_code_sent(ctx_);
  if (code == 0) code = 1006;  // the connection ended without a close frame
  auto s = handlers_owner();
  if (!s || !s->ws.on_close) return;
  try {
    s->ws.on_close(shared_from_this(), code);
  } catch (...) {
  }
}

void ws_session::send_text(std::string text) {
  if (!open()) return;
  if (buffered_bytes() + text.size() > max_buffered_) {
    close(1008, "slow consumer");
    return;
  }
  wslay_event_msg msg{WSLAY_TEXT_FRAME, reinterpret_cast<const std::uint8_t*>(text.data()),
                      text.size()};
  if (wslay_event_queue_msg(ctx_, &msg) != 0) return;
  flush();
}

void ws_session::close(std::uint16_t code, std::string reason) {
  if (!open()) return;
  if (!sendable_code(code)) code = 1000;
  auto why = clip_reason(reason);
  initiated_code_ = code;
  if (wslay_event_queue_close(ctx_, code, reinterpret_cast<const std::uint8_t*>(why.data()),
                              why.size()) != 0) {
    if (auto c = conn_.lock()) c->abort();
    return;
  }
  flush();
}

bool ws_session::open() const {
  return ctx_ && !transport_closed_ && !failed_ && initiated_code_ == 0 && !conn_.expired() &&
         !wslay_event_get_close_received(ctx_) && !wslay_event_get_close_sent(ctx_) &&
         wslay_event_get_read_enabled(ctx_);
}

std::size_t ws_session::buffered_bytes() const {
  std::size_t n = ctx_ ? wslay_event_get_queued_msg_length(ctx_) : 0;
  if (auto c = conn_.lock()) n += c->queued_bytes();
  return n;
}

// ---- wslay callbacks (C: nothing may unwind through them)

ssize_t ws_session::recv_cb(wslay_event_context_ptr ctx, std::uint8_t* buf, std::size_t len, int,
                            void* self) {
  auto& s = *static_cast<ws_session*>(self);
  if (s.in_.empty()) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  const std::size_t n = std::min(len, s.in_.size());
  std::memcpy(buf, s.in_.data(), n);
  s.in_.remove_prefix(n);
  return static_cast<ssize_t>(n);
}

ssize_t ws_session::send_cb(wslay_event_context_ptr ctx, const std::uint8_t* data, std::size_t len,
                            int, void* self) {
  auto& s = *static_cast<ws_session*>(self);
  try {
    s.out_.append(reinterpret_cast<const char*>(data), len);
  } catch (...) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  return static_cast<ssize_t>(len);
}

void ws_session::msg_cb(wslay_event_context_ptr ctx, const wslay_event_on_msg_recv_arg* arg,
                        void* self) {
  auto& s = *static_cast<ws_session*>(self);
  if (arg->opcode == WSLAY_TEXT_FRAME) {  // wslay checked the UTF-8 (1007 otherwise)
    try {
      if (arg->msg_length == 0)
        s.texts_.emplace_back();
      else
        s.texts_.emplace_back(reinterpret_cast<const char*>(arg->msg), arg->msg_length);
    } catch (...) {
      wslay_event_shutdown_read(ctx);
      s.failed_ = true;
    }
  } else if (arg->opcode == WSLAY_BINARY_FRAME) {
    if (s.initiated_code_ == 0) s.initiated_code_ = 1003;
    static constexpr std::string_view why = "binary messages are not supported";
    wslay_event_queue_close(ctx, 1003, reinterpret_cast<const std::uint8_t*>(why.data()),
                            why.size());
    wslay_event_shutdown_read(ctx);
  }
  // Ping (answered by wslay), pong and close (echoed by wslay) need nothing here.
}

}  // namespace durar::gateway_detail
