// Config load cost: parse, ${VAR} substitution, validation and binding, from text in memory.
#include <durar/config.hpp>

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace {

std::string slurp(const std::string& name) {
  std::ifstream in(std::string(DURAR_TEST_DATA) + "/config/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing bench data: " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

durar::environment bench_env() {
  durar::environment env;
  for (const char* name : {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY",
                           "DURAR_GATEWAY_TOKEN", "LOCAL_API_KEY"})
    env.set(name, "bench-value");
  return env;
}

void check_text(benchmark::State& state, const std::string& name) {
  const std::string text = slurp(name);
  const durar::environment env = bench_env();
  for (auto _ : state) {
    auto check = durar::check_config_text(text, name, env);
    if (!check.ok()) state.SkipWithError("config did not validate");
    benchmark::DoNotOptimize(check);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void bm_yaml_config(benchmark::State& state) { check_text(state, "full.yaml"); }
void bm_openclaw_json5(benchmark::State& state) { check_text(state, "openclaw-real.json"); }

}  // namespace

BENCHMARK(bm_yaml_config);
BENCHMARK(bm_openclaw_json5);
