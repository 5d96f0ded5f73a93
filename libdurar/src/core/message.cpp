// Messages in the transcript JSON shapes of CONTRACTS.md (the original's session lines).
#include <durar/message.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <string_view>

namespace durar {

namespace {

// Token counts and timestamps: integers, or reals written by a JavaScript writer (1.7e12).
std::int64_t int_of(const json& obj, std::string_view key) {
  const json* v = obj.find(key);
  if (v == nullptr) return 0;
  if (v->type() == json_type::integer) return v->as_int();
  if (v->type() == json_type::uinteger) return static_cast<std::int64_t>(v->as_uint());
  // A real outside int64's range (1e300, from a hostile or broken file) would make the cast
  // undefined: it reads as 0, like a non-number. 2^63 itself is already out of range.
  if (v->type() == json_type::real) {
    const double d = v->as_double();
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      return static_cast<std::int64_t>(d);
  }
  return 0;
}

// Whole numbers as integers, like JavaScript's JSON.stringify, so the original's lines
// (`"cacheWrite":0`) are written back byte for byte.
json js_number(double d) {
  constexpr double max_safe = 9007199254740991.0;
  if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= max_safe)
    return json(static_cast<std::int64_t>(d));
  return json(d);
}

json cost_to_json(const cost_breakdown& c) {
  return json::object({{"input", js_number(c.input)},
                       {"output", js_number(c.output)},
                       {"cacheRead", js_number(c.cache_read)},
                       {"cacheWrite", js_number(c.cache_write)},
                       {"total", js_number(c.total)}});
}

json blocks_to_json(const std::vector<content_block>& blocks) {
  json_array out;
  out.reserve(blocks.size());
  for (const auto& b : blocks) out.push_back(to_json(b));
  return json(std::move(out));
}

result<content_block> block_from_json(const json& j) {
  if (!j.is_object()) return fail(errc::invalid_argument, "content block is not an object");
  const json* type = j.find("type");
  if (type == nullptr || !type->is_string())
    return fail(errc::invalid_argument, "content block has no \"type\"");
  const std::string& t = type->as_string();
  if (t == "text")
    return content_block(text_block{j.string_or("text"), j.string_or("textSignature")});
  if (t == "thinking") {
    return content_block(thinking_block{j.string_or("thinking"), j.string_or("thinkingSignature"),
                                        j.bool_or("redacted", false)});
  }
  if (t == "image") return content_block(image_block{j.string_or("mimeType"), j.string_or("data")});
  if (t == "toolCall") {
    tool_call_block call;
    call.id = j.string_or("id");
    call.name = j.string_or("name");
    if (const json* args = j.find("arguments"); args != nullptr && !args->is_null())
      call.arguments = *args;
    call.thought_signature = j.string_or("thoughtSignature");
    return content_block(std::move(call));
  }
  return fail(errc::invalid_argument, fmt::format("unknown content block type \"{}\"", t));
}

result<std::vector<content_block>> blocks_from_json(const json& content, bool string_allowed) {
  std::vector<content_block> out;
  if (content.is_string() && string_allowed) {
    out.emplace_back(text_block{content.as_string(), {}});
    return out;
  }
  if (content.is_null()) return out;
  if (!content.is_array())
    return fail(errc::invalid_argument,
                fmt::format("message content is {}, expected an array", to_string(content.type())));
  out.reserve(content.size());
  for (const auto& item : content.as_array()) {
    auto b = block_from_json(item);
    if (!b) return fail(b.error());
    out.push_back(std::move(*b));
  }
  return out;
}

result<stop_reason> stop_reason_from(std::string_view s) {
  for (auto r : {stop_reason::stop, stop_reason::length, stop_reason::tool_use, stop_reason::error,
                 stop_reason::aborted}) {
    if (to_string(r) == s) return r;
  }
  return fail(errc::invalid_argument, fmt::format("unknown stopReason \"{}\"", s));
}

usage usage_from_json(const json& j) {
  usage u;
  u.input = int_of(j, "input");
  u.output = int_of(j, "output");
  u.cache_read = int_of(j, "cacheRead");
  u.cache_write = int_of(j, "cacheWrite");
  u.reasoning = int_of(j, "reasoning");
  u.total_tokens = int_of(j, "totalTokens");
  const json& c = j["cost"];
  u.cost.input = c.number_or("input", 0);
  u.cost.output = c.number_or("output", 0);
  u.cost.cache_read = c.number_or("cacheRead", 0);
  u.cost.cache_write = c.number_or("cacheWrite", 0);
  u.cost.total = c.number_or("total", 0);
  return u;
}

json message_json(const user_message& m) {
  return json::object(
      {{"role", "user"}, {"content", blocks_to_json(m.content)}, {"timestamp", m.timestamp}});
}

json message_json(const assistant_message& m) {
  json j = json::object({{"role", "assistant"},
                         {"content", blocks_to_json(m.content)},
                         {"api", m.api},
                         {"provider", m.provider},
                         {"model", m.model},
                         {"usage", to_json(m.usage)},
                         {"stopReason", to_string(m.stop)},
                         {"timestamp", m.timestamp}});
  if (!m.response_id.empty()) j.set("responseId", m.response_id);
  if (!m.error_message.empty()) j.set("errorMessage", m.error_message);
  return j;
}

json message_json(const tool_result_message& m) {
  json j = json::object({{"role", "toolResult"},
                         {"toolCallId", m.tool_call_id},
                         {"toolName", m.tool_name},
                         {"content", blocks_to_json(m.content)}});
  if (!m.details.is_null()) j.set("details", m.details);  // the original omits undefined details
  j.set("isError", m.is_error);
  j.set("timestamp", m.timestamp);
  return j;
}

}  // namespace

std::string_view to_string(stop_reason r) noexcept {
  switch (r) {
    case stop_reason::stop:
      return "stop";
    case stop_reason::length:
      return "length";
    case stop_reason::tool_use:
      return "toolUse";
    case stop_reason::error:
      return "error";
    case stop_reason::aborted:
      return "aborted";
  }
  return "stop";
}

user_message user_text(std::string text) {
  user_message m;
  m.content.emplace_back(text_block{std::move(text), {}});
  m.timestamp = now_ms();
  return m;
}

std::string text_of(const assistant_message& m) {
  std::string out;
  for (const auto& b : m.content)
    if (const auto* t = std::get_if<text_block>(&b)) out += t->text;
  return out;
}

tool_list::tool_list(std::vector<tool_definition> tools) {
  if (!tools.empty())
    list_ = std::make_shared<const std::vector<tool_definition>>(std::move(tools));
}

tool_list::tool_list(std::initializer_list<tool_definition> tools)
    : tool_list(std::vector<tool_definition>(tools)) {}

const std::vector<tool_definition>& tool_list::items() const noexcept {
  static const std::vector<tool_definition> none;
  return list_ ? *list_ : none;
}

void tool_list::push_back(tool_definition tool) {
  // Never changed in place: other copies, and a transport's cache, may hold this list.
  std::vector<tool_definition> grown;
  grown.reserve(size() + 1);
  grown = items();
  grown.push_back(std::move(tool));
  list_ = std::make_shared<const std::vector<tool_definition>>(std::move(grown));
}

std::vector<const tool_call_block*> tool_calls_of(const assistant_message& m) {
  std::vector<const tool_call_block*> out;
  for (const auto& b : m.content)
    if (const auto* c = std::get_if<tool_call_block>(&b)) out.push_back(c);
  return out;
}

json to_json(const content_block& b) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, text_block>) {
          json j = json::object({{"type", "text"}, {"text", v.text}});
          if (!v.signature.empty()) j.set("textSignature", v.signature);
          return j;
        } else if constexpr (std::is_same_v<T, thinking_block>) {
          json j = json::object(
              {{"type", "thinking"}, {"thinking", v.thinking}, {"thinkingSignature", v.signature}});
          if (v.redacted) j.set("redacted", true);
          return j;
        } else if constexpr (std::is_same_v<T, image_block>) {
          return json::object({{"type", "image"}, {"data", v.data}, {"mimeType", v.mime_type}});
        } else {
          json j = json::object(
              {{"type", "toolCall"}, {"id", v.id}, {"name", v.name}, {"arguments", v.arguments}});
          if (!v.thought_signature.empty()) j.set("thoughtSignature", v.thought_signature);
          return j;
        }
      },
      b);
}

json to_json(const usage& u) {
  json j = json::object({{"input", u.input},
                         {"output", u.output},
                         {"cacheRead", u.cache_read},
                         {"cacheWrite", u.cache_write},
                         {"totalTokens", u.total_tokens}});
  // Not in the original's shape; written only when known so its lines round-trip unchanged.
  if (u.reasoning != 0) j.set("reasoning", u.reasoning);
  j.set("cost", cost_to_json(u.cost));
  return j;
}

json to_json(const message& m) {
  return std::visit([](const auto& v) { return message_json(v); }, m);
}

result<message> message_from_json(const json& j) {
  if (!j.is_object()) return fail(errc::invalid_argument, "message is not a JSON object");
  const json* role = j.find("role");
  if (role == nullptr || !role->is_string())
    return fail(errc::invalid_argument, "message has no \"role\"");
  const std::string& r = role->as_string();
  if (r == "user") {
    auto content = blocks_from_json(j["content"], true);
    if (!content) return fail(content.error());
    user_message m;
    m.content = std::move(*content);
    m.timestamp = int_of(j, "timestamp");
    return message(std::move(m));
  }
  if (r == "assistant") {
    auto content = blocks_from_json(j["content"], false);
    if (!content) return fail(content.error());
    assistant_message m;
    m.content = std::move(*content);
    m.api = j.string_or("api");
    m.provider = j.string_or("provider");
    m.model = j.string_or("model");
    m.response_id = j.string_or("responseId");
    m.usage = usage_from_json(j["usage"]);
    if (const json* s = j.find("stopReason"); s != nullptr && s->is_string()) {
      auto stop = stop_reason_from(s->as_string());
      if (!stop) return fail(stop.error());
      m.stop = *stop;
    }
    m.error_message = j.string_or("errorMessage");
    m.timestamp = int_of(j, "timestamp");
    return message(std::move(m));
  }
  if (r == "toolResult") {
    auto content = blocks_from_json(j["content"], true);
    if (!content) return fail(content.error());
    tool_result_message m;
    m.tool_call_id = j.string_or("toolCallId");
    m.tool_name = j.string_or("toolName");
    m.content = std::move(*content);
    if (const json* d = j.find("details")) m.details = *d;
    m.is_error = j.bool_or("isError", false);
    m.timestamp = int_of(j, "timestamp");
    return message(std::move(m));
  }
  return fail(errc::invalid_argument, fmt::format("unknown message role \"{}\"", r));
}

std::int64_t now_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace durar
