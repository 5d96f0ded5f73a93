// Vendor response bodies through each built-in transport's decoder (SSE or NDJSON parser plus
// the vendor's event mapper), split into chunks at fuzzer-chosen points.
// Input: [api selector][split seed][body...].
// Invariants: exactly one terminal event, the last; the first event is `start`; folding the
// events gives the terminal message; and the split points change nothing (the whole body fed
// at once decodes to the same message). The error-body classifier never crashes either.
#include <durar/catalog.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using namespace durar;

struct outcome {
  std::string final_dump;
  std::string fold_dump;
  std::string comparable;  // final_dump without what may differ between decodings
  std::size_t events = 0;
  std::size_t terminals = 0;
  bool first_is_start = false;
  bool last_is_terminal = false;
};

// Gemini sends calls without ids; the decoder makes ones unique within the process (a
// counter), so two decodings of one body differ there and only there.
std::string comparable(assistant_message m) {
  if (m.api == to_string(api_kind::google_generative_ai))
    for (auto& block : m.content)
      if (auto* call = std::get_if<tool_call_block>(&block)) call->id.clear();
  return to_json(message(std::move(m))).dump();
}

outcome decode(const transport& t, const call_spec& call,
               const std::vector<std::string_view>& parts) {
  outcome o;
  assistant_message initial;
  initial.api = std::string(to_string(call.model.api));
  initial.provider = call.model.provider;
  initial.model = call.model.id;
  initial.timestamp = 1;  // fixed, so runs compare equal
  event_fold fold;
  stream_builder out(initial, call.model.cost, [&](const stream_event& e) {
    if (o.events == 0) o.first_is_start = e.kind == event_kind::start;
    ++o.events;
    fold.apply(e);
    const bool terminal = e.kind == event_kind::done || e.kind == event_kind::error;
    o.last_is_terminal = terminal;
    if (terminal) {
      ++o.terminals;
      o.final_dump = to_json(message(*e.message)).dump();
      o.comparable = comparable(*e.message);
    }
  });
  auto decoder = t.make_decoder(call, out);
  for (auto p : parts) decoder->feed(p);
  decoder->finish();
  o.fold_dump = to_json(message(fold.message())).dump();
  return o;
}

void check(const outcome& o) {
  if (o.terminals != 1 || !o.first_is_start || !o.last_is_terminal) std::abort();
  if (o.fold_dump != o.final_dump) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const api_kind apis[] = {api_kind::openai_completions, api_kind::openai_responses,
                                  api_kind::anthropic_messages, api_kind::google_generative_ai,
                                  api_kind::ollama};
  const api_kind api = apis[data[0] % 5];
  std::uint32_t seed = data[1];
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);

  model_info model;
  model.provider = "fuzz";
  model.id = "m";
  model.api = api;
  model.reasoning = true;
  model.cost = {1, 2, 0, 0};  // priced, so usage costing runs
  provider_info provider;
  provider.id = "fuzz";
  provider.api = api;
  provider.base_url = "http://127.0.0.1:1/v1";
  secret key(std::string("sk-fuzz-key"));
  conversation conv;
  request_options options;
  call_spec call{model, provider, &key, conv, options};
  auto t = builtin_transport(api);
  if (!t) return 0;

  // Chunks of 1..64 bytes from a tiny LCG seeded by the input (0: one chunk).
  std::vector<std::string_view> parts;
  if (seed == 0) {
    parts.push_back(body);
  } else {
    std::size_t at = 0;
    while (at < body.size()) {
      seed = seed * 1103515245u + 12345u;
      std::size_t n = 1 + (seed >> 16) % 64;
      parts.push_back(body.substr(at, n));
      at += n;
    }
  }
  const outcome split = decode(*t, call, parts);
  check(split);
  if (seed != 0) {
    const outcome whole = decode(*t, call, {body});
    check(whole);
    if (whole.comparable != split.comparable) {
      std::fprintf(stderr, "split:\n%s\nwhole:\n%s\n", split.final_dump.c_str(),
                   whole.final_dump.c_str());
      std::abort();
    }
  }

  http_head head;
  head.status = 400 + data[1] % 200;
  // The body's first line doubles as the Retry-After header (vendor-controlled too).
  const std::string retry(body.substr(0, std::min<std::size_t>(body.find('\n'), 32)));
  head.headers = {{data[1] & 1 ? "retry-after-ms" : "retry-after", retry}};
  (void)parse_retry_after(head);
  (void)t->classify_error(head, body);
  return 0;
}
