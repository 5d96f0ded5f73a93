/* c_host: one streamed agent turn with a host tool, through the C ABI (durar.h).
 *
 *   c_host [-m provider/model] "What is the weather in Paris?"
 *
 * The config is found as the durar command finds it (DURAR_CONFIG_PATH, else
 * $DURAR_STATE_DIR/durar.yaml, else ~/.durar/durar.yaml); the model is -m, else the config's. */
#include <durar.h>
#include <stdio.h>
#include <string.h>

/* The host tool: the model's arguments arrive as JSON, validated against the schema. */
static durar_status get_weather(void* user_data, const char* args, size_t len,
                                durar_tool_call* call) {
  char* city = durar_json_get(args, len, "/city");
  char text[256];
  (void)user_data;
  snprintf(text, sizeof text, "18 degrees C and sunny in %s.", city != NULL ? city : "?");
  durar_free(city);
  return durar_tool_call_write(call, text, strlen(text));
}

/* Prints text as it streams and each tool call; returning non-zero would abort the run. */
static int on_event(void* user_data, const char* type, const char* json, size_t len) {
  (void)user_data;
  if (strcmp(type, "message_update") == 0) {
    char* kind = durar_json_get(json, len, "/assistantMessageEvent/type");
    if (kind != NULL && strcmp(kind, "text_delta") == 0) {
      char* delta = durar_json_get(json, len, "/assistantMessageEvent/delta");
      printf("%s", delta != NULL ? delta : "");
      durar_free(delta);
    }
    durar_free(kind);
  } else if (strcmp(type, "tool_execution_start") == 0) {
    char* name = durar_json_get(json, len, "/toolName");
    printf("[tool call: %s]\n", name != NULL ? name : "?");
    durar_free(name);
  }
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  const char *model = NULL, *question = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
      model = argv[++i];
    else
      question = argv[i];
  }
  if (question == NULL) {
    fprintf(stderr, "usage: c_host [-m provider/model] QUESTION\n");
    return 2;
  }

  durar_config* cfg = durar_config_new();
  durar_runtime* rt = NULL;
  if (durar_runtime_new(cfg, &rt) != DURAR_OK) {
    fprintf(stderr, "c_host: %s\n", durar_config_error(cfg));
    durar_config_free(cfg);
    return 1;
  }
  durar_config_free(cfg);

  durar_tool* weather = NULL;
  durar_tool_new("get_weather", "The current weather in a city.",
                 "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                 "\"required\":[\"city\"]}",
                 get_weather, NULL, &weather);
  durar_runtime_add_tool(rt, weather);
  durar_tool_free(weather);

  durar_turn* turn = durar_turn_new();
  durar_turn_set_message(turn, question);
  durar_turn_set_model(turn, model);
  durar_turn_set_session(turn, "c_host");
  durar_status st = durar_runtime_run(rt, turn, on_event, NULL);
  printf("\n");
  if (st != DURAR_OK)
    fprintf(stderr, "c_host: %s: %s\n", durar_status_name(st), durar_runtime_error(rt));
  durar_turn_free(turn);
  durar_runtime_free(rt);
  return st == DURAR_OK ? 0 : 1;
}
