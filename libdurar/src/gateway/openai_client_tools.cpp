// The client's own function tools on /v1/responses and /v1/chat/completions: `tools` and
// `tool_choice` in, the outputs of the new input (function_call_output items, tool
// messages), and the calls the model made back out (function_call items, tool_calls). The
// agent runs its own tools; a call to one of the client's ends the turn, and the client's
// next request brings the output.
#include "openai_api.hpp"

namespace durar::gateway_detail {

namespace {

std::string type_name(const json& j) { return std::string(to_string(j.type())); }

std::string names_of(const std::vector<tool_definition>& tools) {
  std::string out;
  for (const auto& t : tools) out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

}  // namespace

api_result<client_tools> parse_client_tools(const json& body) {
  client_tools out;
  if (const json* t = body.find("tools"); t != nullptr && !t->is_null()) {
    if (!t->is_array())
      return bad_request("tools: expected an array, got " + type_name(*t), "tools");
    out.echo = *t;
    const auto& list = t->as_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& item = list[i];
      const std::string at = "tools[" + std::to_string(i) + "]";
      if (!item.is_object())
        return bad_request(at + ": expected an object, got " + type_name(item), "tools");
      const std::string type = item.string_or("type", "");
      if (type != "function")
        return bad_request(
            at + ".type: '" + type + "' is not supported; only function tools are (type: function)",
            "tools");
      // Responses put the function's fields on the tool; Chat Completions under `function`.
      const bool nested = item["function"].is_object();
      const json& fn = nested ? item["function"] : item;
      const std::string in = nested ? at + ".function" : at;
      tool_definition d;
      const json& name = fn["name"];
      if (!name.is_string() || name.as_string().empty())
        return bad_request(in + ".name: required, a non-empty string", "tools");
      d.name = name.as_string();
      if (const json* desc = fn.find("description"); desc && !desc->is_null()) {
        if (!desc->is_string()) return bad_request(in + ".description: expected a string", "tools");
        d.description = desc->as_string();
      }
      if (const json* p = fn.find("parameters"); p && !p->is_null()) {
        if (!p->is_object()) return bad_request(in + ".parameters: expected an object", "tools");
        d.parameters = *p;
      }
      for (const auto& seen : out.tools)
        if (seen.name == d.name)
          return bad_request(at + ".name: '" + d.name + "' is given twice", "tools");
      out.tools.push_back(std::move(d));
    }
  }

  const json* choice = body.find("tool_choice");
  if (choice == nullptr || choice->is_null()) return out;
  out.choice = *choice;
  if (choice->is_string()) {
    const std::string& c = choice->as_string();
    if (c == "auto") return out;
    if (c == "none") {
      out.tools.clear();
      return out;
    }
    if (c == "required") {
      if (out.tools.empty())
        return bad_request("tool_choice: 'required' but no tools are given", "tool_choice");
      out.instruction = "Call one of these tools before you answer: " + names_of(out.tools) + ".";
      out.enforced.mode = tool_choice_mode::required;
      return out;
    }
    return bad_request("tool_choice: expected auto, none, required or {type: function, name}",
                       "tool_choice");
  }
  // {type: function, name} as the Responses API has it; {type: function, function: {name}}
  // as Chat Completions does.
  if (!choice->is_object() || choice->string_or("type", "") != "function")
    return bad_request("tool_choice: expected auto, none, required or {type: function, name}",
                       "tool_choice");
  std::string name = choice->string_or("name", "");
  if (name.empty() && (*choice)["function"].is_object())
    name = (*choice)["function"].string_or("name", "");
  if (name.empty()) return bad_request("tool_choice.name: required", "tool_choice");
  std::erase_if(out.tools, [&](const tool_definition& d) { return d.name != name; });
  if (out.tools.empty())
    return bad_request("tool_choice: no tool named '" + name + "' in tools", "tool_choice");
  out.instruction = "Call the tool " + name + " before you answer.";
  out.enforced = {tool_choice_mode::named, name};
  return out;
}

api_result<tool_output> parse_function_call_output(const json& item, const std::string& at) {
  tool_output out;
  const json& id = item["call_id"];
  if (!id.is_string() || id.as_string().empty())
    return bad_request(at + ".call_id: required, a non-empty string", "input");
  out.call_id = id.as_string();
  const json& output = item["output"];
  if (output.is_string()) {
    out.output = output.as_string();
  } else {
    // The newer shape: an array of input_text (and image) parts; the text is kept.
    auto text = content_text(output, at + ".output", nullptr);
    if (!text) {
      api_error e = text.error();
      e.param = "input";
      return e;
    }
    out.output = std::move(*text);
  }
  return out;
}

std::string outputs_as_text(const std::vector<tool_output>& outputs,
                            const std::map<std::string, json, std::less<>>& calls) {
  std::string out;
  for (const auto& o : outputs) {
    if (!out.empty()) out += "\n\n";
    auto call = calls.find(o.call_id);
    if (call != calls.end()) {
      out += "[You called " + call->second.string_or("name", "a tool") + " with " +
             call->second.string_or("arguments", "{}") + " (call " + o.call_id +
             "); its output:]\n";
    } else {
      out += "[Output of tool call " + o.call_id + "]\n";
    }
    out += o.output;
  }
  return out;
}

std::vector<const tool_call_block*> client_calls(const assistant_message& m,
                                                 const std::vector<tool_definition>& tools) {
  std::vector<const tool_call_block*> out;
  for (const auto* c : tool_calls_of(m))
    if (std::any_of(tools.begin(), tools.end(),
                    [&](const tool_definition& d) { return d.name == c->name; }))
      out.push_back(c);
  return out;
}

json function_call_item(const tool_call_block& c, std::string_view status) {
  return json::object({{"type", "function_call"},
                       {"id", "fc_" + c.id},
                       {"call_id", c.id},
                       {"name", c.name},
                       {"arguments", c.arguments.dump()},
                       {"status", status}});
}

std::optional<api_error> client_tool_conflict(gateway_state& state, const agent_profile& agent,
                                              const client_tools& tools) {
  if (tools.tools.empty()) return std::nullopt;
  for (const auto& own : state.rt.tools_for(agent)) {
    const std::string& name = own->definition().name;
    for (const auto& t : tools.tools)
      if (t.name == name)
        return bad_request(
            "tools: '" + name + "' is the name of one of the agent's own tools; rename yours",
            "tools");
  }
  return std::nullopt;
}

json chat_tool_call(const tool_call_block& c) {
  return json::object(
      {{"id", c.id},
       {"type", "function"},
       {"function", json::object({{"name", c.name}, {"arguments", c.arguments.dump()}})}});
}

std::optional<client_call_stream::update> client_call_stream::feed(const agent_event& e) {
  if (e.kind == agent_event_kind::message_start && e.msg != nullptr &&
      std::holds_alternative<assistant_message>(*e.msg)) {
    by_block_.clear();  // content indexes count anew in each message
    return std::nullopt;
  }
  if (e.kind != agent_event_kind::message_update || e.stream == nullptr ||
      e.stream->message == nullptr)
    return std::nullopt;
  const stream_event& s = *e.stream;
  if (s.kind != event_kind::toolcall_start && s.kind != event_kind::toolcall_delta &&
      s.kind != event_kind::toolcall_end)
    return std::nullopt;
  if (s.content_index >= s.message->content.size()) return std::nullopt;
  const auto* call = std::get_if<tool_call_block>(&s.message->content[s.content_index]);
  if (call == nullptr) return std::nullopt;
  if (s.kind == event_kind::toolcall_start) {
    if (std::none_of(tools_.begin(), tools_.end(),
                     [&](const tool_definition& d) { return d.name == call->name; }))
      return std::nullopt;  // one of the agent's own: it stays inside the run
    const std::size_t index = ids_.size();
    ids_.push_back(call->id);
    by_block_[s.content_index] = index;
    return update{step::start, index, call, {}};
  }
  auto at = by_block_.find(s.content_index);
  if (at == by_block_.end()) return std::nullopt;
  if (s.kind == event_kind::toolcall_delta)
    return update{step::arguments, at->second, call, s.delta};
  return update{step::end, at->second, call, {}};
}

bool client_call_stream::started(std::string_view call_id) const {
  return std::find(ids_.begin(), ids_.end(), call_id) != ids_.end();
}

}  // namespace durar::gateway_detail
