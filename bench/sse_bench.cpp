// SSE framing throughput and openai-completions decoding throughput on a ~1 MB stream shaped
// like a real Chat Completions answer (small deltas, multi-byte text, a tool call, usage).
#include <durar/provider.hpp>

#include <benchmark/benchmark.h>

#include "transports/stream_parsers.hpp"
#include "transports/transports.hpp"

#include <string>

using namespace durar;

namespace {

std::string chunk(std::string_view delta_json, std::string_view finish = "null") {
  std::string s =
      "data: "
      "{\"id\":\"chatcmpl-CqT1xYb8Kf3nZ0aR2sVw9LmE4pHuJ\",\"object\":\"chat.completion.chunk\","
      "\"created\":1767225600,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\","
      "\"system_fingerprint\":\"fp_fc9f1d7035\",\"choices\":[{\"index\":0,\"delta\":";
  s.append(delta_json);
  s.append(",\"logprobs\":null,\"finish_reason\":");
  s.append(finish);
  s.append("}],\"usage\":null}\n\n");
  return s;
}

const std::string& stream() {
  static const std::string s = [] {
    const char* pieces[] = {"The",
                            " quick",
                            " brown",
                            " fox",
                            " \xD8\xAF\xD9\x8F\xD8\xB1\xD9\x8E\xD8\xB1",
                            " jumps",
                            " over",
                            " \xF0\x9F\xA6\xAA",
                            " the",
                            " lazy",
                            " dog",
                            ".\\n"};
    std::string out = chunk(R"({"role":"assistant","content":"","refusal":null})");
    std::size_t i = 0;
    while (out.size() < 1'000'000) {
      out += chunk(std::string(R"({"content":")") + pieces[i++ % std::size(pieces)] + "\"}");
      if (i % 5000 == 0) out += ": keep-alive\n\n";
    }
    out += chunk(
        R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"exec","arguments":""}}]})");
    for (int k = 0; k < 50; ++k)
      out += chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]})");
    out += chunk("{}", "\"tool_calls\"");
    out += "data: [DONE]\n\n";
    return out;
  }();
  return s;
}

std::size_t events_in_stream() {
  std::size_t n = 0;
  detail::sse_parser p([&](const detail::sse_event&) { ++n; });
  p.feed(stream());
  p.finish();
  return n;
}

// Reads of `read_size` bytes, as the HTTP client's write callback delivers them.
void bm_sse_parse(benchmark::State& state) {
  const std::string& s = stream();
  const auto read_size = static_cast<std::size_t>(state.range(0));
  std::size_t events = 0;
  for (auto _ : state) {
    detail::sse_parser p([&](const detail::sse_event& e) {
      ++events;
      benchmark::DoNotOptimize(e.data.data());
    });
    for (std::size_t at = 0; at < s.size(); at += read_size)
      p.feed(std::string_view(s).substr(at, read_size));
    p.finish();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK(bm_sse_parse)->Arg(1 << 14)->Arg(1460)->Arg(64);

// The whole decode: SSE framing, JSON per chunk, builder events, one callback per event.
void bm_openai_completions_decode(benchmark::State& state) {
  const std::string& s = stream();
  auto t = detail::make_openai_completions_transport();
  model_info model;
  model.id = "gpt-4o-mini";
  provider_info provider;
  provider.base_url = "https://api.openai.com/v1";
  conversation conv;
  request_options options;
  call_spec call{model, provider, nullptr, conv, options};
  std::size_t events = 0;
  for (auto _ : state) {
    stream_builder b(assistant_message{}, model.cost, [&](const stream_event& e) {
      ++events;
      benchmark::DoNotOptimize(e.delta.data());
    });
    auto dec = t->make_decoder(call, b);
    for (std::size_t at = 0; at < s.size(); at += 1 << 14)
      dec->feed(std::string_view(s).substr(at, 1 << 14));
    dec->finish();
    if (!b.finished() || b.message().stop != stop_reason::tool_use) {
      state.SkipWithError(("decode failed: " + b.message().error_message).c_str());
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["sse_events"] = static_cast<double>(events_in_stream());
}
BENCHMARK(bm_openai_completions_decode);

}  // namespace
