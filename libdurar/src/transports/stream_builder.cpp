#include <durar/provider.hpp>

#include "transports/partial_json.hpp"

#include <utility>

namespace durar {

namespace {

enum class block_kind { text, thinking, tool_call };

struct block_state {
  block_kind kind;
  bool open = true;
  std::string raw_args;  // tool calls: the JSON fragments so far
  std::string held;      // the start of a UTF-8 character whose rest has not arrived
};

// Length of the longest prefix of `s` that does not end inside a UTF-8 character.
std::size_t whole_characters(std::string_view s) {
  std::size_t n = s.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

double priced(std::int64_t tokens, double usd_per_million) {
  return static_cast<double>(tokens) * usd_per_million / 1e6;
}

}  // namespace

struct stream_builder::state {
  assistant_message msg;
  model_cost prices;
  event_callback sink;
  std::vector<block_state> blocks;
  bool started = false;
  bool finished = false;

  void emit(event_kind kind, std::size_t index = 0, std::string_view delta = {},
            const error* failure = nullptr) {
    stream_event e;
    e.kind = kind;
    e.content_index = index;
    e.delta = delta;
    e.message = &msg;
    e.failure = failure;
    if (sink) sink(e);
  }

  bool usable(std::size_t index) const {
    return !finished && index < blocks.size() && blocks[index].open;
  }

  void deliver(std::size_t index, std::string_view piece) {
    if (piece.empty()) return;
    auto& b = blocks[index];
    auto& block = msg.content[index];
    switch (b.kind) {
      case block_kind::text:
        std::get<text_block>(block).text.append(piece);
        emit(event_kind::text_delta, index, piece);
        break;
      case block_kind::thinking:
        std::get<thinking_block>(block).thinking.append(piece);
        emit(event_kind::thinking_delta, index, piece);
        break;
      case block_kind::tool_call:
        b.raw_args.append(piece);
        std::get<tool_call_block>(block).arguments = detail::parse_partial_json(b.raw_args);
        emit(event_kind::toolcall_delta, index, piece);
        break;
    }
  }

  std::size_t open_block(block_kind kind, content_block block) {
    if (!started) {
      started = true;
      emit(event_kind::start);
    }
    msg.content.push_back(std::move(block));
    blocks.push_back(block_state{kind, true, {}, {}});
    std::size_t index = blocks.size() - 1;
    emit(kind == block_kind::text       ? event_kind::text_start
         : kind == block_kind::thinking ? event_kind::thinking_start
                                        : event_kind::toolcall_start,
         index);
    return index;
  }

  void close_block(std::size_t index) {
    auto& b = blocks[index];
    if (!b.open) return;
    // Bytes held for an unfinished character are delivered as they are: nothing is lost.
    std::string rest = std::exchange(b.held, {});
    deliver(index, rest);
    b.open = false;
    switch (b.kind) {
      case block_kind::text:
        emit(event_kind::text_end, index);
        break;
      case block_kind::thinking:
        emit(event_kind::thinking_end, index);
        break;
      case block_kind::tool_call: {
        auto& call = std::get<tool_call_block>(msg.content[index]);
        if (!b.raw_args.empty()) {
          auto strict = json::parse(b.raw_args);
          call.arguments = strict ? std::move(*strict) : detail::parse_partial_json(b.raw_args);
        }
        if (!call.arguments.is_object()) call.arguments = json::object();
        emit(event_kind::toolcall_end, index);
        break;
      }
    }
  }

  void close_all() {
    for (std::size_t i = 0; i < blocks.size(); ++i) close_block(i);
  }

  void price() {
    auto& u = msg.usage;
    u.cost.input = priced(u.input, prices.input);
    u.cost.output = priced(u.output, prices.output);
    u.cost.cache_read = priced(u.cache_read, prices.cache_read);
    u.cost.cache_write = priced(u.cache_write, prices.cache_write);
    u.cost.total = u.cost.input + u.cost.output + u.cost.cache_read + u.cost.cache_write;
    if (u.total_tokens == 0) u.total_tokens = u.input + u.output + u.cache_read + u.cache_write;
  }
};

stream_builder::stream_builder(assistant_message initial, model_cost prices, event_callback sink)
    : s_(std::make_unique<state>()) {
  s_->msg = std::move(initial);
  if (s_->msg.timestamp == 0) s_->msg.timestamp = now_ms();
  s_->prices = prices;
  s_->sink = std::move(sink);
}

stream_builder::~stream_builder() = default;

void stream_builder::start() {
  if (s_->started || s_->finished) return;
  s_->started = true;
  s_->emit(event_kind::start);
}

std::size_t stream_builder::begin_text() { return s_->open_block(block_kind::text, text_block{}); }

std::size_t stream_builder::begin_thinking() {
  return s_->open_block(block_kind::thinking, thinking_block{});
}

std::size_t stream_builder::begin_tool_call(std::string id, std::string name) {
  tool_call_block call;
  call.id = std::move(id);
  call.name = std::move(name);
  return s_->open_block(block_kind::tool_call, std::move(call));
}

void stream_builder::append(std::size_t index, std::string_view bytes) {
  if (!s_->usable(index) || bytes.empty()) return;
  auto& b = s_->blocks[index];
  std::string joined;
  if (!b.held.empty()) {
    joined = std::exchange(b.held, {});
    joined.append(bytes);
    bytes = joined;
  }
  std::size_t whole = whole_characters(bytes);
  b.held.assign(bytes.substr(whole));
  s_->deliver(index, bytes.substr(0, whole));
}

void stream_builder::set_signature(std::size_t index, std::string signature) {
  if (s_->finished || index >= s_->blocks.size()) return;
  auto& block = s_->msg.content[index];
  if (auto* t = std::get_if<text_block>(&block))
    t->signature = std::move(signature);
  else if (auto* th = std::get_if<thinking_block>(&block))
    th->signature = std::move(signature);
  else if (auto* c = std::get_if<tool_call_block>(&block))
    c->thought_signature = std::move(signature);
}

void stream_builder::set_thought_signature(std::size_t index, std::string signature) {
  if (s_->finished || index >= s_->blocks.size()) return;
  if (auto* c = std::get_if<tool_call_block>(&s_->msg.content[index]))
    c->thought_signature = std::move(signature);
}

void stream_builder::set_redacted(std::size_t index, std::string data) {
  if (s_->finished || index >= s_->blocks.size()) return;
  if (auto* th = std::get_if<thinking_block>(&s_->msg.content[index])) {
    th->redacted = true;
    th->signature = std::move(data);
  }
}

void stream_builder::set_arguments(std::size_t index, json arguments) {
  if (!s_->usable(index)) return;
  auto& b = s_->blocks[index];
  if (b.kind != block_kind::tool_call) return;
  if (b.raw_args.empty()) {
    // Streamed as one fragment, so a client folding deltas sees the same arguments.
    s_->deliver(index, arguments.dump());
  } else {
    b.raw_args = arguments.dump();
    std::get<tool_call_block>(s_->msg.content[index]).arguments = std::move(arguments);
  }
}

void stream_builder::end_block(std::size_t index) {
  if (s_->usable(index)) s_->close_block(index);
}

void stream_builder::set_usage(const usage& tokens) {
  if (s_->finished) return;
  cost_breakdown keep = s_->msg.usage.cost;
  s_->msg.usage = tokens;
  s_->msg.usage.cost = keep;
}

void stream_builder::set_response_id(std::string id) {
  if (!s_->finished) s_->msg.response_id = std::move(id);
}

void stream_builder::set_model(std::string model) {
  if (!s_->finished && !model.empty()) s_->msg.model = std::move(model);
}

void stream_builder::done(stop_reason reason) {
  if (s_->finished) return;
  start();
  s_->close_all();
  s_->price();
  s_->msg.stop = reason;
  s_->finished = true;
  s_->emit(event_kind::done);
}

void stream_builder::fail(const durar::error& e) {
  if (s_->finished) return;
  start();
  s_->close_all();
  s_->price();
  s_->msg.stop = e.code == errc::cancelled ? stop_reason::aborted : stop_reason::error;
  s_->msg.error_message = e.message;
  s_->finished = true;
  s_->emit(event_kind::error, 0, {}, &e);
}

bool stream_builder::started() const noexcept { return s_->started; }
bool stream_builder::finished() const noexcept { return s_->finished; }
std::size_t stream_builder::block_count() const noexcept { return s_->blocks.size(); }
const assistant_message& stream_builder::message() const noexcept { return s_->msg; }

}  // namespace durar
