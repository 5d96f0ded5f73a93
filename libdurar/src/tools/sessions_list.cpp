// sessions_list: the agent's sessions, newest first, filtered by kind, label, text or recent
// activity, optionally with a title, a preview of the last message or the last messages.
#include <durar/tools.hpp>

#include "tools/sessions_view.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

namespace durar {

namespace {

json list_schema() {
  return json::object(
      {{"type", "object"},
       {"properties",
        json::object(
            {{"kinds", json::object({{"type", "array"},
                                     {"items", json::object({{"type", "string"}})},
                                     {"description", "main, group, cron, hook, node or other"}})},
             {"limit", json::object({{"type", "number"}, {"minimum", 1}})},
             {"activeMinutes", json::object({{"type", "number"}, {"minimum", 1}})},
             {"messageLimit",
              json::object({{"type", "number"},
                            {"minimum", 0},
                            {"description", "last messages per session (max 20)"}})},
             {"label", json::object({{"type", "string"}, {"minLength", 1}})},
             {"agentId", json::object({{"type", "string"}, {"minLength", 1}, {"maxLength", 64}})},
             {"search", json::object({{"type", "string"}, {"minLength", 1}})},
             {"includeDerivedTitles", json::object({{"type", "boolean"}})},
             {"includeLastMessage", json::object({{"type", "boolean"}})}})}});
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::int64_t> whole_number(const json& args, std::string_view key) {
  const json* v = args.find(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return static_cast<std::int64_t>(v->as_double());
}

// First text of a transcript message, flattened to one line and cut short.
std::string preview(const json& m, std::size_t max) {
  std::string text;
  const json& c = m["content"];
  if (c.is_string()) {
    text = c.as_string();
  } else if (c.is_array()) {
    for (const auto& b : c.as_array())
      if (b.string_or("type") == "text") text += (text.empty() ? "" : " ") + b.string_or("text");
  }
  for (char& ch : text)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  text = detail::redact_tokens(text);
  if (text.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "…";
  }
  return text;
}

std::string channel_of(const session_info& info, const std::string& kind) {
  if (kind == "cron" || kind == "hook" || kind == "node") return "internal";
  for (const char* k : {"channel", "lastChannel"}) {
    std::string c = info.raw.string_or(k);
    if (!c.empty()) return c;
  }
  return "";
}

result<tool_result> list_sessions(session_store& store, const json& args) {
  std::set<std::string> kinds;
  if (const json* k = args.find("kinds"); k != nullptr && k->is_array()) {
    for (const auto& v : k->as_array())
      if (v.is_string()) kinds.insert(lower(v.as_string()));
  }
  auto limit = whole_number(args, "limit");
  auto active = whole_number(args, "activeMinutes");
  std::int64_t message_limit =
      std::clamp<std::int64_t>(whole_number(args, "messageLimit").value_or(0), 0, 20);
  std::string label = args.string_or("label");
  std::string agent = args.string_or("agentId");
  std::string search = lower(args.string_or("search"));
  bool titles = args.bool_or("includeDerivedTitles", false);
  bool last_message = args.bool_or("includeLastMessage", false);

  json_array rows;
  if (!agent.empty() && normalize_agent_id(agent) != store.agent_id()) {
    return detail::json_result(json::object({{"count", 0}, {"sessions", json_array()}}));
  }
  auto all = store.list();
  if (!all) return fail(all.error());
  std::int64_t now = now_ms();
  for (const auto& info : *all) {
    std::string kind = detail::session_kind(info.key, store.agent_id());
    if (!kinds.empty() && kinds.count(kind) == 0) continue;
    if (active && info.updated_at < now - *active * 60000) continue;
    if (!label.empty() && info.raw.string_or("label") != label) continue;
    if (!search.empty()) {
      std::string hay = lower(info.key + "\n" + info.raw.string_or("label") + "\n" +
                              info.raw.string_or("displayName") + "\n" + info.session_id);
      if (hay.find(search) == std::string::npos) continue;
    }
    json row = json::object({{"key", info.key}, {"agentId", store.agent_id()}, {"kind", kind}});
    if (auto ch = channel_of(info, kind); !ch.empty()) row.set("channel", ch);
    for (const char* k : {"label", "displayName"})
      if (auto v = info.raw.string_or(k); !v.empty()) row.set(k, v);
    row.set("updatedAt", info.updated_at);
    row.set("sessionId", info.session_id);
    std::string model = info.raw.string_or("model");
    if (model.empty()) model = info.model_override;
    if (!model.empty()) row.set("model", model);
    if (info.context_tokens > 0) row.set("contextTokens", info.context_tokens);
    if (info.total_tokens > 0) row.set("totalTokens", info.total_tokens);
    if (info.cost > 0) row.set("estimatedCostUsd", info.cost);
    if (!info.thinking_level.empty()) row.set("thinkingLevel", info.thinking_level);
    row.set("transcriptPath", (store.dir() / (info.session_id + ".jsonl")).string());
    if (titles || last_message || message_limit > 0) {
      auto s = store.read(info.key);
      if (s) {
        auto h = detail::session_history(**s, false, 0);
        if (titles) {
          for (const auto& m : h.messages) {
            if (m.string_or("role") != "user") continue;
            if (auto t = preview(m, 60); !t.empty()) row.set("derivedTitle", t);
            break;
          }
        }
        if (last_message && !h.messages.empty())
          row.set("lastMessagePreview", preview(h.messages.back(), 160));
        if (message_limit > 0) {
          auto n = static_cast<std::size_t>(message_limit);
          json_array last(h.messages.size() > n ? h.messages.end() - static_cast<std::ptrdiff_t>(n)
                                                : h.messages.begin(),
                          h.messages.end());
          row.set("messages", json(std::move(last)));
        }
      }
    }
    rows.push_back(std::move(row));
    if (limit && static_cast<std::int64_t>(rows.size()) >= std::max<std::int64_t>(*limit, 1)) break;
  }
  std::int64_t count = static_cast<std::int64_t>(rows.size());
  return detail::json_result(json::object({{"count", count}, {"sessions", json(std::move(rows))}}));
}

}  // namespace

std::shared_ptr<tool> make_sessions_list_tool(std::shared_ptr<session_store> store) {
  tool_definition def;
  def.name = "sessions_list";
  def.description =
      "List this agent's sessions, most recently active first. Filter by kind, label, search "
      "text or activity in the last N minutes; optionally add a derived title, a preview of "
      "the last message, or the last few messages of each. Use it to find a session before "
      "sessions_history or sessions_send.";
  def.parameters = list_schema();
  return make_tool(std::move(def), [store](const json& args, const tool_context&) {
    return list_sessions(*store, args);
  });
}

}  // namespace durar
