#include <durar/provider.hpp>

#include "transports/partial_json.hpp"

namespace durar {

// Built from deltas; *_end events contribute only what deltas cannot carry (ids,
// signatures), so a mismatch between deltas and the final message shows up in tests.
void event_fold::apply(const stream_event& e) {
  if (finished_ || e.message == nullptr) return;
  const std::size_t i = e.content_index;
  auto grow = [&](content_block block) {
    if (message_.content.size() <= i) message_.content.resize(i + 1);
    if (raw_args_.size() <= i) raw_args_.resize(i + 1);
    message_.content[i] = std::move(block);
  };
  switch (e.kind) {
    case event_kind::start:
      message_.api = e.message->api;
      message_.provider = e.message->provider;
      message_.model = e.message->model;
      message_.timestamp = e.message->timestamp;
      break;
    case event_kind::text_start:
      grow(text_block{});
      break;
    case event_kind::thinking_start:
      grow(thinking_block{});
      break;
    case event_kind::toolcall_start: {
      const auto& src = std::get<tool_call_block>(e.message->content[i]);
      tool_call_block call;
      call.id = src.id;
      call.name = src.name;
      grow(std::move(call));
      break;
    }
    case event_kind::text_delta:
      std::get<text_block>(message_.content[i]).text.append(e.delta);
      break;
    case event_kind::thinking_delta:
      std::get<thinking_block>(message_.content[i]).thinking.append(e.delta);
      break;
    case event_kind::toolcall_delta:
      raw_args_[i].append(e.delta);
      break;
    case event_kind::text_end:
      std::get<text_block>(message_.content[i]).signature =
          std::get<text_block>(e.message->content[i]).signature;
      break;
    case event_kind::thinking_end: {
      const auto& src = std::get<thinking_block>(e.message->content[i]);
      auto& dst = std::get<thinking_block>(message_.content[i]);
      dst.signature = src.signature;
      dst.redacted = src.redacted;
      break;
    }
    case event_kind::toolcall_end: {
      const auto& src = std::get<tool_call_block>(e.message->content[i]);
      auto& dst = std::get<tool_call_block>(message_.content[i]);
      dst.id = src.id;
      dst.name = src.name;
      dst.thought_signature = src.thought_signature;
      if (raw_args_[i].empty()) {
        dst.arguments = json::object();
      } else {
        auto strict = json::parse(raw_args_[i]);
        dst.arguments = strict ? std::move(*strict) : detail::parse_partial_json(raw_args_[i]);
      }
      if (!dst.arguments.is_object()) dst.arguments = json::object();
      break;
    }
    case event_kind::done:
    case event_kind::error: {
      const auto& m = *e.message;
      message_.api = m.api;
      message_.provider = m.provider;
      message_.model = m.model;
      message_.response_id = m.response_id;
      message_.usage = m.usage;
      message_.stop = m.stop;
      message_.error_message = m.error_message;
      message_.timestamp = m.timestamp;
      finished_ = true;
      break;
    }
  }
}

}  // namespace durar
