// ollama request building: POST {host}/api/chat with Ollama's own message shape (text
// joined, images as bare base64, tool arguments as objects), think and options.
#include "transports/ollama.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace durar::detail {

namespace {

constexpr std::string_view default_host = "http://127.0.0.1:11434";

// `params` keys that are Ollama model options, and those that sit at the request's top level.
constexpr std::array<std::string_view, 19> option_keys = {
    "num_keep",    "seed",           "num_predict",      "top_k",
    "top_p",       "min_p",          "typical_p",        "repeat_last_n",
    "temperature", "repeat_penalty", "presence_penalty", "frequency_penalty",
    "stop",        "num_ctx",        "num_batch",        "num_gpu",
    "main_gpu",    "use_mmap",       "num_thread"};
constexpr std::array<std::string_view, 4> top_level_keys = {"format", "keep_alive", "truncate",
                                                            "shift"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string wire_model_id(const model_info& model) {
  return ollama_wire_model_id(model.provider, model.id);
}

// Levels Ollama takes: a boolean, or "low" / "medium" / "high" (strings mean "on" for models
// without levels). Null when `raw` says nothing usable.
json think_from(const json& raw) {
  if (raw.is_bool()) return raw;
  if (!raw.is_string()) return {};
  const std::string& s = raw.as_string();
  if (s == "off") return false;
  if (s == "low" || s == "medium" || s == "high") return s;
  if (s == "minimal") return "low";
  if (s == "xhigh" || s == "adaptive" || s == "max") return "high";
  return {};
}

json think_value(const model_info& model, const request_options& options) {
  const json* raw = options.params.find("think");
  if (raw == nullptr) raw = options.params.find("thinking");
  json configured = raw != nullptr ? think_from(*raw) : json();
  if (!model.reasoning) return configured;
  json runtime = think_from(json(std::string(to_string(options.thinking))));
  // A configured think value stands when the call leaves thinking off.
  if (runtime == json(false) && !configured.is_null()) return configured;
  return runtime;
}

std::string infer_type(const json& schema) {
  if (schema["properties"].is_object()) return "object";
  if (schema.contains("items")) return "array";
  if (const json& values = schema["enum"]; values.is_array()) {
    std::vector<const json*> set;
    for (const auto& v : values.as_array())
      if (!v.is_null()) set.push_back(&v);
    auto all = [&](auto pred) { return !set.empty() && std::all_of(set.begin(), set.end(), pred); };
    if (all([](const json* v) { return v->is_string(); })) return "string";
    if (all([](const json* v) { return v->is_number(); })) return "number";
    if (all([](const json* v) { return v->is_bool(); })) return "boolean";
  }
  for (std::string_view key : {"anyOf", "oneOf"}) {
    const json& variants = schema[key];
    for (std::size_t i = 0; i < variants.size(); ++i) {
      const json& v = variants[i];
      if (!v.is_object()) continue;
      if (v["type"].is_string() && v["type"].as_string() != "null") return v["type"].as_string();
      for (std::size_t t = 0; t < v["type"].size(); ++t)
        if (v["type"][t].is_string() && v["type"][t].as_string() != "null")
          return v["type"][t].as_string();
      if (auto inferred = infer_type(v); !inferred.empty()) return inferred;
    }
  }
  return {};
}

bool has_concrete_type(const json& type) {
  if (type.is_string()) return true;
  if (!type.is_array()) return false;
  return std::any_of(type.as_array().begin(), type.as_array().end(),
                     [](const json& t) { return t.is_string() && t.as_string() != "null"; });
}

// Ollama's tool parser wants a type on every schema node and properties on every object.
json normalize_schema(const json& schema, bool root) {
  if (!schema.is_object())
    return json::object({{"type", "object"}, {"properties", json::object()}});
  json out = json::object();
  for (const auto& [key, value] : schema.as_object()) {
    if (key == "properties" && value.is_object()) {
      json props = json::object();
      for (const auto& [name, sub] : value.as_object())
        props.set(name, normalize_schema(sub, false));
      out.set(key, std::move(props));
    } else if (key == "items") {
      if (value.is_array()) {
        json items = json::array();
        for (const auto& sub : value.as_array()) items.push_back(normalize_schema(sub, false));
        out.set(key, std::move(items));
      } else {
        out.set(key, normalize_schema(value, false));
      }
    } else if ((key == "anyOf" || key == "oneOf" || key == "allOf") && value.is_array()) {
      json variants = json::array();
      for (const auto& sub : value.as_array()) variants.push_back(normalize_schema(sub, false));
      out.set(key, std::move(variants));
    } else {
      out.set(key, value);
    }
  }
  if (!has_concrete_type(out["type"])) {
    std::string inferred = infer_type(out);
    out.set("type", inferred.empty() ? (root ? "object" : "string") : inferred);
  }
  if (out["type"] == json("object") && !out["properties"].is_object())
    out.set("properties", json::object());
  return out;
}

json tool_call_json(const tool_call_block& call) {
  json args = call.arguments.is_object() ? call.arguments : json::object();
  return json::object(
      {{"function", json::object({{"name", call.name}, {"arguments", std::move(args)}})}});
}

json assistant_json(const assistant_message& a, const model_info& model) {
  std::string thinking;
  json calls = json::array();
  for (const auto& b : a.content) {
    if (const auto* th = std::get_if<thinking_block>(&b); th != nullptr && !th->redacted)
      thinking += th->thinking;
    else if (const auto* call = std::get_if<tool_call_block>(&b))
      calls.push_back(tool_call_json(*call));
  }
  json m = json::object({{"role", "assistant"}, {"content", wire::joined_text(a.content, "")}});
  // Thinking goes back only to the model that wrote it (Ollama keeps it for tool turns).
  if (!thinking.empty() && wire::same_model(a, model)) m.set("thinking", thinking);
  if (!calls.empty()) m.set("tool_calls", std::move(calls));
  return m;
}

json tool_json(const std::string& text, const std::string& tool_name) {
  json m = json::object({{"role", "tool"}, {"content", text}});
  if (!tool_name.empty()) m.set("tool_name", tool_name);
  return m;
}

// Failed turns are not replayed; a tool call the transcript never answered gets an error
// result so the model does not wait on it.
json messages_json(const conversation& conv, const model_info& model) {
  json out = json::array();
  if (!conv.system_prompt.empty())
    out.push_back(json::object({{"role", "system"}, {"content", conv.system_prompt}}));
  std::vector<std::pair<std::string, std::string>> pending;  // id, name
  std::vector<std::string> answered;
  auto answer_orphans = [&] {
    for (const auto& [id, name] : pending)
      if (std::find(answered.begin(), answered.end(), id) == answered.end())
        out.push_back(tool_json("No result provided", name));
    pending.clear();
    answered.clear();
  };
  for (const auto& m : conv.messages) {
    if (const auto* u = std::get_if<user_message>(&m)) {
      answer_orphans();
      json images = json::array();
      for (const auto& b : u->content)
        if (const auto* img = std::get_if<image_block>(&b)) images.push_back(img->data);
      json msg = json::object({{"role", "user"}, {"content", wire::joined_text(u->content, "")}});
      if (!images.empty()) msg.set("images", std::move(images));
      out.push_back(std::move(msg));
    } else if (const auto* r = std::get_if<tool_result_message>(&m)) {
      answered.push_back(r->tool_call_id);
      out.push_back(tool_json(wire::joined_text(r->content, ""), r->tool_name));
    } else {
      const auto& a = std::get<assistant_message>(m);
      answer_orphans();
      if (a.stop == stop_reason::error || a.stop == stop_reason::aborted) continue;
      for (const auto* call : tool_calls_of(a)) pending.emplace_back(call->id, call->name);
      out.push_back(assistant_json(a, model));
    }
  }
  answer_orphans();
  return out;
}

json tools_json(const std::vector<tool_definition>& tools) {
  json out = json::array();
  for (const auto& t : tools) {
    if (t.name.empty()) continue;
    out.push_back(json::object(
        {{"type", "function"},
         {"function", json::object({{"name", t.name},
                                    {"description", t.description},
                                    {"parameters", normalize_schema(t.parameters, true)}})}}));
  }
  return out;
}

json options_json(const model_info& model, const request_options& options) {
  json out = json::object();
  if (options.params.is_object())
    for (const auto& [key, value] : options.params.as_object())
      if (key != "num_ctx" && !value.is_null() && listed(option_keys, key)) out.set(key, value);
  // Ollama's own default window is small and silently truncates; send the configured one.
  const json& configured = options.params["num_ctx"];
  if (configured.is_number() && configured.as_double() > 0)
    out.set("num_ctx", static_cast<std::int64_t>(std::floor(configured.as_double())));
  else if (model.context_tokens > 0)
    out.set("num_ctx", model.context_tokens);
  if (options.temperature) out.set("temperature", *options.temperature);
  if (options.top_p) out.set("top_p", *options.top_p);
  std::int64_t max_tokens = options.max_tokens.value_or(model.max_tokens);
  if (max_tokens > 0) out.set("num_predict", max_tokens);
  return out;
}

}  // namespace

std::string ollama_wire_model_id(std::string_view provider_id, std::string_view model_id) {
  std::string id = wire::trim_base(model_id);
  for (const std::string& prefix : {std::string(provider_id) + "/", std::string("ollama/")})
    if (!provider_id.empty() && id.starts_with(prefix)) return id.substr(prefix.size());
  return id;
}

std::string ollama_api_base(std::string_view base_url) {
  std::string base = wire::trim_base(base_url);
  if (base.size() >= 3 && wire::iequals(std::string_view(base).substr(base.size() - 3), "/v1"))
    base = wire::trim_base(base.substr(0, base.size() - 3));
  return base.empty() ? std::string(default_host) : base;
}

result<http_request> build_ollama_request(const call_spec& call) {
  const model_info& model = call.model;
  const request_options& options = call.options;
  json body = json::object({{"model", wire_model_id(model)},
                            {"messages", messages_json(call.conv, model)},
                            {"stream", true}});
  // Ollama has no tool_choice: `none` is the tools left out, as the other vendors read it; a
  // forced choice cannot be sent.
  if (options.tool_choice.mode != tool_choice_mode::none)
    if (json tools = tools_json(call.conv.tools); !tools.empty())
      body.set("tools", std::move(tools));
  if (json opts = options_json(model, options); !opts.empty()) body.set("options", std::move(opts));
  if (options.params.is_object())
    for (const auto& [key, value] : options.params.as_object())
      if (!value.is_null() && listed(top_level_keys, key)) body.set(key, value);
  if (json think = think_value(model, options); !think.is_null())
    body.set("think", std::move(think));

  http_request req;
  req.url = ollama_api_base(call.provider.base_url) + "/api/chat";
  wire::put_header(req, "Content-Type", "application/json");
  wire::put_extra_headers(req, call.provider, options);
  wire::put_auth(req, call.provider, call.api_key);
  req.body = body.dump();
  return req;
}

}  // namespace durar::detail
