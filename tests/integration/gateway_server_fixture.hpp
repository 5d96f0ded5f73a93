// Shared by the gateway listener tests (HTTP and WebSocket): a blocking client socket with
// bounded waits, a response reader, an event recorder, and the server on its own io thread.
// The client writes exactly the bytes a test gives it, so framing is tested byte for byte.
#pragma once

#include <durar/result.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include "gateway/http_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace gateway_server_test {

using namespace std::chrono_literals;
using durar::gateway_detail::http_request;
using durar::gateway_detail::http_responder;
using durar::gateway_detail::http_server;
using durar::gateway_detail::http_server_options;
using durar::gateway_detail::ws_connection;
using durar::gateway_detail::ws_handlers;

inline constexpr auto wait_limit = 5s;

// A blocking client socket; every read waits at most wait_limit.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect");
    }
  }
  ~raw_client() { close(); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may have closed: the reads will tell
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // One more read into the buffer; false on timeout or EOF.
  bool read_more(std::chrono::milliseconds limit = wait_limit) {
    if (eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    char tmp[16384];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  bool wait_for(std::string_view needle) {
    auto until = std::chrono::steady_clock::now() + wait_limit;
    while (buf_.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until || !read_more()) return false;
    }
    return true;
  }
  bool wait_bytes(std::size_t n) {
    auto until = std::chrono::steady_clock::now() + wait_limit;
    while (buf_.size() < n) {
      if (std::chrono::steady_clock::now() > until || !read_more()) return false;
    }
    return true;
  }
  // Reads until the server closes; false if it does not within the limit.
  bool wait_eof() {
    auto until = std::chrono::steady_clock::now() + wait_limit;
    while (!eof_) {
      if (std::chrono::steady_clock::now() > until) return false;
      if (!read_more() && !eof_) return false;
    }
    return true;
  }
  std::string take(std::size_t n) {
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  std::string& buffer() { return buf_; }
  [[nodiscard]] bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

struct response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one response: Content-Length, chunked, or up to EOF.
inline std::optional<response> read_response(raw_client& c) {
  if (!c.wait_for("\r\n\r\n")) return std::nullopt;
  auto end = c.buffer().find("\r\n\r\n");
  std::string head = c.take(end + 4);
  response r;
  r.status = std::stoi(head.substr(9, 3));
  std::size_t pos = head.find("\r\n") + 2;
  while (pos < head.size() - 2) {
    auto eol = head.find("\r\n", pos);
    auto line = head.substr(pos, eol - pos);
    auto colon = line.find(':');
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(line.substr(0, colon))] = value;
    pos = eol + 2;
  }
  if (r.status < 200 || r.status == 204 || r.status == 304) return r;
  if (auto cl = r.headers.find("content-length"); cl != r.headers.end()) {
    auto n = std::stoul(cl->second);
    if (!c.wait_bytes(n)) return std::nullopt;
    r.body = c.take(n);
  } else if (r.headers.count("transfer-encoding")) {
    for (;;) {
      if (!c.wait_for("\r\n")) return std::nullopt;
      auto size = std::stoul(c.take(c.buffer().find("\r\n") + 2), nullptr, 16);
      if (!c.wait_bytes(size + 2)) return std::nullopt;
      r.body += c.take(size);
      c.take(2);
      if (size == 0) break;
    }
  } else {
    c.wait_eof();
    r.body = c.take(c.buffer().size());
  }
  return r;
}

// What the handlers saw, for the test thread to wait on.
struct recorder {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> log;
  void add(std::string s) {
    std::lock_guard lock(m);
    log.push_back(std::move(s));
    cv.notify_all();
  }
  bool wait_for(const std::string& s) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, wait_limit,
                       [&] { return std::find(log.begin(), log.end(), s) != log.end(); });
  }
  std::size_t count(const std::string& s) {
    std::lock_guard lock(m);
    return static_cast<std::size_t>(std::count(log.begin(), log.end(), s));
  }
};

struct with_io_t {};
inline constexpr with_io_t with_io;

// The server on its own io thread, as in the gateway.
struct server_fixture {
  asio::io_context io;
  std::unique_ptr<http_server> server;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;

  server_fixture(http_server_options options, durar::gateway_detail::http_handler handler,
                 ws_handlers ws = {})
      : server_fixture(
            with_io, std::move(options), [h = std::move(handler)](asio::io_context&) { return h; },
            std::move(ws)) {}
  // For handlers that need the io_context (timers, posts).
  server_fixture(with_io_t, http_server_options options,
                 const std::function<durar::gateway_detail::http_handler(asio::io_context&)>& make,
                 ws_handlers ws = {}) {
    server = std::make_unique<http_server>(io, std::move(options), make(io), std::move(ws));
    auto listening = server->listen();
    REQUIRE(listening.has_value());
    guard.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
  }
  ~server_fixture() {
    run_on_io([this] { server->stop(); });  // no REQUIRE in a destructor
    guard.reset();
    io.stop();
    thread.join();
    server.reset();
  }
  server_fixture(const server_fixture&) = delete;
  server_fixture& operator=(const server_fixture&) = delete;

  [[nodiscard]] std::uint16_t port() const { return server->port(); }

  // Runs f on the io thread and waits for it (bounded).
  bool run_on_io(std::function<void()> f) {
    auto done = std::make_shared<std::promise<void>>();
    auto ready = done->get_future();
    asio::post(io, [f = std::move(f), done] {
      f();
      done->set_value();
    });
    return ready.wait_for(wait_limit) == std::future_status::ready;
  }
  void on_io(std::function<void()> f) { REQUIRE(run_on_io(std::move(f))); }
};

// Answers "<method> <path> ?<query> [<body>] <x-test header> <peer>".
inline void echo(http_request req, std::shared_ptr<http_responder> res) {
  std::string text = req.method + " " + req.path + " ?" + req.query + " [" + req.body + "] " +
                     std::string(req.header("x-test").value_or("-")) + " " + req.remote_address +
                     (req.remote_is_loopback ? " loopback" : "");
  res->respond(200, {{"Content-Type", "text/plain"}, {"X-Seen", req.target}}, std::move(text));
}

}  // namespace gateway_server_test
