// The control-protocol client: a TCP socket, the HTTP upgrade, wslay for the frames
// (client side: masked), and JSON frames on top. Blocking calls drive a private io_context
// with a deadline, so nothing here can wait forever.
#include <durar/gateway.hpp>
#include <durar/version.hpp>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "session/session_internal.hpp"
#include "ws_handshake.hpp"

#include <atomic>
#include <cstring>
#include <deque>
#include <openssl/rand.h>
#include <optional>
#include <wslay/wslay.h>

namespace durar {

using asio::ip::tcp;

struct gateway_client::impl {
  gateway_client_options options;
  asio::io_context io;
  tcp::socket socket{io};
  wslay_event_context_ptr ws = nullptr;
  std::string inbuf;                    // bytes read, not yet given to wslay
  std::deque<std::string> messages;     // whole text messages received
  std::optional<std::uint16_t> closed;  // close code once the server closed
  json hello = json::object();
  std::string failure;                   // a transport error while reading
  std::atomic<bool> interrupted{false};  // set by interrupt(), from any thread

  ~impl() {
    if (ws != nullptr) wslay_event_context_free(ws);
  }

  // ---- wslay callbacks -----------------------------------------------------------------
  static ssize_t on_recv(wslay_event_context_ptr ctx, std::uint8_t* buf, std::size_t len, int,
                         void* user) {
    auto* self = static_cast<impl*>(user);
    if (self->inbuf.empty()) {
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    std::size_t n = std::min(len, self->inbuf.size());
    std::memcpy(buf, self->inbuf.data(), n);
    self->inbuf.erase(0, n);
    return static_cast<ssize_t>(n);
  }
  static ssize_t on_send(wslay_event_context_ptr ctx, const std::uint8_t* data, std::size_t len,
                         int, void* user) {
    auto* self = static_cast<impl*>(user);
    std::error_code ec;
    asio::write(self->socket, asio::buffer(data, len), ec);
    if (ec) {
      wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
      return -1;
    }
    return static_cast<ssize_t>(len);
  }
  static int on_genmask(wslay_event_context_ptr, std::uint8_t* buf, std::size_t len, void*) {
    return RAND_bytes(buf, static_cast<int>(len)) == 1 ? 0 : -1;
  }
  static void on_message(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                         void* user) {
    auto* self = static_cast<impl*>(user);
    if (arg->opcode == WSLAY_TEXT_FRAME)
      self->messages.emplace_back(reinterpret_cast<const char*>(arg->msg), arg->msg_length);
    else if (arg->opcode == WSLAY_CONNECTION_CLOSE)
      self->closed = arg->status_code;
  }

  // ---- I/O -------------------------------------------------------------------------------
  // Reads once, waiting at most the timeout; false on timeout or error (failure says why).
  bool read_some() {
    if (interrupted) {
      failure = "stopped waiting for the gateway";
      return false;
    }
    char buf[16384];
    std::optional<std::error_code> got;
    std::size_t n = 0;
    socket.async_read_some(asio::buffer(buf), [&](std::error_code ec, std::size_t k) {
      got = ec;
      n = k;
    });
    io.restart();
    io.run_for(options.timeout);
    if (!got) {
      socket.cancel();
      io.restart();
      io.run();  // let the cancelled read finish
      failure =
          "the gateway did not answer within " + std::to_string(options.timeout.count()) + " ms";
      return false;
    }
    if (interrupted) {
      failure = "stopped waiting for the gateway";
      return false;
    }
    if (*got) {
      failure = "the gateway closed the connection (" + got->message() + ")";
      return false;
    }
    inbuf.append(buf, n);
    return true;
  }

  // The next whole text message, reading as needed.
  result<std::string> next_message() {
    while (messages.empty()) {
      if (closed)
        return fail(errc::unavailable,
                    "the gateway closed the connection (code " + std::to_string(*closed) + ")");
      if (!inbuf.empty() || wslay_event_want_read(ws)) {
        if (!inbuf.empty()) {
          if (wslay_event_recv(ws) != 0)
            return fail(errc::protocol_error, "bad WebSocket frame from the gateway");
          wslay_event_send(ws);  // pongs, close replies
          continue;
        }
      }
      if (!read_some()) return fail(interrupted ? errc::cancelled : errc::unavailable, failure);
    }
    std::string m = std::move(messages.front());
    messages.pop_front();
    return m;
  }

  result<void> send_text(const std::string& text) {
    wslay_event_msg msg{WSLAY_TEXT_FRAME, reinterpret_cast<const std::uint8_t*>(text.data()),
                        text.size()};
    if (wslay_event_queue_msg(ws, &msg) != 0 || wslay_event_send(ws) != 0)
      return fail(errc::unavailable, "cannot send to the gateway");
    return {};
  }

  // The HTTP upgrade; leaves any bytes after the response head in inbuf.
  result<void> upgrade(const std::string& host, const std::string& port) {
    std::string key = gateway_detail::websocket_key();
    std::string request = "GET / HTTP/1.1\r\nHost: " + host + ":" + port +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: " +
                          key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    std::error_code ec;
    asio::write(socket, asio::buffer(request), ec);
    if (ec) return fail(errc::unavailable, "cannot send the upgrade: " + ec.message());
    std::size_t end = std::string::npos;
    while ((end = inbuf.find("\r\n\r\n")) == std::string::npos) {
      if (inbuf.size() > 64 * 1024) return fail(errc::protocol_error, "upgrade answer too long");
      if (!read_some()) return fail(errc::unavailable, failure);
    }
    std::string head = inbuf.substr(0, end);
    inbuf.erase(0, end + 4);
    if (head.rfind("HTTP/1.1 101", 0) != 0) {
      std::string status = head.substr(0, head.find("\r\n"));
      if (status.find(" 401") != std::string::npos || status.find(" 403") != std::string::npos)
        return fail(errc::unauthenticated, "the gateway refused the connection: " + status);
      return fail(errc::protocol_error, "the gateway did not upgrade: " + status);
    }
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string want = gateway_detail::websocket_accept(key);
    auto at = lower.find("sec-websocket-accept:");
    if (at == std::string::npos || head.find(want, at) == std::string::npos)
      return fail(errc::protocol_error, "the gateway's Sec-WebSocket-Accept is wrong");
    return {};
  }
};

gateway_client::gateway_client() : impl_(std::make_unique<impl>()) {}
gateway_client::~gateway_client() { close(); }

const json& gateway_client::hello() const { return impl_->hello; }

namespace {

// "ws://host:port[/path]" -> host, port.
result<std::pair<std::string, std::string>> split_url(const std::string& url) {
  std::string rest;
  if (url.rfind("ws://", 0) == 0)
    rest = url.substr(5);
  else
    return fail(errc::invalid_argument, "gateway URL must start with ws://, not '" + url + "'");
  rest = rest.substr(0, rest.find('/'));
  std::string host = rest, port = "80";
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return fail(errc::invalid_argument, "bad gateway URL " + url);
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return fail(errc::invalid_argument, "bad gateway URL " + url);
  return std::pair{host, port};
}

error error_of(const json& frame) {
  const json& e = frame["error"];
  std::string code = e.string_or("code", "ERROR");
  std::string message = e.string_or("message", "the gateway refused the request");
  errc c = errc::unavailable;
  if (code == "INVALID_REQUEST") c = errc::invalid_argument;
  if (code == "FORBIDDEN") c = errc::permission_denied;
  if (code == "NOT_FOUND") c = errc::not_found;
  if (message.rfind("unauthorized", 0) == 0) c = errc::unauthenticated;
  return error(c, message);
}

}  // namespace

result<std::unique_ptr<gateway_client>> gateway_client::connect(gateway_client_options options) {
  auto where = split_url(options.url);
  if (!where) return fail(where.error());
  std::unique_ptr<gateway_client> c(new gateway_client());
  impl& m = *c->impl_;
  m.options = std::move(options);

  std::error_code ec;
  tcp::resolver resolver(m.io);
  auto endpoints = resolver.resolve(where->first, where->second, ec);
  if (ec) return fail(errc::unavailable, "cannot resolve " + where->first + ": " + ec.message());
  std::optional<std::error_code> connected;
  asio::async_connect(m.socket, endpoints,
                      [&](std::error_code e, const tcp::endpoint&) { connected = e; });
  m.io.run_for(m.options.timeout);
  if (!connected || *connected) {
    m.socket.close(ec);
    return fail(errc::unavailable, "no gateway at " + m.options.url +
                                       (connected ? " (" + connected->message() + ")" : ""));
  }
  if (auto up = m.upgrade(where->first, where->second); !up) return fail(up.error());

  wslay_event_callbacks callbacks{impl::on_recv, impl::on_send, impl::on_genmask, nullptr,
                                  nullptr,       nullptr,       impl::on_message};
  if (wslay_event_context_client_init(&m.ws, &callbacks, &m) != 0)
    return fail(errc::internal, "out of memory");

  // The server speaks first: connect.challenge. Then our connect request.
  auto first = m.next_message();
  if (!first) return fail(first.error());
  auto challenge = json::parse(*first);
  if (!challenge || challenge->string_or("event") != "connect.challenge")
    return fail(errc::protocol_error, "the gateway did not send connect.challenge first");

  json auth = json::object();
  if (m.options.token) auth.set("token", m.options.token->reveal());
  if (m.options.password) auth.set("password", m.options.password->reveal());
  json scopes = json::array();
  for (const auto& s : m.options.scopes) scopes.push_back(s);
  json params = json::object({{"minProtocol", 3},
                              {"maxProtocol", 3},
                              {"client", json::object({{"id", m.options.client_id},
                                                       {"version", std::string(durar::version())},
                                                       {"platform", "linux"},
                                                       {"mode", m.options.mode}})},
                              {"role", "operator"},
                              {"scopes", std::move(scopes)},
                              {"auth", std::move(auth)}});
  auto hello = c->call("connect", std::move(params));
  if (!hello) return fail(hello.error());
  m.hello = std::move(*hello);
  return c;
}

result<json> gateway_client::call(std::string_view method, json params,
                                  const event_handler& on_event) {
  impl& m = *impl_;
  if (m.ws == nullptr || m.closed) return fail(errc::unavailable, "not connected to the gateway");
  const std::string id = detail::new_session_id();
  json req = json::object({{"type", "req"},
                           {"id", id},
                           {"method", std::string(method)},
                           {"params", std::move(params)}});
  if (auto sent = m.send_text(req.dump()); !sent) return fail(sent.error());
  for (;;) {
    auto text = m.next_message();
    if (!text) return fail(text.error());
    auto frame = json::parse(*text);
    if (!frame || !frame->is_object())
      return fail(errc::protocol_error, "the gateway sent a frame that is not JSON");
    const std::string type = frame->string_or("type");
    if (type == "event") {
      if (on_event) on_event(frame->string_or("event"), (*frame)["payload"]);
      continue;
    }
    if (type != "res" || frame->string_or("id") != id) continue;
    if (!(*frame)["ok"].is_bool() || !(*frame)["ok"].as_bool()) return fail(error_of(*frame));
    const json& payload = (*frame)["payload"];
    if (payload.string_or("status") == "accepted") {  // the final answer follows
      if (on_event) on_event("accepted", payload);
      continue;
    }
    return payload;
  }
}

void gateway_client::set_timeout(std::chrono::milliseconds t) { impl_->options.timeout = t; }

void gateway_client::interrupt() {
  impl_->interrupted = true;
  // Runs on the thread waiting in call() (or in its next wait): the pending read ends.
  asio::post(impl_->io, [m = impl_.get()] {
    std::error_code ec;
    m->socket.cancel(ec);
  });
}

void gateway_client::close() {
  if (!impl_ || impl_->ws == nullptr) return;
  if (!impl_->closed) {
    wslay_event_queue_close(impl_->ws, 1000, nullptr, 0);
    wslay_event_send(impl_->ws);
  }
  std::error_code ec;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ec);
  impl_->socket.close(ec);
  wslay_event_context_free(impl_->ws);
  impl_->ws = nullptr;
}

}  // namespace durar
