// openai-responses request building: POST {baseUrl}/responses with the history as input
// items, replaying our own reasoning items and message ids, normalising foreign tool ids.
#include <fmt/format.h>

#include "transports/openai_responses.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace durar::detail {

namespace {

constexpr std::string_view user_image_placeholder =
    "(image omitted: model does not support images)";
constexpr std::string_view tool_image_placeholder =
    "(tool image omitted: model does not support images)";

// Providers whose ids keep the composite "call_id|item_id" form (the original's list).
bool keeps_item_ids(std::string_view provider) {
  return provider == "openai" || provider == "openai-codex" || provider == "opencode" ||
         provider == "azure-openai-responses";
}

// The original's 32-bit string hash in base 36: short, stable ids for foreign item ids.
std::string short_hash(std::string_view s) {
  std::uint32_t h = 0;
  for (unsigned char c : s) h = h * 31u + c;
  auto v = static_cast<std::int64_t>(static_cast<std::int32_t>(h));
  auto a = static_cast<std::uint64_t>(v < 0 ? -v : v);
  std::string out;
  do {
    out.insert(out.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[a % 36]);
    a /= 36;
  } while (a > 0);
  return out;
}

// OpenAI accepts ids of [a-zA-Z0-9_-], at most 64 characters.
std::string normalize_id_part(std::string_view part) {
  std::string s;
  for (char c : part) {
    auto u = static_cast<unsigned char>(c);
    s += (std::isalnum(u) != 0 || c == '_' || c == '-') ? c : '_';
  }
  if (s.size() > 64) s.resize(64);
  while (!s.empty() && s.back() == '_') s.pop_back();
  return s;
}

std::pair<std::string_view, std::string_view> split_id(std::string_view id) {
  auto bar = id.find('|');
  if (bar == std::string_view::npos) return {id, {}};
  auto item = id.substr(bar + 1);
  return {id.substr(0, bar), item.substr(0, item.find('|'))};
}

std::string normalize_foreign_id(std::string_view id, const model_info& target,
                                 const assistant_message& source) {
  if (!keeps_item_ids(target.provider) || id.find('|') == std::string_view::npos)
    return normalize_id_part(id);
  auto [call, item] = split_id(id);
  bool foreign = source.provider != target.provider || source.api != to_string(target.api);
  std::string item_id = foreign ? "fc_" + short_hash(item) : normalize_id_part(item);
  if (!item_id.starts_with("fc_")) item_id = normalize_id_part("fc_" + item_id);
  return normalize_id_part(call) + "|" + item_id;
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

std::vector<content_block> without_images(const std::vector<content_block>& blocks,
                                          std::string_view placeholder) {
  std::vector<content_block> out;
  bool after_placeholder = false;
  for (const auto& b : blocks) {
    if (std::holds_alternative<image_block>(b)) {
      if (!after_placeholder) out.emplace_back(text_block{std::string(placeholder), {}});
      after_placeholder = true;
      continue;
    }
    const auto* t = std::get_if<text_block>(&b);
    after_placeholder = t != nullptr && t->text == placeholder;
    out.push_back(b);
  }
  return out;
}

// The history as this model may see it: failed turns dropped, other models' signatures
// dropped or their thinking turned to text, foreign tool ids normalised (results follow),
// and every tool call answered (a synthetic error result when the transcript has none).
// Each message goes to `emit` as soon as it is ready, so the history is never copied whole.
template <typename Emit>
void prepare_history(const std::vector<message>& history, const model_info& model, Emit&& emit) {
  const bool vision = wire::has_input(model, "image");
  std::map<std::string, std::string, std::less<>> renamed;
  std::set<std::string, std::less<>> calls_sent;
  std::vector<std::pair<std::string, std::string>> pending;  // id, name
  std::set<std::string, std::less<>> answered;
  auto answer_orphans = [&] {
    for (const auto& [id, name] : pending) {
      if (answered.count(id) != 0) continue;
      tool_result_message r;
      r.tool_call_id = id;
      r.tool_name = name;
      r.content.emplace_back(text_block{"No result provided", {}});
      r.is_error = true;
      emit(message(std::move(r)));
    }
    pending.clear();
    answered.clear();
  };
  for (const auto& m : history) {
    if (const auto* u = std::get_if<user_message>(&m)) {
      answer_orphans();
      user_message c = *u;
      if (!vision) c.content = without_images(c.content, user_image_placeholder);
      emit(message(std::move(c)));
    } else if (const auto* r = std::get_if<tool_result_message>(&m)) {
      tool_result_message c = *r;
      if (auto it = renamed.find(c.tool_call_id); it != renamed.end()) c.tool_call_id = it->second;
      // An output without its call is a 400 from OpenAI; the call was in a dropped turn.
      if (calls_sent.count(c.tool_call_id) == 0) continue;
      if (!vision) c.content = without_images(c.content, tool_image_placeholder);
      answered.insert(c.tool_call_id);
      emit(message(std::move(c)));
    } else {
      const auto& a = std::get<assistant_message>(m);
      answer_orphans();
      if (a.stop == stop_reason::error || a.stop == stop_reason::aborted) continue;
      const bool same = wire::same_model(a, model);
      assistant_message c = a;
      c.content.clear();
      for (const auto& b : a.content) {
        if (const auto* th = std::get_if<thinking_block>(&b)) {
          if (th->redacted) {
            if (same) c.content.push_back(b);
          } else if (same && !th->signature.empty()) {
            c.content.push_back(b);
          } else if (!blank(th->thinking)) {
            if (same)
              c.content.push_back(b);
            else
              c.content.emplace_back(text_block{th->thinking, {}});
          }
        } else if (const auto* t = std::get_if<text_block>(&b)) {
          if (same)
            c.content.push_back(b);
          else
            c.content.emplace_back(text_block{t->text, {}});
        } else if (const auto* call = std::get_if<tool_call_block>(&b)) {
          tool_call_block n = *call;
          if (!same) {
            n.thought_signature.clear();
            n.id = normalize_foreign_id(call->id, model, a);
            if (n.id != call->id) renamed[call->id] = n.id;
          }
          pending.emplace_back(n.id, n.name);
          calls_sent.insert(n.id);
          c.content.emplace_back(std::move(n));
        } else {
          c.content.push_back(b);
        }
      }
      emit(message(std::move(c)));
    }
  }
  answer_orphans();
}

json image_part(const image_block& img) {
  return json::object({{"type", "input_image"},
                       {"detail", "auto"},
                       {"image_url", "data:" + img.mime_type + ";base64," + img.data}});
}

// The id (and phase) a text block's signature names; older transcripts hold a bare id.
std::pair<std::string, std::string> parse_text_signature(const std::string& signature) {
  if (signature.empty()) return {};
  if (signature.front() == '{') {
    if (auto j = json::parse(signature); j && (*j)["v"] == json(1) && (*j)["id"].is_string()) {
      std::string phase = j->string_or("phase");
      if (phase != "commentary" && phase != "final_answer") phase.clear();
      return {(*j)["id"].as_string(), phase};
    }
  }
  return {signature, {}};
}

void add_assistant_items(wire::array_writer& input, const assistant_message& a,
                         const model_info& model, std::size_t msg_index, bool& any) {
  const bool different_model =
      a.model != model.id && a.provider == model.provider && a.api == to_string(model.api);
  std::size_t unnamed = 0;  // item ids must not repeat within one input
  for (const auto& b : a.content) {
    if (const auto* th = std::get_if<thinking_block>(&b)) {
      if (th->signature.empty()) continue;
      auto item = json::parse(th->signature);  // the reasoning item, encrypted_content included
      if (item && item->is_object()) {
        input.push_back(std::move(*item));
        any = true;
      }
    } else if (const auto* t = std::get_if<text_block>(&b)) {
      auto [id, phase] = parse_text_signature(t->signature);
      if (id.empty())
        id = unnamed++ == 0 ? fmt::format("msg_{}", msg_index)
                            : fmt::format("msg_{}_{}", msg_index, unnamed - 1);
      else if (id.size() > 64)
        id = "msg_" + short_hash(id);
      json part = json::object({{"type", "output_text"},
                                {"text", t->text},
                                {"annotations", json::array()},
                                {"logprobs", json::array()}});
      json item = json::object({{"type", "message"},
                                {"role", "assistant"},
                                {"content", json::array({std::move(part)})},
                                {"status", "completed"},
                                {"id", id}});
      if (!phase.empty()) item.set("phase", phase);
      input.push_back(std::move(item));
      any = true;
    } else if (const auto* call = std::get_if<tool_call_block>(&b)) {
      auto [call_id, item_id] = split_id(call->id);
      json item = json::object({{"type", "function_call"}});
      // A call another model of this provider made must not claim its reasoning pairing.
      if (!item_id.empty() && !(different_model && item_id.starts_with("fc_")))
        item.set("id", std::string(item_id));
      item.set("call_id", std::string(call_id));
      item.set("name", call->name);
      item.set("arguments", call->arguments.dump());
      input.push_back(std::move(item));
      any = true;
    }
  }
}

json tool_output_item(const tool_result_message& r, bool vision) {
  std::string text = wire::joined_text(r.content, "\n");
  bool has_images = std::any_of(r.content.begin(), r.content.end(), [](const content_block& b) {
    return std::holds_alternative<image_block>(b);
  });
  json output;
  if (has_images && vision) {
    output = json::array();
    if (!text.empty()) output.push_back(json::object({{"type", "input_text"}, {"text", text}}));
    for (const auto& b : r.content)
      if (const auto* img = std::get_if<image_block>(&b)) output.push_back(image_part(*img));
  } else {
    output = text.empty() ? std::string("(see attached image)") : text;
  }
  return json::object({{"type", "function_call_output"},
                       {"call_id", std::string(split_id(r.tool_call_id).first)},
                       {"output", std::move(output)}});
}

void write_input_items(const conversation& conv, const model_info& model, std::string& body) {
  wire::array_writer input(body);
  if (!conv.system_prompt.empty()) {
    bool developer = model.reasoning && model.compat["supportsDeveloperRole"] != json(false);
    input.push_back(json::object(
        {{"role", developer ? "developer" : "system"}, {"content", conv.system_prompt}}));
  }
  const bool vision = wire::has_input(model, "image");
  std::size_t msg_index = 0;  // names text items that have no id of their own
  prepare_history(conv.messages, model, [&](const message& m) {
    if (const auto* u = std::get_if<user_message>(&m)) {
      json content = json::array();
      for (const auto& b : u->content) {
        if (const auto* t = std::get_if<text_block>(&b))
          content.push_back(json::object({{"type", "input_text"}, {"text", t->text}}));
        else if (const auto* img = std::get_if<image_block>(&b))
          content.push_back(image_part(*img));
      }
      if (content.empty()) return;
      input.push_back(json::object({{"role", "user"}, {"content", std::move(content)}}));
    } else if (const auto* a = std::get_if<assistant_message>(&m)) {
      bool any = false;
      add_assistant_items(input, *a, model, msg_index, any);
      if (!any) return;
    } else {
      input.push_back(tool_output_item(std::get<tool_result_message>(m), vision));
    }
    ++msg_index;
  });
  input.finish();
}

// ---- reasoning effort: what each model family accepts (the original's table) -----------

// "gpt-5[.minor[.patch]]<rest>": the parts the effort table keys on.
struct gpt5_version {
  bool matched = false;
  std::string minor;
  bool patch = false;
  std::string_view rest;  // "" or "-..." (anything else does not match)
};

gpt5_version parse_gpt5(std::string_view id) {
  gpt5_version v;
  if (!id.starts_with("gpt-5")) return v;
  id.remove_prefix(5);
  auto digits = [&id] {
    std::size_t n = 0;
    while (n < id.size() && std::isdigit(static_cast<unsigned char>(id[n])) != 0) ++n;
    std::string out(id.substr(0, n));
    id.remove_prefix(n);
    return out;
  };
  if (id.starts_with('.')) {
    id.remove_prefix(1);
    v.minor = digits();
    if (v.minor.empty()) return v;
    if (id.starts_with('.')) {
      id.remove_prefix(1);
      if (digits().empty()) return v;
      v.patch = true;
    }
  }
  v.matched = id.empty() || id.front() == '-';
  v.rest = id;
  return v;
}

bool suffix_is(std::string_view rest, std::string_view word) {
  return rest == word ||
         (rest.starts_with(word) && rest.size() > word.size() && rest[word.size()] == '-');
}

// The efforts a model accepts: compat.supportedReasoningEfforts, else by model family.
std::vector<std::string> supported_efforts(const model_info& model) {
  if (const json* listed = model.compat.find("supportedReasoningEfforts");
      listed != nullptr && listed->is_array()) {
    std::vector<std::string> out;
    for (const auto& e : listed->as_array())
      if (e.is_string() && !e.as_string().empty() &&
          std::find(out.begin(), out.end(), e.as_string()) == out.end())
        out.push_back(e.as_string());
    if (!out.empty()) return out;
  }
  std::string id = wire::lower(model.id);
  // A dated snapshot ("gpt-5-2025-08-07") accepts what its family does.
  if (id.size() > 11) {
    std::string_view tail = std::string_view(id).substr(id.size() - 11);  // -YYYY-MM-DD
    bool dated = true;
    for (std::size_t i = 0; i < tail.size(); ++i)
      dated = dated &&
              (i == 0 || i == 5 || i == 8 ? tail[i] == '-'
                                          : std::isdigit(static_cast<unsigned char>(tail[i])) != 0);
    if (dated) id.resize(id.size() - 11);
  }
  if (id == "gpt-5.1-codex-mini") return {"medium"};
  if (id == "gpt-5.1-codex-max") return {"none", "medium", "high", "xhigh"};
  const gpt5_version v = parse_gpt5(id);
  const bool late_minor = v.minor.size() == 1 && v.minor[0] >= '2' && v.minor[0] <= '9';
  if ((v.matched && !v.patch && suffix_is(v.rest, "-codex")) || model.provider == "openai-codex")
    return {"low", "medium", "high", "xhigh"};
  if (id == "gpt-5-pro") return {"high"};
  if (!v.matched) return {"low", "medium", "high"};
  if (late_minor && suffix_is(v.rest, "-pro")) return {"medium", "high", "xhigh"};
  if (late_minor) return {"none", "low", "medium", "high", "xhigh"};
  if (v.minor == "1" && !v.patch) return {"none", "low", "medium", "high"};
  if (v.minor.empty()) return {"minimal", "low", "medium", "high"};
  return {"low", "medium", "high"};
}

// The nearest effort the model accepts; nullopt for "none" when it cannot switch off.
std::optional<std::string> resolve_effort(const model_info& model, const std::string& requested) {
  auto supported = supported_efforts(model);
  auto has = [&](std::string_view e) {
    return std::find(supported.begin(), supported.end(), e) != supported.end();
  };
  if (has(requested)) return requested;
  if (requested == "none") return std::nullopt;
  if (requested == "minimal" && has("low")) return "low";
  if ((requested == "minimal" || requested == "low") && has("medium")) return "medium";
  if (requested == "xhigh" && has("high")) return "high";
  for (const auto& e : supported)
    if (e != "none") return e;
  return std::nullopt;
}

bool native_openai(const provider_info& provider) {
  std::string host = wire::url_host(provider.base_url);
  return host == "api.openai.com" || host == "chatgpt.com" || host.ends_with(".openai.azure.com");
}

// The `tools` array: each tool a function, strict mode off.
void write_tools(std::string& out, const std::vector<tool_definition>& tools) {
  json array = json::array();
  for (const auto& t : tools)
    array.push_back(json::object({{"type", "function"},
                                  {"name", t.name},
                                  {"description", t.description},
                                  {"parameters", t.parameters},
                                  {"strict", false}}));
  array.dump_to(out);
}

}  // namespace

std::string responses_tool_call_id(std::string_view call_id, std::string_view item_id) {
  return std::string(call_id) + "|" + std::string(item_id);
}

std::string responses_text_signature(std::string_view item_id, std::string_view phase) {
  json sig = json::object({{"v", 1}, {"id", std::string(item_id)}});
  if (!phase.empty()) sig.set("phase", std::string(phase));
  return sig.dump();
}

result<http_request> build_openai_responses_request(const call_spec& call) {
  const model_info& model = call.model;
  const provider_info& provider = call.provider;
  const request_options& options = call.options;
  std::string base = wire::trim_base(provider.base_url);
  if (base.empty())
    return fail(errc::invalid_argument, "provider \"" + provider.id + "\" has no baseUrl");

  // "model" and "input" are written first, straight into the body; the rest follows them.
  json body = json::object({{"stream", true}});
  // Prompt-cache hints go to OpenAI itself; proxies get them only when compat says so.
  if (!options.session_id.empty() &&
      model.compat.bool_or("supportsPromptCacheKey", native_openai(provider)))
    body.set("prompt_cache_key", options.session_id);
  // store:false keeps OpenAI from retaining the exchange; proxies often reject the field.
  const json& store_compat = model.compat["supportsStore"];
  if (store_compat.is_bool() ? store_compat.as_bool() : native_openai(provider))
    body.set("store", false);
  std::int64_t max_tokens = options.max_tokens.value_or(model.max_tokens);
  if (max_tokens > 0) body.set("max_output_tokens", max_tokens);
  // Reasoning models reject sampling parameters.
  if (!model.reasoning) {
    if (options.temperature) body.set("temperature", *options.temperature);
    if (options.top_p) body.set("top_p", *options.top_p);
  }
  if (!call.conv.tools.empty()) {
    body.set("tools", nullptr);  // its place: the text comes from rendered_tools()
    switch (options.tool_choice.mode) {
      case tool_choice_mode::none:
        body.set("tool_choice", "none");
        break;
      case tool_choice_mode::required:
        body.set("tool_choice", "required");
        break;
      case tool_choice_mode::named:
        body.set("tool_choice",
                 json::object({{"type", "function"}, {"name", options.tool_choice.name}}));
        break;
      case tool_choice_mode::automatic:
        break;
    }
  }
  if (model.reasoning) {
    if (options.thinking != thinking_level::off) {
      if (auto effort = resolve_effort(model, std::string(to_string(options.thinking)))) {
        body.set("reasoning", json::object({{"effort", *effort}, {"summary", "auto"}}));
        body.set("include", json::array({"reasoning.encrypted_content"}));
      }
    } else if (native_openai(provider) && resolve_effort(model, "none")) {
      body.set("reasoning", json::object({{"effort", "none"}}));
    }
  }

  apply_responses_params(body, call);

  http_request req;
  req.url = base + "/responses";
  wire::put_header(req, "Content-Type", "application/json");
  wire::put_header(req, "Accept", "text/event-stream");
  wire::put_auth(req, provider, call.api_key);
  wire::put_extra_headers(req, provider, options);
  std::string& out = req.body;
  out.reserve(wire::estimated_body_size(call.conv) + model.id.size());
  out += R"({"model":)";
  json_quote(out, model.id);
  out += R"(,"input":)";
  write_input_items(call.conv, model, out);
  if (call.conv.tools.empty())
    wire::append_members(out, body);
  else
    wire::append_members(out, body, "tools",
                         wire::rendered_tools("openai-responses", call.conv.tools, write_tools));
  out += '}';
  return req;
}

}  // namespace durar::detail
