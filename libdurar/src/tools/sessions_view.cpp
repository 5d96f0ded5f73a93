// Shared by sessions_list and sessions_history: session references, kinds, and the
// sanitised history a model may read from another conversation.
#include "tools/sessions_view.hpp"

#include <array>
#include <cctype>

namespace durar::detail {

namespace {

constexpr std::size_t max_text_chars = 4000;

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

// Cuts at `max` code points, never inside a UTF-8 sequence.
bool truncate_text(std::string& s, std::size_t max) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (points++ == max) {
      s.resize(i);
      s += "\n…(truncated)…";
      return true;
    }
  }
  return false;
}

// Sanitises one text field in place; reports what it did.
void clean_text(json& holder, std::string_view field, history_view& v) {
  json* t = holder.find(field);
  if (t == nullptr || !t->is_string()) return;
  std::string s = redact_tokens(t->as_string());
  if (s != t->as_string()) v.content_redacted = true;
  if (truncate_text(s, max_text_chars)) v.content_truncated = true;
  *t = json(std::move(s));
}

json clean_message(json m, history_view& v) {
  for (const char* k : {"details", "usage", "cost"})
    if (m.erase(k)) v.content_truncated = true;
  clean_text(m, "content", v);
  clean_text(m, "text", v);
  if (json* content = m.find("content"); content != nullptr && content->is_array()) {
    for (json& b : content->as_array()) {
      if (!b.is_object()) continue;
      std::string type = b.string_or("type");
      clean_text(b, "text", v);
      if (type == "thinking") {
        clean_text(b, "thinking", v);
        if (b.erase("thinkingSignature")) v.content_truncated = true;
      } else if (type == "image") {
        std::int64_t bytes = static_cast<std::int64_t>(b.string_or("data").size());
        if (b.erase("data")) v.content_truncated = true;
        b.set("omitted", true);
        b.set("bytes", bytes);
      }
    }
  }
  return m;
}

}  // namespace

std::string redact_tokens(std::string_view text) {
  static constexpr std::array<std::string_view, 11> prefixes = {
      "sk-",   "sk_",   "ghp_", "gho_",   "ghs_", "github_pat_",
      "xoxb-", "xoxp-", "AIza", "glpat-", "hf_"};
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    bool boundary = i == 0 || !token_char(text[i - 1]);
    std::size_t skip = 0;
    if (boundary) {
      for (auto p : prefixes) {
        if (text.substr(i, p.size()) != p) continue;
        std::size_t end = i + p.size();
        while (end < text.size() && token_char(text[end])) ++end;
        if (end - i - p.size() >= 16) skip = end - i;  // long enough to be a key
        break;
      }
      if (skip == 0 && text.substr(i, 7) == "Bearer ") {
        std::size_t end = i + 7;
        while (end < text.size() && (token_char(text[end]) || text[end] == '=')) ++end;
        if (end - i - 7 >= 16) {
          out += "Bearer ";
          i += 7;
          skip = end - i;
        }
      }
    }
    if (skip > 0) {
      out += "***";
      i += skip;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string session_kind(std::string_view key, std::string_view agent_id) {
  std::string_view rest = key;
  std::string prefix = "agent:" + std::string(agent_id) + ":";
  if (rest.substr(0, prefix.size()) == prefix) {
    rest.remove_prefix(prefix.size());
  } else if (rest.substr(0, 6) == "agent:") {
    auto colon = rest.find(':', 6);
    if (colon != std::string_view::npos) rest.remove_prefix(colon + 1);
  }
  if (rest == "main" || key == "main") return "main";
  if (rest.substr(0, 5) == "cron:") return "cron";
  if (rest.substr(0, 5) == "hook:") return "hook";
  if (rest.substr(0, 5) == "node:" || rest.substr(0, 5) == "node-") return "node";
  if (rest.find("group:") != std::string_view::npos ||
      rest.find("channel:") != std::string_view::npos)
    return "group";
  return "other";
}

result<std::optional<session_info>> resolve_session(const session_store& store,
                                                    std::string_view ref) {
  auto all = store.list();
  if (!all) return fail(all.error());
  std::string scoped = "agent:" + store.agent_id() + ":" + std::string(ref);
  for (const std::string& want : {std::string(ref), scoped}) {
    for (auto& info : *all)
      if (info.key == want) return std::optional<session_info>(std::move(info));
  }
  for (auto& info : *all)
    if (info.session_id == ref) return std::optional<session_info>(std::move(info));
  return std::optional<session_info>();
}

history_view session_history(const session& s, bool include_tools, std::size_t limit) {
  history_view v;
  std::vector<const session_entry*> picked;
  for (const auto* e : s.branch()) {
    if (e->type != "message") continue;
    const json& m = e->raw["message"];
    if (!m.is_object()) continue;
    std::string role = m.string_or("role");
    if (!include_tools && (role == "toolResult" || role == "tool")) continue;
    picked.push_back(e);
  }
  std::size_t from = limit > 0 && picked.size() > limit ? picked.size() - limit : 0;
  for (std::size_t i = from; i < picked.size(); ++i)
    v.messages.push_back(clean_message(picked[i]->raw["message"], v));
  return v;
}

tool_result json_result(json payload, bool is_error) {
  std::string text = payload.dump(2);
  tool_result r = is_error ? error_result(std::move(text), std::move(payload))
                           : text_result(std::move(text), std::move(payload));
  return r;
}

}  // namespace durar::detail
