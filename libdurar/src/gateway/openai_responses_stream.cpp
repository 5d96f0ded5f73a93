// The streamed /v1/responses events (OpenAI Responses / OpenResponses), in CONTRACTS.md's
// order, each with the next sequence_number: items open as their content starts (a message
// item with its first text, a function_call item when the model starts the call) and close
// one after another, and response.completed lists them as they were sent.
#include "openai_api.hpp"

namespace durar::gateway_detail {

std::string responses_stream::event(std::string_view type, json payload) {
  json e = json::object({{"type", type}, {"sequence_number", seq_++}});
  for (auto& [k, v] : payload.as_object()) e.set(k, std::move(v));
  return sse_event(type, e);
}

std::string responses_stream::start() {
  if (started_) return {};
  started_ = true;
  json pending = response_object(meta_, "in_progress", json::array(), json());
  std::string out = event("response.created", json::object({{"response", pending}}));
  out += event("response.in_progress", json::object({{"response", std::move(pending)}}));
  return out;
}

std::string responses_stream::open() {
  std::string out = start();
  return out + open_message();
}

std::string responses_stream::open_message() {
  if (message_) return {};
  std::string out = start();
  // The first message item has the id the response was made with; any later one its own.
  const bool first =
      std::none_of(items_.begin(), items_.end(), [](const item& it) { return it.call_id.empty(); });
  items_.push_back(item{first ? meta_.item_id : "msg_" + new_uuid(), {}, {}, {}, json()});
  message_ = items_.size() - 1;
  const auto index = static_cast<std::int64_t>(*message_);
  const std::string& id = items_.back().id;
  json added = json::object({{"type", "message"},
                             {"id", id},
                             {"status", "in_progress"},
                             {"role", "assistant"},
                             {"content", json::array()}});
  out += event("response.output_item.added",
               json::object({{"output_index", index}, {"item", std::move(added)}}));
  out += event("response.content_part.added", json::object({{"item_id", id},
                                                            {"output_index", index},
                                                            {"content_index", 0},
                                                            {"part", output_text_part("")}}));
  return out;
}

std::string responses_stream::delta(const std::string& piece) {
  std::string out;
  std::string_view text = piece;
  if (!message_) {
    out = open_message();
    // A message after a call: the blank line that parted it from the text before does not
    // begin it.
    if (items_.size() > 1)
      while (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  }
  streamed_ += piece;
  if (text.empty()) return out;
  item& m = items_[*message_];
  m.text += text;
  const auto index = static_cast<std::int64_t>(*message_);
  out += event("response.output_text.delta", json::object({{"item_id", m.id},
                                                           {"output_index", index},
                                                           {"content_index", 0},
                                                           {"delta", text},
                                                           {"logprobs", json::array()}}));
  return out;
}

std::string responses_stream::close_message(std::string_view status) {
  if (!message_) return {};
  const auto index = static_cast<std::int64_t>(*message_);
  item& m = items_[*message_];
  message_.reset();
  std::string out = event("response.output_text.done", json::object({{"item_id", m.id},
                                                                     {"output_index", index},
                                                                     {"content_index", 0},
                                                                     {"text", m.text},
                                                                     {"logprobs", json::array()}}));
  out += event("response.content_part.done", json::object({{"item_id", m.id},
                                                           {"output_index", index},
                                                           {"content_index", 0},
                                                           {"part", output_text_part(m.text)}}));
  response_meta named = meta_;
  named.item_id = m.id;
  m.done = output_message(named, m.text, status);
  out +=
      event("response.output_item.done", json::object({{"output_index", index}, {"item", m.done}}));
  return out;
}

responses_stream::item* responses_stream::find_call(std::string_view call_id) {
  for (auto& it : items_)
    if (!it.call_id.empty() && it.call_id == call_id) return &it;
  return nullptr;
}

std::string responses_stream::call_added(const tool_call_block& c) {
  if (find_call(c.id) != nullptr) return {};
  std::string out = start();
  out += close_message("completed");  // items follow one another
  json added = function_call_item(c, "in_progress");
  added.set("arguments", "");
  items_.push_back(item{added["id"].as_string(), c.id, c.name, {}, json()});
  const auto index = static_cast<std::int64_t>(items_.size() - 1);
  out += event("response.output_item.added",
               json::object({{"output_index", index}, {"item", std::move(added)}}));
  return out;
}

std::string responses_stream::call_delta(const tool_call_block& c, std::string_view fragment) {
  std::string out = call_added(c);
  item* it = find_call(c.id);
  if (fragment.empty() || !it->done.is_null()) return out;
  it->text += fragment;
  const auto index = static_cast<std::int64_t>(it - items_.data());
  out += event("response.function_call_arguments.delta",
               json::object({{"item_id", it->id}, {"output_index", index}, {"delta", fragment}}));
  return out;
}

std::string responses_stream::close_call(item& it, const tool_call_block* c,
                                         std::string_view status) {
  const auto index = static_cast<std::int64_t>(&it - items_.data());
  std::string out;
  if (c != nullptr) {
    // The fragments as the model wrote them when they are the call's arguments (so the
    // deltas add up to them, as OpenAI's do); else the arguments the call was run with.
    auto raw = json::parse(it.text);
    std::string arguments = raw && *raw == c->arguments ? std::move(it.text) : c->arguments.dump();
    it.text = arguments;
    out += event("response.function_call_arguments.done", json::object({{"item_id", it.id},
                                                                        {"output_index", index},
                                                                        {"name", c->name},
                                                                        {"arguments", arguments}}));
    it.done = function_call_item(*c, status);
    it.done.set("arguments", std::move(arguments));
  } else {
    // Cut short: what arrived of it.
    it.done = json::object({{"type", "function_call"},
                            {"id", it.id},
                            {"call_id", it.call_id},
                            {"name", it.name},
                            {"arguments", it.text},
                            {"status", status}});
  }
  out += event("response.output_item.done",
               json::object({{"output_index", index}, {"item", it.done}}));
  return out;
}

std::string responses_stream::call_done(const tool_call_block& c) {
  std::string out = call_added(c);
  item* it = find_call(c.id);
  if (!it->done.is_null()) return out;
  return out + close_call(*it, &c, "completed");
}

std::string responses_stream::take_rest(const std::string& text) {
  // Text the stream has not sent (an answer that came whole) goes out as one more delta.
  if (text.size() <= streamed_.size() || text.compare(0, streamed_.size(), streamed_) != 0)
    return {};
  return delta(text.substr(streamed_.size()));
}

json responses_stream::output() const {
  json out = json::array();
  for (const auto& it : items_) out.push_back(it.done);
  return out;
}

std::string responses_stream::complete(const std::string& text, const durar::usage& u,
                                       const std::vector<const tool_call_block*>& calls) {
  std::string out = start();
  out += take_rest(text);
  for (const auto* c : calls) {
    const item* it = find_call(c->id);
    if (it != nullptr && !it->done.is_null()) continue;
    if (it == nullptr) out += call_delta(*c, c->arguments.dump());  // it came whole
    out += call_done(*c);
  }
  if (items_.empty()) out += open_message();  // an empty answer is an empty message
  out += close_message("completed");
  for (auto& it : items_)  // calls the run did not end on, cut short
    if (it.done.is_null()) out += close_call(it, nullptr, "incomplete");
  out += event("response.completed",
               json::object({{"response",
                              response_object(meta_, "completed", output(), responses_usage(u))}}));
  return out;
}

std::string responses_stream::fail(const std::string& text, const durar::usage& u,
                                   const api_error& e) {
  std::string out = start();
  out += take_rest(text);
  out += close_message("incomplete");
  for (auto& it : items_)
    if (it.done.is_null()) out += close_call(it, nullptr, "incomplete");
  json error = json::object(
      {{"code", e.code.empty() ? json("server_error") : json(e.code)}, {"message", e.message}});
  out += event("response.failed",
               json::object({{"response", response_object(meta_, "failed", output(),
                                                          responses_usage(u), std::move(error))}}));
  return out;
}

}  // namespace durar::gateway_detail
