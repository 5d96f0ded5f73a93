/* Sessions: a conversation stored by one runtime is resumed by another (as by a new
 * process), through a session handle and an agent; an agent without a session remembers in
 * memory. */
#define _XOPEN_SOURCE 700

#include "capi_support.h"

#include <durar.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int roles(const char* messages_json) { return capi_count(messages_json, "\"role\":"); }

static void resume(void) {
  const char* recordings[] = {
      "providers/router/hello.response.sse",
      "agent/openai-completions/weather_answer.response.sse",
      "agent/openai-completions/final_text.response.sse",
  };
  capi_temp_dir dir;
  capi_vendor vendor;
  REQUIRE(capi_temp_dir_make(&dir) == 0);
  if (capi_vendor_start(&vendor, recordings, 3) != 0) {
    capi_temp_dir_remove(&dir);
    REQUIRE(0);
  }
  durar_turn* turn = durar_turn_new();

  /* The first runtime answers a turn in session "work" and goes away. */
  durar_runtime* first = capi_runtime(&dir, &vendor);
  if (first != NULL && turn != NULL) {
    CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "first question"));
    CHECK_STATUS(DURAR_OK, durar_turn_set_session(turn, "work"));
    CHECK_STATUS(DURAR_OK, durar_runtime_run(first, turn, NULL, NULL));
    CHECK(strcmp(durar_turn_text(turn), "Hello from the fake") == 0);
  }
  durar_runtime_free(first);

  /* A second runtime on the same files opens the session: the first exchange is there. */
  durar_runtime* rt = capi_runtime(&dir, &vendor);
  durar_session* s = NULL;
  durar_agent* a = NULL;
  if (rt != NULL && turn != NULL) {
    CHECK_STATUS(DURAR_OK, durar_session_open(rt, NULL, "work", &s));
  }
  if (s != NULL) {
    CHECK(strcmp(durar_session_key(s), "agent:main:work") == 0);
    CHECK(strlen(durar_session_id(s)) > 0);
    CHECK(capi_contains(durar_session_path(s), durar_session_id(s)));
    CHECK(access(durar_session_path(s), R_OK) == 0);
    const char* messages = durar_session_messages_json(s);
    CHECK(roles(messages) == 2);
    CHECK(capi_contains(messages, "first question"));
    CHECK(capi_contains(messages, "Hello from the fake"));

    /* An agent on it sees the stored transcript as its context, and adds to it. */
    CHECK_STATUS(DURAR_OK, durar_agent_new(rt, s, NULL, &a));
  }
  if (a != NULL) {
    const char* context = durar_agent_context_json(a);
    CHECK(roles(context) == 2);
    CHECK(capi_contains(context, "first question"));
    CHECK_STATUS(DURAR_NOT_FOUND, durar_agent_set_model(a, "nosuch/model"));
    CHECK(capi_contains(durar_agent_error(a), "nosuch"));
    CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "second question"));
    CHECK_STATUS(DURAR_OK, durar_agent_run(a, turn, NULL, NULL));
    CHECK(strcmp(durar_agent_error(a), "") == 0);
    CHECK(strcmp(durar_turn_text(turn),
                 "It is 18\xc2\xb0"
                 "C and sunny in Paris.") == 0);
    CHECK(roles(durar_agent_context_json(a)) == 4);
    const char* messages = durar_session_messages_json(s);
    CHECK(roles(messages) == 4);
    CHECK(capi_contains(messages, "first question"));
    CHECK(capi_contains(messages, "second question"));

    /* The session handle may go first: the agent keeps it open while it lives. */
    durar_session_free(s);
    s = NULL;
    CHECK(roles(durar_agent_context_json(a)) == 4);
    durar_agent_free(a);
    a = NULL;

    /* Closed, the session takes a runtime turn again, which sees all of it. */
    CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "third question"));
    CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, NULL, NULL));
    CHECK_STATUS(DURAR_OK, durar_session_open(rt, NULL, "agent:main:work", &s));
    CHECK(roles(durar_session_messages_json(s)) == 6);
  }
  durar_agent_free(a);
  durar_session_free(s);
  durar_runtime_free(rt);
  durar_turn_free(turn);
  capi_vendor_stop(&vendor);
  capi_temp_dir_remove(&dir);
}

static void in_memory(void) {
  const char* recordings[] = {"providers/router/hello.response.sse"};
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 1) == 0);
  durar_agent* a = NULL;
  durar_turn* settings = durar_turn_new();
  CHECK_STATUS(DURAR_OK, durar_turn_set_model(settings, "fake/m1"));
  CHECK_STATUS(DURAR_OK, durar_agent_new(f.rt, NULL, settings, &a));
  durar_turn_free(settings);
  /* The runtime may go first too: the agent keeps what it needs. */
  durar_runtime_free(f.rt);
  f.rt = NULL;
  if (a != NULL) {
    CHECK(strcmp(durar_agent_context_json(a), "[]") == 0);
    CHECK_STATUS(DURAR_OK, durar_turn_set_message(f.turn, "one"));
    CHECK_STATUS(DURAR_OK, durar_agent_run(a, f.turn, NULL, NULL));
    CHECK_STATUS(DURAR_OK, durar_turn_set_message(f.turn, "two"));
    CHECK_STATUS(DURAR_OK, durar_agent_run(a, f.turn, NULL, NULL));
    const char* context = durar_agent_context_json(a);
    CHECK(roles(context) == 4);
    CHECK(capi_contains(context, "\"one\""));
    CHECK(capi_contains(context, "\"two\""));
  }
  durar_agent_free(a);
  capi_fixture_stop(&f);
}

static void wrong_agent(void) {
  const char* recordings[] = {"providers/router/hello.response.sse"};
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 1) == 0);
  durar_runtime* other = capi_runtime(&f.dir, &f.vendor);
  durar_session* s = NULL;
  if (other != NULL) {
    CHECK_STATUS(DURAR_OK, durar_session_open(f.rt, NULL, "mine", &s));
    durar_agent* a = NULL;
    CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_agent_new(other, s, NULL, &a));
    CHECK(a == NULL);
    CHECK(capi_contains(durar_runtime_error(other), "another runtime"));
    CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_agent_new(f.rt, s, NULL, NULL));
  }
  durar_session_free(s);
  durar_runtime_free(other);
  capi_fixture_stop(&f);
}

int main(void) {
  capi_run("a stored session is resumed by a new runtime, through an agent", resume);
  capi_run("an agent without a session remembers in memory", in_memory);
  capi_run("an agent refuses a session of another runtime", wrong_agent);
  return capi_result();
}
