#include "fake_vendor_server.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "fake_http_wire.hpp"

#include <array>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace durar::test {
namespace {

using asio::ip::tcp;

class session;

// State shared between the test thread and the server thread.
struct server_state {
  mutable std::mutex mutex;
  mutable std::condition_variable arrived;
  std::deque<fake_response> queue;
  fake_vendor_server::responder respond;
  std::vector<recorded_request> requests;
  std::size_t connections = 0;

  // Server thread only.
  std::vector<std::weak_ptr<session>> sessions;
  std::vector<std::shared_ptr<session>> parked;  // stalled responses stay open until the end

  // Records a request and hands out the response it gets.
  fake_response take(recorded_request r) {
    std::lock_guard lock(mutex);
    requests.push_back(std::move(r));
    arrived.notify_all();
    if (respond)
      if (auto answer = respond(requests.back())) return std::move(*answer);
    if (queue.empty())
      return error_response(
          599, R"({"error":{"message":"fake_vendor_server: no response queued","type":"test"}})");
    fake_response next = std::move(queue.front());
    queue.pop_front();
    return next;
  }
};

// One accepted connection: reads requests one after another and plays their responses.
class session : public std::enable_shared_from_this<session> {
 public:
  session(server_state& state, tcp::socket socket)
      : state_(state), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void start() { read(); }

  void close() {
    asio::error_code ec;
    timer_.cancel();
    socket_.close(ec);
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                              if (ec) return;  // the peer went away: the session ends
                              self->buffer_.append(self->chunk_.data(), n);
                              self->process();
                            });
  }

  void process() {
    parsed_request parsed = parse_request(buffer_);
    if (parsed.status == parsed_request::state::bad) {
      plan_ = response_plan{{"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n"},
                            response_end::close};
      next_write_ = 0;
      write_next();
      return;
    }
    if (parsed.status == parsed_request::state::need_more) {
      if (parsed.headers_done && parsed.expects_continue && !continue_sent_) {
        continue_sent_ = true;
        asio::async_write(socket_, asio::buffer(continue_line_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                            if (!ec) self->read();
                          });
        return;
      }
      read();
      return;
    }
    buffer_.erase(0, parsed.consumed);
    continue_sent_ = false;
    close_when_done_ = parsed.wants_close;
    const bool head_request = parsed.request.method == "HEAD";
    serve(state_.take(std::move(parsed.request)), head_request);
  }

  void serve(const fake_response& r, bool head_request) {
    if (r.reset_before_headers) {
      reset();
      return;
    }
    plan_ = plan_response(r, head_request);
    next_write_ = 0;
    if (r.delay_headers.count() > 0) {
      timer_.expires_after(r.delay_headers);
      timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (!ec) self->write_next();
      });
      return;
    }
    write_next();
  }

  // Sequential writes, one per planned piece, so that a split reaches the peer as a split.
  void write_next() {
    if (next_write_ == plan_.writes.size()) {
      finish_response();
      return;
    }
    asio::async_write(socket_, asio::buffer(plan_.writes[next_write_]),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                        if (ec) return self->close();
                        ++self->next_write_;
                        self->write_next();
                      });
  }

  void finish_response() {
    asio::error_code ec;
    switch (plan_.end) {
      case response_end::keep_alive:
        if (close_when_done_) {
          socket_.shutdown(tcp::socket::shutdown_both, ec);
          close();
        } else {
          process();  // the next request may already be buffered
        }
        return;
      case response_end::reset:
        reset();
        return;
      case response_end::stall:
        state_.parked.push_back(shared_from_this());
        return;
      case response_end::close:
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        close();
        return;
    }
  }

  // SO_LINGER 0 turns close() into a RST.
  void reset() {
    asio::error_code ec;
    socket_.set_option(asio::socket_base::linger(true, 0), ec);
    close();
  }

  static constexpr std::string_view continue_line_ = "HTTP/1.1 100 Continue\r\n\r\n";
  server_state& state_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string buffer_;
  std::array<char, 16384> chunk_{};
  response_plan plan_;
  std::size_t next_write_ = 0;
  bool continue_sent_ = false;
  bool close_when_done_ = false;
};

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

fake_response recorded(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("fake_vendor_server: cannot read " + file.string());
  std::ostringstream body;
  body << in.rdbuf();
  fake_response r;
  const std::string ext = to_lower(file.extension().string());
  const char* type = ext == ".sse"      ? "text/event-stream"
                     : ext == ".ndjson" ? "application/x-ndjson"
                                        : "application/json";
  r.headers.emplace_back("Content-Type", type);
  r.body = std::move(body).str();
  return r;
}

fake_response error_response(int status, std::string body, std::optional<int> retry_after_seconds) {
  fake_response r;
  r.status = status;
  r.chunked = false;
  r.headers.emplace_back("Content-Type", "application/json");
  if (retry_after_seconds)
    r.headers.emplace_back("Retry-After", std::to_string(*retry_after_seconds));
  r.body = std::move(body);
  return r;
}

std::string recorded_request::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

struct fake_vendor_server::impl {
  impl() {
    tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(local.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(local);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    accept();
    thread = std::thread([this] { io.run(); });
  }

  ~impl() {
    asio::post(io, [this] {
      asio::error_code ec;
      acceptor.close(ec);
      for (auto& weak : state.sessions)
        if (auto s = weak.lock()) s->close();
      state.parked.clear();
      io.stop();  // handlers still queued are destroyed with the io_context
    });
    thread.join();
  }

  void accept() {
    acceptor.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted && acceptor.is_open()) accept();
        return;
      }
      {
        std::lock_guard lock(state.mutex);
        ++state.connections;
      }
      asio::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto s = std::make_shared<session>(state, std::move(socket));
      std::erase_if(state.sessions, [](const auto& w) { return w.expired(); });
      state.sessions.push_back(s);
      s->start();
      accept();
    });
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  server_state state;
  std::thread thread;
};

fake_vendor_server::fake_vendor_server() : impl_(std::make_unique<impl>()) {}
fake_vendor_server::~fake_vendor_server() = default;

std::uint16_t fake_vendor_server::port() const { return impl_->port; }

std::string fake_vendor_server::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void fake_vendor_server::enqueue(fake_response r) {
  std::lock_guard lock(impl_->state.mutex);
  impl_->state.queue.push_back(std::move(r));
}

void fake_vendor_server::respond_with(responder r) {
  std::lock_guard lock(impl_->state.mutex);
  impl_->state.respond = std::move(r);
}

std::vector<recorded_request> fake_vendor_server::requests() const {
  std::lock_guard lock(impl_->state.mutex);
  return impl_->state.requests;
}

bool fake_vendor_server::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->state.mutex);
  return impl_->state.arrived.wait_for(lock, timeout,
                                       [&] { return impl_->state.requests.size() >= n; });
}

std::size_t fake_vendor_server::connections() const {
  std::lock_guard lock(impl_->state.mutex);
  return impl_->state.connections;
}

}  // namespace durar::test
