// The C++ side of bench/binding_overhead.py: streamed turns through the public C++ API,
// counting text deltas in an agent_event listener. The C and Python variants make the same
// turns through their bindings (same config, runtime, session and agent path), so the
// difference in events/s is what a binding adds per event.
//
//   binding_cpp_events [--runs N] [--warmup N] [--message TEXT] [--to-json]
//
// --to-json also turns each event into JSON text in the listener (to_json(e).dump_to), the
// work the C binding does per event before calling the host: the rest of the C figure is the
// crossing itself.
//
// The config and state dir come from the environment (DURAR_CONFIG_PATH, DURAR_STATE_DIR),
// as the CLI finds them. Prints one JSON line: {"variant":"cpp","events":[...],"seconds":[...]}.
#include <durar/agent.hpp>
#include <durar/config.hpp>
#include <durar/runtime.hpp>
#include <durar/session.hpp>

#include <asio/io_context.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace durar;

int main(int argc, char** argv) {
  int runs = 5;
  int warmup = 1;
  bool as_json = false;
  std::string text = "Stream a long answer.";
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--to-json") as_json = true;
    if (i + 1 == argc) break;
    if (flag == "--runs") runs = std::max(1, std::atoi(argv[++i]));
    if (flag == "--warmup") warmup = std::max(0, std::atoi(argv[++i]));
    if (flag == "--message") text = argv[++i];
  }

  asio::io_context io;
  auto rt = runtime::create(io, load_options{});
  if (!rt) {
    std::fprintf(stderr, "binding_cpp_events: %s\n", rt.error().message.c_str());
    return 1;
  }
  auto profile = (*rt)->agent("");
  if (!profile) {
    std::fprintf(stderr, "binding_cpp_events: %s\n", profile.error().message.c_str());
    return 1;
  }
  auto store = (*rt)->sessions(profile->id);
  if (!store) {
    std::fprintf(stderr, "binding_cpp_events: %s\n", store.error().message.c_str());
    return 1;
  }

  std::vector<long long> counts;
  std::vector<double> seconds;
  for (int i = 0; i < warmup + runs; ++i) {
    // A fresh session per run (opened before the clock starts), so every run sends the same
    // one-message conversation, as the C and Python variants do.
    auto s = (*store)->open((*rt)->session_key(profile->id, fmt::format("bench-{}", i)));
    if (!s) {
      std::fprintf(stderr, "binding_cpp_events: %s\n", s.error().message.c_str());
      return 1;
    }
    auto a = (*rt)->make_agent(*profile, s->get());
    if (!a) {
      std::fprintf(stderr, "binding_cpp_events: %s\n", a.error().message.c_str());
      return 1;
    }
    long long deltas = 0;
    std::string buffer;
    (*a)->subscribe([&deltas, &buffer, as_json](const agent_event& e) {
      if (as_json) {
        buffer.clear();
        to_json(e).dump_to(buffer);
      }
      if (e.kind == agent_event_kind::message_update && e.stream != nullptr &&
          e.stream->kind == event_kind::text_delta)
        ++deltas;
    });
    auto t0 = std::chrono::steady_clock::now();
    auto r = (*a)->run(user_text(text));
    // The bindings record the turn in the session index inside their run call: so here.
    if (r && r->stop == run_stop::done) (void)(*rt)->record_turn(**s, r->final);
    auto t1 = std::chrono::steady_clock::now();
    if (!r || r->stop != run_stop::done) {
      std::fprintf(stderr, "binding_cpp_events: the run failed: %s\n",
                   r ? r->failure.message.c_str() : r.error().message.c_str());
      return 1;
    }
    if (i < warmup) continue;
    counts.push_back(deltas);
    seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  fmt::print("{{\"variant\":\"{}\",\"events\":[{}],\"seconds\":[{:.6f}]}}\n",
             as_json ? "cpp_to_json" : "cpp", fmt::join(counts, ","), fmt::join(seconds, ","));
  return 0;
}
