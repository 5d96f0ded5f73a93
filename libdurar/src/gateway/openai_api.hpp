// The OpenAI-compatible HTTP API (and /tools/invoke): request parsing, response shapes and
// the per-endpoint handlers that http_routes.cpp dispatches to. Parsing and shapes are pure
// functions so they are tested without a server; the handlers run turns through the run
// registry and write through an http_responder.
//
// Models are agents: `durar` and `durar/default` pick the default agent, `durar/<agentId>`
// another one (the original's `openclaw`, `openclaw/<id>`, `openclaw:<id>` and `agent:<id>`
// are accepted too). `x-durar-model: provider/model` overrides the backend model of a turn.
#pragma once

#include <durar/agent.hpp>
#include <durar/json.hpp>
#include <durar/message.hpp>
#include <durar/router.hpp>
#include <durar/runtime.hpp>

#include "gateway_state.hpp"
#include "http_errors.hpp"
#include "http_types.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace durar::gateway_detail {

// A value or the API error to answer with (status, type, param and code decided).
template <class T>
class api_result {
 public:
  api_result(T v) : v_(std::in_place_index<0>, std::move(v)) {}          // NOLINT(implicit)
  api_result(api_error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT(implicit)
  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  [[nodiscard]] const api_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, api_error> v_;
};

// What the routes remember between requests (one per make_http_routes).
class openai_context {
 public:
  // Responses chained by previous_response_id continue in the session of the response they
  // name. Bounded: the oldest ids are forgotten first.
  void remember_response(const std::string& response_id, const std::string& session_key);
  [[nodiscard]] std::optional<std::string> session_of_response(std::string_view id) const;

 private:
  static constexpr std::size_t max_remembered = 4096;
  std::map<std::string, std::string, std::less<>> sessions_;
  std::deque<std::string> order_;
};

// ---- small shared pieces ---------------------------------------------------------------

std::string new_uuid();       // random (v4), "3f2b...-..."
std::int64_t unix_seconds();  // `created` fields
// Server-sent events: "data: <json>\n\n", with an `event:` line when named.
std::string sse_data(const json& payload);
std::string sse_event(std::string_view event, const json& payload);
inline constexpr std::string_view sse_done = "data: [DONE]\n\n";
header_list sse_headers();

// Text of OpenAI content: a string, or parts {type: text|input_text|output_text, text}
// joined with newlines. Image parts with data: URLs are collected into `images`; other
// image URLs are an error (the gateway does not fetch URLs for callers).
api_result<std::string> content_text(const json& content, std::string_view where,
                                     std::vector<content_block>* images);

// The turn's input: the caller's text (a placeholder when it sent only images), then the
// caller's system/developer text or `instructions`, marked as such, as context. The agent
// keeps its own system prompt; the caller's instructions travel with the message.
std::string turn_message(std::string text, bool has_images, const std::string& instructions);

// The caller's sampling for a turn; unset fields leave the model's (configured) own.
struct sampling_fields {
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;  // 0..2, as OpenAI takes it
  std::optional<double> top_p;        // 0..1
};
// Reads them from a request body (null = absent): `max_token_keys` name the output budget,
// the first present winning (each present one is checked). A value of the wrong type or out
// of range is a 400 naming its field.
api_result<sampling_fields> parse_sampling(const json& body,
                                           std::initializer_list<std::string_view> max_token_keys,
                                           std::string_view temperature_key = "temperature",
                                           std::string_view top_p_key = "top_p");
void apply_sampling(turn_request& turn, const sampling_fields& s);

// gateway.http.endpoints.<name>.enabled; endpoints are on unless the config says false.
bool endpoint_enabled(const config& cfg, std::string_view name);

// ---- models: agents ----------------------------------------------------------------------

// The agent a model name selects: "" for the default agent, an id, or nullopt when the name
// is not an agent name at all.
std::optional<std::string> agent_of_model_name(std::string_view model);
json model_object(const std::string& id, std::int64_t created);
// durar, durar/default, then durar/<id> per agent.
json models_list(const std::vector<agent_profile>& agents, std::int64_t created);

// Who runs a turn: the agent (x-durar-agent-id, else the model name) and the backend model
// override (x-durar-model, checked against the catalog). Unknown names are 404s.
struct turn_target {
  agent_profile agent;
  std::string model_override;  // "" = the session's or the agent's
};
api_result<turn_target> resolve_turn_target(gateway_state& state, const http_request& req,
                                            const std::string& model);

// The session an HTTP turn runs in. x-durar-session-key wins (as given); else the OpenAI
// `user` field gives a stable session `agent:<id>:<prefix>-user:<user>`; else every call
// gets a fresh one, `agent:<id>:<prefix>:<uuid>`, as the original does (the caller sends its
// history anyway; only its last user message becomes the turn's input).
std::string http_session_key(const http_request& req, const std::string& agent_id,
                             std::string_view prefix, const std::string& user);

// ---- turns -------------------------------------------------------------------------------

// The answer text an agent event adds: the text deltas of the run's assistant messages,
// with a blank line between the texts of successive messages. Streaming writes the pieces;
// non-streaming answers with text(), so both show the same text.
class turn_text {
 public:
  std::string feed(const agent_event& e);
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  bool new_message_ = false;
};

// The error a finished run reports to an HTTP caller, if any: a run that could not start,
// or stopped on an error or timeout. Aborted, max-turns and loop-detected runs keep their
// partial answer.
std::optional<durar::error> run_failure(const result<run_result>& r);
// "stop" or "length".
std::string_view finish_reason_of(const run_result& r);

// A turn started for an HTTP caller. The client going away aborts it.
struct http_turn {
  std::string run_id;
  bool answered = false;  // the provider sent content
  bool finished = false;
  turn_text text;
};
// `on_progress` gets "" when the provider first answers (the first content of a reply:
// from here on a failure cannot be a clean HTTP status any more, so streams open then), then
// each piece of answer text as it streams; `on_done` gets the outcome, once.
std::shared_ptr<http_turn> start_http_turn(
    gateway_state& state, turn_request request, const std::shared_ptr<http_responder>& responder,
    std::function<void(const std::string& piece)> on_progress,
    std::function<void(const std::shared_ptr<http_turn>&, result<run_result>)> on_done);
// As above, with every agent event of the run too, after on_progress has had its text.
std::shared_ptr<http_turn> start_http_turn(
    gateway_state& state, turn_request request, const std::shared_ptr<http_responder>& responder,
    std::function<void(const std::string& piece)> on_progress,
    std::function<void(const agent_event&)> on_event,
    std::function<void(const std::shared_ptr<http_turn>&, result<run_result>)> on_done);

// The model's calls to the caller's tools as they stream, from the agent's events: a call
// starts (its id and name known), its arguments arrive as raw JSON fragments, it ends (its
// arguments whole). Calls to the agent's own tools are not reported.
class client_call_stream {
 public:
  enum class step { start, arguments, end };
  struct update {
    step what;
    std::size_t index;            // the call's place among the run's client calls, from 0
    const tool_call_block* call;  // the call so far: id and name; at end, whole
    std::string_view delta;       // arguments: the new fragment
  };
  explicit client_call_stream(std::vector<tool_definition> tools) : tools_(std::move(tools)) {}
  // The update an event makes, if any; valid until the next feed.
  std::optional<update> feed(const agent_event& e);
  [[nodiscard]] std::size_t count() const noexcept { return ids_.size(); }
  [[nodiscard]] bool started(std::string_view call_id) const;

 private:
  std::vector<tool_definition> tools_;
  std::vector<std::string> ids_;                 // the calls started, in order
  std::map<std::size_t, std::size_t> by_block_;  // content index -> index, this message
};

// ---- the caller's own tools --------------------------------------------------------------

// The caller's function tools (`tools`, narrowed by `tool_choice`).
struct client_tools {
  std::vector<tool_definition> tools;  // offered to the model; none with tool_choice none
  json echo = json::array();           // `tools` as given, for the response object
  json choice = "auto";                // `tool_choice` as given
  std::string instruction;             // required / a named function: said to the model
  durar::tool_choice enforced;         // required / a named function: asked of the vendor
};
// `tools` and `tool_choice` of either API: {type: function, name, ...} or {type: function,
// function: {name, ...}}; auto, none, required, {type: function, name} or {..., function:
// {name}}. Other tool types, repeated names and a choice naming no tool are 400s.
api_result<client_tools> parse_client_tools(const json& body);
// A function_call_output item: call_id and output (a string, or parts whose text is kept).
api_result<tool_output> parse_function_call_output(const json& item, const std::string& at);
// Outputs as text for a model that never saw the calls (a fresh session): each with the
// call's name and arguments when the input had the call (`calls`: {name, arguments} by
// call id).
std::string outputs_as_text(const std::vector<tool_output>& outputs,
                            const std::map<std::string, json, std::less<>>& calls);
// The calls of a reply that go to the caller's tools, in the model's order.
std::vector<const tool_call_block*> client_calls(const assistant_message& m,
                                                 const std::vector<tool_definition>& tools);
// {type: function_call, id: fc_<call id>, call_id, name, arguments (JSON text), status}
json function_call_item(const tool_call_block& c, std::string_view status);
// {id, type: function, function: {name, arguments (JSON text)}}
json chat_tool_call(const tool_call_block& c);

// A parsed chat or responses request's two texts: `message` (the last user message when it
// is new input, i.e. follows the model's last item or comes without outputs) and
// `message_with_outputs` (it, then the outputs as text), each followed by the caller's
// `instructions` and the tool_choice instruction. `calls` as outputs_as_text takes them.
template <class Request>
void compose_turn_text(Request& out, const std::string& text, bool text_is_new,
                       std::string instructions,
                       const std::map<std::string, json, std::less<>>& calls) {
  if (!out.tools.instruction.empty())
    instructions += (instructions.empty() ? "" : "\n\n") + out.tools.instruction;
  const bool has_images = !out.images.empty();
  if (out.tool_outputs.empty() || text_is_new)
    out.message = turn_message(text, has_images, instructions);
  std::string with_outputs = text;
  if (!out.tool_outputs.empty())
    with_outputs += (with_outputs.empty() ? "" : "\n\n") + outputs_as_text(out.tool_outputs, calls);
  out.message_with_outputs = turn_message(std::move(with_outputs), has_images, instructions);
}

// A 400 when one of the caller's tools has the name of one of the agent's own (its calls
// would be ambiguous, and vendors refuse two functions of one name), decided before the turn.
std::optional<api_error> client_tool_conflict(gateway_state& state, const agent_profile& agent,
                                              const client_tools& tools);

// A parsed chat or responses request's text, tools and outputs into its turn. Outputs go to
// a session that holds the calls (by `user`, x-durar-session-key, previous_response_id) as
// their results; a `fresh` session never saw the calls, so the model reads them as text.
// A forced tool_choice goes to the vendor for new input; a turn that only brings outputs
// goes on from calls the model made already, so the model may answer (as the agent does
// after a tool call).
template <class Request>
void set_turn_input(turn_request& turn, Request& parsed, bool fresh) {
  turn.client_tools = parsed.tools.tools;
  if (parsed.tool_outputs.empty() || !parsed.message.empty())
    turn.tool_choice = parsed.tools.enforced;
  if (!parsed.tool_outputs.empty() && fresh) {
    turn.message = std::move(parsed.message_with_outputs);
    return;
  }
  turn.message = std::move(parsed.message);
  turn.tool_outputs = std::move(parsed.tool_outputs);
  if (turn.message.empty()) turn.attachments.clear();  // they came with an earlier turn
}

// ---- /v1/chat/completions ----------------------------------------------------------------

struct chat_request {
  std::string model;  // as sent; "" when absent
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with usage
  std::string user;
  // The last user message (when it follows the last assistant message, or there are no tool
  // outputs), then the system/developer messages; "" when the new input is only outputs.
  std::string message;
  // For a fresh session: the last user message, the tool outputs as text, the instructions.
  std::string message_with_outputs;
  client_tools tools;
  std::vector<tool_output> tool_outputs;  // tool messages after the last assistant message
  std::vector<content_block> images;
  sampling_fields sampling;  // max_completion_tokens (else max_tokens), temperature, top_p
};
api_result<chat_request> parse_chat_request(const json& body);

json chat_usage(const durar::usage& u);
// The non-streamed chat.completion body. `tool_calls` null for none; with them, content is
// null when empty.
std::string chat_completion_body(const std::string& id, std::int64_t created,
                                 const std::string& model, const std::string& content,
                                 std::string_view finish_reason, const durar::usage& u,
                                 const std::vector<const tool_call_block*>* tool_calls = nullptr);
// One chat.completion.chunk; finish_reason null when empty.
json chat_chunk(const std::string& id, std::int64_t created, const std::string& model, json delta,
                std::string_view finish_reason = {});

// ---- /v1/responses -----------------------------------------------------------------------

struct responses_request {
  std::string model;
  bool stream = false;
  std::string user;
  // The turn's text when the session already holds the conversation: the new user message
  // (the last one, if it comes after the model's last item), then `instructions`; "" when
  // the new input is only tool outputs.
  std::string message;
  // The turn's text for a fresh session: the last user message, the tool outputs as text,
  // then `instructions`.
  std::string message_with_outputs;
  std::string instructions;
  client_tools tools;
  // function_call_output items of the new input (after the model's last item).
  std::vector<tool_output> tool_outputs;
  std::string previous_response_id;
  std::optional<std::int64_t> max_output_tokens;
  std::vector<content_block> images;
  sampling_fields sampling;  // max_output_tokens, temperature, top_p
};
api_result<responses_request> parse_responses_request(const json& body);

struct response_meta {
  std::string id;       // resp_<uuid>
  std::string item_id;  // msg_<uuid>
  std::int64_t created_at = 0;
  std::string model;
  std::string instructions;
  std::string previous_response_id;
  std::string user;
  std::optional<std::int64_t> max_output_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  json tools = json::array();
  json tool_choice = "auto";
};
json responses_usage(const durar::usage& u);
json output_text_part(const std::string& text);
json output_message(const response_meta& m, const std::string& text, std::string_view status);
// The response resource; `output` an array, `usage` null while in progress, `error` null
// unless failed.
json response_object(const response_meta& m, std::string_view status, json output, json usage,
                     json error = {});

// Writes the Responses stream's events in their order, each with the next sequence_number.
// Items come one after another, as OpenAI sends them: the message item opens with the first
// text, a function call closes it, and text after a call opens another message item.
class responses_stream {
 public:
  explicit responses_stream(response_meta meta) : meta_(std::move(meta)) {}
  // response.created, response.in_progress, then the message item (open_message()).
  [[nodiscard]] std::string open();
  // response.created and response.in_progress only: items open as their content arrives.
  [[nodiscard]] std::string start();
  // response.output_item.added and response.content_part.added for a message item, unless
  // one is open.
  [[nodiscard]] std::string open_message();
  // response.output_text.delta, into the open message item (opened when none is).
  [[nodiscard]] std::string delta(const std::string& piece);
  // A call to the caller's tools: response.output_item.added (function_call, in_progress,
  // arguments ""), then response.function_call_arguments.delta per fragment; call_done()
  // sends .done and output_item.done with the whole arguments.
  [[nodiscard]] std::string call_added(const tool_call_block& c);
  [[nodiscard]] std::string call_delta(const tool_call_block& c, std::string_view fragment);
  [[nodiscard]] std::string call_done(const tool_call_block& c);
  // Closes what is open (the text `text` holds and no delta sent yet goes to the message
  // item first), streams the calls of `calls` not streamed yet, then response.completed
  // with the items in the order they opened. With no item at all, an empty message.
  [[nodiscard]] std::string complete(const std::string& text, const durar::usage& u,
                                     const std::vector<const tool_call_block*>& calls = {});
  // As complete() with the open items incomplete, then response.failed.
  [[nodiscard]] std::string fail(const std::string& text, const durar::usage& u,
                                 const api_error& e);

 private:
  struct item {
    std::string id;       // msg_..., fc_<call id>
    std::string call_id;  // "" for a message
    std::string name;     // a call's
    std::string text;     // a message's text, a call's arguments so far
    json done;            // as output_item.done sent it; null while open
  };
  std::string event(std::string_view type, json payload);
  std::string take_rest(const std::string& text);  // what of `text` no delta sent yet
  std::string close_message(std::string_view status);
  std::string close_call(item& it, const tool_call_block* c, std::string_view status);
  item* find_call(std::string_view call_id);
  json output() const;
  response_meta meta_;
  std::int64_t seq_ = 0;
  bool started_ = false;
  std::vector<item> items_;             // in output order
  std::optional<std::size_t> message_;  // the open message item
  std::string streamed_;                // all text deltas sent
};

// ---- /v1/embeddings ----------------------------------------------------------------------

struct embeddings_request {
  std::string model;
  std::vector<std::string> inputs;
  bool base64 = false;  // encoding_format
  std::optional<int> dimensions;
};
api_result<embeddings_request> parse_embeddings_request(const json& body);

// The vector as little-endian float32 bytes, base64 encoded (what OpenAI's SDKs decode).
std::string float32_base64(const std::vector<float>& v);
// The whole response body: {"object":"list","data":[{"object":"embedding","index",
// "embedding"}],"model","usage":{"prompt_tokens","total_tokens"}}; floats in their shortest
// form.
std::string embeddings_body(const embedding_result& r, const std::string& model, bool base64);

// The provider/model to embed with: a provider/model as given, or an agent name resolved to
// the agent's memorySearch embedding model (agents.list[].memorySearch over
// agents.defaults.memorySearch: {provider, model}).
api_result<std::string> resolve_embedding_model(gateway_state& state, const http_request& req,
                                                const std::string& model);

// ---- /tools/invoke -----------------------------------------------------------------------

struct tools_invoke_request {
  std::string tool;
  json args = json::object();
  std::string action;  // folded into args when the tool takes one and args lack it
  std::string session_key;
  bool dry_run = false;
};
api_result<tools_invoke_request> parse_tools_invoke_request(const json& body);

// Tools that change files, run programs or start turns elsewhere are refused over HTTP
// unless gateway.tools.allow names them (or their group, or "*"); gateway.tools.deny
// refuses any tool it names.
bool http_tool_allowed(std::string_view tool, const std::vector<std::string>& allow,
                       const std::vector<std::string>& deny = {});
// {"ok":false,"error":{"type","message"}}
json tools_error_body(std::string_view type, const std::string& message);

// ---- handlers ----------------------------------------------------------------------------

void handle_models(gateway_state& state, const http_request& req, http_responder& out);
void handle_model(gateway_state& state, std::string_view id, http_responder& out);
void handle_chat_completions(gateway_state& state, const http_request& req,
                             const std::shared_ptr<http_responder>& out);
void handle_responses(gateway_state& state, const std::shared_ptr<openai_context>& ctx,
                      const http_request& req, const std::shared_ptr<http_responder>& out);
void handle_embeddings(gateway_state& state, const http_request& req,
                       const std::shared_ptr<http_responder>& out);
void handle_tools_invoke(gateway_state& state, const http_request& req,
                         const std::shared_ptr<http_responder>& out);

}  // namespace durar::gateway_detail
