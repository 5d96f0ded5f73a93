#include <durar/json.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

namespace {

using durar::json;

// A chat-completion request with history, tool calls and usage, grown to ~100 KB.
std::string make_chat_document() {
  json messages = json::array();
  messages.push_back(json::object({{"role", "system"},
                                   {"content",
                                    "You are a careful assistant. Answer briefly; "
                                    "use tools when the user asks about files."}}));
  for (int turn = 0; messages.dump().size() < 100 * 1024; ++turn) {
    const std::string n = std::to_string(turn);
    messages.push_back(json::object(
        {{"role", "user"},
         {"content",
          "Turn " + n + ": please look at src/module_" + n +
              ".cpp and tell me why the \"build\" fails on line " + n +
              ".\nIt prints: error: expected ';' before '}' token\t(ünïcödé ✓ 日本語)"}}));
    json call = json::object(
        {{"id", "call_" + n + "_a8f3"},
         {"type", "function"},
         {"function",
          json::object({{"name", "read_file"},
                        {"arguments", json::object({{"path", "src/module_" + n + ".cpp"},
                                                    {"offset", turn * 40},
                                                    {"limit", 200}})
                                          .dump()}})}});
    messages.push_back(json::object(
        {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array({call})}}));
    messages.push_back(json::object(
        {{"role", "tool"},
         {"tool_call_id", "call_" + n + "_a8f3"},
         {"content", "int main() {\n  std::vector<int> v{1, 2, 3};\n  return v.size() > " + n +
                         " ? 0 : 1\n}\n"}}));
    messages.push_back(json::object(
        {{"role", "assistant"},
         {"content", "Line " + n + " is missing a semicolon after `1`. Add it and rebuild."}}));
  }
  json doc = json::object({{"model", "gpt-4o-2024-08-06"},
                           {"temperature", 0.7},
                           {"top_p", 1.0},
                           {"max_tokens", 4096},
                           {"stream", true},
                           {"messages", std::move(messages)},
                           {"usage", json::object({{"prompt_tokens", 31337},
                                                   {"completion_tokens", 1234},
                                                   {"cost_usd", 0.0421875}})}});
  return doc.dump();
}

const std::string& chat_text() {
  static const std::string text = make_chat_document();
  return text;
}

const std::string tool_args_text =
    R"({"path":"src/agent/loop.cpp","old_string":"if (done) return;\n","new_string":)"
    R"("if (done) {\n  flush();\n  return;\n}\n","replace_all":false,"max_lines":200})";

void parse_bench(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto r = json::parse(text);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void dump_bench(benchmark::State& state, const std::string& text, int indent) {
  const json value = json::parse(text).value();
  std::size_t bytes = 0;
  std::string out;
  for (auto _ : state) {
    out.clear();
    value.dump_to(out, indent);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void bm_parse_chat(benchmark::State& state) { parse_bench(state, chat_text()); }
void bm_dump_chat(benchmark::State& state) { dump_bench(state, chat_text(), -1); }
void bm_dump_chat_pretty(benchmark::State& state) { dump_bench(state, chat_text(), 2); }
void bm_parse_tool_args(benchmark::State& state) { parse_bench(state, tool_args_text); }
void bm_dump_tool_args(benchmark::State& state) { dump_bench(state, tool_args_text, -1); }

}  // namespace

BENCHMARK(bm_parse_chat);
BENCHMARK(bm_dump_chat);
BENCHMARK(bm_dump_chat_pretty);
BENCHMARK(bm_parse_tool_args);
BENCHMARK(bm_dump_tool_args);
