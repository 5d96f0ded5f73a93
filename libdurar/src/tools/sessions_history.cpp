// sessions_history: another session's messages, bounded (80 KB, 4,000 characters a text)
// and sanitised, with flags saying what was left out.
#include <durar/tools.hpp>

#include <fmt/format.h>

#include "tools/sessions_view.hpp"

#include <cmath>

namespace durar {

namespace {

constexpr std::size_t max_bytes = 80 * 1024;

json history_schema() {
  return json::object(
      {{"type", "object"},
       {"properties",
        json::object({{"sessionKey", json::object({{"type", "string"},
                                                   {"description",
                                                    "a key from sessions_list, \"main\", or a "
                                                    "session id"}})},
                      {"limit", json::object({{"type", "number"}, {"minimum", 1}})},
                      {"includeTools", json::object({{"type", "boolean"}})}})},
       {"required", json::array({"sessionKey"})}});
}

result<tool_result> history(session_store& store, const json& args) {
  std::string ref = args.string_or("sessionKey");
  auto found = detail::resolve_session(store, ref);
  if (!found) return fail(found.error());
  if (!*found) {
    return detail::json_result(
        json::object({{"status", "error"}, {"error", fmt::format("no session {}", ref)}}), true);
  }
  auto s = store.read((*found)->key);
  if (!s) return fail(s.error());
  std::size_t limit = 0;
  if (const json* l = args.find("limit"); l != nullptr && l->is_number())
    limit = static_cast<std::size_t>(std::max(1.0, std::floor(l->as_double())));
  auto view = detail::session_history(**s, args.bool_or("includeTools", false), limit);

  // Newest messages first to survive the byte cap, like the original's capArrayByJsonBytes.
  std::size_t total = view.messages.size();
  std::vector<std::size_t> sizes;
  std::size_t bytes = 2;
  for (const auto& m : view.messages) {
    sizes.push_back(m.dump().size());
    bytes += sizes.back() + 1;
  }
  if (!view.messages.empty()) bytes -= 1;
  std::size_t start = 0;
  while (bytes > max_bytes && start + 1 < view.messages.size()) bytes -= sizes[start++] + 1;
  json_array kept(view.messages.begin() + static_cast<std::ptrdiff_t>(start), view.messages.end());
  bool hard_capped = false;
  if (bytes > max_bytes) {
    kept = json_array{json::object(
        {{"role", "assistant"}, {"content", "[sessions_history omitted: message too large]"}})};
    bytes = json(kept).dump().size();
    hard_capped = true;
  }
  bool dropped = kept.size() < total || hard_capped;
  auto count = static_cast<std::int64_t>(bytes);
  return detail::json_result(json::object({{"sessionKey", (*found)->key},
                                           {"messages", json(std::move(kept))},
                                           {"truncated", dropped || view.content_truncated},
                                           {"droppedMessages", dropped},
                                           {"contentTruncated", view.content_truncated},
                                           {"contentRedacted", view.content_redacted},
                                           {"bytes", count}}));
}

}  // namespace

std::shared_ptr<tool> make_sessions_history_tool(std::shared_ptr<session_store> store) {
  tool_definition def;
  def.name = "sessions_history";
  def.description =
      "Read the messages of another session (by key, \"main\" or session id), newest last. Tool "
      "results are left out unless includeTools is true; long texts are shortened and "
      "secrets masked. Use it before replying in or resuming that session.";
  def.parameters = history_schema();
  return make_tool(std::move(def), [store](const json& args, const tool_context&) {
    return history(*store, args);
  });
}

}  // namespace durar
