// The OpenAI-compatible API's request parsers on arbitrary bodies: the JSON object a handler
// reads, then /v1/chat/completions, /v1/responses (with function tools and their outputs),
// /v1/embeddings and /tools/invoke, as the handlers call them.
// Invariants: a refused body is a 4xx with a message; a taken chat or responses body has
// input for a turn (a message, images or tool outputs), and outputs as text whenever it has
// outputs; the caller's tools have distinct, non-empty names; embeddings have inputs.
#include "gateway/openai_api.hpp"

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

namespace {

using namespace durar;
using namespace durar::gateway_detail;

void check(bool ok) {
  if (!ok) std::abort();
}

template <class T>
bool refused_well(const api_result<T>& r) {
  if (r.ok()) return false;
  check(r.error().status >= 400 && r.error().status < 500);
  check(!r.error().message.empty());
  return true;
}

void check_tools(const client_tools& t) {
  std::set<std::string> names;
  for (const auto& d : t.tools) {
    check(!d.name.empty());
    check(names.insert(d.name).second);
    check(d.parameters.is_object());
  }
}

template <class Request>
void check_turn(const Request& r) {
  check(!r.message.empty() || !r.images.empty() || !r.tool_outputs.empty());
  if (!r.tool_outputs.empty()) check(!r.message_with_outputs.empty());
  for (const auto& o : r.tool_outputs) check(!o.call_id.empty());
  check_tools(r.tools);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_json_object(body);
  if (!parsed) {
    check(!parsed.error().message.empty());
    return 0;
  }
  const json& j = *parsed;
  if (auto chat = parse_chat_request(j); !refused_well(chat)) check_turn(*chat);
  if (auto resp = parse_responses_request(j); !refused_well(resp)) check_turn(*resp);
  if (auto tools = parse_client_tools(j); !refused_well(tools)) check_tools(*tools);
  if (auto emb = parse_embeddings_request(j); !refused_well(emb)) check(!emb->inputs.empty());
  if (auto inv = parse_tools_invoke_request(j); !refused_well(inv)) check(!inv->tool.empty());
  return 0;
}
