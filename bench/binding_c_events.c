/* The C side of bench/binding_overhead.py: the same streamed turns as binding_cpp_events,
 * through durar.h, counting text deltas in a durar_event_fn.
 *
 *   binding_c_events [--runs N] [--warmup N] [--message TEXT] [--json-get]
 *
 * How the callback recognises a text delta: by default it compares the event type and looks
 * for the marker "assistantMessageEvent":{"type":"text_delta" in the event's JSON with
 * strstr (the cheapest way a C host without a JSON parser has; the marker cannot occur inside
 * a string value, where quotes are escaped). --json-get reads the type with durar_json_get,
 * as docs/c-api.md's example does, which parses each event's JSON again.
 *
 * The config and state dir come from the environment (DURAR_CONFIG_PATH, DURAR_STATE_DIR).
 * Prints one JSON line: {"variant":"c","events":[...],"seconds":[...]}. */
#define _POSIX_C_SOURCE 200809L

#include <durar.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 1000

static const char kMarker[] = "\"assistantMessageEvent\":{\"type\":\"text_delta\"";

struct counter {
  long long deltas;
  int json_get;
};

static int on_event(void* user_data, const char* type, const char* json, size_t len) {
  struct counter* c = (struct counter*)user_data;
  if (strcmp(type, "message_update") != 0) return 0;
  if (c->json_get) {
    char* kind = durar_json_get(json, len, "/assistantMessageEvent/type");
    if (kind != NULL && strcmp(kind, "text_delta") == 0) ++c->deltas;
    durar_free(kind);
  } else if (strstr(json, kMarker) != NULL) {
    ++c->deltas;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  int runs = 5, warmup = 1, json_get = 0, i;
  const char* text = "Stream a long answer.";
  long long counts[MAX_RUNS];
  double seconds[MAX_RUNS];
  durar_config* cfg;
  durar_runtime* rt = NULL;
  durar_turn* turn;
  int failed = 0;

  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--json-get") == 0) {
      json_get = 1;
    } else if (i + 1 < argc && strcmp(argv[i], "--runs") == 0) {
      runs = atoi(argv[++i]);
    } else if (i + 1 < argc && strcmp(argv[i], "--warmup") == 0) {
      warmup = atoi(argv[++i]);
    } else if (i + 1 < argc && strcmp(argv[i], "--message") == 0) {
      text = argv[++i];
    }
  }
  if (runs < 1) runs = 1;
  if (runs > MAX_RUNS) runs = MAX_RUNS;
  if (warmup < 0) warmup = 0;

  cfg = durar_config_new();
  if (cfg == NULL || durar_runtime_new(cfg, &rt) != DURAR_OK) {
    fprintf(stderr, "binding_c_events: %s\n", cfg ? durar_config_error(cfg) : "no memory");
    durar_config_free(cfg);
    return 1;
  }
  durar_config_free(cfg);
  turn = durar_turn_new();
  if (turn == NULL || durar_turn_set_message(turn, text) != DURAR_OK) {
    fprintf(stderr, "binding_c_events: %s\n", durar_last_error());
    durar_runtime_free(rt);
    return 1;
  }

  for (i = 0; i < warmup + runs && !failed; ++i) {
    /* A fresh session per run, opened before the clock starts (see binding_cpp_events). */
    char key[32];
    durar_session* s = NULL;
    durar_agent* agent = NULL;
    struct counter c;
    durar_status st;
    double t0, t1;
    snprintf(key, sizeof key, "bench-%d", i);
    if (durar_session_open(rt, NULL, key, &s) != DURAR_OK ||
        durar_agent_new(rt, s, NULL, &agent) != DURAR_OK) {
      fprintf(stderr, "binding_c_events: %s\n", durar_runtime_error(rt));
      durar_session_free(s);
      failed = 1;
      break;
    }
    c.deltas = 0;
    c.json_get = json_get;
    t0 = now_s();
    st = durar_agent_run(agent, turn, on_event, &c);
    t1 = now_s();
    if (st != DURAR_OK) {
      fprintf(stderr, "binding_c_events: the run failed: %s: %s\n", durar_status_name(st),
              durar_agent_error(agent));
      failed = 1;
    } else if (i >= warmup) {
      counts[i - warmup] = c.deltas;
      seconds[i - warmup] = t1 - t0;
    }
    durar_agent_free(agent);
    durar_session_free(s);
  }
  durar_turn_free(turn);
  durar_runtime_free(rt);
  if (failed) return 1;

  printf("{\"variant\":\"%s\",\"events\":[", json_get ? "c_json_get" : "c");
  for (i = 0; i < runs; ++i) printf("%s%lld", i ? "," : "", counts[i]);
  printf("],\"seconds\":[");
  for (i = 0; i < runs; ++i) printf("%s%.6f", i ? "," : "", seconds[i]);
  printf("]}\n");
  return 0;
}
