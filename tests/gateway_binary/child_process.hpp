// Real programs under test (durar-gateway, durar-fake-vendor, curl) as child processes with
// their output on pipes, and plain TCP connections to them. Every wait is bounded and ends
// on a real event (bytes arriving, a pipe closing, a process exiting), never on a sleep.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace durar::test {

using namespace std::chrono_literals;

class child_process {
 public:
  // Starts argv[0] with exactly `env` (plus PATH when it has none). stdin is a pipe the test
  // may close; stdout and stderr are pipes read by the waits below.
  child_process(std::vector<std::string> argv, const std::map<std::string, std::string>& env);
  ~child_process();  // SIGKILLs and reaps a child still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int sig) const;
  void close_stdin();

  // Reads until `text` appears in stdout (or stderr), the stream ends, or `limit` passes.
  bool wait_stdout(std::string_view text, std::chrono::milliseconds limit = 10s);
  bool wait_stderr(std::string_view text, std::chrono::milliseconds limit = 10s);
  // Reads both streams to their end, then reaps: the exit code (128 + signal when killed),
  // or nullopt when the process is still running after `limit`.
  std::optional<int> wait_exit(std::chrono::milliseconds limit = 10s);

  [[nodiscard]] const std::string& out() const { return out_; }
  [[nodiscard]] const std::string& err() const { return err_; }

 private:
  // One poll over the open pipes, up to `limit`; false when nothing is left to read.
  bool pump(std::chrono::milliseconds limit);
  bool wait_text(const std::string& buffer, std::string_view text, std::chrono::milliseconds limit);

  pid_t pid_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  std::optional<int> exit_code_;
};

// Runs a program to completion and returns its exit code and output.
struct program_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};
program_result run_program(std::vector<std::string> argv,
                           const std::map<std::string, std::string>& env = {},
                           std::chrono::milliseconds limit = 30s);

// A blocking TCP connection to 127.0.0.1 for bytes curl will not send.
class tcp_client {
 public:
  explicit tcp_client(std::uint16_t port);  // REQUIREs that it connects
  ~tcp_client();
  tcp_client(const tcp_client&) = delete;
  tcp_client& operator=(const tcp_client&) = delete;

  // Whether a connection can be made at all (false: refused).
  static bool can_connect(std::uint16_t port);

  bool send(std::string_view bytes);  // false when the peer is gone
  // Reads until `text` is in what was received, the peer closes, or `limit` passes.
  bool read_until(std::string_view text, std::chrono::milliseconds limit = 10s);
  // Reads at least `n` bytes in total (false on close or timeout).
  bool read_at_least(std::size_t n, std::chrono::milliseconds limit = 10s);
  // Reads until the peer closes (EOF or reset): true when it did within `limit`.
  bool wait_closed(std::chrono::milliseconds limit = 10s);
  // Waits up to `limit` for more bytes: true when some arrived, false on timeout or close.
  bool read_some(std::chrono::milliseconds limit);
  [[nodiscard]] bool closed() const { return closed_; }
  void close();  // our side, at once (the gateway stops waiting for us)

  std::string received;  // everything read so far (the test may consume a prefix)

 private:
  int fd_ = -1;
  bool closed_ = false;
};

// An HTTP response as it came off the wire.
struct http_reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;  // as sent (not de-chunked)
};
// Splits the first response out of `raw` (Content-Length bodies; otherwise the rest).
std::optional<http_reply> parse_reply(const std::string& raw);

}  // namespace durar::test
