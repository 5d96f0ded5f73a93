/* Host tools written in C: the model calls them, their results (and failures) go back to the
 * model and into the transcript. */
#define _XOPEN_SOURCE 700

#include "capi_support.h"

#include <durar.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tool_log {
  int weather_calls, time_calls;
  char last_args[256];
  char last_id[64];
  char last_session[128];
  char last_workspace[512];
} tool_log;

static durar_status get_weather(void* user_data, const char* args, size_t len,
                                durar_tool_call* call) {
  tool_log* log = (tool_log*)user_data;
  ++log->weather_calls;
  snprintf(log->last_args, sizeof log->last_args, "%s", args);
  snprintf(log->last_id, sizeof log->last_id, "%s", durar_tool_call_id(call));
  snprintf(log->last_session, sizeof log->last_session, "%s", durar_tool_call_session(call));
  snprintf(log->last_workspace, sizeof log->last_workspace, "%s", durar_tool_call_workspace(call));
  if (strcmp(durar_tool_call_name(call), "get_weather") != 0) return DURAR_INTERNAL;
  char* city = durar_json_get(args, len, "/city");
  if (city == NULL) return DURAR_INVALID_ARGUMENT;
  char text[128];
  snprintf(text, sizeof text, "18 degrees and sunny in %s", city);
  durar_free(city);
  durar_tool_call_write(call, text, strlen(text));
  durar_tool_call_write(call, ".", 1);
  return DURAR_OK;
}

static durar_status get_time(void* user_data, const char* args, size_t len, durar_tool_call* call) {
  (void)args;
  (void)len;
  ++((tool_log*)user_data)->time_calls;
  durar_tool_call_write(call, "partial output", 14);
  durar_tool_call_fail(call, "no clock here");
  return DURAR_TOOL_FAILED;
}

typedef struct tool_events {
  int starts, ends, error_ends;
  char error_result[256];
} tool_events;

static int on_event(void* user_data, const char* type, const char* json, size_t len) {
  tool_events* e = (tool_events*)user_data;
  if (strcmp(type, "tool_execution_start") == 0) ++e->starts;
  if (strcmp(type, "tool_execution_end") == 0) {
    ++e->ends;
    char* is_error = durar_json_get(json, len, "/isError");
    if (is_error != NULL && strcmp(is_error, "true") == 0) {
      ++e->error_ends;
      char* text = durar_json_get(json, len, "/result/content/0/text");
      if (text != NULL) snprintf(e->error_result, sizeof e->error_result, "%s", text);
      durar_free(text);
    }
    durar_free(is_error);
  }
  return 0;
}

static const char* weather_schema =
    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
    "\"unit\":{\"type\":\"string\"}},\"required\":[\"city\"]}";

static void add_tools(durar_runtime* rt, tool_log* log) {
  durar_tool *weather = NULL, *clock = NULL;
  CHECK_STATUS(DURAR_OK, durar_tool_new("get_weather", "The weather in a city.", weather_schema,
                                        get_weather, log, &weather));
  CHECK_STATUS(DURAR_OK,
               durar_tool_new("get_time", "The time in a zone.", NULL, get_time, log, &clock));
  CHECK_STATUS(DURAR_OK, durar_tool_set_sequential(clock, 1));
  CHECK_STATUS(DURAR_OK, durar_runtime_add_tool(rt, weather));
  CHECK_STATUS(DURAR_OK, durar_runtime_add_tool(rt, clock));
  /* A second tool of the same name, or one named like a built-in, is refused. */
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_add_tool(rt, weather));
  CHECK(capi_contains(durar_runtime_error(rt), "'get_weather' exists already"));
  durar_tool* read = NULL;
  CHECK_STATUS(DURAR_OK, durar_tool_new("read", NULL, NULL, get_time, log, &read));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_add_tool(rt, read));
  durar_tool_free(read);
  /* The runtime copied them. */
  durar_tool_free(weather);
  durar_tool_free(clock);
}

static void tool_calls(void) {
  const char* recordings[] = {
      "agent/openai-completions/weather_call.response.sse",
      "agent/openai-completions/weather_answer.response.sse",
      "providers/openai-completions/parallel_tool_calls.response.sse",
      "agent/openai-completions/weather_answer.response.sse",
  };
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 4) == 0);
  durar_runtime* rt = f.rt;
  durar_turn* turn = f.turn;
  tool_log log;
  memset(&log, 0, sizeof log);
  add_tools(rt, &log);

  /* One call, answered. */
  tool_events e;
  memset(&e, 0, sizeof e);
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "What is the weather in Paris?"));
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, on_event, &e));
  CHECK(log.weather_calls == 1);
  CHECK(capi_contains(log.last_args, "\"city\""));
  CHECK(capi_contains(log.last_args, "Paris"));
  CHECK(strcmp(log.last_id, "call_W1eaTh3r") == 0);
  CHECK(strcmp(log.last_session, "agent:main:main") == 0);
  CHECK(capi_contains(log.last_workspace, "/ws"));
  CHECK(e.starts == 1 && e.ends == 1 && e.error_ends == 0);
  CHECK(strcmp(durar_turn_text(turn),
               "It is 18\xc2\xb0"
               "C and sunny in Paris.") == 0);
  CHECK(capi_contains(durar_turn_result_json(turn), "\"turns\":2"));
  CHECK(capi_contains(durar_turn_result_json(turn), "18 degrees and sunny in Paris."));

  /* Two calls in parallel; one handler fails, and the model is told. */
  memset(&e, 0, sizeof e);
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "Weather and time in Riyadh?"));
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, on_event, &e));
  CHECK(log.weather_calls == 2 && log.time_calls == 1);
  CHECK(capi_contains(log.last_args, "Riyadh"));
  CHECK(e.starts == 2 && e.ends == 2 && e.error_ends == 1);
  CHECK(strcmp(e.error_result, "no clock here") == 0);
  CHECK(strcmp(durar_turn_stop(turn), "done") == 0);

  /* The transcript holds both results, the failure marked. */
  durar_session* s = NULL;
  CHECK_STATUS(DURAR_OK, durar_session_open(rt, NULL, NULL, &s));
  const char* messages = durar_session_messages_json(s);
  CHECK(capi_count(messages, "\"role\":\"toolResult\"") == 3);
  CHECK(capi_contains(messages, "18 degrees and sunny in Paris."));
  CHECK(capi_contains(messages, "18 degrees and sunny in Riyadh."));
  CHECK(capi_contains(messages, "no clock here"));
  CHECK(capi_count(messages, "\"isError\":true") == 1);
  durar_session_free(s);
  capi_fixture_stop(&f);
}

static void bad_tools(void) {
  durar_tool* t = (durar_tool*)&t; /* must be reset to NULL on failure */
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_new("x", NULL, "{oops", get_time, NULL, &t));
  CHECK(t == NULL);
  CHECK(capi_contains(durar_last_error(), "schema"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_new("x", NULL, "[1]", get_time, NULL, &t));
  CHECK(capi_contains(durar_last_error(), "JSON object"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_new("has space", NULL, NULL, get_time, NULL, &t));
  CHECK(capi_contains(durar_last_error(), "has space"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_new(NULL, NULL, NULL, get_time, NULL, &t));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_new("x", NULL, NULL, NULL, NULL, &t));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_new("x", NULL, NULL, get_time, NULL, NULL));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_set_sequential(NULL, 1));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_call_write(NULL, "x", 1));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_tool_call_fail(NULL, "x"));
  CHECK(strcmp(durar_tool_call_id(NULL), "") == 0);
  durar_tool_free(NULL);
}

int main(void) {
  capi_run("host tools in C answer the model's calls, failures included", tool_calls);
  capi_run("bad tool definitions are refused with a message", bad_tools);
  return capi_result();
}
