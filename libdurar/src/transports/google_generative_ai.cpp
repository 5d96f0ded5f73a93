// google-generative-ai: request building (decoder in google_stream.cpp, tool schemas in
// google_schema.cpp).
#include "transports/google_generative_ai.hpp"

#include "transports/transports.hpp"
#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace durar::detail {

namespace {

constexpr std::string_view api_name = "google-generative-ai";
constexpr std::string_view default_base_url = "https://generativelanguage.googleapis.com/v1beta";
// Tells Gemini 3 to accept a function call that carries no signature of its own.
constexpr std::string_view skip_signature = "skip_thought_signature_validator";
constexpr std::string_view image_placeholder = "(image omitted: model does not support images)";
constexpr std::string_view tool_image_placeholder =
    "(tool image omitted: model does not support images)";

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

using wire::lower;

// Model families, matched like the original: gemini-3[.N]-pro, gemini-3[.N]-flash, gemma[-]4.
bool gemini3_family(std::string_view id, std::string_view family) {
  std::string l = lower(id);
  for (std::size_t at = l.find("gemini-3"); at != std::string::npos;
       at = l.find("gemini-3", at + 1)) {
    std::size_t i = at + 8;
    if (i < l.size() && l[i] == '.') {
      std::size_t digits = i + 1;
      while (digits < l.size() && std::isdigit(static_cast<unsigned char>(l[digits])) != 0)
        ++digits;
      if (digits == i + 1) continue;
      i = digits;
    }
    if (l.compare(i, family.size() + 1, "-" + std::string(family)) == 0) return true;
  }
  return false;
}

bool gemma4(std::string_view id) {
  std::string l = lower(id);
  return l.find("gemma4") != std::string::npos || l.find("gemma-4") != std::string::npos;
}

// Gemini 3+ takes images inside functionResponse.parts; older models need a user turn.
bool multimodal_function_response(std::string_view id) {
  std::string l = lower(id);
  std::size_t i = 0;
  if (l.rfind("gemini-live-", 0) == 0)
    i = 12;
  else if (l.rfind("gemini-", 0) == 0)
    i = 7;
  else
    return true;
  int major = 0;
  bool any = false;
  while (i < l.size() && std::isdigit(static_cast<unsigned char>(l[i])) != 0) {
    major = major * 10 + (l[i++] - '0');
    any = true;
  }
  return !any || major >= 3;
}

// Models behind Google APIs that need ids on function calls and responses.
bool requires_tool_call_id(std::string_view id) {
  return id.rfind("claude-", 0) == 0 || id.rfind("gpt-oss-", 0) == 0;
}

// Signatures are bytes on the wire: anything not base64 would be rejected.
bool valid_signature(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t end = s.size();
  while (end > 0 && s[end - 1] == '=') --end;
  if (s.size() - end > 2 || end == 0) return false;
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(end),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '+' || c == '/'; });
}

std::string normalize_id(std::string_view id) {
  std::string out;
  for (char c : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    out.push_back(ok ? c : '_');
  }
  if (out.size() > 64) out.resize(64);
  return out;
}

json inline_data(const image_block& img) {
  return json::object(
      {{"inlineData", json::object({{"mimeType", img.mime_type}, {"data", img.data}})}});
}

struct pending_call {
  std::string id;  // as stored in the transcript
  std::string name;
};

struct converter {
  converter(const model_info& m, bool v, bool i, std::string& out)
      : model(m),
        vision(v),
        ids(i),
        gemini3(lower(m.id).find("gemini-3") != std::string::npos),
        nested(multimodal_function_response(m.id)),
        contents(out) {}
  const model_info& model;
  bool vision;
  bool ids;  // send function call ids
  bool gemini3;
  bool nested;                  // tool result images inside the function response (Gemini 3 on)
  wire::array_writer contents;  // function responses still join the newest turn
  std::vector<pending_call> pending;
  std::set<std::string> answered;

  void user(const user_message& u) {
    json parts = json::array();
    bool last_placeholder = false;
    for (const auto& block : u.content) {
      if (const auto* t = std::get_if<text_block>(&block)) {
        if (t->text.empty()) continue;
        parts.push_back(json::object({{"text", t->text}}));
        last_placeholder = false;
      } else if (const auto* img = std::get_if<image_block>(&block)) {
        if (vision) {
          parts.push_back(inline_data(*img));
        } else if (!last_placeholder) {
          parts.push_back(json::object({{"text", image_placeholder}}));
          last_placeholder = true;
        }
      }
    }
    if (!parts.empty())
      contents.push_back(json::object({{"role", "user"}, {"parts", std::move(parts)}}));
  }

  void assistant(const assistant_message& m) {
    bool same = wire::same_model(m, model);
    auto signature = [&](const std::string& s) { return same && valid_signature(s) ? s : ""; };
    json parts = json::array();
    for (const auto& block : m.content) {
      if (const auto* t = std::get_if<text_block>(&block)) {
        std::string sig = signature(t->signature);
        // An empty part that carries a signature is replayed: Gemini expects it back.
        if (is_blank(t->text) && sig.empty()) continue;
        json part = json::object({{"text", t->text}});
        if (!sig.empty()) part.set("thoughtSignature", sig);
        parts.push_back(std::move(part));
      } else if (const auto* th = std::get_if<thinking_block>(&block)) {
        if (th->redacted || is_blank(th->thinking)) continue;
        if (!same) {
          parts.push_back(json::object({{"text", th->thinking}}));
          continue;
        }
        json part = json::object({{"thought", true}, {"text", th->thinking}});
        if (std::string sig = signature(th->signature); !sig.empty())
          part.set("thoughtSignature", sig);
        parts.push_back(std::move(part));
      } else if (const auto* call = std::get_if<tool_call_block>(&block)) {
        json fc = json::object(
            {{"name", call->name},
             {"args", call->arguments.is_object() ? call->arguments : json::object()}});
        if (ids) fc.set("id", normalize_id(call->id));
        json part = json::object({{"functionCall", std::move(fc)}});
        std::string sig = signature(call->thought_signature);
        if (sig.empty() && gemini3) sig = skip_signature;
        if (!sig.empty()) part.set("thoughtSignature", sig);
        parts.push_back(std::move(part));
        pending.push_back({call->id, call->name});
      }
    }
    if (!parts.empty())
      contents.push_back(json::object({{"role", "model"}, {"parts", std::move(parts)}}));
  }

  void function_response(const std::string& id, const std::string& name, const std::string& text,
                         bool is_error, json images) {
    json fr = json::object({{"name", name}});
    fr.set("response", json::object({{is_error ? "error" : "output", text}}));
    if (!images.empty() && nested) fr.set("parts", images);
    if (ids) fr.set("id", normalize_id(id));
    json part = json::object({{"functionResponse", std::move(fr)}});
    // All responses to one model turn go in one user turn.
    bool merged = false;
    if (!contents.empty()) {
      json& last = contents.back();
      json* parts = last.find("parts");
      if (last.string_or("role") == "user" && parts != nullptr && parts->is_array() &&
          std::any_of(parts->as_array().begin(), parts->as_array().end(),
                      [](const json& p) { return p.contains("functionResponse"); })) {
        parts->push_back(std::move(part));
        merged = true;
      }
    }
    if (!merged)
      contents.push_back(
          json::object({{"role", "user"}, {"parts", json::array({std::move(part)})}}));
    if (!images.empty() && !nested) {
      json parts = json::array({json::object({{"text", "Tool result image:"}})});
      for (auto& img : images.as_array()) parts.push_back(std::move(img));
      contents.push_back(json::object({{"role", "user"}, {"parts", std::move(parts)}}));
    }
  }

  void tool_result(const tool_result_message& r) {
    auto it = std::find_if(pending.begin(), pending.end(),
                           [&](const pending_call& c) { return c.id == r.tool_call_id; });
    if (it == pending.end() || answered.count(r.tool_call_id) != 0) return;
    answered.insert(r.tool_call_id);
    std::string text;
    json images = json::array();
    for (const auto& block : r.content) {
      if (const auto* t = std::get_if<text_block>(&block)) {
        if (!text.empty()) text += "\n";
        text += t->text;
      } else if (const auto* img = std::get_if<image_block>(&block)) {
        if (vision) {
          images.push_back(inline_data(*img));
        } else {
          if (!text.empty()) text += "\n";
          text += tool_image_placeholder;
        }
      }
    }
    if (text.empty() && !images.empty()) text = "(see attached image)";
    // Gemini matches responses to calls by name; the transcript's id finds it when unset.
    function_response(r.tool_call_id, r.tool_name.empty() ? it->name : r.tool_name, text,
                      r.is_error, std::move(images));
  }

  // Every function call needs a response before the next turn.
  void close_tool_turn() {
    for (const auto& call : pending)
      if (answered.count(call.id) == 0)
        function_response(call.id, call.name, "No result provided", true, json::array());
    pending.clear();
    answered.clear();
  }

  void run(const std::vector<message>& history) {
    for (const auto& msg : history) {
      if (const auto* u = std::get_if<user_message>(&msg)) {
        close_tool_turn();
        user(*u);
      } else if (const auto* a = std::get_if<assistant_message>(&msg)) {
        close_tool_turn();
        if (a->stop == stop_reason::error || a->stop == stop_reason::aborted) continue;
        assistant(*a);
      } else if (const auto* r = std::get_if<tool_result_message>(&msg)) {
        tool_result(*r);
      }
    }
    close_tool_turn();
    contents.finish();
  }
};

thinking_level clamp(thinking_level t) {
  return t == thinking_level::xhigh ? thinking_level::high : t;
}

std::string_view level_name(thinking_level t, std::string_view id) {
  bool pro = gemini3_family(id, "pro"), gemma = gemma4(id);
  switch (clamp(t)) {
    case thinking_level::minimal:
      return pro ? "LOW" : "MINIMAL";
    case thinking_level::low:
      return pro ? "LOW" : gemma ? "MINIMAL" : "LOW";
    case thinking_level::medium:
      return (pro || gemma) ? "HIGH" : "MEDIUM";
    default:
      return "HIGH";
  }
}

// The original's budgets per Gemini 2.5 model; -1 lets the model decide.
std::int64_t budget_for(thinking_level t, std::string_view id) {
  int i = clamp(t) == thinking_level::minimal  ? 0
          : clamp(t) == thinking_level::low    ? 1
          : clamp(t) == thinking_level::medium ? 2
                                               : 3;
  static constexpr std::int64_t pro[] = {128, 2048, 8192, 32768};
  static constexpr std::int64_t flash_lite[] = {512, 2048, 8192, 24576};
  static constexpr std::int64_t flash[] = {128, 2048, 8192, 24576};
  if (id.find("2.5-pro") != std::string_view::npos) return pro[i];
  if (id.find("2.5-flash-lite") != std::string_view::npos) return flash_lite[i];
  if (id.find("2.5-flash") != std::string_view::npos) return flash[i];
  return -1;
}

json thinking_config(const call_spec& call) {
  const model_info& model = call.model;
  bool levels =
      gemini3_family(model.id, "pro") || gemini3_family(model.id, "flash") || gemma4(model.id);
  if (call.options.thinking == thinking_level::off) {
    // Gemini 3 cannot switch thinking off: the lowest level, with thoughts hidden.
    if (gemini3_family(model.id, "pro")) return json::object({{"thinkingLevel", "LOW"}});
    if (levels) return json::object({{"thinkingLevel", "MINIMAL"}});
    return json::object({{"thinkingBudget", 0}});
  }
  json cfg = json::object({{"includeThoughts", true}});
  if (levels)
    cfg.set("thinkingLevel", level_name(call.options.thinking, model.id));
  else
    cfg.set("thinkingBudget", budget_for(call.options.thinking, model.id));
  return cfg;
}

// The `tools` array: one entry holding every function declaration, each schema cut down to
// what Gemini takes.
void write_tools(std::string& out, const std::vector<tool_definition>& tools) {
  json decls = json::array();
  for (const auto& tool : tools) {
    json decl = json::object({{"name", tool.name}, {"description", tool.description}});
    if (json params = gemini_parameters(tool.parameters); !params.is_null())
      decl.set("parameters", std::move(params));
    decls.push_back(std::move(decl));
  }
  json::array({json::object({{"functionDeclarations", std::move(decls)}})}).dump_to(out);
}

}  // namespace

result<http_request> build_google_request(const call_spec& call) {
  const model_info& model = call.model;
  // "contents" is written first, straight into the body; the rest follows it.
  json body = json::object();
  if (!call.conv.system_prompt.empty()) {
    body.set("systemInstruction",
             json::object(
                 {{"parts", json::array({json::object({{"text", call.conv.system_prompt}})})}}));
  }
  if (!call.conv.tools.empty()) {
    body.set("tools", nullptr);  // its place: the text comes from rendered_tools()
    const tool_choice& choice = call.options.tool_choice;
    json calling;
    if (choice.mode == tool_choice_mode::none) {
      calling = json::object({{"mode", "NONE"}});
    } else if (choice.mode == tool_choice_mode::required) {
      calling = json::object({{"mode", "ANY"}});
    } else if (choice.mode == tool_choice_mode::named) {
      calling =
          json::object({{"mode", "ANY"}, {"allowedFunctionNames", json::array({choice.name})}});
    }
    if (!calling.is_null())
      body.set("toolConfig", json::object({{"functionCallingConfig", std::move(calling)}}));
  }
  json gen = json::object();
  if (call.options.temperature) gen.set("temperature", *call.options.temperature);
  if (call.options.top_p) gen.set("topP", *call.options.top_p);
  std::int64_t max_tokens = call.options.max_tokens.value_or(model.max_tokens);
  if (max_tokens > 0) gen.set("maxOutputTokens", max_tokens);
  if (model.reasoning) gen.set("thinkingConfig", thinking_config(call));
  if (!gen.empty()) body.set("generationConfig", std::move(gen));

  http_request req;
  std::string base = wire::trim_base(call.provider.base_url);
  std::string id = model.id.rfind("models/", 0) == 0 ? model.id.substr(7) : model.id;
  req.url = (base.empty() ? std::string(default_base_url) : base) + "/models/" + id +
            ":streamGenerateContent?alt=sse";
  wire::put_header(req, "content-type", "application/json");
  wire::put_header(req, "accept", "text/event-stream");
  // The key travels in a header, never in the URL, so it cannot leak through logged URLs.
  if (call.provider.auth_header.empty()) {
    if (call.api_key != nullptr && !call.api_key->empty())
      wire::put_header(req, "x-goog-api-key", call.api_key->reveal());
  } else {
    wire::put_auth(req, call.provider, call.api_key);
  }
  wire::put_extra_headers(req, call.provider, call.options);
  std::string& out = req.body;
  out.reserve(wire::estimated_body_size(call.conv));
  out += R"({"contents":)";
  converter conv{model, wire::has_input(model, "image"), requires_tool_call_id(model.id), out};
  conv.run(call.conv.messages);
  if (call.conv.tools.empty())
    wire::append_members(out, body);
  else
    wire::append_members(
        out, body, "tools",
        wire::rendered_tools("google-generative-ai", call.conv.tools, write_tools));
  out += '}';
  return req;
}

namespace {

class google_generative_ai_transport final : public transport {
 public:
  [[nodiscard]] std::string_view api() const noexcept override { return api_name; }
  [[nodiscard]] result<http_request> build_request(const call_spec& call) const override {
    return build_google_request(call);
  }
  [[nodiscard]] std::unique_ptr<stream_decoder> make_decoder(const call_spec&,
                                                             stream_builder& out) const override {
    return make_google_decoder(out);
  }
  [[nodiscard]] error classify_error(const http_head& head, std::string_view body) const override {
    error e = classify_google_error(head.status, body);
    if (auto after = parse_retry_after(head)) e.retry_after = after;
    return e;
  }
};

}  // namespace

std::shared_ptr<const transport> make_google_generative_ai_transport() {
  return std::make_shared<const google_generative_ai_transport>();
}

}  // namespace durar::detail
