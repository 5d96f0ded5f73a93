// durar-fake-vendor: the tests' fake vendor server as a program, for trying the CLI and
// the gateway by hand and for whole-process benchmarks. Serves the given recordings in
// turn (cycling), one per request, on 127.0.0.1; prints the base URL, then runs until
// stdin closes or SIGINT/SIGTERM.
//
//   durar-fake-vendor tests/data/providers/router/hello.response.sse
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
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path file(argv[i]);
    if (!std::filesystem::is_regular_file(file)) {
      std::fprintf(stderr, "durar-fake-vendor: no such recording: %s\n", argv[i]);
      return 2;
    }
    answers.push_back(durar::test::recorded(file));
  }
  if (answers.empty()) {
    std::fprintf(stderr, "usage: durar-fake-vendor RECORDING...\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the server thread starts

  durar::test::fake_vendor_server server;
  std::size_t next = 0;
  server.respond_with([&](const durar::test::recorded_request&) {
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
