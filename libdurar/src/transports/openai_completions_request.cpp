// openai-completions request building: the conversation as Chat Completions messages, with the
// compat rules that keep OpenAI-only fields away from the many servers that copy its API.
#include <fmt/format.h>

#include "transports/openai_completions.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>

namespace durar::detail {

namespace {

bool compat_bool(const json& compat, std::string_view key, bool fallback) {
  return compat.bool_or(key, fallback);
}

bool id_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool valid_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 40 && std::all_of(id.begin(), id.end(), id_char);
}

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// The original's short string hash (two 32-bit multiplicative mixes over UTF-16 code units,
// each printed in base 36), so derived ids match what it would send.
std::string short_hash36(std::string_view s) {
  std::uint32_t h1 = 0xdeadbeefU;
  std::uint32_t h2 = 0x41c6ce57U;
  auto mix = [&](std::uint32_t unit) {
    h1 = (h1 ^ unit) * 2654435761U;
    h2 = (h2 ^ unit) * 1597334677U;
  };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    std::uint32_t cp = c;
    if (len > 1 && i + len <= s.size()) {  // a cut sequence counts byte by byte
      cp = c & (0x7FU >> len);
      for (std::size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3FU);
      i += len;
    } else {
      i += 1;
    }
    if (cp >= 0x10000) {
      mix(0xD800U + ((cp - 0x10000U) >> 10));
      mix(0xDC00U + ((cp - 0x10000U) & 0x3FFU));
    } else {
      mix(cp);
    }
  }
  h1 = ((h1 ^ (h1 >> 16)) * 2246822507U) ^ ((h2 ^ (h2 >> 13)) * 3266489909U);
  h2 = ((h2 ^ (h2 >> 16)) * 2246822507U) ^ ((h1 ^ (h1 >> 13)) * 3266489909U);
  auto base36 = [](std::uint32_t v) {
    std::string out;
    do {
      out.insert(out.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]);
      v /= 36;
    } while (v > 0);
    return out;
  };
  return base36(h2) + base36(h1);
}

constexpr std::size_t mistral_id_length = 9;

std::string mistral_candidate(std::string_view id, int attempt) {
  std::string alnum;
  for (char c : id)
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) alnum.push_back(c);
  if (attempt == 0 && alnum.size() == mistral_id_length) return alnum;
  std::string seed = alnum.empty() ? std::string(id) : alnum;
  if (attempt > 0) seed += ":" + std::to_string(attempt);
  std::string hashed = short_hash36(seed);
  if (hashed.size() > mistral_id_length) hashed.resize(mistral_id_length);
  return hashed;
}

std::string data_url(const image_block& img) {
  return fmt::format("data:{};base64,{}", img.mime_type, img.data);
}

json image_part(const image_block& img) {
  return json::object(
      {{"type", "image_url"}, {"image_url", json::object({{"url", data_url(img)}})}});
}

json text_part(std::string text) {
  return json::object({{"type", "text"}, {"text", std::move(text)}});
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// The reasoning fields a server streams thinking in; the same field carries it back on replay.
bool reasoning_field(std::string_view s) {
  return s == "reasoning_content" || s == "reasoning" || s == "reasoning_text";
}

constexpr std::string_view no_image_placeholder = "(image omitted: model does not support images)";
constexpr std::string_view no_tool_image_placeholder =
    "(tool image omitted: model does not support images)";

// Writes the `messages` array, each message as it is complete, straight into the body: a long
// session's history is not built as a second JSON tree first. The bytes are those of
// json::dump() on the same messages. One instance per request.
class message_writer {
 public:
  message_writer(const call_spec& call, const openai_compat& compat, std::string& out)
      : call_(call), compat_(compat), images_(wire::has_input(call.model, "image")), out_(out) {}

  void run() {
    const conversation& conv = call_.conv;
    out_ += '[';
    if (!conv.system_prompt.empty()) {
      bool developer = call_.model.reasoning && compat_.supports_developer_role;
      emit(json::object(
          {{"role", developer ? "developer" : "system"}, {"content", conv.system_prompt}}));
    }
    for (const auto& m : conv.messages) {
      if (const auto* u = std::get_if<user_message>(&m)) {
        end_tool_results();
        add_user(*u);
      } else if (const auto* a = std::get_if<assistant_message>(&m)) {
        end_tool_results();
        add_assistant(*a);
      } else {
        add_tool_result(std::get<tool_result_message>(m));
      }
    }
    end_tool_results();
    out_ += ']';
  }

 private:
  void next_item() {
    if (items_++ > 0) out_ += ',';
  }

  void emit(const json& msg) {
    next_item();
    msg.dump_to(out_);
  }

  void add_user(const user_message& m) {
    // The common case, one text block: its text is the content, written without a copy.
    if (m.content.size() == 1) {
      if (const auto* t = std::get_if<text_block>(&m.content.front())) {
        next_item();
        out_ += R"({"role":"user","content":)";
        json_quote(out_, t->text);
        out_ += '}';
        return;
      }
    }
    json_array parts;
    bool all_text = true;
    bool last_placeholder = false;
    for (const auto& b : m.content) {
      if (const auto* t = std::get_if<text_block>(&b)) {
        parts.push_back(text_part(t->text));
        last_placeholder = false;
      } else if (const auto* img = std::get_if<image_block>(&b)) {
        if (images_) {
          parts.push_back(image_part(*img));
          all_text = false;
        } else if (!last_placeholder) {
          parts.push_back(text_part(std::string(no_image_placeholder)));
          last_placeholder = true;
        }
      }
    }
    if (parts.empty()) return;
    json content;
    if (parts.size() == 1 && all_text) {
      content = parts[0]["text"];
    } else if (compat_.requires_string_content) {
      std::string joined;
      for (const auto& p : parts) {
        if (!p["text"].is_string()) continue;
        if (!joined.empty()) joined += "\n";
        joined += p["text"].as_string();
      }
      content = joined;
    } else {
      content = json(std::move(parts));
    }
    emit(json::object({{"role", "user"}, {"content", std::move(content)}}));
  }

  void add_assistant(const assistant_message& m) {
    // Failed turns are not replayed: their partial output confuses the next attempt.
    if (m.stop == stop_reason::error || m.stop == stop_reason::aborted) return;
    const bool same = wire::same_model(m, call_.model);
    std::string text;
    bool last_from_thinking = false;
    auto add_text = [&](std::string_view piece, bool from_thinking) {
      if (!text.empty() && (from_thinking || last_from_thinking)) text += "\n\n";
      text += piece;
      last_from_thinking = from_thinking;
    };
    std::string reasoning_key;
    std::string reasoning;
    json_array calls;
    json_array reasoning_details;
    for (const auto& b : m.content) {
      if (const auto* t = std::get_if<text_block>(&b)) {
        if (!blank(t->text)) add_text(t->text, false);
      } else if (const auto* th = std::get_if<thinking_block>(&b)) {
        if (th->redacted || blank(th->thinking)) continue;
        if (same && !compat_.requires_thinking_as_text) {
          // Back in the field it streamed in (llama.cpp, vLLM, DeepSeek read it); else dropped.
          if (!reasoning_field(th->signature)) continue;
          if (reasoning_key.empty()) reasoning_key = th->signature;
          if (!reasoning.empty()) reasoning += "\n";
          reasoning += th->thinking;
        } else {
          add_text(th->thinking, true);  // another model's thoughts become plain context
        }
      } else if (const auto* c = std::get_if<tool_call_block>(&b)) {
        json call = json::object(
            {{"id", wire_id(c->id)},
             {"type", "function"},
             {"function", json::object({{"name", c->name}, {"arguments", c->arguments.dump()}})}});
        if (same && !c->thought_signature.empty()) {
          auto detail = json::parse(c->thought_signature);
          if (detail && detail->is_object()) {
            reasoning_details.push_back(std::move(*detail));
          } else {
            call.set("extra_content",
                     json::object({{"google",
                                    json::object({{"thought_signature", c->thought_signature}})}}));
          }
        }
        calls.push_back(std::move(call));
        pending_.push_back({wire_id(c->id), c->name});
      }
    }
    if (text.empty() && calls.empty()) return;
    json msg = json::object({{"role", "assistant"}});
    msg.set("content", text.empty() ? json() : json(std::move(text)));
    if (!reasoning_key.empty()) msg.set(reasoning_key, std::move(reasoning));
    if (compat_.requires_reasoning_content && call_.model.reasoning &&
        !msg.contains("reasoning_content"))
      msg.set("reasoning_content", "");
    if (!calls.empty()) msg.set("tool_calls", json(std::move(calls)));
    if (!reasoning_details.empty())
      msg.set("reasoning_details", json(std::move(reasoning_details)));
    emit(msg);
  }

  void add_tool_result(const tool_result_message& m) {
    const std::string id = wire_id(m.tool_call_id);
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [&](const pending_call& p) { return p.id == id; });
    // A result whose call was dropped (failed turn) or already answered has no place to go.
    if (it == pending_.end() || answered_.count(id) != 0) return;
    answered_.insert(id);
    std::string text = wire::joined_text(m.content, "\n");
    bool has_images = false;
    for (const auto& b : m.content) {
      if (const auto* img = std::get_if<image_block>(&b)) {
        has_images = true;
        if (images_) result_images_.push_back(image_part(*img));
      }
    }
    if (has_images && !images_) {
      text += text.empty() ? "" : "\n";
      text += no_tool_image_placeholder;
    }
    if (text.empty()) text = has_images ? "(see attached image)" : "(no output)";
    push_tool_message(id, m.tool_name, text);
  }

  // {"role":"tool","content","tool_call_id"[,"name"]}, written directly: tool output is
  // often the bulk of a long history.
  void push_tool_message(const std::string& id, const std::string& name, std::string_view text) {
    next_item();
    out_ += R"({"role":"tool","content":)";
    json_quote(out_, text);
    out_ += R"(,"tool_call_id":)";
    json_quote(out_, id);
    if (compat_.requires_tool_result_name && !name.empty()) {
      out_ += R"(,"name":)";
      json_quote(out_, name);
    }
    out_ += '}';
  }

  // Before the next user or assistant turn: every call gets a result (APIs reject orphans),
  // then images from tool results follow as a user message (tool messages carry text only).
  void end_tool_results() {
    for (const auto& p : pending_)
      if (answered_.count(p.id) == 0) push_tool_message(p.id, p.name, "No result provided");
    pending_.clear();
    answered_.clear();
    if (result_images_.empty()) return;
    json_array parts;
    parts.push_back(text_part("Attached image(s) from tool result:"));
    for (auto& img : result_images_) parts.push_back(std::move(img));
    result_images_.clear();
    emit(json::object({{"role", "user"}, {"content", json(std::move(parts))}}));
  }

  std::string wire_id(const std::string& id) {
    return compat_.mistral_tool_ids ? mistral_ids_(id) : openai_tool_call_id(id);
  }

  struct pending_call {
    std::string id;
    std::string name;
  };
  mistral_tool_ids mistral_ids_;
  const call_spec& call_;
  const openai_compat& compat_;
  const bool images_;
  std::string& out_;
  std::size_t items_ = 0;
  std::vector<pending_call> pending_;
  std::set<std::string> answered_;
  json_array result_images_;
};

bool conversation_has_tools(const conversation& conv) {
  for (const auto& m : conv.messages) {
    if (std::holds_alternative<tool_result_message>(m)) return true;
    if (const auto* a = std::get_if<assistant_message>(&m); a && !tool_calls_of(*a).empty())
      return true;
  }
  return false;
}

// "xhigh" only where the model lists it; otherwise the nearest level the API knows.
std::string reasoning_effort(const call_spec& call, const openai_compat& compat) {
  std::string effort(to_string(call.options.thinking));
  const json& compat_json = call.model.compat;
  if (const json* mapped = compat_json["reasoningEffortMap"].find(effort);
      mapped && mapped->is_string())
    return mapped->as_string();
  const json& listed = compat_json["supportedReasoningEfforts"];
  auto supports = [&](std::string_view e) {
    if (listed.is_array()) {
      return std::any_of(listed.as_array().begin(), listed.as_array().end(),
                         [&](const json& v) { return v.is_string() && v.as_string() == e; });
    }
    if (e == "xhigh") {
      const std::string& id = call.model.id;
      for (std::string_view family :
           {"gpt-5.2", "gpt-5.3", "gpt-5.4", "gpt-5.5", "deepseek-v4-pro"})
        if (id.find(family) != std::string::npos) return true;
      return false;
    }
    // o-series models on OpenAI itself start at "low".
    if (e == "minimal" && compat.native && !call.model.id.empty() && call.model.id[0] == 'o')
      return false;
    return true;
  };
  if (supports(effort)) return effort;
  if (effort == "xhigh" && supports("high")) return "high";
  if (effort == "minimal" && supports("low")) return "low";
  if ((effort == "minimal" || effort == "low") && supports("medium")) return "medium";
  if (listed.is_array() && !listed.empty() && listed[0].is_string()) return listed[0].as_string();
  return effort == "xhigh" ? "high" : effort;
}

// The `tools` array, written straight into the body: the schemas are dumped where they are
// instead of being copied into a tree first. The bytes are those of the tree's dump().
void write_tools(std::string& out, const std::vector<tool_definition>& tools) {
  out += '[';
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const tool_definition& t = tools[i];
    if (i > 0) out += ',';
    out += R"({"type":"function","function":{"name":)";
    json_quote(out, t.name);
    if (!t.description.empty()) {
      out += R"(,"description":)";
      json_quote(out, t.description);
    }
    out += R"(,"parameters":)";
    t.parameters.dump_to(out);
    out += "}}";
  }
  out += ']';
}

// "none", "required" or {type: function, function: {name}}; null for automatic.
json completions_tool_choice(const tool_choice& c) {
  switch (c.mode) {
    case tool_choice_mode::none:
      return "none";
    case tool_choice_mode::required:
      return "required";
    case tool_choice_mode::named:
      return json::object({{"type", "function"}, {"function", json::object({{"name", c.name}})}});
    case tool_choice_mode::automatic:
      break;
  }
  return {};
}

}  // namespace

openai_compat resolve_openai_compat(const model_info& model, const provider_info& provider) {
  openai_compat c;
  const std::string host = wire::url_host(provider.base_url);
  c.native = host == "api.openai.com" || (provider.base_url.empty() && provider.id == "openai");
  c.supports_store = c.native;
  c.supports_developer_role = c.native;
  c.supports_prompt_cache_key = c.native;
  c.max_tokens_field = !c.native;
  const json& j = model.compat;
  c.supports_store = compat_bool(j, "supportsStore", c.supports_store);
  c.supports_developer_role = compat_bool(j, "supportsDeveloperRole", c.supports_developer_role);
  c.supports_reasoning_effort =
      compat_bool(j, "supportsReasoningEffort", c.supports_reasoning_effort);
  c.supports_usage_in_streaming =
      compat_bool(j, "supportsUsageInStreaming", c.supports_usage_in_streaming);
  c.supports_prompt_cache_key =
      compat_bool(j, "supportsPromptCacheKey", c.supports_prompt_cache_key);
  if (const json* f = j.find("maxTokensField"); f && f->is_string())
    c.max_tokens_field = f->as_string() == "max_tokens";
  c.requires_tool_result_name = compat_bool(j, "requiresToolResultName", false);
  c.requires_thinking_as_text = compat_bool(j, "requiresThinkingAsText", false);
  c.requires_reasoning_content =
      compat_bool(j, "requiresReasoningContentOnAssistantMessages", false);
  c.requires_string_content = compat_bool(j, "requiresStringContent", false);
  c.openrouter_reasoning = j.string_or("thinkingFormat") == "openrouter";
  c.mistral_tool_ids = provider.id == "mistral" || host == "api.mistral.ai";
  return c;
}

std::string openai_tool_call_id(std::string_view id) {
  if (valid_id(id)) return std::string(id);
  // Responses ids are "call_id|item_id": the call id alone is what a completions API wants.
  if (auto bar = id.find('|'); bar != std::string_view::npos && valid_id(id.substr(0, bar)))
    return std::string(id.substr(0, bar));
  std::string prefix;
  for (char c : id.substr(0, 29)) prefix.push_back(id_char(c) ? c : '_');
  if (prefix.empty()) prefix = "call";
  return fmt::format("{}_{:010x}", prefix, fnv1a(id) & 0xFFFFFFFFFFULL);
}

std::string mistral_tool_ids::operator()(const std::string& id) {
  if (auto it = ids_.find(id); it != ids_.end()) return it->second;
  for (int attempt = 0;; ++attempt) {
    std::string candidate = mistral_candidate(id, attempt);
    auto owner = owners_.find(candidate);
    if (owner == owners_.end() || owner->second == id) {
      owners_[candidate] = id;
      ids_[id] = candidate;
      return candidate;
    }
  }
}

result<http_request> build_openai_completions_request(const call_spec& call) {
  const openai_compat compat = resolve_openai_compat(call.model, call.provider);
  const request_options& opt = call.options;

  // The members after "messages" and before "tools", in order: the body is {"model",
  // "messages", ...these, "tools", ...after_tools}.
  json body = json::object();
  body.set("stream", true);
  if (compat.supports_usage_in_streaming)
    body.set("stream_options", json::object({{"include_usage", true}}));
  if (compat.supports_store) body.set("store", false);
  if (compat.supports_prompt_cache_key && !opt.session_id.empty())
    body.set("prompt_cache_key", opt.session_id);
  if (compat.native) {
    if (const json* tier = opt.params.find("serviceTier"); tier && tier->is_string())
      body.set("service_tier", *tier);
  }
  const std::int64_t max_tokens = opt.max_tokens.value_or(call.model.max_tokens);
  if (max_tokens > 0)
    body.set(compat.max_tokens_field ? "max_tokens" : "max_completion_tokens", max_tokens);
  if (opt.temperature) body.set("temperature", *opt.temperature);
  if (opt.top_p) body.set("top_p", *opt.top_p);
  json after_tools = json::object();  // the members after "tools", when there are tools
  if (!call.conv.tools.empty()) {
    if (json choice = completions_tool_choice(opt.tool_choice); !choice.is_null())
      after_tools.set("tool_choice", std::move(choice));
    else if (!compat.native)
      after_tools.set("tool_choice", "auto");  // some default to "none"
  } else if (!compat.native && conversation_has_tools(call.conv)) {
    body.set("tools", json::array());  // LiteLLM-style proxies refuse tool history without it
  }
  if (call.model.reasoning && opt.thinking != thinking_level::off &&
      compat.supports_reasoning_effort) {
    std::string effort = reasoning_effort(call, compat);
    if (compat.openrouter_reasoning)
      after_tools.set("reasoning", json::object({{"effort", effort}}));
    else
      after_tools.set("reasoning_effort", effort);
  }

  http_request req;
  std::string base = wire::trim_base(call.provider.base_url);
  if (base.empty() && compat.native) base = "https://api.openai.com/v1";
  if (base.empty())
    return fail(errc::invalid_argument,
                fmt::format("provider \"{}\" has no base URL", call.provider.id));
  // A query in the base URL (Azure's api-version) stays after the path.
  std::string query;
  if (auto q = base.find('?'); q != std::string::npos) {
    query = base.substr(q);
    base = wire::trim_base(base.substr(0, q));
  }
  req.url = base + "/chat/completions" + query;
  wire::put_header(req, "Content-Type", "application/json");
  wire::put_auth(req, call.provider, call.api_key);
  wire::put_extra_headers(req, call.provider, opt);

  std::string tail;
  wire::append_members(tail, body);
  if (!call.conv.tools.empty()) {
    tail += R"(,"tools":)";
    tail += wire::rendered_tools("openai-completions", call.conv.tools, write_tools);
  }
  wire::append_members(tail, after_tools);
  std::string& out = req.body;
  out.reserve(wire::estimated_body_size(call.conv) + call.model.id.size() + tail.size() + 32);
  out += R"({"model":)";
  json_quote(out, call.model.id);
  out += R"(,"messages":)";
  message_writer(call, compat, out).run();
  out += tail;
  out += '}';
  return req;
}

}  // namespace durar::detail
