/* A streamed turn through the C ABI: events arrive in order, the text deltas add up to the
 * final answer, and the outcome lands in the turn handle. */
#define _XOPEN_SOURCE 700

#include "capi_support.h"

#include <durar.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct events {
  int count;
  char first[64], last[64];
  char text[1024]; /* text deltas, concatenated */
  int updates;     /* message_update events */
  int canary_seen; /* the API key showed up in an event */
} events;

static int on_event(void* user_data, const char* type, const char* json, size_t len) {
  events* e = (events*)user_data;
  if (e->count++ == 0) snprintf(e->first, sizeof e->first, "%s", type);
  snprintf(e->last, sizeof e->last, "%s", type);
  if (strlen(json) != len) return 1; /* NUL-terminated at len */
  if (capi_contains(json, CAPI_CANARY_KEY)) e->canary_seen = 1;
  if (strcmp(type, "message_update") == 0) {
    ++e->updates;
    char* kind = durar_json_get(json, len, "/assistantMessageEvent/type");
    if (kind != NULL && strcmp(kind, "text_delta") == 0) {
      char* delta = durar_json_get(json, len, "/assistantMessageEvent/delta");
      if (delta != NULL) strncat(e->text, delta, sizeof e->text - strlen(e->text) - 1);
      durar_free(delta);
    }
    durar_free(kind);
  }
  return 0;
}

static void streamed_turn(void) {
  const char* recordings[] = {"providers/router/hello.response.sse"};
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 1) == 0);
  durar_runtime* rt = f.rt;
  durar_turn* turn = f.turn;
  CHECK(strcmp(durar_turn_stop(turn), "") == 0);
  CHECK(strcmp(durar_turn_result_json(turn), "{}") == 0);
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "hi"));
  events e;
  memset(&e, 0, sizeof e);
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, on_event, &e));
  CHECK(strcmp(durar_runtime_error(rt), "") == 0);
  CHECK(strcmp(e.first, "agent_start") == 0);
  CHECK(strcmp(e.last, "agent_end") == 0);
  CHECK(e.count >= 6);
  CHECK(e.updates >= 2);
  CHECK(strcmp(e.text, "Hello from the fake") == 0);
  CHECK(strcmp(durar_turn_text(turn), "Hello from the fake") == 0);
  CHECK(strcmp(durar_turn_stop(turn), "done") == 0);
  CHECK(strcmp(durar_turn_error(turn), "") == 0);
  const char* result = durar_turn_result_json(turn);
  CHECK(capi_contains(result, "\"stop\":\"done\""));
  CHECK(capi_contains(result, "\"turns\":1"));
  char* output = durar_json_get(result, strlen(result), "/usage/output");
  CHECK(output != NULL && strcmp(output, "100000") == 0);
  durar_free(output);
  CHECK(!capi_contains(result, CAPI_CANARY_KEY));
  CHECK(!e.canary_seen);

  /* Without a callback the same turn runs too (the vendor cycles its one recording). */
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, NULL, NULL));
  CHECK(strcmp(durar_turn_text(turn), "Hello from the fake") == 0);
  capi_fixture_stop(&f);
}

static void json_get(void) {
  const char* doc = "{\"a\":{\"b/c\":[1,\"two\",{\"t~x\":null}]},\"s\":\"\\u00e9\\n\"}";
  size_t len = strlen(doc);
  char* v = durar_json_get(doc, len, "/a/b~1c/1");
  CHECK(v != NULL && strcmp(v, "two") == 0);
  durar_free(v);
  v = durar_json_get(doc, len, "/a/b~1c/2/t~0x");
  CHECK(v != NULL && strcmp(v, "null") == 0);
  durar_free(v);
  v = durar_json_get(doc, len, "/a/b~1c/0");
  CHECK(v != NULL && strcmp(v, "1") == 0);
  durar_free(v);
  v = durar_json_get(doc, len, "/s");
  CHECK(v != NULL && strcmp(v, "\xc3\xa9\n") == 0);
  durar_free(v);
  v = durar_json_get(doc, len, "");
  CHECK(v != NULL && v[0] == '{');
  durar_free(v);
  CHECK(durar_json_get(doc, len, "/a/b~1c/3") == NULL);
  CHECK(durar_json_get(doc, len, "/missing") == NULL);
  CHECK(durar_json_get(doc, len, "a") == NULL);
  CHECK(durar_json_get("{oops", 5, "") == NULL);
  CHECK(capi_contains(durar_last_error(), "line 1"));
  CHECK(durar_json_get(NULL, 0, "") == NULL);
  durar_free(NULL);
}

static void version(void) {
  CHECK(strcmp(durar_version(), DURAR_TEST_VERSION) == 0);
  CHECK(strcmp(durar_status_name(DURAR_OK), "ok") == 0);
  CHECK(strcmp(durar_status_name(DURAR_NOT_FOUND), "not_found") == 0);
  CHECK(strcmp(durar_status_name(DURAR_INTERNAL), "internal") == 0);
  CHECK(strcmp(durar_status_name(DURAR_MISUSE), "misuse") == 0);
  CHECK(strcmp(durar_status_name((durar_status)55), "unknown") == 0);
}

int main(void) {
  capi_run("a streamed turn: events in order, deltas add up to the answer", streamed_turn);
  capi_run("durar_json_get reads RFC 6901 pointers", json_get);
  capi_run("version and status names", version);
  return capi_result();
}
