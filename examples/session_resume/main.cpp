// session_resume: continue a stored conversation. Each run adds one turn to the session
// named on the command line; the transcript under the state dir carries it between runs.
//
//   session_resume [-m provider/model] [-s KEY] "Remember the number 7."
//   session_resume -s KEY "Which number did I ask you to remember?"
//
// Config and model are found as in minimal_chat. The runtime assembles what the config
// describes: the default agent with its workspace and tools, and its session store.
#include <durar/runtime.hpp>

#include <asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

int main(int argc, char** argv) {
  durar::turn_request turn;
  turn.model = std::getenv("DURAR_MODEL") ? std::getenv("DURAR_MODEL") : "";
  turn.session_key = "resume-demo";  // a bare name: agent:<default agent>:resume-demo
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-m" && i + 1 < argc)
      turn.model = argv[++i];
    else if (arg == "-s" && i + 1 < argc)
      turn.session_key = argv[++i];
    else
      turn.message = argv[i];
  }
  if (turn.message.empty()) {
    std::fprintf(stderr, "usage: session_resume [-m provider/model] [-s KEY] MESSAGE\n");
    return 2;
  }

  asio::io_context io;
  auto rt = durar::runtime::create(io, durar::load_options{});
  if (!rt) {
    std::fprintf(stderr, "session_resume: %s\n", rt.error().describe().c_str());
    return 1;
  }
  std::string key = (*rt)->session_key("", turn.session_key);

  // What is stored so far, read without taking the session's write lock.
  auto store = (*rt)->sessions("");
  if (!store) {
    std::fprintf(stderr, "session_resume: %s\n", store.error().describe().c_str());
    return 1;
  }
  if (auto earlier = (*store)->read(key)) {
    auto history = (*earlier)->context();
    std::printf("[resuming %s: %zu earlier messages]\n", key.c_str(), history.size());
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if (const auto* last = std::get_if<durar::assistant_message>(&*it)) {
        std::printf("[last answer: %s]\n", durar::text_of(*last).c_str());
        break;
      }
  } else {
    std::printf("[new session %s]\n", key.c_str());
  }

  // run_turn opens the session for writing, appends every message as it completes, and
  // records the turn in the index.
  auto run = (*rt)->run_turn(turn, [](const durar::agent_event& e) {
    if (e.kind == durar::agent_event_kind::message_update && e.stream != nullptr &&
        e.stream->kind == durar::event_kind::text_delta) {
      std::fwrite(e.stream->delta.data(), 1, e.stream->delta.size(), stdout);
      std::fflush(stdout);
    }
  });
  std::printf("\n");
  if (!run) {
    std::fprintf(stderr, "session_resume: %s\n", run.error().describe().c_str());
    return 1;
  }
  if (run->stop != durar::run_stop::done) {
    std::fprintf(stderr, "session_resume: %s: %s\n",
                 std::string(durar::to_string(run->stop)).c_str(), run->failure.describe().c_str());
    return 1;
  }
  return 0;
}
