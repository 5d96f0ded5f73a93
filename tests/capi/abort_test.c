/* Aborting a run: from the event callback (non-zero return), from another thread while a
 * tool runs, and an abort with no run in progress, which must not hit the next run. */
#define _XOPEN_SOURCE 700

#include "capi_support.h"

#include <durar.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct abort_state {
  int calls;
  int calls_after_abort;
  int aborted;
} abort_state;

/* Aborts at the first streamed update. */
static int abort_on_update(void* user_data, const char* type, const char* json, size_t len) {
  abort_state* s = (abort_state*)user_data;
  (void)json;
  (void)len;
  ++s->calls;
  if (s->aborted) ++s->calls_after_abort;
  if (strcmp(type, "message_update") == 0) {
    s->aborted = 1;
    return 1;
  }
  return 0;
}

static void abort_from_callback(void) {
  const char* recordings[] = {"agent/openai-completions/partial_text.response.sse"};
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 1) == 0);
  abort_state s;
  memset(&s, 0, sizeof s);
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(f.turn, "tell me a long story"));
  CHECK_STATUS(DURAR_CANCELLED, durar_runtime_run(f.rt, f.turn, abort_on_update, &s));
  CHECK(s.aborted == 1);
  CHECK(s.calls_after_abort == 0);
  CHECK(strcmp(durar_turn_stop(f.turn), "aborted") == 0);
  CHECK(capi_contains(durar_runtime_error(f.rt), "aborted by the event callback"));
  CHECK(strcmp(durar_turn_error(f.turn), durar_runtime_error(f.rt)) == 0);
  CHECK(capi_contains(durar_turn_result_json(f.turn), "\"code\":\"cancelled\""));

  /* The runtime runs the next turn as usual, in the same session. */
  CHECK_STATUS(DURAR_OK, durar_runtime_run(f.rt, f.turn, NULL, NULL));
  CHECK(strcmp(durar_runtime_error(f.rt), "") == 0);
  CHECK(strcmp(durar_turn_stop(f.turn), "done") == 0);
  CHECK(capi_contains(durar_turn_text(f.turn), "long story"));
  capi_fixture_stop(&f);
}

typedef struct thread_abort {
  durar_runtime* rt;
  durar_status status;
  int tool_calls;
} thread_abort;

static void* abort_thread(void* arg) {
  thread_abort* t = (thread_abort*)arg;
  t->status = durar_runtime_abort(t->rt);
  return NULL;
}

/* Aborts the run from another thread, and waits for that thread, while the tool runs. */
static durar_status aborting_tool(void* user_data, const char* args, size_t len,
                                  durar_tool_call* call) {
  thread_abort* t = (thread_abort*)user_data;
  pthread_t thread;
  (void)args;
  (void)len;
  ++t->tool_calls;
  if (pthread_create(&thread, NULL, abort_thread, t) != 0) return DURAR_INTERNAL;
  pthread_join(thread, NULL);
  durar_tool_call_write(call, "sunny", 5);
  return DURAR_OK;
}

static void abort_from_thread(void) {
  const char* recordings[] = {
      "agent/openai-completions/weather_call.response.sse",
      "agent/openai-completions/weather_answer.response.sse",
  };
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 2) == 0);
  thread_abort t;
  memset(&t, 0, sizeof t);
  t.rt = f.rt;
  durar_tool* tool = NULL;
  CHECK_STATUS(DURAR_OK, durar_tool_new("get_weather", "Weather.", NULL, aborting_tool, &t, &tool));
  CHECK_STATUS(DURAR_OK, durar_runtime_add_tool(f.rt, tool));
  durar_tool_free(tool);
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(f.turn, "weather?"));
  CHECK_STATUS(DURAR_CANCELLED, durar_runtime_run(f.rt, f.turn, NULL, NULL));
  CHECK(t.tool_calls == 1);
  CHECK(t.status == DURAR_OK);
  CHECK(strcmp(durar_turn_stop(f.turn), "aborted") == 0);
  CHECK(strcmp(durar_runtime_error(f.rt), "aborted") == 0);
  /* The tool's result was kept: it finished before the abort took effect. */
  CHECK(capi_contains(durar_turn_result_json(f.turn), "sunny"));
  capi_fixture_stop(&f);
}

static void abort_when_idle(void) {
  const char* recordings[] = {"providers/router/hello.response.sse"};
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 1) == 0);
  CHECK_STATUS(DURAR_OK, durar_runtime_abort(f.rt));
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(f.turn, "hi"));
  CHECK_STATUS(DURAR_OK, durar_runtime_run(f.rt, f.turn, NULL, NULL));
  CHECK(strcmp(durar_turn_text(f.turn), "Hello from the fake") == 0);
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_abort(NULL));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_agent_abort(NULL));
  capi_fixture_stop(&f);
}

int main(void) {
  capi_run("a non-zero return from the event callback aborts the run", abort_from_callback);
  capi_run("durar_runtime_abort from another thread aborts the run", abort_from_thread);
  capi_run("an abort with no run in progress does not hit the next run", abort_when_idle);
  return capi_result();
}
