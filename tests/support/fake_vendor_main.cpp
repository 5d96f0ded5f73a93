// durar-fake-vendor: the tests' fake vendor server as a program, for trying the CLI and
// the gateway by hand and for whole-process benchmarks. Serves the given recordings in
// turn (cycling), one per request, on 127.0.0.1; `PATH=FILE` answers requests whose path
// ends with PATH from FILE instead. `--delay-ms N` waits N milliseconds before the status
// line of every answer (an asio timer per connection, so concurrent delayed requests
// overlap): a stand-in for an upstream that takes time to answer. `--requests FILE` appends
// every request's body to FILE, one line each (the transports send compact JSON), before it
// is answered: what the binding tests check the vendor received. Prints the base URL, then
// runs until stdin closes or SIGINT/SIGTERM.
//
//   durar-fake-vendor tests/data/providers/router/hello.response.sse
//       /v1/embeddings=tests/data/providers/openai-completions/embeddings.response.json
//   durar-fake-vendor --delay-ms 50 tests/data/providers/openai-completions/text.response.sse
#include "fake_vendor_server.hpp"

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

int usage(const char* problem = nullptr) {
  if (problem) std::fprintf(stderr, "durar-fake-vendor: %s\n", problem);
  std::fprintf(stderr,
               "usage: durar-fake-vendor [--delay-ms N] [--requests FILE] [PATH=]RECORDING...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<durar::test::fake_response> answers;
  std::vector<std::pair<std::string, durar::test::fake_response>> by_path;
  std::chrono::milliseconds delay{0};
  std::ofstream requests_log;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], path;
    if (arg == "--requests") {
      if (i + 1 == argc) return usage("--requests needs a file");
      requests_log.open(argv[++i], std::ios::binary | std::ios::app);
      if (!requests_log) return usage((std::string("--requests: cannot open ") + argv[i]).c_str());
      continue;
    }
    if (arg == "--delay-ms") {
      if (i + 1 == argc) return usage("--delay-ms needs a number of milliseconds");
      const std::string value = argv[++i];
      long ms = -1;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (ec != std::errc() || end != value.data() + value.size() || ms < 0)
        return usage(("--delay-ms: not a number of milliseconds: " + value).c_str());
      delay = std::chrono::milliseconds(ms);
      continue;
    }
    if (arg.rfind("--", 0) == 0) return usage(("unknown option: " + arg).c_str());
    if (auto eq = arg.find('='); eq != std::string::npos && arg.front() == '/') {
      path = arg.substr(0, eq);
      arg = arg.substr(eq + 1);
    }
    std::filesystem::path file(arg);
    if (!std::filesystem::is_regular_file(file)) {
      std::fprintf(stderr, "durar-fake-vendor: no such recording: %s\n", arg.c_str());
      return 2;
    }
    if (path.empty())
      answers.push_back(durar::test::recorded(file));
    else
      by_path.emplace_back(path, durar::test::recorded(file));
  }
  if (answers.empty() && by_path.empty()) return usage();
  for (auto& answer : answers) answer.delay_headers = delay;
  for (auto& [suffix, answer] : by_path) answer.delay_headers = delay;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the server thread starts

  durar::test::fake_vendor_server server;
  std::size_t next = 0;
  server.respond_with([&](const durar::test::recorded_request& req) {
    if (requests_log.is_open()) {
      requests_log << req.body << '\n';
      requests_log.flush();
    }
    std::string path = req.target.substr(0, req.target.find('?'));
    for (const auto& [suffix, answer] : by_path)
      if (path.size() >= suffix.size() &&
          path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
        return std::optional(answer);
    if (answers.empty()) {
      auto missing =
          durar::test::error_response(404, R"({"error":{"message":"no recording for this path"}})");
      missing.delay_headers = delay;
      return std::optional(missing);
    }
    return std::optional(answers[next++ % answers.size()]);
  });
  std::printf("%s\n", server.base_url().c_str());
  std::fflush(stdout);

  // A thread waits for stdin to close, then raises SIGTERM; main waits for either.
  std::thread([] {
    char buf[256];
    while (::read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    ::kill(::getpid(), SIGTERM);
  }).detach();
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;
}
