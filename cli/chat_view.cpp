#include "chat_view.hpp"

#include <fmt/format.h>

#include "agent_output.hpp"
#include "output.hpp"

#include <charconv>
#include <chrono>

namespace durar::cli {

namespace {

// The text blocks of a message's content (a plain string counts as one).
std::string text_blocks(const json& content) {
  if (content.is_string()) return content.as_string();
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& b : content.as_array())
    if (b.string_or("type") == "text") out += b.string_or("text");
  return out;
}

std::string age(std::int64_t updated_at_ms) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::int64_t s = std::max<std::int64_t>(0, (now - updated_at_ms) / 1000);
  if (s < 60) return fmt::format("{}s ago", s);
  if (s < 3600) return fmt::format("{}m ago", s / 60);
  if (s < 86400) return fmt::format("{}h ago", s / 3600);
  return fmt::format("{}d ago", s / 86400);
}

}  // namespace

std::pair<std::string, std::string> split_command(const std::string& line) {
  auto space = line.find(' ');
  if (space == std::string::npos) return {line, ""};
  return {line.substr(0, space), line.substr(space + 1)};
}

std::optional<int> history_count(const std::string& rest) {
  if (rest.empty()) return 20;
  int n = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  if (ec != std::errc() || end != rest.data() + rest.size() || n < 1 || n > 1000)
    return std::nullopt;
  return n;
}

void print_history(const context& ctx, const json& messages) {
  if (!messages.is_array() || messages.empty()) {
    print(stdout, "no messages yet\n");
    return;
  }
  for (const auto& m : messages.as_array()) {
    const std::string role = m.string_or("role");
    if (role == "user") {
      print(stdout, ctx.styles.bold("you:") + " " + text_blocks(m["content"]) + "\n");
    } else if (role == "assistant") {
      std::string text = text_blocks(m["content"]);
      if (!text.empty()) print(stdout, ctx.styles.bold("assistant:") + " " + text + "\n");
      if (!m["content"].is_array()) continue;
      for (const auto& b : m["content"].as_array()) {
        if (b.string_or("type") != "toolCall") continue;
        tool_call_block call{b.string_or("id"), b.string_or("name"), b["arguments"], {}};
        print(stdout, ctx.styles.dim("  -> " + describe_tool_call(call)) + "\n");
      }
    }
  }
}

json session_row(const session_info& s) {
  json row =
      json::object({{"key", s.key}, {"sessionId", s.session_id}, {"updatedAt", s.updated_at}});
  if (!s.model.empty()) row.set("model", s.model);
  if (!s.model_provider.empty()) row.set("modelProvider", s.model_provider);
  row.set("totalTokens", s.total_tokens);
  return row;
}

void print_sessions(const json& rows, const std::string& current) {
  if (!rows.is_array() || rows.empty()) {
    print(stdout, "no sessions yet\n");
    return;
  }
  std::vector<std::vector<std::string>> table = {{"", "KEY", "UPDATED", "MODEL", "TOKENS"}};
  for (const auto& r : rows.as_array()) {
    std::string model = r.string_or("model");
    if (!model.empty() && !r.string_or("modelProvider").empty())
      model = r.string_or("modelProvider") + "/" + model;
    table.push_back({r.string_or("key") == current ? "*" : "", r.string_or("key"),
                     age(r.int_or("updatedAt", 0)), model.empty() ? "-" : model,
                     std::to_string(r.int_or("totalTokens", 0))});
  }
  print(stdout, format_table(table, 60));
}

session_totals totals_of(const json& messages) {
  session_totals t;
  if (!messages.is_array()) return t;
  for (const auto& m : messages.as_array()) {
    if (m.string_or("role") != "assistant") continue;
    const json& u = m["usage"];
    t.input += u.int_or("input", 0);
    t.output += u.int_or("output", 0);
    t.cache_read += u.int_or("cacheRead", 0);
    t.cache_write += u.int_or("cacheWrite", 0);
    t.total_tokens += u.int_or("totalTokens", 0);
    t.cost += u["cost"].number_or("total", 0);
    ++t.assistant_messages;
  }
  return t;
}

void print_usage(const std::string& session_id, const session_totals& t) {
  print(stdout, fmt::format("session {} · {} answers · tokens in {} out {} cache read {} "
                            "write {} · ${:.4f}\n",
                            session_id, t.assistant_messages, t.input, t.output, t.cache_read,
                            t.cache_write, t.cost));
}

}  // namespace durar::cli
