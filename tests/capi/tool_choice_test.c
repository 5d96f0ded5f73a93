/* durar_turn_set_tool_choice: the choice reaches the vendor's request body (the fake vendor
 * logs every body it receives), a forced choice is spent once the model called a tool, an
 * agent takes it from its settings, and bad choices are refused with a message. */
#define _XOPEN_SOURCE 700

#include "capi_support.h"

#include <durar.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The openai-completions shapes (the fake provider is not api.openai.com, so an automatic
 * choice is sent as "auto" rather than left out). */
#define NAMED_WEATHER \
  "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"
#define REQUIRED "\"tool_choice\":\"required\""
#define NONE "\"tool_choice\":\"none\""
#define AUTO "\"tool_choice\":\"auto\""

static durar_status get_weather(void* user_data, const char* args, size_t len,
                                durar_tool_call* call) {
  (void)args;
  (void)len;
  ++*(int*)user_data;
  const char* text = "18 degrees and sunny in Paris.";
  return durar_tool_call_write(call, text, strlen(text));
}

/* Line `n` (0-based) of `text` as a new string (free() it); NULL when there is none. */
static char* line_of(const char* text, int n) {
  if (text == NULL) return NULL;
  for (; n > 0; --n) {
    text = strchr(text, '\n');
    if (text == NULL) return NULL;
    ++text;
  }
  const char* end = strchr(text, '\n');
  if (end == NULL) return NULL;
  size_t len = (size_t)(end - text);
  char* line = malloc(len + 1);
  if (line == NULL) return NULL;
  memcpy(line, text, len);
  line[len] = '\0';
  return line;
}

/* Checks request `n` of the log holds `present` (may be NULL) and none of the other
 * tool_choice shapes. */
#define CHECK_REQUEST(log, n, present)                                                        \
  do {                                                                                        \
    char* req_ = line_of((log), (n));                                                         \
    CHECK(req_ != NULL);                                                                      \
    const char* want_ = (present);                                                            \
    if (want_ != NULL) CHECK(capi_contains(req_, want_));                                     \
    CHECK(capi_count(req_, "\"tool_choice\"") == 1);                                          \
    if (want_ == NULL || strcmp(want_, NAMED_WEATHER) != 0)                                   \
      CHECK(!capi_contains(req_, "\"tool_choice\":{"));                                       \
    if (want_ == NULL || strcmp(want_, REQUIRED) != 0) CHECK(!capi_contains(req_, REQUIRED)); \
    if (want_ == NULL || strcmp(want_, NONE) != 0) CHECK(!capi_contains(req_, NONE));         \
    free(req_);                                                                               \
  } while (0)

/* The runs, on a runtime whose vendor logs each request body to `requests`. */
static void run_choices(durar_runtime* rt, durar_turn* turn, const char* requests) {
  int calls = 0;
  durar_tool* weather = NULL;
  CHECK_STATUS(DURAR_OK, durar_tool_new("get_weather", "The weather in a city.",
                                        "{\"type\":\"object\",\"properties\":{\"city\":"
                                        "{\"type\":\"string\"}}}",
                                        get_weather, &calls, &weather));
  CHECK_STATUS(DURAR_OK, durar_runtime_add_tool(rt, weather));
  durar_tool_free(weather);
  /* Named: sent on the first model call; the call to the tool spends it, so the model's
   * second call (which gives the answer) is automatic again. */
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "What is the weather in Paris?"));
  CHECK_STATUS(DURAR_OK, durar_turn_set_tool_choice(turn, "named", "get_weather"));
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, NULL, NULL));
  CHECK(calls == 1);
  char* log = capi_read_file(requests);
  CHECK(capi_count(log, "\n") == 2);
  CHECK_REQUEST(log, 0, NAMED_WEATHER);
  CHECK_REQUEST(log, 1, AUTO);
  free(log);

  /* A name no tool has fails the run before any request. */
  CHECK_STATUS(DURAR_OK, durar_turn_set_tool_choice(turn, "named", "get_wether"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_run(rt, turn, NULL, NULL));
  CHECK(capi_contains(durar_runtime_error(rt), "get_wether"));
  CHECK(capi_contains(durar_turn_error(turn), "get_wether"));
  log = capi_read_file(requests);
  CHECK(capi_count(log, "\n") == 2);
  free(log);

  /* An agent takes the choice from its settings, for its runs. */
  durar_turn* settings = durar_turn_new();
  durar_agent* agent = NULL;
  CHECK_STATUS(DURAR_OK, durar_turn_set_tool_choice(settings, "required", NULL));
  CHECK_STATUS(DURAR_OK, durar_agent_new(rt, NULL, settings, &agent));
  durar_turn_free(settings);
  CHECK_STATUS(DURAR_OK, durar_turn_set_tool_choice(turn, NULL, NULL));
  if (agent != NULL) CHECK_STATUS(DURAR_OK, durar_agent_run(agent, turn, NULL, NULL));
  durar_agent_free(agent);
  CHECK(calls == 2);
  log = capi_read_file(requests);
  CHECK(capi_count(log, "\n") == 4);
  CHECK_REQUEST(log, 2, REQUIRED);
  CHECK_REQUEST(log, 3, AUTO);
  free(log);

  /* None; then back to the default. */
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "Hello"));
  CHECK_STATUS(DURAR_OK, durar_turn_set_tool_choice(turn, "none", ""));
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, NULL, NULL));
  CHECK(strcmp(durar_turn_text(turn), "First answer.") == 0);
  CHECK_STATUS(DURAR_OK, durar_turn_set_tool_choice(turn, "auto", NULL));
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, NULL, NULL));
  log = capi_read_file(requests);
  CHECK(capi_count(log, "\n") == 6);
  CHECK_REQUEST(log, 4, NONE);
  CHECK_REQUEST(log, 5, AUTO);
  free(log);
}

static void choice_reaches_the_vendor(void) {
  const char* recordings[] = {
      "agent/openai-completions/weather_call.response.sse",
      "agent/openai-completions/weather_answer.response.sse",
      "agent/openai-completions/weather_call.response.sse",
      "agent/openai-completions/weather_answer.response.sse",
      "agent/openai-completions/answer_one.response.sse",
      "agent/openai-completions/answer_one.response.sse",
  };
  capi_temp_dir dir;
  capi_vendor vendor;
  char requests[1024];
  REQUIRE(capi_temp_dir_make(&dir) == 0);
  snprintf(requests, sizeof requests, "%s/requests.log", dir.path);
  if (capi_vendor_start_logging(&vendor, recordings, 6, requests) != 0) {
    capi_temp_dir_remove(&dir);
    REQUIRE(0);
  }
  durar_runtime* rt = capi_runtime(&dir, &vendor);
  durar_turn* turn = durar_turn_new();
  CHECK(rt != NULL && turn != NULL);
  if (rt != NULL && turn != NULL) run_choices(rt, turn, requests);
  durar_turn_free(turn);
  durar_runtime_free(rt);
  capi_vendor_stop(&vendor);
  capi_temp_dir_remove(&dir);
}

static void bad_choices(void) {
  durar_turn* turn = durar_turn_new();
  REQUIRE(turn != NULL);
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_tool_choice(NULL, "none", NULL));
  CHECK(capi_contains(durar_last_error(), "NULL"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_tool_choice(turn, "sometimes", NULL));
  CHECK(capi_contains(durar_turn_error(turn), "'sometimes'"));
  CHECK(strcmp(durar_last_error(), durar_turn_error(turn)) == 0);
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_tool_choice(turn, "named", NULL));
  CHECK(capi_contains(durar_turn_error(turn), "tool_name"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_tool_choice(turn, "named", ""));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_tool_choice(turn, "required", "x"));
  CHECK(capi_contains(durar_turn_error(turn), "named only"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_tool_choice(turn, NULL, "x"));
  CHECK_STATUS(DURAR_OK, durar_turn_set_tool_choice(turn, "required", NULL));
  CHECK(strcmp(durar_turn_error(turn), "") == 0);
  durar_turn_free(turn);
}

int main(void) {
  capi_run("the turn's tool choice reaches the vendor until a tool was called",
           choice_reaches_the_vendor);
  capi_run("bad tool choices are refused with a message", bad_choices);
  return capi_result();
}
