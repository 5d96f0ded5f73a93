// minimal_chat: one question, one streamed answer, on the public API only.
//
//   minimal_chat [-m provider/model] "What is Durar?"
//
// The config is found as the durar command finds it (DURAR_CONFIG_PATH, else
// $DURAR_STATE_DIR/durar.yaml, else ~/.durar/durar.yaml); the model is -m, else
// DURAR_MODEL, else the config's agents.defaults.model.
#include <durar/agent.hpp>
#include <durar/config.hpp>
#include <durar/router.hpp>

#include <asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
  std::string model = std::getenv("DURAR_MODEL") ? std::getenv("DURAR_MODEL") : "";
  std::string question;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "-m" && i + 1 < argc)
      model = argv[++i];
    else
      question = argv[i];
  }
  if (question.empty()) {
    std::fprintf(stderr, "usage: minimal_chat [-m provider/model] QUESTION\n");
    return 2;
  }

  auto cfg = durar::load_config(durar::load_options{});
  if (!cfg) {
    std::fprintf(stderr, "minimal_chat: %s\n", cfg.error().describe().c_str());
    return 1;
  }
  asio::io_context io;
  durar::model_router router(io, *cfg);
  durar::agent_options options;
  options.model = model;
  durar::agent chat(router, nullptr, options);  // no session (memory only), no tools

  // Events arrive on this thread while run() drives the loop: print text as it streams.
  chat.subscribe([](const durar::agent_event& e) {
    if (e.kind == durar::agent_event_kind::message_update && e.stream != nullptr &&
        e.stream->kind == durar::event_kind::text_delta) {
      std::fwrite(e.stream->delta.data(), 1, e.stream->delta.size(), stdout);
      std::fflush(stdout);
    }
  });
  auto run = chat.run(durar::user_text(question));
  std::printf("\n");
  if (!run) {
    std::fprintf(stderr, "minimal_chat: %s\n", run.error().describe().c_str());
    return 1;
  }
  if (run->stop != durar::run_stop::done) {
    std::fprintf(stderr, "minimal_chat: %s: %s\n", std::string(durar::to_string(run->stop)).c_str(),
                 run->failure.describe().c_str());
    return 1;
  }
  return 0;
}
