// Sessions: loading a 10,000-message transcript (first read, and read again after its
// session closed), appending one entry (no fsync) to small and large sessions, building the
// context of a ~200k-token session, and the context and the request of a 10,000-message
// session for each transport that writes it message by message (what each turn on a long
// session does before the model call).
#include <durar/catalog.hpp>
#include <durar/provider.hpp>
#include <durar/session.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
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

// A session of 10,000 messages (~6.8 MB) under `dir`, key agent:main:main; returns its path.
fs::path ten_thousand(const scratch_dir& dir) {
  session_store store(dir.path, "main", bench_options());
  auto s = store.open("agent:main:main");
  fill(**s, 10000, 300);
  return (*s)->path();
}

// Changes one byte of the header line (the last letter of its cwd) back and forth: the file
// no longer starts with the bytes a closed session's kept entries were parsed from.
struct header_toggle {
  fs::path path;
  std::streamoff at = 0;
  bool upper = false;
  explicit header_toggle(fs::path p) : path(std::move(p)) {
    std::ifstream in(path);
    std::string head;
    std::getline(in, head);
    at = static_cast<std::streamoff>(head.find("/srv/bench") + 9);
  }
  void flip() {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(at);
    f.put((upper = !upper) ? 'H' : 'h');
  }
};

// A first read through session_store::read_file (what `durar sessions` uses): the whole file
// parsed. A closed session's entries are kept for the next read of its file while the file
// starts with the same bytes, so one byte of the header changes between reads; the figure
// includes dropping the previous read's kept entries, which are still held while the file is
// read. BM_open_10k_messages/0 is the parse as a turn does it.
void BM_load_10k_messages(benchmark::State& state) {
  scratch_dir dir;
  fs::path path = ten_thousand(dir);
  header_toggle toggle(path);
  for (auto _ : state) {
    state.PauseTiming();
    toggle.flip();
    state.ResumeTiming();
    auto s = session_store::read_file(path);
    benchmark::DoNotOptimize(s);
  }
  state.counters["bytes"] = static_cast<double>(fs::file_size(path));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_load_10k_messages)->Unit(benchmark::kMillisecond);

// What a turn does first: session_store::open of the 10,000-message session, the first time
// in a process (arg 0: the whole file parsed) and again after its session closed (arg 1: the
// kept entries checked against the file and taken back, as the gateway does turn after turn).
void BM_open_10k_messages(benchmark::State& state) {
  scratch_dir dir;
  fs::path path = ten_thousand(dir);
  header_toggle toggle(path);
  session_store store(dir.path, "main", bench_options());
  const bool again = state.range(0) != 0;
  for (auto _ : state) {
    if (!again) {
      state.PauseTiming();
      toggle.flip();
      state.ResumeTiming();
    }
    auto s = store.open("agent:main:main");
    benchmark::DoNotOptimize(s);
  }
  state.counters["bytes"] = static_cast<double>(fs::file_size(path));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_open_10k_messages)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_context_10k_messages(benchmark::State& state) {
  scratch_dir dir;
  auto s = session_store::read_file(ten_thousand(dir));
  for (auto _ : state) {
    auto ctx = (*s)->context();
    benchmark::DoNotOptimize(ctx);
  }
}
BENCHMARK(BM_context_10k_messages)->Unit(benchmark::kMillisecond);

// The request body for the 10,000 messages, from the context; each transport writes it
// message by message. Argument: 0 openai-completions, 1 anthropic-messages,
// 2 openai-responses, 3 google-generative-ai.
void BM_request_10k_messages(benchmark::State& state) {
  static constexpr api_kind apis[] = {api_kind::openai_completions, api_kind::anthropic_messages,
                                      api_kind::openai_responses, api_kind::google_generative_ai};
  const api_kind api = apis[state.range(0)];
  state.SetLabel(std::string(to_string(api)));
  scratch_dir dir;
  auto s = session_store::read_file(ten_thousand(dir));
  model_info model;
  model.provider = "fake";
  model.id = "m1";
  model.api = api;
  model.context_window = 50000000;
  model.max_tokens = 8192;
  provider_info provider;
  provider.id = "fake";
  provider.api = api;
  provider.base_url = "http://127.0.0.1:9/v1";
  secret key{"x"};
  conversation conv;
  conv.system_prompt = "You are a helpful assistant.";
  conv.messages = (*s)->context();
  request_options options;
  auto wire = builtin_transport(api);
  std::size_t body = 0;
  for (auto _ : state) {
    auto req = wire->build_request(call_spec{model, provider, &key, conv, options});
    body = req->body.size();
    benchmark::DoNotOptimize(req);
  }
  state.counters["body_bytes"] = static_cast<double>(body);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body));
}
BENCHMARK(BM_request_10k_messages)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

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
