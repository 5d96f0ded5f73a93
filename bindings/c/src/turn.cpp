// durar_turn: what one turn asks (a durar::turn_request) and, after a run, how it ended.
#include <durar/provider.hpp>

#include "handles.hpp"

#include <cmath>
#include <string>
#include <string_view>

using durar::capi::fail_on;
using durar::capi::guarded;
using durar::capi::str_or_empty;

namespace {

template <class F>
durar_status set(durar_turn* turn, F&& change) {
  if (turn == nullptr) return fail_on(nullptr, DURAR_INVALID_ARGUMENT, "the turn handle is NULL");
  return guarded(&turn->error, [&] { return change(*turn); });
}

}  // namespace

durar_turn* durar_turn_new(void) {
  try {
    return new durar_turn();
  } catch (...) {
    fail_on(nullptr, DURAR_NO_MEMORY, "out of memory");
    return nullptr;
  }
}

void durar_turn_free(durar_turn* turn) { delete turn; }

const char* durar_turn_error(const durar_turn* turn) {
  return turn != nullptr ? turn->error.c_str() : "the turn handle is NULL";
}

durar_status durar_turn_set_message(durar_turn* turn, const char* text) {
  return set(turn, [&](durar_turn& t) {
    if (text == nullptr || *text == '\0')
      return fail_on(&t.error, DURAR_INVALID_ARGUMENT, "durar_turn_set_message: the text is empty");
    t.request.message = text;
    return DURAR_OK;
  });
}

durar_status durar_turn_set_agent(durar_turn* turn, const char* agent_id) {
  return set(turn, [&](durar_turn& t) {
    t.request.agent_id = str_or_empty(agent_id);
    return DURAR_OK;
  });
}

durar_status durar_turn_set_session(durar_turn* turn, const char* key) {
  return set(turn, [&](durar_turn& t) {
    t.request.session_key = str_or_empty(key);
    return DURAR_OK;
  });
}

durar_status durar_turn_set_model(durar_turn* turn, const char* model) {
  return set(turn, [&](durar_turn& t) {
    t.request.model = str_or_empty(model);
    return DURAR_OK;
  });
}

durar_status durar_turn_set_thinking(durar_turn* turn, const char* level) {
  return set(turn, [&](durar_turn& t) {
    if (level == nullptr) {
      t.request.thinking.reset();
      return DURAR_OK;
    }
    auto parsed = durar::parse_thinking_level(level);
    if (!parsed)
      return fail_on(
          &t.error, DURAR_INVALID_ARGUMENT,
          std::string("thinking must be off, minimal, low, medium, high or xhigh, not '") + level +
              "'");
    t.request.thinking = *parsed;
    return DURAR_OK;
  });
}

durar_status durar_turn_set_max_tokens(durar_turn* turn, int64_t max_tokens) {
  return set(turn, [&](durar_turn& t) {
    if (max_tokens < 0)
      return fail_on(&t.error, DURAR_INVALID_ARGUMENT, "max_tokens must be >= 1 (0: the default)");
    if (max_tokens == 0)
      t.request.max_tokens.reset();
    else
      t.request.max_tokens = max_tokens;
    return DURAR_OK;
  });
}

durar_status durar_turn_set_temperature(durar_turn* turn, double temperature) {
  return set(turn, [&](durar_turn& t) {
    if (std::isnan(temperature) || temperature > 2)
      return fail_on(&t.error, DURAR_INVALID_ARGUMENT,
                     "temperature must be between 0 and 2 (negative: the default)");
    if (temperature < 0)
      t.request.temperature.reset();
    else
      t.request.temperature = temperature;
    return DURAR_OK;
  });
}

durar_status durar_turn_set_tool_choice(durar_turn* turn, const char* choice,
                                        const char* tool_name) {
  return set(turn, [&](durar_turn& t) {
    const std::string_view mode = choice != nullptr ? choice : "auto";
    const bool has_name = tool_name != nullptr && *tool_name != '\0';
    durar::tool_choice parsed;
    if (mode == "auto")
      parsed.mode = durar::tool_choice_mode::automatic;
    else if (mode == "none")
      parsed.mode = durar::tool_choice_mode::none;
    else if (mode == "required")
      parsed.mode = durar::tool_choice_mode::required;
    else if (mode == "named")
      parsed.mode = durar::tool_choice_mode::named;
    else
      return fail_on(
          &t.error, DURAR_INVALID_ARGUMENT,
          "tool_choice must be auto, none, required or named, not '" + std::string(mode) + "'");
    if (parsed.mode == durar::tool_choice_mode::named) {
      if (!has_name)
        return fail_on(&t.error, DURAR_INVALID_ARGUMENT,
                       "tool_choice named needs the tool's name (tool_name)");
      parsed.name = tool_name;
    } else if (has_name) {
      return fail_on(
          &t.error, DURAR_INVALID_ARGUMENT,
          "a tool_name goes with tool_choice named only, not with '" + std::string(mode) + "'");
    }
    t.request.tool_choice = std::move(parsed);
    return DURAR_OK;
  });
}

const char* durar_turn_text(const durar_turn* turn) {
  return turn != nullptr ? turn->text.c_str() : "";
}

const char* durar_turn_stop(const durar_turn* turn) {
  return turn != nullptr ? turn->stop.c_str() : "";
}

const char* durar_turn_result_json(const durar_turn* turn) {
  return turn != nullptr ? turn->result_json.c_str() : "{}";
}
