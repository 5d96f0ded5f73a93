// durar_tool: a host tool written in C. The callback writes its result through a
// durar_tool_call, which lives on the stack of the call it serves.
#include <durar/json.hpp>
#include <durar/tool.hpp>

#include "handles.hpp"

struct durar_tool_call {
  std::string id, name, session, workspace;
  std::string text;                 // written by durar_tool_call_write
  std::optional<std::string> fail;  // set by durar_tool_call_fail
};

using durar::capi::fail_on;
using durar::capi::guarded;

namespace {

bool valid_tool_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

durar_status null_call() {
  return fail_on(nullptr, DURAR_INVALID_ARGUMENT,
                 "the tool call handle is NULL (valid inside the tool callback only)");
}

}  // namespace

namespace durar::capi {

std::shared_ptr<durar::tool> make_host_tool(const durar_tool& t) {
  durar_tool_fn fn = t.fn;
  void* user_data = t.user_data;
  return durar::make_tool(
      t.definition,
      [fn, user_data, name = t.definition.name](
          const durar::json& args, const durar::tool_context& ctx) -> result<tool_result> {
        durar_tool_call call;
        call.id = ctx.tool_call_id;
        call.name = name;
        call.session = ctx.session_key;
        call.workspace = ctx.workspace.string();
        std::string text = args.dump();
        durar_status s = fn(user_data, text.c_str(), text.size(), &call);
        if (s == DURAR_OK && !call.fail) return durar::text_result(std::move(call.text));
        std::string message = call.fail.value_or("");
        if (message.empty()) message = std::move(call.text);
        if (message.empty()) message = "tool '" + name + "' failed (" + durar_status_name(s) + ")";
        return durar::error_result(std::move(message));
      },
      t.sequential);
}

}  // namespace durar::capi

durar_status durar_tool_new(const char* name, const char* description, const char* schema_json,
                            durar_tool_fn fn, void* user_data, durar_tool** out) {
  return guarded(nullptr, [&] {
    if (out == nullptr)
      return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "durar_tool_new: out is NULL");
    *out = nullptr;
    if (name == nullptr || !valid_tool_name(name))
      return fail_on(nullptr, DURAR_INVALID_ARGUMENT,
                     std::string("durar_tool_new: a tool name is 1-64 of [A-Za-z0-9_-], not '") +
                         (name != nullptr ? name : "(null)") + "'");
    if (fn == nullptr)
      return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "durar_tool_new: the callback is NULL");
    auto tool = std::make_unique<durar_tool>();
    tool->definition.name = name;
    tool->definition.description = description != nullptr ? description : "";
    if (schema_json != nullptr) {
      auto schema = durar::json::parse(schema_json);
      if (!schema)
        return fail_on(nullptr, DURAR_INVALID_ARGUMENT,
                       "tool '" + std::string(name) + "': schema: " + schema.error().message);
      if (!schema->is_object())
        return fail_on(nullptr, DURAR_INVALID_ARGUMENT,
                       "tool '" + std::string(name) + "': the schema must be a JSON object");
      tool->definition.parameters = std::move(*schema);
    }
    tool->fn = fn;
    tool->user_data = user_data;
    *out = tool.release();
    return DURAR_OK;
  });
}

void durar_tool_free(durar_tool* tool) { delete tool; }

durar_status durar_tool_set_sequential(durar_tool* tool, int sequential) {
  if (tool == nullptr) return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the tool handle is NULL");
  tool->sequential = sequential != 0;
  return DURAR_OK;
}

durar_status durar_tool_call_write(durar_tool_call* call, const char* text, size_t len) {
  if (call == nullptr) return null_call();
  if (text == nullptr && len > 0)
    return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "durar_tool_call_write: the text is NULL");
  return guarded(nullptr, [&] {
    call->text.append(text != nullptr ? text : "", len);
    return DURAR_OK;
  });
}

durar_status durar_tool_call_fail(durar_tool_call* call, const char* message) {
  if (call == nullptr) return null_call();
  return guarded(nullptr, [&] {
    call->fail = message != nullptr ? std::string(message) : std::string();
    return DURAR_OK;
  });
}

const char* durar_tool_call_id(const durar_tool_call* call) {
  return call != nullptr ? call->id.c_str() : "";
}

const char* durar_tool_call_name(const durar_tool_call* call) {
  return call != nullptr ? call->name.c_str() : "";
}

const char* durar_tool_call_session(const durar_tool_call* call) {
  return call != nullptr ? call->session.c_str() : "";
}

const char* durar_tool_call_workspace(const durar_tool_call* call) {
  return call != nullptr ? call->workspace.c_str() : "";
}
