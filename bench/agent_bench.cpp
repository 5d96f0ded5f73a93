// Agent overhead per turn, excluding the model. The same two model calls (a tool call, then
// the answer) are made through the agent and directly through the router, against the fake
// vendor on loopback; runs alternate so drift hits both alike. Half the difference of the
// medians is what the agent adds per turn: building the context, tool validation and
// execution, events, and (with a session) the transcript appends.
//
//   durar_bench_agent [--runs N]
#include <durar/agent.hpp>
#include <durar/router.hpp>
#include <durar/session.hpp>
#include <durar/tool.hpp>

#include <fmt/format.h>

#include "fake_vendor_server.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

using namespace durar;
using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

const fs::path data = fs::path(DURAR_TEST_DATA) / "agent" / "openai-completions";

double us(clock_type::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

std::shared_ptr<tool> weather_tool() {
  tool_definition d;
  d.name = "get_weather";
  d.description = "Current weather for a city.";
  d.parameters =
      json::object({{"type", "object"},
                    {"properties", json::object({{"city", json::object({{"type", "string"}})}})},
                    {"required", json::array({"city"})}});
  return make_tool(std::move(d), [](const json&, const tool_context&) {
    return result<tool_result>(text_result("18°C and sunny"));
  });
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 500;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string_view(argv[i]) == "--runs") runs = std::max(10, std::atoi(argv[i + 1]));

  durar::test::fake_vendor_server server;
  auto call = durar::test::recorded(data / "weather_call.response.sse");
  auto answer = durar::test::recorded(data / "weather_answer.response.sse");

  config cfg;
  cfg.env = environment(std::map<std::string, std::string, std::less<>>{{"FAKE_API_KEY", "k"}});
  provider_config p;
  p.base_url = server.base_url() + "/v1";
  p.api = "openai-completions";
  model_config m;
  m.id = "m1";
  p.models.push_back(m);
  cfg.models.providers["fake"] = p;
  cfg.agents.model.primary = "fake/m1";

  asio::io_context io;
  model_router router(io, cfg);
  agent_options opts;
  opts.model = "fake/m1";
  opts.system_prompt = "You are a benchmark agent.";
  opts.tools = {weather_tool()};

  std::random_device rd;
  fs::path state = fs::temp_directory_path() /
                   ("durar-agent-bench-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  session_store_options so;
  so.transcript_fsync = fsync_policy::never;
  so.index_fsync = fsync_policy::never;
  session_store store(state, "main", so);

  // One run to learn the conversations the agent sends; the router baseline replays them.
  server.enqueue(call);
  server.enqueue(answer);
  run_result first;
  {
    agent a(router, nullptr, opts);
    auto r = a.run(user_text("What's the weather in Paris?"));
    if (!r || r->stop != run_stop::done || r->messages.size() != 4) {
      std::fprintf(stderr, "warm-up run failed\n");
      return 1;
    }
    first = std::move(*r);
  }
  completion_request r1, r2;
  for (auto* r : {&r1, &r2}) {
    r->model = opts.model;
    r->conv.system_prompt = opts.system_prompt;
    r->conv.tools = {opts.tools[0]->definition()};
  }
  r1.conv.messages = {first.messages[0]};
  r2.conv.messages = {first.messages[0], first.messages[1], first.messages[2]};

  // Sessions are opened up front: opening one (index rename, new files) right before a
  // timed run would be measured as part of it.
  std::vector<std::unique_ptr<session>> sessions;
  for (int i = 0; i < runs; ++i) {
    auto opened = store.open("agent:main:bench-" + std::to_string(i));
    if (!opened) return 1;
    sessions.push_back(std::move(*opened));
  }
  std::vector<double> direct, bare, watched, stored;
  std::size_t events = 0;
  auto measure = [&](int variant, int i) -> bool {
    server.enqueue(call);
    server.enqueue(answer);
    if (variant == 3) {
      auto t0 = clock_type::now();
      auto a1 = router.complete(r1);
      auto a2 = router.complete(r2);
      auto t1 = clock_type::now();
      direct.push_back(us(t1 - t0));
      return a1 && a2;
    }
    agent a(router, variant == 2 ? sessions[static_cast<std::size_t>(i)].get() : nullptr, opts);
    if (variant > 0) a.subscribe([&events](const agent_event&) { ++events; });
    auto t0 = clock_type::now();
    auto r = a.run(user_text("What's the weather in Paris?"));
    auto t1 = clock_type::now();
    (variant == 0 ? bare : variant == 1 ? watched : stored).push_back(us(t1 - t0));
    return r && r->stop == run_stop::done;
  };
  for (int i = 0; i < runs; ++i) {
    // Each variant takes each position in turn, so warm and cold caches are shared fairly.
    for (int k = 0; k < 4; ++k)
      if (!measure((i + k) % 4, i)) return 1;
  }
  sessions.clear();
  std::error_code ec;
  fs::remove_all(state, ec);

  const double base = percentile(direct, 0.5);
  fmt::print("{} runs of 2 turns (tool call + answer), openai-completions on loopback\n", runs);
  fmt::print("  router only, 2 calls:       median {:8.1f} us  p90 {:8.1f} us\n", base,
             percentile(direct, 0.9));
  auto row = [&](const char* name, const std::vector<double>& v) {
    const double med = percentile(v, 0.5);
    fmt::print("  {:<28} median {:8.1f} us  p90 {:8.1f} us  -> agent overhead {:6.1f} us/turn\n",
               name, med, percentile(v, 0.9), (med - base) / 2);
  };
  row("agent, no listener:", bare);
  row("agent, counting listener:", watched);
  row("agent, listener + session:", stored);
  fmt::print("  ({} events seen)\n", events);
  return 0;
}
