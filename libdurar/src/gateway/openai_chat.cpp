// POST /v1/chat/completions, streamed and whole, plus what /v1/responses shares with it:
// reading OpenAI message content, and running a turn for an HTTP caller.
#include <fmt/format.h>

#include "openai_api.hpp"
#include "session/session_internal.hpp"

#include <charconv>
#include <chrono>

namespace durar::gateway_detail {

// ---- shared pieces -------------------------------------------------------------------------

std::string new_uuid() { return detail::new_session_id(); }  // one UUID maker for all

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sse_data(const json& payload) {
  std::string out = "data: ";
  payload.dump_to(out);
  out += "\n\n";
  return out;
}

std::string sse_event(std::string_view event, const json& payload) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  payload.dump_to(out);
  out += "\n\n";
  return out;
}

header_list sse_headers() {
  return {{"content-type", "text/event-stream; charset=utf-8"},
          {"cache-control", "no-cache"},
          {"x-accel-buffering", "no"}};  // reverse proxies must not hold the stream back
}

namespace {

constexpr std::size_t max_images = 8;

api_result<image_block> image_from_url(const std::string& url, const std::string& where) {
  constexpr std::string_view scheme = "data:";
  if (url.rfind(scheme, 0) != 0)
    return bad_request(where +
                       ": only data: URLs (base64) are accepted; the gateway does not "
                       "fetch images for callers");
  auto comma = url.find(',');
  if (comma == std::string::npos) return bad_request(where + ": data: URL without ','");
  std::string_view meta = std::string_view(url).substr(scheme.size(), comma - scheme.size());
  constexpr std::string_view b64 = ";base64";
  if (meta.size() < b64.size() || meta.substr(meta.size() - b64.size()) != b64)
    return bad_request(where + ": the data: URL must be base64 encoded (;base64)");
  std::string_view mime = meta.substr(0, meta.size() - b64.size());
  if (mime.rfind("image/", 0) != 0)
    return bad_request(where + ": expected an image, got '" + std::string(mime) + "'");
  if (comma + 1 >= url.size()) return bad_request(where + ": the data: URL has no data");
  return image_block{std::string(mime), url.substr(comma + 1)};
}

std::string type_name(const json& j) { return std::string(to_string(j.type())); }

}  // namespace

api_result<std::string> content_text(const json& content, std::string_view where_sv,
                                     std::vector<content_block>* images) {
  const std::string where(where_sv);
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.as_string();
  if (!content.is_array())
    return bad_request(where + ": expected a string or an array of parts, got " +
                       type_name(content));
  std::string text;
  const auto& parts = content.as_array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const json& part = parts[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!part.is_object()) return bad_request(at + ": expected an object, got " + type_name(part));
    const json& type = part["type"];
    if (!type.is_string()) return bad_request(at + ".type: expected a string");
    const std::string& t = type.as_string();
    if (t == "text" || t == "input_text" || t == "output_text") {
      const json& s = part["text"];
      if (!s.is_string()) return bad_request(at + ".text: expected a string");
      if (!text.empty()) text += "\n";
      text += s.as_string();
    } else if (t == "image_url" || t == "input_image") {
      if (images == nullptr) continue;  // images only count in the turn's own input
      const json& u = part["image_url"];
      const json& url = u.is_object() ? u["url"] : u;
      if (!url.is_string()) return bad_request(at + ".image_url: expected a URL string");
      auto img = image_from_url(url.as_string(), at + ".image_url");
      if (!img) return img.error();
      if (images->size() >= max_images)
        return bad_request(at + ": too many images (at most " + std::to_string(max_images) + ")");
      images->push_back(std::move(*img));
    } else {
      return bad_request(at + ".type: unsupported content part '" + t + "'");
    }
  }
  return text;
}

// ---- sampling ------------------------------------------------------------------------------

namespace {

// A budget no model comes near; past it a value is a mistake, not a wish.
constexpr double max_token_limit = 100'000'000;

api_result<std::optional<double>> number_in(const json& body, std::string_view key, double lo,
                                            double hi) {
  const json* v = body.find(key);
  if (v == nullptr || v->is_null()) return std::optional<double>();
  const std::string name(key);
  if (!v->is_number()) return bad_request(name + ": expected a number, got " + type_name(*v), name);
  const double d = v->as_double();
  if (!(d >= lo && d <= hi))  // NaN fails too
    return bad_request(fmt::format("{}: must be between {} and {}, got {}", name, lo, hi, d), name,
                       "invalid_value");
  return std::optional<double>(d);
}

}  // namespace

api_result<sampling_fields> parse_sampling(const json& body,
                                           std::initializer_list<std::string_view> max_token_keys,
                                           std::string_view temperature_key,
                                           std::string_view top_p_key) {
  sampling_fields out;
  for (std::string_view key : max_token_keys) {
    const json* v = body.find(key);
    if (v == nullptr || v->is_null()) continue;
    const std::string name(key);
    if (!v->is_integer() || v->as_double() < 1 || v->as_double() > max_token_limit)
      return bad_request(name + ": expected a positive integer", name, "invalid_value");
    if (!out.max_tokens) out.max_tokens = v->as_int();
  }
  auto temperature = number_in(body, temperature_key, 0, 2);
  if (!temperature) return temperature.error();
  out.temperature = *temperature;
  auto top_p = number_in(body, top_p_key, 0, 1);
  if (!top_p) return top_p.error();
  out.top_p = *top_p;
  return out;
}

void apply_sampling(turn_request& turn, const sampling_fields& s) {
  turn.max_tokens = s.max_tokens;
  turn.temperature = s.temperature;
  turn.top_p = s.top_p;
}

// ---- turns ---------------------------------------------------------------------------------

namespace {
bool is_assistant(const agent_event& e) {
  return e.msg != nullptr && std::holds_alternative<assistant_message>(*e.msg);
}
}  // namespace

std::string turn_text::feed(const agent_event& e) {
  if (e.kind == agent_event_kind::message_start && is_assistant(e)) {
    new_message_ = true;
    return {};
  }
  if (e.kind != agent_event_kind::message_update || e.stream == nullptr ||
      e.stream->kind != event_kind::text_delta || e.stream->delta.empty())
    return {};
  std::string piece;
  if (new_message_ && !text_.empty()) piece = "\n\n";
  new_message_ = false;
  piece += e.stream->delta;
  text_ += piece;
  return piece;
}

std::optional<durar::error> run_failure(const result<run_result>& r) {
  if (!r) return r.error();
  if (r->stop == run_stop::error) return r->failure;
  // Aborted (chat.abort, or the shutdown deadline): not an answer that ended of itself, so
  // not finish_reason "stop"; the partial text stays in the transcript, marked aborted.
  if (r->stop == run_stop::aborted)
    return durar::error(errc::cancelled, r->reason.empty() ? "the run was aborted" : r->reason);
  if (r->stop == run_stop::timeout) {
    durar::error e = r->failure;
    if (e.code == errc::internal || e.code == errc::ok) e.code = errc::deadline_exceeded;
    if (e.message.empty()) e.message = r->reason.empty() ? "the run timed out" : r->reason;
    return e;
  }
  return std::nullopt;
}

std::string_view finish_reason_of(const run_result& r) {
  return r.final.stop == stop_reason::length ? "length" : "stop";
}

std::shared_ptr<http_turn> start_http_turn(
    gateway_state& state, turn_request request, const std::shared_ptr<http_responder>& responder,
    std::function<void(const std::string& piece)> on_progress,
    std::function<void(const std::shared_ptr<http_turn>&, result<run_result>)> on_done) {
  return start_http_turn(state, std::move(request), responder, std::move(on_progress), {},
                         std::move(on_done));
}

std::shared_ptr<http_turn> start_http_turn(
    gateway_state& state, turn_request request, const std::shared_ptr<http_responder>& responder,
    std::function<void(const std::string& piece)> on_progress,
    std::function<void(const agent_event&)> on_agent_event,
    std::function<void(const std::shared_ptr<http_turn>&, result<run_result>)> on_done) {
  auto turn = std::make_shared<http_turn>();
  // The callbacks run inside the agent; nothing may escape from them into it.
  auto on_event = [turn, on_progress = std::move(on_progress),
                   on_agent_event = std::move(on_agent_event)](const agent_event& e) {
    if (turn->finished) return;
    try {
      // The first content of a reply: the provider answered (a reply that failed before any
      // content still gets message_start/end, for the transcript, but no update).
      if (!turn->answered && e.kind == agent_event_kind::message_update && is_assistant(e)) {
        turn->answered = true;
        if (on_progress) on_progress(std::string());
      }
      // Whole answers are this same text, gathered: streamed and whole never differ.
      if (std::string piece = turn->text.feed(e); !piece.empty() && on_progress) on_progress(piece);
      if (on_agent_event) on_agent_event(e);
    } catch (...) {  // a write that failed to allocate: the stream is lost either way
    }
  };
  auto done = [turn, on_done = std::move(on_done)](result<run_result> r) {
    if (turn->finished) return;
    turn->finished = true;
    try {
      on_done(turn, std::move(r));
    } catch (...) {
    }
  };
  turn->run_id = state.runs.start(std::move(request), std::move(on_event), std::move(done));
  gateway_state* st = &state;
  responder->on_disconnect([st, turn] {
    if (!turn->finished) st->runs.abort(turn->run_id);
  });
  return turn;
}

// ---- /v1/chat/completions ------------------------------------------------------------------

std::string turn_message(std::string text, bool has_images, const std::string& instructions) {
  if (text.empty() && has_images) text = "(the user sent only images)";
  if (instructions.empty()) return text;
  if (!text.empty()) text += "\n\n";
  return text + "[Instructions from the caller]\n" + instructions;
}

api_result<chat_request> parse_chat_request(const json& body) {
  chat_request out;
  if (const json* m = body.find("model"); m && !m->is_null()) {
    if (!m->is_string())
      return bad_request("model: expected a string, got " + type_name(*m), "model");
    out.model = m->as_string();
  }
  if (const json* s = body.find("stream"); s && !s->is_null()) {
    if (!s->is_bool())
      return bad_request("stream: expected a boolean, got " + type_name(*s), "stream");
    out.stream = s->as_bool();
  }
  if (const json* so = body.find("stream_options"); so && so->is_object())
    out.include_usage = so->bool_or("include_usage", false);
  if (const json* u = body.find("user"); u && !u->is_null()) {
    if (!u->is_string())
      return bad_request("user: expected a string, got " + type_name(*u), "user");
    out.user = u->as_string();
  }
  // The newer name first: SDKs send max_completion_tokens, older clients max_tokens.
  auto sampling = parse_sampling(body, {"max_completion_tokens", "max_tokens"});
  if (!sampling) return sampling.error();
  out.sampling = *sampling;
  const json* messages = body.find("messages");
  if (messages == nullptr || messages->is_null())
    return bad_request("messages: required; send at least one user message", "messages");
  if (!messages->is_array())
    return bad_request("messages: expected an array, got " + type_name(*messages), "messages");

  auto tools = parse_client_tools(body);
  if (!tools) return tools.error();
  out.tools = std::move(*tools);

  // Only the last user message is the turn's input (the session holds the history). Tool
  // messages after the last assistant message answer the calls it made.
  std::optional<std::size_t> last_user;
  std::size_t fresh_from = 0;
  std::string instructions;
  std::map<std::string, json, std::less<>> calls;  // the assistant messages' tool_calls
  const auto& list = messages->as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& m = list[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.is_object())
      return bad_request(at + ": expected an object, got " + type_name(m), "messages");
    const json& role = m["role"];
    if (!role.is_string()) return bad_request(at + ".role: expected a string", "messages");
    if (role.as_string() == "user") {
      last_user = i;
    } else if (role.as_string() == "assistant") {
      fresh_from = i + 1;
      if (m["tool_calls"].is_array())
        for (const auto& c : m["tool_calls"].as_array())
          if (c.is_object() && c["function"].is_object()) calls[c.string_or("id")] = c["function"];
    } else if (role.as_string() == "system" || role.as_string() == "developer") {
      auto text = content_text(m["content"], at + ".content", nullptr);
      if (!text) return text.error();
      if (!text->empty()) instructions += (instructions.empty() ? "" : "\n\n") + *text;
    }
  }
  for (std::size_t i = fresh_from; i < list.size(); ++i) {
    const json& m = list[i];
    if (m["role"] != "tool") continue;
    const std::string at = "messages[" + std::to_string(i) + "]";
    const json& id = m["tool_call_id"];
    if (!id.is_string() || id.as_string().empty())
      return bad_request(at + ".tool_call_id: required, a non-empty string", "messages");
    auto text = content_text(m["content"], at + ".content", nullptr);
    if (!text) return text.error();
    out.tool_outputs.push_back({id.as_string(), std::move(*text), false});
  }
  if (!last_user && out.tool_outputs.empty())
    return bad_request(
        "messages: no message with role 'user'; the last user message is the "
        "turn's input",
        "messages");
  std::string text;
  bool text_is_new = false;
  if (last_user) {
    const std::string at = "messages[" + std::to_string(*last_user) + "].content";
    auto t = content_text(list[*last_user]["content"], at, &out.images);
    if (!t) {
      api_error e = t.error();
      e.param = "messages";
      return e;
    }
    if (t->empty() && out.images.empty() && out.tool_outputs.empty())
      return bad_request(at + ": the last user message is empty", "messages");
    text = std::move(*t);
    text_is_new = *last_user >= fresh_from;
  }
  compose_turn_text(out, text, text_is_new, std::move(instructions), calls);
  return out;
}

json chat_usage(const durar::usage& u) {
  const std::int64_t prompt = u.input + u.cache_read + u.cache_write;
  return json::object(
      {{"prompt_tokens", prompt},
       {"completion_tokens", u.output},
       {"total_tokens", prompt + u.output},
       {"prompt_tokens_details", json::object({{"cached_tokens", u.cache_read}})},
       {"completion_tokens_details", json::object({{"reasoning_tokens", u.reasoning}})}});
}

namespace {

// Integers as json::dump writes them.
void append_int(std::string& out, std::int64_t i) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
}

}  // namespace

std::string chat_completion_body(const std::string& id, std::int64_t created,
                                 const std::string& model, const std::string& content,
                                 std::string_view finish_reason, const durar::usage& u,
                                 const std::vector<const tool_call_block*>* tool_calls) {
  std::string out;
  out.reserve(400 + id.size() + model.size() + content.size());
  out += R"({"id":)";
  json_quote(out, id);
  out += R"(,"object":"chat.completion","created":)";
  append_int(out, created);
  out += R"(,"model":)";
  json_quote(out, model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
  if (tool_calls != nullptr && content.empty())
    out += "null";
  else
    json_quote(out, content);
  out += R"(,"refusal":null)";
  if (tool_calls != nullptr) {
    out += R"(,"tool_calls":[)";
    std::string arguments;
    bool first = true;
    for (const tool_call_block* c : *tool_calls) {
      if (!first) out += ',';
      first = false;
      out += R"({"id":)";
      json_quote(out, c->id);
      out += R"(,"type":"function","function":{"name":)";
      json_quote(out, c->name);
      out += R"(,"arguments":)";
      arguments.clear();
      c->arguments.dump_to(arguments);
      json_quote(out, arguments);
      out += "}}";
    }
    out += ']';
  }
  out += R"(},"logprobs":null,"finish_reason":)";
  json_quote(out, finish_reason);
  const std::int64_t prompt = u.input + u.cache_read + u.cache_write;
  out += R"(}],"usage":{"prompt_tokens":)";
  append_int(out, prompt);
  out += R"(,"completion_tokens":)";
  append_int(out, u.output);
  out += R"(,"total_tokens":)";
  append_int(out, prompt + u.output);
  out += R"(,"prompt_tokens_details":{"cached_tokens":)";
  append_int(out, u.cache_read);
  out += R"(},"completion_tokens_details":{"reasoning_tokens":)";
  append_int(out, u.reasoning);
  out += "}}}";
  return out;
}

json chat_chunk(const std::string& id, std::int64_t created, const std::string& model, json delta,
                std::string_view finish_reason) {
  json choice =
      json::object({{"index", 0},
                    {"delta", std::move(delta)},
                    {"logprobs", json()},
                    {"finish_reason", finish_reason.empty() ? json() : json(finish_reason)}});
  return json::object({{"id", id},
                       {"object", "chat.completion.chunk"},
                       {"created", created},
                       {"model", model},
                       {"choices", json::array({std::move(choice)})}});
}

void handle_chat_completions(gateway_state& state, const http_request& req,
                             const std::shared_ptr<http_responder>& out) {
  if (!endpoint_enabled(state.rt.cfg(), "chatCompletions"))
    return respond_error(*out, not_found("/v1/chat/completions is disabled "
                                         "(gateway.http.endpoints.chatCompletions.enabled)"));
  auto body = parse_json_object(req.body);
  if (!body) return respond_error(*out, bad_request(body.error().message));
  auto parsed = parse_chat_request(*body);
  if (!parsed) return respond_error(*out, parsed.error());
  auto target = resolve_turn_target(state, req, parsed->model);
  if (!target) return respond_error(*out, target.error());
  if (auto clash = client_tool_conflict(state, target->agent, parsed->tools))
    return respond_error(*out, *clash);

  turn_request turn;
  turn.agent_id = target->agent.id;
  turn.session_key = http_session_key(req, target->agent.id, "openai", parsed->user);
  turn.model = target->model_override;
  turn.attachments = std::move(parsed->images);
  apply_sampling(turn, parsed->sampling);
  set_turn_input(turn, *parsed, !durar_header(req, "session-key") && parsed->user.empty());
  struct chat_state {
    std::string id = "chatcmpl_" + new_uuid();
    std::int64_t created = unix_seconds();
    std::string model;
    bool include_usage = false;
    bool opened = false;
  };
  auto st = std::make_shared<chat_state>();
  st->model = parsed->model.empty() ? "durar" : parsed->model;
  st->include_usage = parsed->include_usage;

  if (!parsed->stream) {
    auto done = [out, st, tools = turn.client_tools](const std::shared_ptr<http_turn>& t,
                                                     result<run_result> r) {
      if (auto failure = run_failure(r)) return respond_error(*out, to_api_error(*failure));
      std::string whole;
      const std::string& content =
          t->text.text().empty() ? (whole = text_of(r->final)) : t->text.text();
      // The reply's calls to the caller's tools (finish_reason tool_calls), if it stopped on
      // them.
      std::vector<const tool_call_block*> calls;
      const bool client = r->stop == run_stop::client_tools;
      if (client) calls = client_calls(r->final, tools);
      const std::string_view finish = client ? "tool_calls" : finish_reason_of(*r);
      out->respond(200, {{"content-type", "application/json; charset=utf-8"}},
                   chat_completion_body(st->id, st->created, st->model, content, finish, r->total,
                                        client ? &calls : nullptr));
    };
    start_http_turn(state, std::move(turn), out, {}, std::move(done));
    return;
  }

  // The reply's calls to the caller's tools (finish_reason tool_calls), null for none.
  auto tool_calls_of = [tools = turn.client_tools](const run_result& r) {
    if (r.stop != run_stop::client_tools) return json();
    json calls = json::array();
    for (const auto* c : client_calls(r.final, tools)) calls.push_back(chat_tool_call(*c));
    return calls;
  };

  // The stream opens when the provider answers, so a turn failing before that still gets a
  // real status and an error body instead of a 200 with an error inside.
  auto open = [out, st] {
    if (st->opened) return;
    st->opened = true;
    out->start_stream(200, sse_headers());
    out->write(sse_data(
        chat_chunk(st->id, st->created, st->model, json::object({{"role", "assistant"}}))));
  };
  auto chunk = [out, st](json delta) {
    out->write(sse_data(chat_chunk(st->id, st->created, st->model, std::move(delta))));
  };
  auto content = [chunk](const std::string& piece) { chunk(json::object({{"content", piece}})); };
  auto tool_call_delta = [chunk](json call) {
    chunk(json::object({{"tool_calls", json::array({std::move(call)})}}));
  };
  // The calls to the caller's tools stream as OpenAI streams them: the first chunk of a call
  // has its index, id, type and name, the next ones pieces of its arguments.
  auto calls = std::make_shared<client_call_stream>(turn.client_tools);
  auto on_event = [open, calls, tool_call_delta](const agent_event& e) {
    auto u = calls->feed(e);
    if (!u || u->what == client_call_stream::step::end) return;
    open();
    const auto index = static_cast<std::int64_t>(u->index);
    if (u->what == client_call_stream::step::start) {
      tool_call_delta(
          json::object({{"index", index},
                        {"id", u->call->id},
                        {"type", "function"},
                        {"function", json::object({{"name", u->call->name}, {"arguments", ""}})}}));
    } else if (!u->delta.empty()) {
      tool_call_delta(
          json::object({{"index", index}, {"function", json::object({{"arguments", u->delta}})}}));
    }
  };
  start_http_turn(
      state, std::move(turn), out,
      [open, content](const std::string& piece) {
        open();
        if (!piece.empty()) content(piece);
      },
      std::move(on_event),
      [out, st, open, content, tool_call_delta, calls, tool_calls_of](
          const std::shared_ptr<http_turn>& t, result<run_result> r) {
        auto failure = run_failure(r);
        if (!st->opened && failure) return respond_error(*out, to_api_error(*failure));
        open();
        if (failure) {
          // After the first byte the status is spent: the error goes into the stream.
          out->write(sse_data(error_body(to_api_error(*failure))));
        } else {
          if (t->text.text().empty())
            if (std::string whole = text_of(r->final); !whole.empty()) content(whole);
          std::string_view finish = finish_reason_of(*r);
          if (json whole = tool_calls_of(*r); !whole.is_null()) {
            // Calls that did not stream (a provider that sent them whole) go whole, each in
            // one chunk: its index, id, name and all of its arguments.
            auto index = static_cast<std::int64_t>(calls->count());
            for (auto& c : whole.as_array()) {
              if (calls->started(c.string_or("id"))) continue;
              c.set("index", index++);
              tool_call_delta(std::move(c));
            }
            finish = "tool_calls";
          }
          out->write(sse_data(chat_chunk(st->id, st->created, st->model, json::object(), finish)));
          if (st->include_usage) {
            json usage = chat_chunk(st->id, st->created, st->model, json::object());
            usage.set("choices", json::array());
            usage.set("usage", chat_usage(r->total));
            out->write(sse_data(usage));
          }
        }
        out->write(sse_done);
        out->end();
      });
}

}  // namespace durar::gateway_detail
