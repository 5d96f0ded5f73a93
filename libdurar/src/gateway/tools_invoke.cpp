// POST /tools/invoke {tool, args, action, sessionKey, dryRun}: one tool call without a turn,
// through the same tool policy as the agent's own calls, plus an HTTP-only rule: tools that
// write files, run programs or start turns are refused unless gateway.tools.allow names them.
// Answers {"ok":true,"result":{content,details}} or {"ok":false,"error":{type,message}}.
#include <durar/session.hpp>
#include <durar/tools.hpp>

#include <asio/cancellation_signal.hpp>

#include "openai_api.hpp"

#include <algorithm>
#include <array>
#include <exception>

namespace durar::gateway_detail {

namespace {

std::string type_name(const json& j) { return std::string(to_string(j.type())); }

void respond_tools_error(http_responder& out, int status, std::string_view type,
                         const std::string& message) {
  respond_json(out, status, tools_error_body(type, message));
}

std::string tool_text(const tool_result& r) {
  std::string out;
  for (const auto& b : r.content)
    if (const auto* t = std::get_if<text_block>(&b)) out += (out.empty() ? "" : "\n") + t->text;
  return out;
}

json result_json(const tool_result& r) {
  json_array content;
  for (const auto& b : r.content) content.push_back(to_json(b));
  return json::object({{"content", json(std::move(content))},
                       {"details", r.details.is_null() ? json::object() : r.details}});
}

}  // namespace

api_result<tools_invoke_request> parse_tools_invoke_request(const json& body) {
  tools_invoke_request out;
  const json* tool = body.find("tool");
  if (tool == nullptr || tool->is_null()) return bad_request("tool: required", "tool");
  if (!tool->is_string() || tool->as_string().empty())
    return bad_request("tool: expected a tool name", "tool");
  out.tool = tool->as_string();
  if (const json* a = body.find("args"); a && !a->is_null()) {
    if (!a->is_object())
      return bad_request("args: expected an object, got " + type_name(*a), "args");
    out.args = *a;
  }
  if (const json* a = body.find("action"); a && !a->is_null()) {
    if (!a->is_string()) return bad_request("action: expected a string", "action");
    out.action = a->as_string();
  }
  if (const json* k = body.find("sessionKey"); k && !k->is_null()) {
    if (!k->is_string()) return bad_request("sessionKey: expected a string", "sessionKey");
    out.session_key = k->as_string();
  }
  if (const json* d = body.find("dryRun"); d && !d->is_null()) {
    if (!d->is_bool()) return bad_request("dryRun: expected a boolean", "dryRun");
    out.dry_run = d->as_bool();
  }
  return out;
}

bool http_tool_allowed(std::string_view tool, const std::vector<std::string>& allow,
                       const std::vector<std::string>& deny) {
  // The lists read like any tool policy: names, groups, globs, "*".
  if (!deny.empty() && !tool_allowed(tool, tool_policy{{}, deny}, tool_policy{})) return false;
  static constexpr std::array<std::string_view, 6> risky = {"exec", "process",     "write",
                                                            "edit", "apply_patch", "sessions_send"};
  if (std::find(risky.begin(), risky.end(), tool) == risky.end()) return true;
  return !allow.empty() && tool_allowed(tool, tool_policy{allow, {}}, tool_policy{});
}

json tools_error_body(std::string_view type, const std::string& message) {
  return json::object(
      {{"ok", false}, {"error", json::object({{"type", type}, {"message", message}})}});
}

void handle_tools_invoke(gateway_state& state, const http_request& req,
                         const std::shared_ptr<http_responder>& out) {
  auto body = parse_json_object(req.body);
  if (!body) return respond_tools_error(*out, 400, "invalid_request", body.error().message);
  auto parsed = parse_tools_invoke_request(*body);
  if (!parsed) return respond_tools_error(*out, 400, "invalid_request", parsed.error().message);

  // The agent: x-durar-agent-id, else the one a full session key names, else the default.
  std::string agent_id;
  if (auto h = durar_header(req, "agent-id"))
    agent_id = *h;
  else if (parsed->session_key.rfind("agent:", 0) == 0)
    agent_id = agent_of_session_key(parsed->session_key);
  auto profile = state.rt.agent(agent_id);
  if (!profile) return respond_tools_error(*out, 404, "not_found", profile.error().message);
  // "main" (or nothing) is the agent's main session, whatever session.mainKey is called.
  const std::string& key = parsed->session_key;
  std::string session_key = state.rt.session_key(profile->id, key == "main" ? "" : key);

  std::shared_ptr<tool> found;
  for (auto& t : state.rt.tools_for(*profile))
    if (t->definition().name == parsed->tool) found = t;
  if (!found)
    return respond_tools_error(*out, 404, "not_found",
                               "tool '" + parsed->tool + "' is not available to agent '" +
                                   profile->id + "' (unknown, or not allowed by the tool policy)");
  // gateway.tools.{allow,deny}: the resolved settings, plus the config file's own lists.
  std::vector<std::string> allow = state.settings.http_tool_allow;
  std::vector<std::string> deny;
  const json& lists = state.rt.cfg().document["gateway"]["tools"];
  for (auto [name, into] : {std::pair{"allow", &allow}, std::pair{"deny", &deny}})
    if (const json* l = lists.find(name); l && l->is_array())
      for (const auto& v : l->as_array())
        if (v.is_string()) into->push_back(v.as_string());
  if (!http_tool_allowed(parsed->tool, allow, deny))
    return respond_tools_error(*out, 404, "forbidden",
                               "tool '" + parsed->tool +
                                   "' is not available over HTTP (gateway.tools.allow lets "
                                   "exec, process, write, edit, apply_patch and sessions_send "
                                   "through; gateway.tools.deny refuses any)");

  const tool_definition& def = found->definition();
  json args = std::move(parsed->args);
  if (!parsed->action.empty() && !args.contains("action") &&
      def.parameters["properties"].contains("action"))
    args.set("action", parsed->action);
  if (auto valid = validate_arguments(def.parameters, args); !valid)
    return respond_tools_error(*out, 400, "invalid_request", "args: " + valid.error().message);
  if (parsed->dry_run)  // checked, not run
    return respond_json(*out, 200,
                        json::object({{"ok", true},
                                      {"result", json::object({{"dryRun", true},
                                                               {"tool", def.name},
                                                               {"args", std::move(args)},
                                                               {"sessionKey", session_key}})}}));

  auto cancel = std::make_shared<asio::cancellation_signal>();
  auto finished = std::make_shared<bool>(false);
  tool_context ctx;
  ctx.tool_call_id = "http_" + new_uuid();
  ctx.agent_id = profile->id;
  ctx.session_key = session_key;
  ctx.workspace = profile->workspace;
  ctx.executor = state.io.get_executor();
  ctx.cancel = cancel->slot();
  out->on_disconnect([cancel, finished] {
    if (!*finished) cancel->emit(asio::cancellation_type::terminal);
  });
  auto done = [out, found, cancel, finished](tool_result r) {
    if (*finished) return;
    *finished = true;
    try {
      if (r.is_error) {
        std::string message = tool_text(r);
        return respond_tools_error(*out, 400, "tool_error",
                                   message.empty() ? "the tool failed" : message);
      }
      respond_json(*out, 200, json::object({{"ok", true}, {"result", result_json(r)}}));
    } catch (...) {  // never into the tool's completion path
    }
  };
  try {
    found->async_run(args, std::move(ctx), done);
  } catch (const std::exception& e) {
    if (!*finished) {
      *finished = true;
      respond_tools_error(*out, 500, "internal_error",
                          "tool '" + def.name + "' failed: " + e.what());
    }
  }
}

}  // namespace durar::gateway_detail
