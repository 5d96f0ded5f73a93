// anthropic-messages: request building (the decoder is in anthropic_stream.cpp).
#include "transports/anthropic_messages.hpp"

#include "transports/transports.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace durar::detail {

namespace {

constexpr std::string_view api_name = "anthropic-messages";
constexpr std::string_view default_base_url = "https://api.anthropic.com";
constexpr std::string_view interleaved_thinking_beta = "interleaved-thinking-2025-05-14";
constexpr std::string_view fine_grained_tool_streaming_beta =
    "fine-grained-tool-streaming-2025-05-14";
constexpr std::string_view image_placeholder = "(image omitted: model does not support images)";
constexpr std::string_view tool_image_placeholder =
    "(tool image omitted: model does not support images)";

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

bool has(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool compat_flag(const model_info& model, std::string_view key, bool fallback) {
  const json* v = model.compat.find(key);
  return v != nullptr && v->is_bool() ? v->as_bool() : fallback;
}

// Anthropic tool ids must match ^[a-zA-Z0-9_-]{1,64}$ and be unique in the request. Each call
// gets a fresh id; its results find it through the original id (the latest call using it).
class tool_id_map {
 public:
  std::string assign(const std::string& original) {
    std::string base;
    for (char c : original) {
      bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
      base.push_back(ok ? c : '_');
    }
    if (base.empty()) base = "toolu";
    if (base.size() > 64) base.resize(64);
    std::string id = base;
    for (int n = 2; used_.count(id) != 0; ++n) {
      std::string suffix = "_" + std::to_string(n);
      id = base.substr(0, 64 - suffix.size()) + suffix;
    }
    used_.insert(id);
    ids_[original] = id;
    return id;
  }
  // "" when no call used this id.
  [[nodiscard]] std::string find(const std::string& original) const {
    auto it = ids_.find(original);
    return it == ids_.end() ? std::string() : it->second;
  }

 private:
  std::map<std::string, std::string> ids_;
  std::set<std::string> used_;
};

struct builder_context {
  const model_info& model;
  bool vision;
  tool_id_map ids;
};

json image_json(const image_block& img) {
  return json::object(
      {{"type", "image"},
       {"source",
        json::object({{"type", "base64"}, {"media_type", img.mime_type}, {"data", img.data}})}});
}

json user_content(builder_context& ctx, const std::vector<content_block>& content) {
  json blocks = json::array();
  bool last_was_placeholder = false;
  for (const auto& block : content) {
    if (const auto* t = std::get_if<text_block>(&block)) {
      if (is_blank(t->text)) continue;
      blocks.push_back(json::object({{"type", "text"}, {"text", t->text}}));
      last_was_placeholder = false;
    } else if (const auto* img = std::get_if<image_block>(&block)) {
      if (ctx.vision) {
        blocks.push_back(image_json(*img));
      } else if (!last_was_placeholder) {
        blocks.push_back(json::object({{"type", "text"}, {"text", image_placeholder}}));
        last_was_placeholder = true;
      }
    }
  }
  return blocks;
}

// Text only: one string, as the original sends; with images: blocks.
json tool_result_content(const builder_context& ctx, const tool_result_message& r) {
  bool has_image = ctx.vision && std::any_of(r.content.begin(), r.content.end(), [](const auto& b) {
                     return std::holds_alternative<image_block>(b);
                   });
  if (!has_image) {  // the common case: the text alone, without building the blocks too
    std::string text;
    bool has_text = false;
    for (const auto& block : r.content) {
      std::string_view part;
      if (const auto* t = std::get_if<text_block>(&block))
        part = t->text;
      else if (std::holds_alternative<image_block>(block))
        part = tool_image_placeholder;
      else
        continue;
      if (has_text) text += "\n";
      text += part;
      has_text = true;
    }
    return json(std::move(text));
  }
  json blocks = json::array();
  bool has_text = false;
  for (const auto& block : r.content) {
    if (const auto* t = std::get_if<text_block>(&block)) {
      has_text = true;
      blocks.push_back(json::object({{"type", "text"}, {"text", t->text}}));
    } else if (const auto* img = std::get_if<image_block>(&block)) {
      blocks.push_back(image_json(*img));
    }
  }
  if (!has_text) {
    json with_text =
        json::array({json::object({{"type", "text"}, {"text", "(see attached image)"}})});
    for (auto& b : blocks.as_array()) with_text.push_back(std::move(b));
    return with_text;
  }
  return blocks;
}

struct pending_call {
  std::string id;
  std::string name;
};

json assistant_content(builder_context& ctx, const assistant_message& m,
                       std::vector<pending_call>& calls) {
  bool same_model = wire::same_model(m, ctx.model);
  json blocks = json::array();
  for (const auto& block : m.content) {
    if (const auto* t = std::get_if<text_block>(&block)) {
      if (!is_blank(t->text)) blocks.push_back(json::object({{"type", "text"}, {"text", t->text}}));
    } else if (const auto* th = std::get_if<thinking_block>(&block)) {
      if (th->redacted) {
        // Opaque and bound to the model that wrote it: replayed there, dropped elsewhere.
        if (same_model && !th->signature.empty())
          blocks.push_back(json::object({{"type", "redacted_thinking"}, {"data", th->signature}}));
      } else if (same_model && !th->signature.empty()) {
        // Byte-exact: the signature covers the thinking text.
        blocks.push_back(json::object(
            {{"type", "thinking"}, {"thinking", th->thinking}, {"signature", th->signature}}));
      } else if (!is_blank(th->thinking)) {
        // Unsigned or foreign reasoning is context, not a thinking block the API can verify.
        blocks.push_back(json::object({{"type", "text"}, {"text", th->thinking}}));
      }
    } else if (const auto* call = std::get_if<tool_call_block>(&block)) {
      std::string id = ctx.ids.assign(call->id);
      calls.push_back({id, call->name});
      blocks.push_back(json::object(
          {{"type", "tool_use"},
           {"id", id},
           {"name", call->name},
           {"input", call->arguments.is_object() ? call->arguments : json::object()}}));
    }
  }
  return blocks;
}

// The last block of the last message, when a user message, carries the cache breakpoint.
void mark_last_user_block(json& last, const json& cc) {
  if (cc.is_null()) return;
  if (last.string_or("role") != "user") return;
  json* content = last.find("content");
  if (content == nullptr || !content->is_array() || content->empty()) return;
  json& block = content->as_array().back();
  std::string type = block.string_or("type");
  if (type == "text" || type == "image" || type == "tool_result") block.set("cache_control", cc);
}

void write_messages(builder_context& ctx, const std::vector<message>& history, const json& cc,
                    std::string& body) {
  // Tool results still join the newest message; the last one gets the cache breakpoint.
  wire::array_writer out(body);
  std::vector<pending_call> pending;  // tool calls of the last assistant message
  std::set<std::string> answered;
  bool results_open = false;  // the last message written is collecting tool results

  auto add_result = [&](json block) {
    if (!results_open) {
      out.push_back(json::object({{"role", "user"}, {"content", json::array()}}));
      results_open = true;
    }
    out.back()["content"].push_back(std::move(block));
  };
  // Every tool_use needs a tool_result in the next message, or the API rejects the request.
  auto close_tool_turn = [&] {
    for (const auto& call : pending) {
      if (answered.count(call.id) != 0) continue;
      add_result(json::object({{"type", "tool_result"},
                               {"tool_use_id", call.id},
                               {"content", "No result provided"},
                               {"is_error", true}}));
    }
    pending.clear();
    answered.clear();
    results_open = false;
  };

  for (const auto& msg : history) {
    if (const auto* u = std::get_if<user_message>(&msg)) {
      close_tool_turn();
      json blocks = user_content(ctx, u->content);
      if (!blocks.empty())
        out.push_back(json::object({{"role", "user"}, {"content", std::move(blocks)}}));
    } else if (const auto* a = std::get_if<assistant_message>(&msg)) {
      close_tool_turn();
      // A failed or aborted turn is incomplete; the model retries from the last good state.
      if (a->stop == stop_reason::error || a->stop == stop_reason::aborted) continue;
      json blocks = assistant_content(ctx, *a, pending);
      if (!blocks.empty())
        out.push_back(json::object({{"role", "assistant"}, {"content", std::move(blocks)}}));
    } else if (const auto* r = std::get_if<tool_result_message>(&msg)) {
      std::string id = ctx.ids.find(r->tool_call_id);
      if (id.empty()) continue;  // its call was dropped: nothing to answer
      bool expected = std::any_of(pending.begin(), pending.end(),
                                  [&](const pending_call& c) { return c.id == id; });
      if (!expected || answered.count(id) != 0) continue;
      answered.insert(id);
      add_result(json::object({{"type", "tool_result"},
                               {"tool_use_id", id},
                               {"content", tool_result_content(ctx, *r)},
                               {"is_error", r->is_error}}));
    }
  }
  close_tool_turn();
  if (!out.empty()) mark_last_user_block(out.back(), cc);
  out.finish();
}

// The original's cache breakpoints: system prompt, last tool, last user block.
json cache_control(const call_spec& call) {
  std::string retention = call.options.params.string_or("cacheRetention", "short");
  if (retention == "none") return json();
  json cc = json::object({{"type", "ephemeral"}});
  if (retention == "long" && compat_flag(call.model, "supportsLongCacheRetention", true))
    cc.set("ttl", "1h");
  return cc;
}

json convert_tools(const std::vector<tool_definition>& defs, bool eager, const json& cc) {
  json tools = json::array();
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const auto& def = defs[i];
    json schema = json::object({{"type", "object"}});
    const json* props = def.parameters.find("properties");
    schema.set("properties", props != nullptr ? *props : json::object());
    const json* required = def.parameters.find("required");
    schema.set("required", required != nullptr && required->is_array() ? *required : json::array());
    // Kept so that $ref inside properties still resolves.
    for (const char* key : {"$defs", "definitions"})
      if (const json* d = def.parameters.find(key)) schema.set(key, *d);
    json tool = json::object({{"name", def.name}, {"description", def.description}});
    if (eager) tool.set("eager_input_streaming", true);
    tool.set("input_schema", std::move(schema));
    if (!cc.is_null() && i + 1 == defs.size()) tool.set("cache_control", cc);
    tools.push_back(std::move(tool));
  }
  return tools;
}

// The API rejects temperature on models released after Opus 4.6 (deprecated in the SDK, gone
// from its 1.x types); Anthropic-compatible vendors still take it.
bool takes_temperature(const model_info& model) {
  if (const json* v = model.compat.find("supportsTemperature"); v != nullptr && v->is_bool())
    return v->as_bool();
  std::string_view id = model.id;
  if (id.size() <= 7 || id.rfind("claude-", 0) != 0) return true;
  if (has(id, "mythos") || has(id, "fable")) return false;
  // claude-3-5-haiku (version first) or claude-<family>-<major>[-<minor>][-<date>].
  if (std::isdigit(static_cast<unsigned char>(id[7])) != 0) return true;
  std::size_t dash = id.find('-', 7);
  if (dash == std::string_view::npos) return true;
  int major = 0, minor = 0;
  std::size_t i = dash + 1;
  while (i < id.size() && std::isdigit(static_cast<unsigned char>(id[i])) != 0)
    major = major * 10 + (id[i++] - '0');
  // A minor version is one or two digits; a date suffix (20250929) is not one.
  if (i + 1 < id.size() && id[i] == '-' &&
      std::isdigit(static_cast<unsigned char>(id[i + 1])) != 0) {
    std::size_t j = i + 1, start = j;
    while (j < id.size() && std::isdigit(static_cast<unsigned char>(id[j])) != 0)
      minor = minor * 10 + (id[j++] - '0');
    if (j - start > 2) minor = 0;
  }
  // "Released after Claude Opus 4.6" rules out Sonnet 4.6 as well.
  return major < 4 || (major == 4 && (minor < 6 || (minor == 6 && has(id, "opus"))));
}

// Opus 4.6+/Sonnet 4.6 decide their own thinking budget ("adaptive").
bool adaptive_thinking(std::string_view id) {
  for (std::string_view m :
       {"opus-4-6", "opus-4.6", "opus-4-7", "opus-4.7", "sonnet-4-6", "sonnet-4.6"})
    if (has(id, m)) return true;
  return false;
}

std::string_view effort_for(thinking_level level, std::string_view id) {
  switch (level) {
    case thinking_level::minimal:
    case thinking_level::low:
      return "low";
    case thinking_level::medium:
      return "medium";
    case thinking_level::xhigh:
      if (has(id, "opus-4-6") || has(id, "opus-4.6")) return "max";
      if (has(id, "opus-4-7") || has(id, "opus-4.7")) return "xhigh";
      return "high";
    default:
      return "high";
  }
}

// The original's budgets; xhigh is clamped to high for budget-based models.
std::int64_t budget_for(thinking_level level) {
  switch (level) {
    case thinking_level::minimal:
      return 1024;
    case thinking_level::low:
      return 2048;
    case thinking_level::medium:
      return 8192;
    default:
      return 16384;
  }
}

}  // namespace

result<http_request> build_anthropic_request(const call_spec& call) {
  const model_info& model = call.model;
  builder_context ctx{model, wire::has_input(model, "image"), {}};
  json cc = cache_control(call);

  json body = json::object();  // after "model" and "messages", which are written first

  std::int64_t max_tokens = call.options.max_tokens.value_or(model.max_tokens);
  if (max_tokens <= 0) max_tokens = 4096;
  bool thinking = model.reasoning && call.options.thinking != thinking_level::off;
  bool budget_thinking = thinking && !adaptive_thinking(model.id);
  json thinking_json;
  json output_config;
  if (thinking && !budget_thinking) {
    thinking_json = json::object({{"type", "adaptive"}, {"display", "summarized"}});
    output_config = json::object({{"effort", effort_for(call.options.thinking, model.id)}});
  } else if (budget_thinking) {
    std::int64_t budget = budget_for(call.options.thinking);
    std::int64_t cap = model.max_tokens > 0 ? model.max_tokens : max_tokens + budget;
    // max_tokens covers thinking plus the answer, so the budget comes on top, within the cap.
    max_tokens = std::min(max_tokens + budget, cap);
    if (max_tokens <= budget) budget = std::max<std::int64_t>(0, max_tokens - 1024);
    if (budget >= 1024) {
      thinking_json =
          json::object({{"type", "enabled"}, {"budget_tokens", budget}, {"display", "summarized"}});
    } else {
      // The API's minimum budget does not fit: answer without thinking.
      budget_thinking = thinking = false;
      thinking_json = json::object({{"type", "disabled"}});
    }
  } else if (model.reasoning) {
    thinking_json = json::object({{"type", "disabled"}});
  }
  body.set("max_tokens", max_tokens);
  body.set("stream", true);

  if (!call.conv.system_prompt.empty()) {
    json sys = json::object({{"type", "text"}, {"text", call.conv.system_prompt}});
    if (!cc.is_null()) sys.set("cache_control", cc);
    body.set("system", json::array({std::move(sys)}));
  }
  // Sampling parameters are rejected alongside extended thinking, and by the newest models.
  if (!thinking && takes_temperature(model)) {
    if (call.options.temperature) body.set("temperature", *call.options.temperature);
    if (call.options.top_p) body.set("top_p", *call.options.top_p);
  }
  if (!call.conv.tools.empty()) {
    body.set("tools", nullptr);  // its place: the text comes from rendered_tools()
    // A forced call cannot go with extended thinking: the vendor refuses the request.
    const tool_choice& choice = call.options.tool_choice;
    if (choice.mode == tool_choice_mode::none)
      body.set("tool_choice", json::object({{"type", "none"}}));
    else if (choice.mode == tool_choice_mode::required && !thinking)
      body.set("tool_choice", json::object({{"type", "any"}}));
    else if (choice.mode == tool_choice_mode::named && !thinking)
      body.set("tool_choice", json::object({{"type", "tool"}, {"name", choice.name}}));
  }
  if (!thinking_json.is_null()) body.set("thinking", std::move(thinking_json));
  if (!output_config.is_null()) body.set("output_config", std::move(output_config));

  http_request req;
  std::string base = wire::trim_base(call.provider.base_url);
  req.url = (base.empty() ? std::string(default_base_url) : base) + "/v1/messages";
  wire::put_header(req, "content-type", "application/json");
  wire::put_header(req, "accept", "text/event-stream");
  wire::put_header(req, "anthropic-version", "2023-06-01");
  if (call.provider.auth_header.empty()) {
    if (call.api_key != nullptr && !call.api_key->empty())
      wire::put_header(req, "x-api-key", call.api_key->reveal());
  } else {
    wire::put_auth(req, call.provider, call.api_key);
  }
  std::string betas;
  if (!call.conv.tools.empty() && !compat_flag(model, "supportsEagerToolInputStreaming", true))
    betas = fine_grained_tool_streaming_beta;
  if (budget_thinking) betas += (betas.empty() ? "" : ",") + std::string(interleaved_thinking_beta);
  if (!betas.empty()) wire::put_header(req, "anthropic-beta", betas);
  wire::put_extra_headers(req, call.provider, call.options);
  std::string& out = req.body;
  out.reserve(wire::estimated_body_size(call.conv) + model.id.size());
  out += R"({"model":)";
  json_quote(out, model.id);
  out += R"(,"messages":)";
  write_messages(ctx, call.conv.messages, cc, out);
  if (call.conv.tools.empty()) {
    wire::append_members(out, body);
  } else {
    // The rendering depends on the model's eager streaming flag and the cache marker too.
    const bool eager = compat_flag(model, "supportsEagerToolInputStreaming", true);
    std::string format = eager ? "anthropic-messages,eager," : "anthropic-messages,";
    cc.dump_to(format);
    wire::append_members(
        out, body, "tools",
        wire::rendered_tools(format, call.conv.tools, [&](std::string& text, const auto& tools) {
          convert_tools(tools, eager, cc).dump_to(text);
        }));
  }
  out += '}';
  return req;
}

namespace {

class anthropic_messages_transport final : public transport {
 public:
  [[nodiscard]] std::string_view api() const noexcept override { return api_name; }
  [[nodiscard]] result<http_request> build_request(const call_spec& call) const override {
    return build_anthropic_request(call);
  }
  [[nodiscard]] std::unique_ptr<stream_decoder> make_decoder(const call_spec&,
                                                             stream_builder& out) const override {
    return make_anthropic_decoder(out);
  }
  [[nodiscard]] error classify_error(const http_head& head, std::string_view body) const override {
    error e = classify_anthropic_error(head.status, body);
    if (auto after = parse_retry_after(head)) e.retry_after = after;
    return e;
  }
};

}  // namespace

std::shared_ptr<const transport> make_anthropic_messages_transport() {
  return std::make_shared<const anthropic_messages_transport>();
}

}  // namespace durar::detail
