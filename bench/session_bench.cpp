// Sessions: loading a 10,000-message transcript, appending one entry (no fsync) to small
// and large sessions, and building the context of a ~200k-token session.
#include <durar/session.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace durar;

namespace {

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("durar-session-bench-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

session_store_options bench_options() {
  session_store_options o;
  o.transcript_fsync = fsync_policy::never;
  o.index_fsync = fsync_policy::never;
  o.policy.reset_mode = "idle";
  o.cwd = "/srv/bench";
  return o;
}

std::string prose(std::size_t chars, unsigned seed) {
  static const char* words[] = {"session", "transcript", "the", "model", "tool", "call", "result",
                                "file",    "compaction", "a",   "of",    "and",  "line", "write"};
  std::mt19937 gen(seed);
  std::string out;
  while (out.size() < chars) {
    out += words[gen() % (sizeof words / sizeof *words)];
    out += ' ';
  }
  out.resize(chars);
  return out;
}

assistant_message answer(std::string text) {
  assistant_message a;
  a.content.emplace_back(text_block{std::move(text), {}});
  a.api = "anthropic-messages";
  a.provider = "anthropic";
  a.model = "claude-sonnet-4-6";
  a.usage = {1200, 80, 4000, 0, 0, 5280, {0.0036, 0.0012, 0.0012, 0, 0.006}};
  a.timestamp = now_ms();
  return a;
}

// Turns of user, assistant (calling a tool), tool result, assistant: realistic line shapes.
void fill(session& s, int messages, std::size_t chars) {
  for (int i = 0; i < messages;) {
    (void)s.append(user_text(prose(chars, static_cast<unsigned>(i))));
    ++i;
    assistant_message call = answer(prose(chars / 4, static_cast<unsigned>(i)));
    call.content.emplace_back(tool_call_block{"toolu_" + std::to_string(i),
                                              "read",
                                              json::object({{"path", "/srv/app/src/main.cpp"}}),
                                              {}});
    call.stop = stop_reason::tool_use;
    (void)s.append(call);
    ++i;
    tool_result_message r;
    r.tool_call_id = "toolu_" + std::to_string(i - 1);
    r.tool_name = "read";
    r.content.emplace_back(text_block{prose(chars * 2, static_cast<unsigned>(i)), {}});
    r.timestamp = now_ms();
    (void)s.append(r);
    ++i;
    (void)s.append(answer(prose(chars, static_cast<unsigned>(i))));
    ++i;
  }
}

void BM_load_10k_messages(benchmark::State& state) {
  scratch_dir dir;
  session_store store(dir.path, "main", bench_options());
  fs::path path;
  {
    auto s = store.open("agent:main:main");
    fill(**s, 10000, 300);
    path = (*s)->path();
  }
  for (auto _ : state) {
    auto s = session_store::read_file(path);
    benchmark::DoNotOptimize(s);
  }
  state.counters["bytes"] = static_cast<double>(fs::file_size(path));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_load_10k_messages)->Unit(benchmark::kMillisecond);

// Argument: messages already in the session, to show the cost does not grow with it.
void BM_append_no_fsync(benchmark::State& state) {
  scratch_dir dir;
  session_store store(dir.path, "main", bench_options());
  auto s = store.open("agent:main:main");
  fill(**s, static_cast<int>(state.range(0)), 300);
  user_message m = user_text(prose(300, 7));
  for (auto _ : state) {
    auto id = (*s)->append(m);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_append_no_fsync)->Arg(0)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_context_200k_tokens(benchmark::State& state) {
  scratch_dir dir;
  session_store store(dir.path, "main", bench_options());
  auto s = store.open("agent:main:main");
  fill(**s, 468, 1600);  // ~800 KB of text: ~200k tokens by the chars/4 estimate
  std::int64_t tokens = estimate_tokens((*s)->context());
  for (auto _ : state) {
    auto ctx = (*s)->context();
    benchmark::DoNotOptimize(ctx);
  }
  state.counters["tokens"] = static_cast<double>(tokens);
}
BENCHMARK(BM_context_200k_tokens)->Unit(benchmark::kMillisecond);

void BM_plan_compaction_200k_tokens(benchmark::State& state) {
  scratch_dir dir;
  session_store store(dir.path, "main", bench_options());
  auto s = store.open("agent:main:main");
  fill(**s, 468, 1600);
  compaction_settings settings;
  for (auto _ : state) {
    auto plan = plan_compaction(**s, settings);
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(BM_plan_compaction_200k_tokens)->Unit(benchmark::kMillisecond);

}  // namespace
