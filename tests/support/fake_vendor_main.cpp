// durar-fake-vendor: the tests' fake vendor server as a program, for trying the CLI and
// the gateway by hand and for whole-process benchmarks. Serves the given recordings in
// turn (cycling), one per request, on 127.0.0.1; `PATH=FILE` answers requests whose path
// ends with PATH from FILE instead. Prints the base URL, then runs until stdin closes or
// SIGINT/SIGTERM.
//
//   durar-fake-vendor tests/data/providers/router/hello.response.sse
//       /v1/embeddings=tests/data/providers/openai-completions/embeddings.response.json
#include "fake_vendor_server.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

int main(int argc, char** argv) {
  std::vector<durar::test::fake_response> answers;
  std::vector<std::pair<std::string, durar::test::fake_response>> by_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], path;
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
  if (answers.empty() && by_path.empty()) {
    std::fprintf(stderr, "usage: durar-fake-vendor [PATH=]RECORDING...\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the server thread starts

  durar::test::fake_vendor_server server;
  std::size_t next = 0;
  server.respond_with([&](const durar::test::recorded_request& req) {
    std::string path = req.target.substr(0, req.target.find('?'));
    for (const auto& [suffix, answer] : by_path)
      if (path.size() >= suffix.size() &&
          path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
        return std::optional(answer);
    if (answers.empty())
      return std::optional(durar::test::error_response(
          404, R"({"error":{"message":"no recording for this path"}})"));
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
