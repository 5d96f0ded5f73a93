// The listener (accept loop, limits, stop) and the HTTP response side: the responder that
// formats responses into a connection's write queue.
#include "gateway/http_server.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "gateway/http_connection.hpp"
#include "gateway/http_errors.hpp"
#include "gateway/http_responder_impl.hpp"

#include <charconv>
#include <vector>

namespace durar::gateway_detail {

// ---- text helpers

std::string_view status_reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool header_has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (ascii_iequals(trim_ows(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

namespace {

// RFC 9110 token characters: a header name with anything else would break the framing.
bool header_name_ok(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
  }
  return true;
}

// A value with CR, LF or NUL could smuggle headers: those bytes are dropped.
void append_value(std::string& out, std::string_view value) {
  for (char c : value)
    if (c != '\r' && c != '\n' && c != '\0') out += c;
}

std::string_view connection_line(bool close, bool http10) {
  if (close) return "connection: close\r\n";
  return http10 ? "connection: keep-alive\r\n" : "";
}

template <class Int>
void append_decimal(std::string& out, Int i) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
}

// The status line and the headers (ours for framing left out), into `out`.
void write_head(std::string& out, int status, const header_list& headers, bool http10,
                bool& close) {
  out += "HTTP/1.1 ";
  append_decimal(out, status);
  out += ' ';
  out += status_reason(status);
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    if (!header_name_ok(name)) continue;
    if (ascii_iequals(name, "content-length") || ascii_iequals(name, "transfer-encoding"))
      continue;  // framing is ours
    if (ascii_iequals(name, "connection")) {
      if (header_has_token(value, "close")) close = true;
      continue;
    }
    out += name;
    out += ": ";
    append_value(out, value);
    out += "\r\n";
  }
  out += connection_line(close, http10);
}

// Room for a head: the status line, the headers, connection and framing lines.
std::size_t head_size(const header_list& headers) {
  std::size_t n = 128;
  for (const auto& [name, value] : headers) n += name.size() + value.size() + 4;
  return n;
}

}  // namespace

std::string error_response_body(int status, std::string_view message) {
  return error_body(
             server_error(status, std::string(message.empty() ? status_reason(status) : message)))
      .dump();
}

std::string simple_response(int status, std::string_view message, bool close, bool http10,
                            std::string_view extra_headers) {
  const std::string body = error_response_body(status, message);
  return fmt::format(
      "HTTP/1.1 {} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: "
      "{}\r\n{}{}\r\n{}",
      status, status_reason(status), body.size(), connection_line(close, http10), extra_headers,
      body);
}

// ---- the responder

responder_impl::responder_impl(std::weak_ptr<http_connection> conn, std::uint64_t seq,
                               asio::io_context& io, bool head, bool http10, bool keep_alive,
                               std::size_t max_buffered)
    : conn_(std::move(conn)),
      seq_(seq),
      io_(io),
      head_(head),
      http10_(http10),
      keep_alive_(keep_alive),
      max_buffered_(max_buffered) {}

responder_impl::~responder_impl() {
  if (state_ == state::done || gone_) return;
  if (auto c = conn_.lock()) c->response_abandoned(seq_, state_ == state::streaming);
}

std::shared_ptr<http_connection> responder_impl::usable() const {
  if (gone_) return nullptr;
  auto c = conn_.lock();
  if (!c || c->closed()) return nullptr;
  return c;
}

std::string responder_impl::head(int status, const header_list& headers, bool& close) const {
  std::string out;
  out.reserve(head_size(headers));
  write_head(out, status, headers, http10_, close);
  return out;
}

void responder_impl::respond(int status, header_list headers, std::string body) {
  auto c = usable();
  if (!c || state_ != state::fresh) return;
  state_ = state::done;
  if (status < 200 || status > 999) status = 500;
  bool close = !keep_alive_;
  const bool no_body = status == 204 || status == 304;
  const std::size_t length = body.size();  // a HEAD response says what GET would send
  if (no_body || head_) body.clear();
  // Small bodies go out in the head's buffer, sized for both at once.
  const bool joined = body.size() <= 16 * 1024;
  std::string out;
  out.reserve(head_size(headers) + (joined ? body.size() : 0));
  write_head(out, status, headers, http10_, close);
  if (!no_body) {
    out += "content-length: ";
    append_decimal(out, length);
    out += "\r\n";
  }
  out += "\r\n";
  if (joined) {
    out += body;
    c->send(std::move(out));
  } else {
    c->send(std::move(out));
    c->send(std::move(body));
  }
  c->response_finished(seq_, close);
}

void responder_impl::start_stream(int status, header_list headers) {
  auto c = usable();
  if (!c || state_ != state::fresh) return;
  state_ = state::streaming;
  if (status < 200 || status > 999) status = 500;
  const bool no_body = status == 204 || status == 304;
  bodiless_ = no_body || head_;
  chunked_ = !http10_ && !bodiless_;
  // HTTP/1.0 has no chunked encoding: the body ends where the connection does.
  close_ = !keep_alive_ || (http10_ && !bodiless_);
  std::string out = head(status, headers, close_);
  if (!http10_ && !no_body) out += "transfer-encoding: chunked\r\n";
  out += "\r\n";
  c->send(std::move(out));
}

void responder_impl::write(std::string_view bytes) {
  if (state_ != state::streaming || bytes.empty() || bodiless_ || overflow_) return;
  auto c = usable();
  if (!c) return;
  if (c->queued_bytes() + bytes.size() > max_buffered_) {
    // The client reads slower than we produce: cut it (on_disconnect follows, not from here).
    overflow_ = true;
    asio::post(io_, [w = conn_, seq = seq_] {
      if (auto conn = w.lock()) conn->response_abandoned(seq, true);
    });
    return;
  }
  if (chunked_) {
    std::string chunk = fmt::format("{:x}\r\n", bytes.size());
    chunk.append(bytes);
    chunk += "\r\n";
    c->send(std::move(chunk));
  } else {
    c->send(std::string(bytes));
  }
}

void responder_impl::end() {
  if (state_ != state::streaming) return;
  state_ = state::done;
  auto c = usable();
  if (!c || overflow_) return;
  if (chunked_) c->send("0\r\n\r\n");
  c->response_finished(seq_, close_);
}

void responder_impl::on_disconnect(std::function<void()> f) {
  if (state_ == state::done || notified_ || !f) return;
  if (gone_) {  // already gone: still told, once, but not from inside this call
    notified_ = true;
    asio::post(io_, [f = std::move(f)] {
      try {
        f();
      } catch (...) {
      }
    });
    return;
  }
  on_disconnect_ = std::move(f);
}

bool responder_impl::open() const {
  return state_ != state::done && !overflow_ && usable() != nullptr;
}

void responder_impl::fail() {
  if (state_ == state::fresh) {
    respond(500, {{"content-type", "application/json; charset=utf-8"}},
            error_response_body(500, "internal error: the request handler failed"));
  } else if (state_ == state::streaming) {
    state_ = state::done;
    if (auto c = usable()) c->response_abandoned(seq_, true);
  }
}

void responder_impl::disconnected(bool notify) {
  if (gone_) return;
  gone_ = true;
  if (state_ == state::done || notified_) return;
  notified_ = true;
  auto f = std::move(on_disconnect_);
  on_disconnect_ = nullptr;
  if (notify && f) {
    try {
      f();
    } catch (...) {
    }
  }
}

// ---- the listener

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  std::shared_ptr<server_shared> shared;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer retry;
  asio::steady_timer drain_timer;
  std::function<void()> drained;  // drain()'s `done`, until called
  std::uint16_t port = 0;
  bool listening = false;
  bool stopped = false;

  impl(asio::io_context& io, http_server_options options, http_handler on_request, ws_handlers ws)
      : shared(std::make_shared<server_shared>(io, std::move(options), std::move(on_request),
                                               std::move(ws))),
        acceptor(io),
        retry(io),
        drain_timer(io) {}

  void stop_accepting() {
    std::error_code ignored;
    acceptor.close(ignored);
    retry.cancel();
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    stop_accepting();
    // A copy: closing a connection removes it from the live map.
    std::vector<std::shared_ptr<http_connection>> conns;
    conns.reserve(shared->live.size());
    for (auto& [id, weak] : shared->live)
      if (auto c = weak.lock()) conns.push_back(std::move(c));
    for (auto& c : conns) c->stop_from_server();
    shared->detached = true;
    shared->on_empty = nullptr;
  }

  // The drain is over (all closed, or the grace ran out): cut what is left, then report.
  void finish_drain() {
    if (!drained) return;
    drain_timer.cancel();
    auto done = std::move(drained);
    drained = nullptr;
    stop();
    done();
  }

  void accept_next() {
    acceptor.async_accept(
        [self = shared_from_this()](const std::error_code& ec, asio::ip::tcp::socket socket) {
          self->on_accept(ec, std::move(socket));
        });
  }

  void on_accept(const std::error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped || !acceptor.is_open()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors and the like: try again shortly instead of spinning.
      retry.expires_after(std::chrono::milliseconds(100));
      retry.async_wait([self = shared_from_this()](const std::error_code& e) {
        if (!e && !self->stopped) self->accept_next();
      });
      return;
    }
    if (shared->live.size() >= shared->options.max_connections) {
      std::error_code ignored;
      socket.close(ignored);
    } else {
      auto conn = std::make_shared<http_connection>(shared, std::move(socket), shared->next_id++);
      conn->start();
    }
    accept_next();
  }
};

http_server::http_server(asio::io_context& io, http_server_options options, http_handler on_request,
                         ws_handlers ws)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(on_request), std::move(ws))) {}

// Handlers are not called from the destructor: what they capture may already be gone.
http_server::~http_server() {
  impl_->shared->detached = true;
  stop();
}

result<void> http_server::listen() {
  auto& s = *impl_;
  const auto& o = s.shared->options;
  if (s.listening || s.stopped)
    return fail(errc::invalid_argument, "the gateway server is already listening or stopped");
  std::error_code ec;
  const std::string host = o.host == "localhost" ? "127.0.0.1" : o.host;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return fail(errc::invalid_argument, fmt::format("{} is not an IP address", o.host));
  const asio::ip::tcp::endpoint endpoint(address, o.port);

  auto bind_error = [&](const std::error_code& e) -> result<void> {
    std::error_code ignored;
    s.acceptor.close(ignored);
    if (e == asio::error::address_in_use)
      return fail(errc::unavailable,
                  fmt::format("port {} on {} is already in use", o.port, o.host));
    if (e == asio::error::access_denied)
      return fail(errc::permission_denied,
                  fmt::format("not allowed to listen on port {} on {}", o.port, o.host));
    if (e == std::errc::address_not_available)
      return fail(errc::invalid_argument,
                  fmt::format("{} is not an address of this machine", o.host));
    return fail(errc::unavailable,
                fmt::format("cannot listen on port {} on {}: {}", o.port, o.host, e.message()));
  };

  s.acceptor.open(endpoint.protocol(), ec);
  if (ec) return bind_error(ec);
  s.acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (ec) return bind_error(ec);
  s.acceptor.bind(endpoint, ec);
  if (ec) return bind_error(ec);
  s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return bind_error(ec);
  s.port = s.acceptor.local_endpoint(ec).port();
  s.listening = true;
  s.accept_next();
  return {};
}

std::uint16_t http_server::port() const { return impl_->port; }

void http_server::stop() {
  // A drain in progress ends here: its `done` is dropped, as the caller stops everything.
  impl_->drained = nullptr;
  impl_->drain_timer.cancel();
  impl_->stop();
}

void http_server::stop_accepting() { impl_->stop_accepting(); }

void http_server::drain(std::chrono::milliseconds grace, std::function<void()> done) {
  auto& s = *impl_;
  std::weak_ptr<impl> weak = impl_;
  auto finish = [weak] {
    if (auto i = weak.lock()) i->finish_drain();
  };
  if (s.stopped) {
    if (done) asio::post(s.shared->io, std::move(done));
    return;
  }
  s.stop_accepting();
  s.drained = done ? std::move(done) : [] {};
  s.shared->on_empty = finish;
  std::vector<std::shared_ptr<http_connection>> conns;
  for (auto& [id, w] : s.shared->live)
    if (auto c = w.lock()) conns.push_back(std::move(c));
  for (auto& c : conns) c->drain_from_server();
  if (s.shared->live.empty()) {
    s.shared->on_empty = nullptr;
    asio::post(s.shared->io, finish);
    return;
  }
  s.drain_timer.expires_after(grace);
  s.drain_timer.async_wait([finish](const std::error_code& ec) {
    if (!ec) finish();
  });
}

std::size_t http_server::connection_count() const { return impl_->shared->live.size(); }

}  // namespace durar::gateway_detail
