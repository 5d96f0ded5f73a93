// Requests from the network into the gateway's HTTP/1.1 server (libhttp-parser, limits,
// keep-alive, pipelining, chunked bodies, WebSocket upgrades) over a real loopback socket:
// the bytes are written, the client half-closes, and the answer is read until the server
// closes. Invariants: the server answers only with HTTP/1.1 responses (or nothing), and it
// always closes the connection in bounded time (no hang after the client's EOF).
#include <asio/executor_work_guard.hpp>

#include "gateway/http_server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace durar::gateway_detail;

// The server runs on its own thread for the whole process; each input is one connection.
struct world {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<http_server> server;
  std::thread loop;

  world() {
    http_server_options o;
    o.max_header_bytes = 8 * 1024;
    o.max_body_bytes = 64 * 1024;
    o.max_ws_message_bytes = 64 * 1024;
    o.header_timeout = std::chrono::milliseconds(1000);
    o.body_timeout = std::chrono::milliseconds(1000);
    o.idle_timeout = std::chrono::milliseconds(1000);
    auto handler = [](http_request req, std::shared_ptr<http_responder> res) {
      if (req.path == "/stream") {  // the chunked side too
        res->start_stream(200, {{"content-type", "text/event-stream"}});
        res->write(req.body);
        res->end();
        return;
      }
      res->respond(200, {{"content-type", "text/plain"}}, req.method + " " + req.path);
    };
    ws_handlers ws;
    ws.accept = [](const http_request& req) -> std::optional<int> {
      if (req.path == "/deny") return 403;
      return std::nullopt;
    };
    ws.on_text = [](const std::shared_ptr<ws_connection>& c, std::string text) {
      c->send_text(std::move(text));
    };
    server = std::make_unique<http_server>(io, o, handler, ws);
    if (!server->listen()) std::abort();
    loop = std::thread([this] { io.run(); });
  }
};

// libFuzzer's timers interrupt system calls: an interrupted connect goes on in the
// background, so its outcome is waited for rather than taken as a failure.
bool connect_loopback(int fd, const sockaddr_in& addr) {
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno != EINTR) return false;
  pollfd p{fd, POLLOUT, 0};
  while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return false;
  if (err == 0 && (p.revents & POLLOUT) != 0) return true;
  errno = err != 0 ? err : ETIMEDOUT;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static world* w = new world();  // lives to the end of the process
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(w->server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!connect_loopback(fd, addr)) {
    std::fprintf(stderr, "http_fuzz: connect: %s\n", std::strerror(errno));
    std::abort();
  }
  timeval tv{5, 0};  // the server's own timeouts are 1 s: 5 s of silence is a hang
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  std::size_t sent = 0;
  while (sent < size) {
    ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server may close early (413, 431, a bad request)
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);

  std::string reply;
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        std::fprintf(stderr, "http_fuzz: no close within 5 s\n");
        std::abort();
      }
      break;  // reset: a refused request may end that way
    }
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!reply.empty() && reply.rfind("HTTP/1.1 ", 0) != 0) std::abort();
  return 0;
}
