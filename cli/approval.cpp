#include "approval.hpp"

#include <fmt/format.h>

#include "output.hpp"

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

namespace durar::cli {

namespace {

exec_decision ask_terminal(const exec_approval_request& req) {
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) return exec_decision::deny;
  fmt::print(tty, "\nRun this command? ({})\n  $ {}\n  in {}\n[y/N] ", req.reason, req.command,
             req.cwd.string());
  std::fflush(tty);
  char line[64] = {};
  bool yes = std::fgets(line, sizeof line, tty) != nullptr &&
             std::tolower(static_cast<unsigned char>(line[0])) == 'y';
  std::fclose(tty);
  return yes ? exec_decision::allow : exec_decision::deny;
}

}  // namespace

runtime_options terminal_runtime_options() {
  runtime_options opts;
  opts.approve_exec = [](const exec_approval_request& req,
                         std::function<void(exec_decision)> decide) { decide(ask_terminal(req)); };
  // The session stores' warnings (session.maintenance mode warn), as the CLI prints a
  // warning: one line on stderr, written whole (it comes from the index's writer thread).
  opts.sessions.warn = [](std::string_view message, const json&) {
    print(stderr, fmt::format("warning: {}\n", message));
  };
  return opts;
}

}  // namespace durar::cli
