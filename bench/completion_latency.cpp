// Whole-process figure of issue 3: N sequential streamed completions through model_router
// against a fake OpenAI-compatible upstream, next to a raw keep-alive socket client asking
// the same server for the same stream. Prints per-request wall time (median, p90, p99) for
// both, the latency Durar adds, the connections the server saw, and peak RSS.
//
// The server runs in a forked child so that its memory does not count in our RSS.
//
//   durar_bench_completion [--requests N] [--warmup N] [--split BYTES] [--stream FILE]
#include <durar/config.hpp>
#include <durar/provider.hpp>
#include <durar/router.hpp>

#include <fmt/format.h>

#include "fake_vendor_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace durar;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  int requests = 1000;
  int warmup = 50;
  std::size_t split = 0;  // server writes the body N bytes at a time (0: one write)
  std::filesystem::path stream = std::filesystem::path(DURAR_TEST_DATA) / "providers" /
                                 "openai-completions" / "text.response.sse";
};

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--requests")
      o.requests = std::atoi(argv[i + 1]);
    else if (flag == "--warmup")
      o.warmup = std::atoi(argv[i + 1]);
    else if (flag == "--split")
      o.split = static_cast<std::size_t>(std::atol(argv[i + 1]));
    else if (flag == "--stream")
      o.stream = argv[i + 1];
    else
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
  }
  o.requests = std::max(o.requests, 1);
  o.warmup = std::max(o.warmup, 0);
  return o;
}

// Child: serves `count` copies of the stream, reports its port on `port_fd`, then waits for
// the parent to close `stop_fd` and reports the connections it accepted on `port_fd`.
[[noreturn]] void run_server(const options& o, std::size_t count, int port_fd, int stop_fd) {
  int code = 0;
  {
    durar::test::fake_vendor_server server;
    auto response = durar::test::recorded(o.stream);
    response.split_every = o.split;
    for (std::size_t i = 0; i < count; ++i) server.enqueue(response);
    std::uint16_t port = server.port();
    if (::write(port_fd, &port, sizeof port) != sizeof port) code = 1;
    char byte = 0;
    while (::read(stop_fd, &byte, 1) > 0) {
    }
    std::uint64_t connections = server.connections();
    if (::write(port_fd, &connections, sizeof connections) != sizeof connections) code = 1;
  }
  ::_exit(code);
}

// A minimal HTTP/1.1 keep-alive client: one connection, writes the request, undoes the chunked
// framing as bytes arrive and stops at the last chunk, which follows the SSE [DONE]: what a
// correct client must read before it can reuse the connection.
class raw_client {
 public:
  raw_client(std::uint16_t port, std::string request) : request_(std::move(request)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      std::exit(1);
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    wire_.reserve(64 * 1024);
    body_.reserve(64 * 1024);
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool round_trip() {
    for (std::size_t sent = 0; sent < request_.size();) {
      auto n = ::write(fd_, request_.data() + sent, request_.size() - sent);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    wire_.clear();
    body_.clear();
    std::size_t pos = std::string::npos;  // start of the next chunk-size line, once past the head
    char chunk[16384];
    while (true) {
      auto n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return false;
      wire_.append(chunk, static_cast<std::size_t>(n));
      if (pos == std::string::npos) {
        auto head_end = wire_.find("\r\n\r\n");
        if (head_end == std::string::npos) continue;
        pos = head_end + 4;
      }
      while (true) {  // whole chunks only; a partial one waits for more bytes
        auto eol = wire_.find("\r\n", pos);
        if (eol == std::string::npos) break;
        std::size_t size = std::strtoul(wire_.c_str() + pos, nullptr, 16);
        if (size == 0) {
          if (wire_.size() < eol + 4) break;
          return body_.find("data: [DONE]") != std::string::npos;
        }
        if (wire_.size() < eol + 2 + size + 2) break;
        body_.append(wire_, eol + 2, size);
        pos = eol + 2 + size + 2;
      }
    }
  }

 private:
  int fd_ = -1;
  std::string request_;
  std::string wire_;
  std::string body_;
};

// The bytes Durar puts on the wire for the same call, so both clients send the same body.
std::string raw_request(const model_router& router, std::uint16_t port,
                        const completion_request& req) {
  model_ref ref{"fake", "gpt-4o-mini"};
  const provider_info* p = router.models().provider("fake");
  const model_info* m = router.models().model(ref);
  secret key("sk-bench");
  call_spec spec{*m, *p, &key, req.conv, req.options};
  auto built = builtin_transport(api_kind::openai_completions)->build_request(spec);
  if (!built) {
    std::fprintf(stderr, "build_request: %s\n", built.error().describe().c_str());
    std::exit(1);
  }
  auto path_at = built->url.find("/v1/");
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n", built->method,
                                built->url.substr(path_at), port);
  for (const auto& [name, value] : built->headers) out += name + ": " + value + "\r\n";
  out += fmt::format("Content-Length: {}\r\n\r\n", built->body.size());
  return out + built->body;
}

// Durar's share that is not I/O: building the request and decoding the recorded stream through
// the same transport and stream builder, in-process, per call.
std::vector<double> no_io_us(const model_router& router, const completion_request& req,
                             const std::string& stream, int n) {
  const model_info& m = *router.models().model(model_ref{"fake", "gpt-4o-mini"});
  const provider_info& p = *router.models().provider("fake");
  auto wire = builtin_transport(api_kind::openai_completions);
  secret key("sk-bench");
  std::vector<double> out;
  std::size_t events = 0;
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    completion_request copy = req;
    call_spec spec{m, p, &key, copy.conv, copy.options};
    auto built = wire->build_request(spec);
    assistant_message initial;
    initial.provider = "fake";
    initial.model = m.id;
    stream_builder builder(std::move(initial), m.cost, [&](const stream_event&) { ++events; });
    auto decoder = wire->make_decoder(spec, builder);
    decoder->feed(stream);
    decoder->finish();
    auto t1 = std::chrono::steady_clock::now();
    if (!built || !builder.finished()) std::exit(1);
    out.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  return out;
}

config make_config(std::uint16_t port) {
  config cfg;
  cfg.env =
      environment(std::map<std::string, std::string, std::less<>>{{"FAKE_API_KEY", "sk-bench"}});
  provider_config p;
  p.base_url = fmt::format("http://127.0.0.1:{}/v1", port);
  p.api = "openai-completions";
  model_config m;
  m.id = "gpt-4o-mini";
  m.cost = model_cost{0.15, 0.6, 0.075, 0};
  p.models.push_back(m);
  cfg.models.providers["fake"] = p;
  cfg.agents.model.primary = "fake/gpt-4o-mini";
  return cfg;
}

struct summary {
  double median, p90, p99, mean;
};

summary summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(us.size())))];
  };
  double total = 0;
  for (double v : us) total += v;
  return {at(0.5), at(0.9), at(0.99), total / static_cast<double>(us.size())};
}

long current_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// The larger of getrusage's high-water mark and the kernel's VmHWM (they are sampled apart).
long peak_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  std::ifstream status("/proc/self/status");
  long hwm = -1;
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::atol(line.c_str() + 6);
  return std::max(u.ru_maxrss, hwm);
}

double micros(clock_type::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_args(argc, argv);
  const auto per_client = static_cast<std::size_t>(o.requests + o.warmup);

  // Fork before any thread exists.
  int to_parent[2], stop[2];
  if (::pipe(to_parent) != 0 || ::pipe(stop) != 0) return 1;
  pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    ::close(to_parent[0]);
    ::close(stop[1]);
    run_server(o, 2 * per_client, to_parent[1], stop[0]);
  }
  ::close(to_parent[1]);
  ::close(stop[0]);
  std::uint16_t port = 0;
  if (::read(to_parent[0], &port, sizeof port) != sizeof port) return 1;

  asio::io_context io;
  model_router router(io, make_config(port));
  completion_request templ;
  templ.conv.messages.push_back(user_text("Say hello and tell me what Durar means."));
  raw_client raw(port, raw_request(router, port, templ));

  std::size_t events = 0;
  auto durar_once = [&] {
    completion_request req = templ;
    auto out = router.complete(std::move(req), [&](const stream_event&) { ++events; });
    if (!out) {
      std::fprintf(stderr, "durar: %s\n", out.error().describe().c_str());
      std::exit(1);
    }
  };
  auto raw_once = [&] {
    if (!raw.round_trip()) {
      std::fprintf(stderr, "raw client: connection failed\n");
      std::exit(1);
    }
  };

  for (int i = 0; i < o.warmup; ++i) {
    raw_once();
    durar_once();
  }
  const long rss_before = current_rss_kib();

  // Interleaved, so that noise from other processes on the machine hits both alike.
  std::vector<double> durar_us, raw_us;
  durar_us.reserve(static_cast<std::size_t>(o.requests));
  raw_us.reserve(static_cast<std::size_t>(o.requests));
  events = 0;
  for (int i = 0; i < o.requests; ++i) {
    auto t0 = clock_type::now();
    raw_once();
    auto t1 = clock_type::now();
    durar_once();
    auto t2 = clock_type::now();
    raw_us.push_back(micros(t1 - t0));
    durar_us.push_back(micros(t2 - t1));
  }
  const long rss_after = current_rss_kib();

  ::close(stop[1]);
  std::uint64_t connections = 0;
  if (::read(to_parent[0], &connections, sizeof connections) != sizeof connections) connections = 0;
  int status = 0;
  ::waitpid(child, &status, 0);

  auto recorded = durar::test::recorded(o.stream);
  auto cpu = summarise(no_io_us(router, templ, recorded.body, o.requests));
  auto d = summarise(durar_us);
  auto r = summarise(raw_us);
  std::printf(
      "%d sequential streamed completions (%s, %s), after %d warm-up\n", o.requests,
      o.stream.filename().c_str(),
      o.split == 0 ? "body in one write" : fmt::format("body in {}-byte writes", o.split).c_str(),
      o.warmup);
  std::printf("%-22s %10s %10s %10s %10s\n", "per request (us)", "median", "p90", "p99", "mean");
  std::printf("%-22s %10.1f %10.1f %10.1f %10.1f\n", "raw socket client", r.median, r.p90, r.p99,
              r.mean);
  std::printf("%-22s %10.1f %10.1f %10.1f %10.1f\n", "durar::model_router", d.median, d.p90, d.p99,
              d.mean);
  std::printf("added latency (median): %.1f us, of which request build + decode %.1f us\n",
              d.median - r.median, cpu.median);
  std::printf("events per completion: %.1f\n",
              static_cast<double>(events) / static_cast<double>(o.requests));
  std::printf("server connections: %llu (2 = both clients kept theirs alive)\n",
              static_cast<unsigned long long>(connections));
  std::printf("RSS: %ld KiB after warm-up, %ld KiB at the end, peak %ld KiB\n", rss_before,
              rss_after, peak_rss_kib());
  return 0;
}
