// gateway_load: a small HTTP/1.1 load client for the gateway benchmark (bench/gateway_bench.py).
// One thread, non-blocking sockets on epoll, keep-alive connections, `--concurrency` requests
// in flight; each connection sends its next request when the previous answer is complete.
// Prints one JSON object: latency percentiles, requests per second, errors by kind.
//
//   gateway_load --url http://127.0.0.1:18789 --path /v1/chat/completions
//       --header 'Authorization: Bearer t' --body '{"model":"durar",...}'
//       --concurrency 16 --duration 5 [--warmup 30] [--count N] [--stream] [--expect TEXT]
//
// Plain sockets rather than libcurl or Asio: the client must cost less than what it
// measures, and a single epoll loop keeps its own overhead flat from 1 to 1,000 connections.
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string host = "127.0.0.1";
  std::string port = "80";
  std::string path = "/";
  std::string method;
  std::string body;
  std::vector<std::string> headers;
  std::size_t concurrency = 1;
  std::optional<std::size_t> count;
  double duration_s = 0;
  std::size_t warmup = 0;
  bool stream = false;
  std::string expect;
  double timeout_s = 60;
  rlim_t nofile = 0;  // 0: raise the soft limit only as far as the concurrency needs
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "gateway_load: %s\n"
               "usage: gateway_load --url http://HOST:PORT [--path P] [--method M]\n"
               "  [--body TEXT | --body-file FILE] [--header 'Name: value']...\n"
               "  [--concurrency N] (--count N | --duration SECONDS) [--warmup N]\n"
               "  [--stream] [--expect TEXT] [--timeout SECONDS] [--nofile N]\n",
               why);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) usage((std::string(argv[i]) + " needs a value").c_str());
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--url") {
      std::string url = value(i);
      if (url.rfind("http://", 0) != 0) usage("--url must start with http://");
      url = url.substr(7);
      if (auto slash = url.find('/'); slash != std::string::npos) url.resize(slash);
      auto colon = url.rfind(':');
      o.host = url.substr(0, colon);
      if (colon != std::string::npos) o.port = url.substr(colon + 1);
    } else if (a == "--path") {
      o.path = value(i);
    } else if (a == "--method") {
      o.method = value(i);
    } else if (a == "--body") {
      o.body = value(i);
    } else if (a == "--body-file") {
      std::ifstream in(value(i), std::ios::binary);
      if (!in) usage("cannot read --body-file");
      std::ostringstream s;
      s << in.rdbuf();
      o.body = std::move(s).str();
    } else if (a == "--header") {
      o.headers.push_back(value(i));
    } else if (a == "--concurrency") {
      o.concurrency = std::max<std::size_t>(1, std::stoul(value(i)));
    } else if (a == "--count") {
      o.count = std::stoul(value(i));
    } else if (a == "--duration") {
      o.duration_s = std::stod(value(i));
    } else if (a == "--warmup") {
      o.warmup = std::stoul(value(i));
    } else if (a == "--stream") {
      o.stream = true;
    } else if (a == "--expect") {
      o.expect = value(i);
    } else if (a == "--timeout") {
      o.timeout_s = std::stod(value(i));
    } else if (a == "--nofile") {
      o.nofile = std::stoul(value(i));
    } else {
      usage(("unknown argument " + std::string(a)).c_str());
    }
  }
  if (!o.count && o.duration_s <= 0) usage("give --count or --duration");
  if (o.method.empty()) o.method = o.body.empty() ? "GET" : "POST";
  // A stream counts as complete only with its terminator; a 200 can still carry an error.
  if (o.stream && o.expect.empty()) o.expect = "[DONE]";
  return o;
}

std::string build_request(const options& o) {
  std::string r = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + o.port + "\r\n";
  bool has_type = false;
  for (const auto& h : o.headers) {
    r += h + "\r\n";
    if (strncasecmp(h.c_str(), "content-type:", 13) == 0) has_type = true;
  }
  if (!o.body.empty() || o.method == "POST") {
    if (!has_type) r += "Content-Type: application/json\r\n";
    r += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  }
  if (o.stream) r += "Accept: text/event-stream\r\n";
  r += "\r\n";
  r += o.body;
  return r;
}

// Incremental response parser: status line and headers, then a Content-Length, chunked or
// read-until-close body. Only what a benchmark needs; the body is kept for --expect.
struct response_parser {
  enum class step { headers, sized, chunk_size, chunk_data, chunk_crlf, trailers, until_close };
  step at = step::headers;
  std::string raw;  // unconsumed bytes
  int status = 0;
  bool keep_alive = true;
  std::size_t remaining = 0;
  std::string body;
  bool done = false;
  bool bad = false;

  void reset() { *this = response_parser(); }

  static bool header_is(std::string_view line, std::string_view name) {
    return line.size() > name.size() && line[name.size()] == ':' &&
           strncasecmp(line.data(), name.data(), name.size()) == 0;
  }
  static std::string_view header_value(std::string_view line) {
    auto v = line.substr(line.find(':') + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.remove_suffix(1);
    return v;
  }

  void parse_head(std::string_view head) {
    std::size_t pos = head.find("\r\n");
    std::string_view status_line = head.substr(0, pos);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
      bad = true;
      return;
    }
    status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    keep_alive = status_line.substr(0, 8) != "HTTP/1.0";
    bool chunked = false;
    std::optional<std::size_t> length;
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
      std::size_t next = head.find("\r\n", pos + 2);
      std::string_view line = head.substr(pos + 2, next - pos - 2);
      pos = next;
      if (header_is(line, "content-length"))
        length = std::strtoull(std::string(header_value(line)).c_str(), nullptr, 10);
      else if (header_is(line, "transfer-encoding"))
        chunked = header_value(line).find("chunked") != std::string_view::npos;
      else if (header_is(line, "connection"))
        keep_alive = strncasecmp(header_value(line).data(), "keep-alive", 10) == 0 ||
                     (keep_alive && strncasecmp(header_value(line).data(), "close", 5) != 0);
    }
    if (chunked) {
      at = step::chunk_size;
    } else if (length) {
      at = step::sized;
      remaining = *length;
    } else {
      at = step::until_close;
      keep_alive = false;
    }
  }

  // Feeds bytes; returns true once the response is complete (or broken: see `bad`).
  bool feed(const char* data, std::size_t n) {
    raw.append(data, n);
    for (;;) {
      switch (at) {
        case step::headers: {
          auto end = raw.find("\r\n\r\n");
          if (end == std::string::npos) return false;
          parse_head(std::string_view(raw).substr(0, end + 2));
          raw.erase(0, end + 4);
          if (bad) return done = true;
          break;
        }
        case step::sized: {
          std::size_t take = std::min(remaining, raw.size());
          body.append(raw, 0, take);
          raw.erase(0, take);
          remaining -= take;
          if (remaining == 0) return done = true;
          return false;
        }
        case step::chunk_size: {
          auto end = raw.find("\r\n");
          if (end == std::string::npos) return false;
          remaining = std::strtoull(raw.substr(0, end).c_str(), nullptr, 16);
          raw.erase(0, end + 2);
          at = remaining == 0 ? step::trailers : step::chunk_data;
          break;
        }
        case step::chunk_data: {
          std::size_t take = std::min(remaining, raw.size());
          body.append(raw, 0, take);
          raw.erase(0, take);
          remaining -= take;
          if (remaining > 0) return false;
          at = step::chunk_crlf;
          break;
        }
        case step::chunk_crlf:
          if (raw.size() < 2) return false;
          raw.erase(0, 2);
          at = step::chunk_size;
          break;
        case step::trailers: {
          auto end = raw.find("\r\n");
          if (end == std::string::npos) return false;
          raw.erase(0, end + 2);
          if (end == 0) return done = true;
          break;
        }
        case step::until_close:
          body += raw;
          raw.clear();
          return false;
      }
    }
  }
};

struct connection {
  int fd = -1;
  bool connecting = false;
  bool busy = false;  // a request is in flight
  std::size_t written = 0;
  bool got_first_byte = false;
  bool reused = false;   // the request went out on a kept-alive connection
  bool retried = false;  // and was sent again on a new one after the old one went stale
  clock_type::time_point started, first_byte;
  response_parser parser;
};

struct stats {
  std::vector<double> latency_us, ttfb_us;
  std::map<std::string, std::size_t> errors;
  std::string first_error;
  std::size_t connections_opened = 0;
  std::size_t stale_retries = 0;
  std::size_t peak_in_flight = 0;
};

class load_runner {
 public:
  load_runner(const options& o, const sockaddr_storage& addr, socklen_t addr_len)
      : o_(o), addr_(addr), addr_len_(addr_len), request_(build_request(o)) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    conns_.resize(o.concurrency);
  }
  ~load_runner() {
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
    ::close(ep_);
  }
  load_runner(const load_runner&) = delete;
  load_runner& operator=(const load_runner&) = delete;

  // One phase over the same connections: `count` requests, or as many as fit in `duration`.
  stats run(std::optional<std::size_t> count, double duration_s, double* elapsed_s) {
    const std::size_t opened_before = st_.connections_opened;  // connections carry over
    st_ = stats();
    st_.connections_opened = opened_before;
    count_ = count;
    issued_ = 0;
    in_flight_ = 0;
    begin_ = last_done_ = clock_type::now();
    idle_.clear();
    for (std::size_t i = 0; i < conns_.size(); ++i) idle_.push_back(i);
    stop_issuing_ = begin_ + std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(duration_s));
    const auto hard_stop =
        begin_ + std::chrono::duration_cast<clock_type::duration>(
                     std::chrono::duration<double>(std::max(duration_s, 0.0) + o_.timeout_s));
    std::vector<epoll_event> events(256);
    for (;;) {
      // Connections whose answer completed (or failed) take the next request here, outside
      // the event handlers, so that instant failures cannot recurse.
      while (!idle_.empty() && should_issue()) {
        std::size_t i = idle_.back();
        idle_.pop_back();
        start_request(i);
      }
      if (in_flight_ == 0) break;
      const auto now = clock_type::now();
      if (now >= hard_stop) {
        for (std::size_t i = 0; i < conns_.size(); ++i)
          if (conns_[i].busy) fail(i, "timeout", "no complete answer before --timeout");
        break;
      }
      auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(hard_stop - now).count();
      int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()),
                         static_cast<int>(std::min<long long>(wait_ms + 1, 100)));
      if (n < 0 && errno != EINTR) {
        std::perror("epoll_wait");
        std::exit(1);
      }
      for (int k = 0; k < n; ++k) on_event(events[k].data.u64, events[k].events);
    }
    *elapsed_s = std::chrono::duration<double>(last_done_ - begin_).count();
    return st_;
  }

 private:
  bool should_issue() const {
    if (count_) return issued_ < *count_;
    return clock_type::now() < stop_issuing_;
  }

  void watch(std::size_t i, std::uint32_t mask, int op) {
    epoll_event ev{};
    ev.events = mask;
    ev.data.u64 = i;
    if (epoll_ctl(ep_, op, conns_[i].fd, &ev) != 0) {
      std::perror("epoll_ctl");
      std::exit(1);
    }
  }

  void close_conn(std::size_t i) {
    connection& c = conns_[i];
    if (c.fd >= 0) ::close(c.fd);  // closing also removes it from the epoll set
    c.fd = -1;
    c.connecting = false;
  }

  bool open_conn(std::size_t i) {
    connection& c = conns_[i];
    c.fd = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return false;
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++st_.connections_opened;
    int r = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (r != 0 && errno != EINPROGRESS) {
      close_conn(i);
      return false;
    }
    c.connecting = true;
    watch(i, EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
    return true;
  }

  void start_request(std::size_t i) {
    connection& c = conns_[i];
    ++issued_;
    ++in_flight_;
    st_.peak_in_flight = std::max(st_.peak_in_flight, in_flight_);
    c.busy = true;
    c.written = 0;
    c.got_first_byte = false;
    c.retried = false;
    c.reused = c.fd >= 0;
    c.parser.reset();
    c.started = clock_type::now();
    if (c.fd < 0) {
      if (!open_conn(i)) fail(i, "connect", std::strerror(errno));
      return;  // the request goes out when the connection is writable
    }
    watch(i, EPOLLOUT | EPOLLIN, EPOLL_CTL_MOD);
  }

  void finish(std::size_t i, bool keep) {
    connection& c = conns_[i];
    c.busy = false;
    --in_flight_;
    last_done_ = clock_type::now();
    if (!keep) close_conn(i);
    idle_.push_back(i);
  }

  void fail(std::size_t i, const std::string& kind, const std::string& detail) {
    ++st_.errors[kind];
    if (st_.first_error.empty()) st_.first_error = kind + ": " + detail;
    finish(i, false);
  }

  void on_event(std::size_t i, std::uint32_t mask) {
    connection& c = conns_[i];
    if (!c.busy || c.fd < 0) {  // an idle keep-alive connection closed by the server
      if (c.fd >= 0 && (mask & (EPOLLIN | EPOLLHUP | EPOLLERR))) close_conn(i);
      return;
    }
    if (c.connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return fail(i, "connect", std::strerror(err));
      if (!(mask & EPOLLOUT)) return;
      c.connecting = false;
    }
    if (c.written < request_.size() && (mask & EPOLLOUT)) {
      ssize_t n =
          ::send(c.fd, request_.data() + c.written, request_.size() - c.written, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) return io_error(i, "send", std::strerror(errno));
      if (n > 0) c.written += static_cast<std::size_t>(n);
      if (c.written == request_.size()) watch(i, EPOLLIN, EPOLL_CTL_MOD);
    }
    if (!(mask & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EAGAIN) return;
        return io_error(i, "reset", std::strerror(errno));
      }
      if (n == 0) {  // EOF: complete only for a read-until-close body
        if (c.parser.at == response_parser::step::until_close) return complete(i);
        return io_error(i, "closed", "the server closed the connection mid-response");
      }
      if (!c.got_first_byte) {
        c.got_first_byte = true;
        c.first_byte = clock_type::now();
      }
      if (c.parser.feed(buf, static_cast<std::size_t>(n))) return complete(i);
    }
  }

  // A kept-alive connection the server closed just as the request went out is stale, not a
  // failed request: send it once more on a new connection (counted in stale_retries).
  void io_error(std::size_t i, const char* kind, const std::string& detail) {
    connection& c = conns_[i];
    if (!c.reused || c.got_first_byte || c.retried) return fail(i, kind, detail);
    close_conn(i);
    ++st_.stale_retries;
    c.retried = true;
    c.reused = false;
    c.written = 0;
    c.parser.reset();
    if (!open_conn(i)) fail(i, "connect", std::strerror(errno));
  }

  void complete(std::size_t i) {
    connection& c = conns_[i];
    const response_parser& p = c.parser;
    if (p.bad) return fail(i, "bad_response", "not an HTTP/1.1 response");
    if (p.status != 200)
      return fail(i, "status_" + std::to_string(p.status), p.body.substr(0, 300));
    if (!o_.expect.empty() && p.body.find(o_.expect) == std::string::npos)
      return fail(i, "unexpected_body", p.body.substr(0, 300));
    auto now = clock_type::now();
    st_.latency_us.push_back(std::chrono::duration<double, std::micro>(now - c.started).count());
    st_.ttfb_us.push_back(
        std::chrono::duration<double, std::micro>(c.first_byte - c.started).count());
    finish(i, p.keep_alive && p.raw.empty());
  }

  const options& o_;
  sockaddr_storage addr_;
  socklen_t addr_len_;
  std::string request_;
  int ep_ = -1;
  std::vector<connection> conns_;
  std::vector<std::size_t> idle_;
  stats st_;
  std::optional<std::size_t> count_;
  std::size_t issued_ = 0, in_flight_ = 0;
  clock_type::time_point begin_, stop_issuing_, last_done_;
};

std::string json_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += ch;
    }
  }
  return out;
}

// Nearest-rank percentiles of a sorted sample, in microseconds.
std::string distribution(std::vector<double> v) {
  if (v.empty()) return "null";
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size()) + 0.999999);
    return v[std::min(v.size(), std::max<std::size_t>(rank, 1)) - 1];
  };
  double sum = 0;
  for (double x : v) sum += x;
  char buf[256];
  std::snprintf(
      buf, sizeof buf, R"({"p50":%.1f,"p90":%.1f,"p99":%.1f,"min":%.1f,"max":%.1f,"mean":%.1f})",
      pct(0.50), pct(0.90), pct(0.99), v.front(), v.back(), sum / static_cast<double>(v.size()));
  return buf;
}

// Enough descriptors for every connection plus stdio; the hard limit is never exceeded.
rlim_t raise_nofile(rlim_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < wanted) {
    lim.rlim_cur = std::min(wanted, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse_args(argc, argv);
  const rlim_t nofile = raise_nofile(std::max<rlim_t>(o.nofile, o.concurrency + 64));

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &found); rc != 0) {
    std::fprintf(stderr, "gateway_load: %s: %s\n", o.host.c_str(), gai_strerror(rc));
    return 1;
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
  auto addr_len = static_cast<socklen_t>(found->ai_addrlen);
  ::freeaddrinfo(found);

  load_runner runner(o, addr, addr_len);
  double elapsed = 0;
  stats warm;
  if (o.warmup > 0) warm = runner.run(o.warmup, 0, &elapsed);
  stats s = runner.run(o.count, o.count ? 0 : o.duration_s, &elapsed);

  std::size_t errors = 0;
  std::string by_kind;
  for (const auto& [kind, n] : s.errors) {
    errors += n;
    by_kind += (by_kind.empty() ? "" : ",") + ("\"" + kind + "\":" + std::to_string(n));
  }
  std::size_t warm_errors = 0;
  for (const auto& [kind, n] : warm.errors) warm_errors += n;
  const std::size_t ok = s.latency_us.size();
  std::printf(
      "{\"ok\":%zu,\"error_count\":%zu,\"errors\":{%s},\"warmup_errors\":%zu,"
      "\"elapsed_s\":%.4f,\"rps\":%.1f,\"concurrency\":%zu,\"peak_in_flight\":%zu,"
      "\"connections_opened\":%zu,\"stale_retries\":%zu,\"nofile\":%llu,\"latency_us\":%s,\"ttfb_"
      "us\":%s,"
      "\"first_error\":\"%s\"}\n",
      ok, errors, by_kind.c_str(), warm_errors, elapsed,
      elapsed > 0 ? static_cast<double>(ok) / elapsed : 0.0, o.concurrency, s.peak_in_flight,
      s.connections_opened, s.stale_retries, static_cast<unsigned long long>(nofile),
      distribution(s.latency_us).c_str(), distribution(s.ttfb_us).c_str(),
      json_escape(s.first_error).c_str());
  return 0;
}
