// POST /v1/responses (OpenAI Responses / OpenResponses), streamed and whole: the request's
// parsing, the response object (a message output item holding one output_text part, then
// the calls to the caller's tools as function_call items) and the handler. The stream's
// events are written by responses_stream (openai_responses_stream.cpp).
#include "openai_api.hpp"

namespace durar::gateway_detail {

namespace {

std::string type_name(const json& j) { return std::string(to_string(j.type())); }

api_result<std::string> optional_string(const json& body, std::string_view key) {
  const json* v = body.find(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string())
    return bad_request(std::string(key) + ": expected a string, got " + type_name(*v),
                       std::string(key));
  return v->as_string();
}

}  // namespace

api_result<responses_request> parse_responses_request(const json& body) {
  responses_request out;
  for (auto [key, field] : {std::pair{"model", &out.model}, std::pair{"user", &out.user},
                            std::pair{"instructions", &out.instructions},
                            std::pair{"previous_response_id", &out.previous_response_id}}) {
    auto v = optional_string(body, key);
    if (!v) return v.error();
    *field = std::move(*v);
  }
  if (const json* s = body.find("stream"); s && !s->is_null()) {
    if (!s->is_bool())
      return bad_request("stream: expected a boolean, got " + type_name(*s), "stream");
    out.stream = s->as_bool();
  }
  auto sampling = parse_sampling(body, {"max_output_tokens"});
  if (!sampling) return sampling.error();
  out.sampling = *sampling;
  out.max_output_tokens = sampling->max_tokens;
  auto tools = parse_client_tools(body);
  if (!tools) return tools.error();
  out.tools = std::move(*tools);

  const json* input = body.find("input");
  if (input == nullptr || input->is_null())
    return bad_request("input: required; a string or an array of input items", "input");
  std::string instructions = out.instructions;
  std::string text;                                // the last user message
  bool text_is_new = true;                         // it follows the model's last item
  std::map<std::string, json, std::less<>> calls;  // the input's function_call items
  if (input->is_string()) {
    text = input->as_string();
  } else if (input->is_array()) {
    // Only the last user message is the turn's input (the session holds the history);
    // system and developer messages join `instructions`. The new input is what follows the
    // model's last item: its function_call_output items answer the calls it made.
    std::optional<std::size_t> last_user;
    std::size_t fresh_from = 0;
    const auto& items = input->as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const json& item = items[i];
      const std::string at = "input[" + std::to_string(i) + "]";
      if (!item.is_object())
        return bad_request(at + ": expected an object, got " + type_name(item), "input");
      const std::string type = item.string_or("type", "message");
      if (type == "function_call") {
        calls[item.string_or("call_id")] = item;
        fresh_from = i + 1;
        continue;
      }
      if (type == "reasoning" || type == "item_reference") fresh_from = i + 1;
      if (type != "message") continue;
      const json& role = item["role"];
      if (!role.is_string()) return bad_request(at + ".role: expected a string", "input");
      if (role.as_string() == "user") {
        last_user = i;
      } else if (role.as_string() == "assistant") {
        fresh_from = i + 1;
      } else if (role.as_string() == "system" || role.as_string() == "developer") {
        auto t = content_text(item["content"], at + ".content", nullptr);
        if (!t) return t.error();
        if (!t->empty()) instructions += (instructions.empty() ? "" : "\n\n") + *t;
      }
    }
    for (std::size_t i = fresh_from; i < items.size(); ++i) {
      if (items[i].string_or("type", "message") != "function_call_output") continue;
      auto o = parse_function_call_output(items[i], "input[" + std::to_string(i) + "]");
      if (!o) return o.error();
      out.tool_outputs.push_back(std::move(*o));
    }
    if (!last_user && out.tool_outputs.empty())
      return bad_request(
          "input: no message with role 'user' and no function_call_output; the last user "
          "message is the turn's input",
          "input");
    if (last_user) {
      const std::string at = "input[" + std::to_string(*last_user) + "].content";
      auto t = content_text(items[*last_user]["content"], at, &out.images);
      if (!t) {
        api_error e = t.error();
        e.param = "input";
        return e;
      }
      text = std::move(*t);
      text_is_new = *last_user >= fresh_from;
    } else {
      text_is_new = false;
    }
  } else {
    return bad_request("input: expected a string or an array of items, got " + type_name(*input),
                       "input");
  }
  if (text.empty() && out.images.empty() && out.tool_outputs.empty())
    return bad_request("input: the user message is empty", "input");
  compose_turn_text(out, text, text_is_new, std::move(instructions), calls);
  return out;
}

json responses_usage(const durar::usage& u) {
  const std::int64_t input = u.input + u.cache_read + u.cache_write;
  return json::object({{"input_tokens", input},
                       {"input_tokens_details", json::object({{"cached_tokens", u.cache_read}})},
                       {"output_tokens", u.output},
                       {"output_tokens_details", json::object({{"reasoning_tokens", u.reasoning}})},
                       {"total_tokens", input + u.output}});
}

json output_text_part(const std::string& text) {
  return json::object({{"type", "output_text"}, {"text", text}, {"annotations", json::array()}});
}

json output_message(const response_meta& m, const std::string& text, std::string_view status) {
  return json::object({{"type", "message"},
                       {"id", m.item_id},
                       {"status", status},
                       {"role", "assistant"},
                       {"content", json::array({output_text_part(text)})}});
}

json response_object(const response_meta& m, std::string_view status, json output, json usage,
                     json error) {
  auto or_null = [](const std::string& s) { return s.empty() ? json() : json(s); };
  return json::object(
      {{"id", m.id},
       {"object", "response"},
       {"created_at", m.created_at},
       {"status", status},
       {"error", std::move(error)},
       {"incomplete_details", json()},
       {"instructions", or_null(m.instructions)},
       {"max_output_tokens", m.max_output_tokens ? json(*m.max_output_tokens) : json()},
       {"model", m.model},
       {"output", std::move(output)},
       {"parallel_tool_calls", true},
       {"previous_response_id", or_null(m.previous_response_id)},
       {"temperature", m.temperature ? json(*m.temperature) : json()},
       {"top_p", m.top_p ? json(*m.top_p) : json()},
       {"tool_choice", m.tool_choice},
       {"tools", m.tools},
       {"usage", std::move(usage)},
       {"user", or_null(m.user)},
       {"metadata", json::object()}});
}

void handle_responses(gateway_state& state, const std::shared_ptr<openai_context>& ctx,
                      const http_request& req, const std::shared_ptr<http_responder>& out) {
  if (!endpoint_enabled(state.rt.cfg(), "responses"))
    return respond_error(
        *out, not_found("/v1/responses is disabled (gateway.http.endpoints.responses.enabled)"));
  auto body = parse_json_object(req.body);
  if (!body) return respond_error(*out, bad_request(body.error().message));
  auto parsed = parse_responses_request(*body);
  if (!parsed) return respond_error(*out, parsed.error());
  auto target = resolve_turn_target(state, req, parsed->model);
  if (!target) return respond_error(*out, target.error());
  if (auto clash = client_tool_conflict(state, target->agent, parsed->tools))
    return respond_error(*out, *clash);

  response_meta meta;
  meta.id = "resp_" + new_uuid();
  meta.item_id = "msg_" + new_uuid();
  meta.created_at = unix_seconds();
  meta.model = parsed->model.empty() ? "durar" : parsed->model;
  meta.instructions = parsed->instructions;
  meta.previous_response_id = parsed->previous_response_id;
  meta.user = parsed->user;
  meta.max_output_tokens = parsed->max_output_tokens;
  meta.temperature = parsed->sampling.temperature;
  meta.top_p = parsed->sampling.top_p;
  meta.tools = parsed->tools.echo;
  meta.tool_choice = parsed->tools.choice;

  // Session: x-durar-session-key, else `user`, else the session of previous_response_id when
  // this gateway remembers it (an unknown id starts afresh rather than failing: ids do not
  // survive a restart), else a fresh one per call.
  turn_request turn;
  turn.agent_id = target->agent.id;
  turn.model = target->model_override;
  turn.attachments = std::move(parsed->images);
  apply_sampling(turn, parsed->sampling);
  std::optional<std::string> chained;
  if (!durar_header(req, "session-key") && parsed->user.empty() &&
      !parsed->previous_response_id.empty())
    chained = ctx->session_of_response(parsed->previous_response_id);
  turn.session_key =
      chained ? *chained : http_session_key(req, target->agent.id, "openresponses", parsed->user);
  ctx->remember_response(meta.id, turn.session_key);

  set_turn_input(turn, *parsed,
                 !chained && !durar_header(req, "session-key") && parsed->user.empty());
  auto calls_of = [tools = turn.client_tools](const run_result& r) {
    return r.stop == run_stop::client_tools ? client_calls(r.final, tools)
                                            : std::vector<const tool_call_block*>{};
  };

  if (!parsed->stream) {
    start_http_turn(
        state, std::move(turn), out, {},
        [out, meta, calls_of](const std::shared_ptr<http_turn>& t, result<run_result> r) {
          if (auto failure = run_failure(r)) return respond_error(*out, to_api_error(*failure));
          std::string text = t->text.text().empty() ? text_of(r->final) : t->text.text();
          const auto calls = calls_of(*r);
          json output = json::array();
          if (!text.empty() || calls.empty())
            output.push_back(output_message(meta, text, "completed"));
          for (const auto* c : calls) output.push_back(function_call_item(*c, "completed"));
          respond_json(
              *out, 200,
              response_object(meta, "completed", std::move(output), responses_usage(r->total)));
        });
    return;
  }

  // The stream opens when the provider answers; each item opens when its content starts
  // (the message with its first text, a call when the model starts it).
  struct stream_state {
    responses_stream events;
    client_call_stream calls;
    bool opened = false;
  };
  auto st = std::make_shared<stream_state>(
      stream_state{responses_stream(meta), client_call_stream(turn.client_tools)});
  auto open = [out, st] {
    if (st->opened) return;
    st->opened = true;
    out->start_stream(200, sse_headers());
    out->write(st->events.start());
  };
  auto on_event = [out, st, open](const agent_event& e) {
    auto u = st->calls.feed(e);
    if (!u) return;
    open();
    switch (u->what) {
      case client_call_stream::step::start:
        return out->write(st->events.call_added(*u->call));
      case client_call_stream::step::arguments:
        return out->write(st->events.call_delta(*u->call, u->delta));
      case client_call_stream::step::end:
        return out->write(st->events.call_done(*u->call));
    }
  };
  start_http_turn(
      state, std::move(turn), out,
      [out, st, open](const std::string& piece) {
        open();
        if (!piece.empty()) out->write(st->events.delta(piece));
      },
      std::move(on_event),
      [out, st, open, calls_of](const std::shared_ptr<http_turn>& t, result<run_result> r) {
        auto failure = run_failure(r);
        if (!st->opened && failure) return respond_error(*out, to_api_error(*failure));
        open();
        std::string text = t->text.text();
        durar::usage used = r ? r->total : durar::usage{};
        if (failure) {
          out->write(st->events.fail(text, used, to_api_error(*failure)));
        } else {
          if (text.empty()) text = text_of(r->final);  // an answer that did not stream
          out->write(st->events.complete(text, used, calls_of(*r)));
        }
        out->write(sse_done);
        out->end();
      });
}

}  // namespace durar::gateway_detail
