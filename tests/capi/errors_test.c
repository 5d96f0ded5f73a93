/* Error paths: NULL handles and arguments, a bad config file, unknown models and agents, a
 * vendor that fails, nested runs, a locked session. Every failure is a status plus a message
 * on the handle and in durar_last_error(), never a crash. */
#define _XOPEN_SOURCE 700

#include "capi_support.h"

#include <durar.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void null_frees_and_arguments(void) {
  durar_config_free(NULL);
  durar_runtime_free(NULL);
  durar_turn_free(NULL);
  durar_session_free(NULL);
  durar_agent_free(NULL);
  durar_tool_free(NULL);
  durar_free(NULL);

  durar_turn* turn = durar_turn_new();
  durar_config* cfg = durar_config_new();
  REQUIRE(turn != NULL && cfg != NULL);
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_run(NULL, turn, NULL, NULL));
  CHECK(capi_contains(durar_last_error(), "NULL"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_agent_run(NULL, turn, NULL, NULL));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_add_tool(NULL, NULL));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_config_set_path(NULL, "x"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_config_load(NULL));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_message(NULL, "x"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_agent_set_model(NULL, "x"));
  CHECK(durar_session_messages_json(NULL) == NULL);
  CHECK(durar_agent_context_json(NULL) == NULL);
  CHECK(durar_session_key(NULL) == NULL);
  CHECK(capi_contains(durar_runtime_error(NULL), "NULL"));
  CHECK(capi_contains(durar_config_error(NULL), "NULL"));

  durar_runtime* rt = (durar_runtime*)&rt;
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_new(NULL, &rt));
  CHECK(rt == NULL);
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_new(cfg, NULL));
  CHECK(capi_contains(durar_config_error(cfg), "out is NULL"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_session_open(NULL, NULL, NULL, NULL));

  /* Bad values are refused and named, on the handle and the thread. */
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_message(turn, NULL));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_message(turn, ""));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_thinking(turn, "lots"));
  CHECK(capi_contains(durar_turn_error(turn), "'lots'"));
  CHECK(strcmp(durar_last_error(), durar_turn_error(turn)) == 0);
  CHECK_STATUS(DURAR_OK, durar_turn_set_thinking(turn, "low"));
  CHECK(strcmp(durar_turn_error(turn), "") == 0); /* success clears the handle's message */
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_max_tokens(turn, -1));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_turn_set_temperature(turn, 3.0));
  CHECK_STATUS(DURAR_OK, durar_turn_set_temperature(turn, -1.0));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_config_set_env(cfg, "", "x"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_config_set_env(cfg, "A=B", "x"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_config_set_env(cfg, NULL, "x"));
  CHECK(durar_config_file(cfg) == NULL); /* not loaded yet */
  durar_config_free(cfg);
  durar_turn_free(turn);
}

static void bad_config_file(void) {
  capi_temp_dir dir;
  char path[1024], state[1024];
  REQUIRE(capi_temp_dir_make(&dir) == 0);
  CHECK(capi_write_file(&dir, "broken.yaml", "agents:\n  defaults:\n    modle: x\n", path,
                        sizeof path) == 0);
  snprintf(state, sizeof state, "%s/state", dir.path);
  durar_config* cfg = durar_config_new();
  CHECK_STATUS(DURAR_OK, durar_config_set_path(cfg, path));
  CHECK_STATUS(DURAR_OK, durar_config_set_state_dir(cfg, state));
  durar_runtime* rt = NULL;
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_new(cfg, &rt));
  CHECK(rt == NULL);
  CHECK(capi_contains(durar_config_error(cfg), path));
  CHECK(capi_contains(durar_config_error(cfg), "modle"));
  CHECK(capi_contains(durar_last_error(), path));

  /* Unparseable YAML names the file too. */
  CHECK(capi_write_file(&dir, "broken.yaml", "agents: [oops\n", path, sizeof path) == 0);
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_config_load(cfg));
  CHECK(capi_contains(durar_config_error(cfg), path));

  /* Fixed, it loads; the redacted document and the paths are readable. */
  CHECK(capi_write_file(&dir, "broken.yaml",
                        "models:\n  providers:\n    fake:\n      baseUrl: http://127.0.0.1:9/v1\n"
                        "      apiKey: sk-secret-in-file\n      models: [{ id: m1 }]\n",
                        path, sizeof path) == 0);
  CHECK_STATUS(DURAR_OK, durar_config_load(cfg));
  CHECK(strcmp(durar_config_error(cfg), "") == 0);
  CHECK(durar_config_file(cfg) != NULL && strcmp(durar_config_file(cfg), path) == 0);
  CHECK(durar_config_state_dir(cfg) != NULL && strcmp(durar_config_state_dir(cfg), state) == 0);
  CHECK(capi_contains(durar_config_json(cfg), "baseUrl"));
  CHECK(!capi_contains(durar_config_json(cfg), "sk-secret-in-file"));
  /* ${VAR} comes from the overrides over the process environment; NULL hides a variable. */
  CHECK(capi_write_file(&dir, "broken.yaml",
                        "models:\n  providers:\n    fake:\n      baseUrl: ${CAPI_BASE}/v1\n"
                        "      models: [{ id: m1 }]\n",
                        path, sizeof path) == 0);
  CHECK_STATUS(DURAR_OK, durar_config_set_env(cfg, "CAPI_BASE", "http://127.0.0.1:7"));
  CHECK_STATUS(DURAR_OK, durar_config_load(cfg));
  CHECK(capi_contains(durar_config_json(cfg), "http://127.0.0.1:7/v1"));
  CHECK_STATUS(DURAR_OK, durar_config_set_env(cfg, "CAPI_BASE", NULL));
  CHECK(durar_config_load(cfg) != DURAR_OK);
  CHECK(capi_contains(durar_config_error(cfg), "CAPI_BASE"));
  CHECK_STATUS(DURAR_OK, durar_config_set_env(cfg, "CAPI_BASE", "http://127.0.0.1:7"));
  CHECK_STATUS(DURAR_OK, durar_config_inherit_env(cfg, 0));
  CHECK_STATUS(DURAR_OK, durar_config_load(cfg));

  /* A setter makes the next runtime read the file again. */
  CHECK_STATUS(DURAR_OK, durar_config_set_model(cfg, "fake/m1"));
  CHECK(durar_config_json(cfg) == NULL);
  durar_config_free(cfg);
  capi_temp_dir_remove(&dir);
}

typedef struct nested {
  durar_runtime* rt;
  durar_turn* inner;
  durar_status inner_status;
  int tried;
} nested;

static int run_inside(void* user_data, const char* type, const char* json, size_t len) {
  nested* n = (nested*)user_data;
  (void)json;
  (void)len;
  if (!n->tried && strcmp(type, "agent_start") == 0) {
    n->tried = 1;
    n->inner_status = durar_runtime_run(n->rt, n->inner, NULL, NULL);
  }
  return 0;
}

static void run_failures(void) {
  const char* recordings[] = {"providers/router/hello.response.sse"};
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 1) == 0);
  durar_runtime* rt = f.rt;
  durar_turn* turn = f.turn;
  /* No message. */
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_run(rt, turn, NULL, NULL));
  CHECK(capi_contains(durar_runtime_error(rt), "durar_turn_set_message"));
  CHECK_STATUS(DURAR_INVALID_ARGUMENT, durar_runtime_run(rt, NULL, NULL, NULL));
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "hi"));

  /* An unknown model, before anything reaches the vendor or the transcript. */
  CHECK_STATUS(DURAR_OK, durar_turn_set_model(turn, "nosuch/nope"));
  durar_status st = durar_runtime_run(rt, turn, NULL, NULL);
  CHECK(st == DURAR_NOT_FOUND);
  CHECK(capi_contains(durar_runtime_error(rt), "unknown provider 'nosuch'"));
  CHECK(capi_contains(durar_turn_error(turn), "nope"));
  CHECK(strcmp(durar_turn_stop(turn), "error") == 0);
  CHECK(capi_contains(durar_turn_result_json(turn), "\"code\":\"not_found\""));
  CHECK_STATUS(DURAR_OK, durar_turn_set_model(turn, NULL));

  /* An unknown agent, with a suggestion or the list. */
  CHECK_STATUS(DURAR_OK, durar_turn_set_agent(turn, "nobody"));
  CHECK_STATUS(DURAR_NOT_FOUND, durar_runtime_run(rt, turn, NULL, NULL));
  CHECK(capi_contains(durar_runtime_error(rt), "unknown agent 'nobody'"));
  durar_session* s = NULL;
  CHECK_STATUS(DURAR_NOT_FOUND, durar_session_open(rt, "nobody", NULL, &s));
  CHECK(s == NULL);
  durar_agent* a = NULL;
  CHECK_STATUS(DURAR_NOT_FOUND, durar_agent_new(rt, NULL, turn, &a));
  CHECK(a == NULL);
  CHECK_STATUS(DURAR_OK, durar_turn_set_agent(turn, NULL));

  /* A run inside a run's callback is refused; the outer run goes on. */
  nested n;
  memset(&n, 0, sizeof n);
  n.rt = rt;
  n.inner = durar_turn_new();
  durar_turn_set_message(n.inner, "inner");
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, run_inside, &n));
  CHECK(n.tried && n.inner_status == DURAR_MISUSE);
  CHECK(strcmp(durar_turn_text(turn), "Hello from the fake") == 0);
  durar_turn_free(n.inner);

  /* A session held open by a handle is locked against a turn in it. */
  CHECK_STATUS(DURAR_OK, durar_session_open(rt, NULL, "held", &s));
  CHECK_STATUS(DURAR_OK, durar_turn_set_session(turn, "held"));
  CHECK_STATUS(DURAR_UNAVAILABLE, durar_runtime_run(rt, turn, NULL, NULL));
  CHECK(strcmp(durar_runtime_error(rt), "") != 0);
  durar_session* again = NULL;
  CHECK_STATUS(DURAR_UNAVAILABLE, durar_session_open(rt, NULL, "held", &again));
  durar_session_free(s);
  CHECK_STATUS(DURAR_OK, durar_runtime_run(rt, turn, NULL, NULL));
  capi_fixture_stop(&f);
}

static void vendor_failure(void) {
  /* The vendor answers only /nothing-here: the chat request gets its 404. */
  const char* recordings[] = {"/nothing-here=providers/router/hello.response.sse"};
  capi_fixture f;
  REQUIRE(capi_fixture_start(&f, recordings, 1) == 0);
  durar_runtime* rt = f.rt;
  durar_turn* turn = f.turn;
  CHECK_STATUS(DURAR_OK, durar_turn_set_message(turn, "hi"));
  durar_status st = durar_runtime_run(rt, turn, NULL, NULL);
  CHECK(st == DURAR_NOT_FOUND); /* the vendor's 404 */
  CHECK(capi_contains(durar_runtime_error(rt), "no recording for this path"));
  CHECK(!capi_contains(durar_runtime_error(rt), CAPI_CANARY_KEY));
  CHECK(strcmp(durar_turn_stop(turn), "error") == 0);
  CHECK(capi_contains(durar_turn_result_json(turn), "\"stopReason\":\"error\""));
  capi_fixture_stop(&f);
}

int main(void) {
  capi_run("NULL frees are no-ops; NULL and bad arguments are refused", null_frees_and_arguments);
  capi_run("a bad config file is a status and a message naming the file", bad_config_file);
  capi_run("unknown model and agent, nested runs, locked sessions", run_failures);
  capi_run("a vendor failure is a status and a message", vendor_failure);
  return capi_result();
}
