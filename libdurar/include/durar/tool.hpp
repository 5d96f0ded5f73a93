// Tools: what a model may call. A tool has a definition (name, description, JSON-schema
// parameters) and a handler, synchronous or asynchronous. The agent validates arguments
// against the schema before the handler sees them; a handler's failure is a result with
// is_error set, sent back to the model, never an exception.
#pragma once

#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/message.hpp>
#include <durar/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_signal.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

struct tool_result {
  std::vector<content_block> content;  // text and image blocks
  json details;                        // for hosts and UIs; not sent to the model
  bool is_error = false;
};

DURAR_API tool_result text_result(std::string text, json details = {});
DURAR_API tool_result error_result(std::string message, json details = {});

// What a handler may know and use about the call it serves.
struct tool_context {
  std::string tool_call_id;
  std::string agent_id;
  std::string session_key;
  std::filesystem::path workspace;
  asio::any_io_executor executor;  // the agent's loop; async handlers finish on it
  // Emitted when the run is aborted; a long handler stops and reports an error result.
  asio::cancellation_slot cancel;
  // Partial output while running (tool_execution_update events).
  std::function<void(const tool_result&)> on_update;
};

using tool_done = std::function<void(tool_result)>;

class DURAR_API tool {
 public:
  virtual ~tool() = default;
  // The same for the tool's whole life: agents with the same tool objects share one copy.
  [[nodiscard]] virtual const tool_definition& definition() const noexcept = 0;
  // True when calls must not run alongside the turn's other tool calls.
  [[nodiscard]] virtual bool sequential() const noexcept { return false; }
  // Called on the context's executor with validated arguments; `done` exactly once, on
  // that executor. Exceptions thrown here become error results.
  virtual void async_run(const json& arguments, tool_context ctx, tool_done done) = 0;
};

using sync_tool_handler = std::function<result<tool_result>(const json& args, const tool_context&)>;
using async_tool_handler = std::function<void(const json& args, tool_context, tool_done)>;

// A tool from a function. A sync handler runs on the agent's loop and should be quick;
// an error result<> becomes an error tool_result with the error's message.
DURAR_API std::shared_ptr<tool> make_tool(tool_definition definition, sync_tool_handler handler,
                                          bool sequential = false);
DURAR_API std::shared_ptr<tool> make_async_tool(tool_definition definition,
                                                async_tool_handler handler,
                                                bool sequential = false);

// Checks `arguments` against a JSON schema (the subset tools use: type incl. unions,
// properties, required, additionalProperties: false, enum, const, items, minItems/maxItems,
// minimum/maximum, minLength/maxLength, anyOf/oneOf, nullable). Fails (invalid_argument)
// naming every problem with its path: "/items/0/name: expected string, got number".
DURAR_API result<void> validate_arguments(const json& schema, const json& arguments);

}  // namespace durar
