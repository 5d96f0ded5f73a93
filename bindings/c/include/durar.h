/*
 * durar.h: the C ABI of libdurar (C99). Link durar::durar_c.
 *
 * Handles are opaque. Each object has durar_<object>_new (or _open) and durar_<object>_free;
 * freeing NULL does nothing. Handles made from a runtime (sessions, agents) keep what they
 * need alive, so handles may be freed in any order.
 *
 * Errors: functions that can fail return a durar_status. The message of a failure is kept
 * on the handle the call acted on (its first argument; a constructor's on the handle it was
 * made from) and read with durar_<object>_error(handle): "" after a call that succeeded,
 * valid until the next call that is not a getter on that handle. durar_last_error() holds
 * the message of the last failed call on the calling thread, whatever its handle, including
 * calls that have no handle to keep it (a NULL handle, durar_tool_new).
 *
 * Threading: a runtime and every handle made from it (sessions, agents) form a family that
 * is used from one thread at a time; any thread, but not two at once. Different families are
 * independent. durar_runtime_abort() and durar_agent_abort() are the exception: any thread
 * may call them while the handle is alive. durar_config, durar_turn and durar_tool handles
 * belong to no family and follow the same one-thread-at-a-time rule each.
 *
 * Callbacks (events, tools) run on the thread that called durar_runtime_run or
 * durar_agent_run, inside that call. They must not longjmp or throw, must not free the
 * handles of the family, and must not start another run in it (DURAR_MISUSE); they may
 * call getters and the abort functions.
 *
 * Strings are UTF-8 and NUL-terminated. Strings returned by getters belong to the handle.
 *
 * Since 0.1.0 unless noted.
 */
#ifndef DURAR_H
#define DURAR_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(DURAR_C_STATIC)
#if defined(DURAR_C_BUILDING)
#define DURAR_C_API __declspec(dllexport)
#else
#define DURAR_C_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define DURAR_C_API __attribute__((visibility("default")))
#else
#define DURAR_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status, errors, version ---------------------------------------------------------- */

/* Values 0-12 are durar::errc's and never change; the C ABI adds its own from 100. */
typedef enum durar_status {
  DURAR_OK = 0,
  DURAR_CANCELLED = 1,          /* the run was aborted (callback, durar_*_abort) */
  DURAR_DEADLINE_EXCEEDED = 2,  /* connect, idle or total timeout */
  DURAR_UNAUTHENTICATED = 3,    /* 401, missing or wrong key */
  DURAR_PERMISSION_DENIED = 4,  /* 403; policy refused */
  DURAR_RESOURCE_EXHAUSTED = 5, /* 429, quota, rate limit */
  DURAR_INVALID_ARGUMENT = 6,   /* bad input: NULL, bad JSON, bad config */
  DURAR_CONTEXT_OVERFLOW = 7,   /* prompt too long for the model */
  DURAR_NOT_FOUND = 8,          /* unknown model, agent, file, session */
  DURAR_UNAVAILABLE = 9,        /* 5xx, connection refused or reset; session locked */
  DURAR_PROTOCOL_ERROR = 10,    /* the vendor broke its wire format */
  DURAR_TOOL_FAILED = 11,       /* a tool handler reported failure */
  DURAR_INTERNAL = 12,          /* a bug in Durar */
  DURAR_NO_MEMORY = 100,        /* an allocation failed */
  DURAR_MISUSE = 101,           /* called in the wrong state: a run inside a run */
  DURAR_STOPPED = 102           /* the run ended without an answer: max_turns or
                                   loop_detected (see durar_turn_stop) */
} durar_status;

/* "ok", "not_found", "no_memory", ...; "unknown" for other values. Static storage. */
DURAR_C_API const char* durar_status_name(durar_status status);

/* The message of the last failed call on this thread; "" when none. Valid until the next
 * failed call on this thread. */
DURAR_C_API const char* durar_last_error(void);

/* The version of the linked library, "0.1.0". Static storage. */
DURAR_C_API const char* durar_version(void);

/* Frees memory the library allocated for the caller (durar_json_get). NULL is a no-op. */
DURAR_C_API void durar_free(void* p);

/* The value at an RFC 6901 JSON pointer ("/assistantMessageEvent/delta", "" for the whole
 * document) in `json` (`len` bytes): a string value unquoted, anything else as compact JSON.
 * NULL when `json` does not parse or nothing is there. Free the result with durar_free(). For
 * hosts without a JSON parser; any thread. */
DURAR_C_API char* durar_json_get(const char* json, size_t len, const char* pointer);

/* ---- handles --------------------------------------------------------------------------- */

typedef struct durar_config durar_config;       /* where the config is and how to load it */
typedef struct durar_runtime durar_runtime;     /* config, models, sessions and tools, running */
typedef struct durar_turn durar_turn;           /* one turn's input and, after a run, outcome */
typedef struct durar_session durar_session;     /* a conversation, open for writing */
typedef struct durar_agent durar_agent;         /* an agent bound to a session or to memory */
typedef struct durar_tool durar_tool;           /* a host tool: definition and callback */
typedef struct durar_tool_call durar_tool_call; /* one call of a host tool, in its callback */

/* Streaming: every agent event of a run, in order. `event_type` is the event's name
 * ("agent_start", "message_update", "tool_execution_end", "agent_end", ...); `json` (`len`
 * bytes, NUL-terminated) is the event as `durar agent --json` prints it; message_update
 * carries {"assistantMessageEvent": {"type": "text_delta", "delta": "..."}, ...}. Both are
 * valid during the call only. Return 0 to go on, non-zero to abort the run: the callback is
 * then not called again for this run, and the run returns DURAR_CANCELLED. */
typedef int (*durar_event_fn)(void* user_data, const char* event_type, const char* json,
                              size_t len);

/* ---- config ---------------------------------------------------------------------------- */

/* Defaults: the config file and state dir are found as the CLI finds them (DURAR_CONFIG_PATH,
 * DURAR_STATE_DIR, ~/.durar/durar.yaml), with the process environment. NULL when out of
 * memory. */
DURAR_C_API durar_config* durar_config_new(void);
DURAR_C_API void durar_config_free(durar_config* cfg);
DURAR_C_API const char* durar_config_error(const durar_config* cfg);

/* Setters copy their strings; NULL or "" restores the default. They change what the next
 * durar_config_load or durar_runtime_new reads; runtimes made already keep their config. */
/* The config file (YAML, JSON or JSON5), as `durar --config`. A missing file is an empty
 * config. */
DURAR_C_API durar_status durar_config_set_path(durar_config* cfg, const char* path);
/* Where sessions and credentials live, as DURAR_STATE_DIR. */
DURAR_C_API durar_status durar_config_set_state_dir(durar_config* cfg, const char* dir);
/* A named profile (~/.durar-<name>), as `durar --profile`. */
DURAR_C_API durar_status durar_config_set_profile(durar_config* cfg, const char* name);
/* Where ./.env is looked up; default the current directory. */
DURAR_C_API durar_status durar_config_set_working_dir(durar_config* cfg, const char* dir);
/* An environment variable the config sees (${VAR}, API keys such as OPENAI_API_KEY) over the
 * process's; `value` NULL hides the variable, the process's included. `name`: non-empty, no
 * '='. */
DURAR_C_API durar_status durar_config_set_env(durar_config* cfg, const char* name,
                                              const char* value);
/* 0: start from an empty environment instead of the process's (HOME then has to come from
 * durar_config_set_env, or the state dir and config path be set). Default 1. */
DURAR_C_API durar_status durar_config_inherit_env(durar_config* cfg, int inherit);
/* Overrides agents.defaults.model.primary ("provider/model" or an alias). */
DURAR_C_API durar_status durar_config_set_model(durar_config* cfg, const char* model);
/* Overrides agents.defaults.workspace, the default agent's working directory. */
DURAR_C_API durar_status durar_config_set_workspace(durar_config* cfg, const char* dir);

/* Reads and validates the config now. DURAR_INVALID_ARGUMENT when the file is invalid: the
 * message names the file, one "file:line:column: error: key: what" per problem. Optional:
 * durar_runtime_new loads a config that is not loaded yet. */
DURAR_C_API durar_status durar_config_load(durar_config* cfg);
/* After a load: the config file's resolved path, and the state dir. NULL before. */
DURAR_C_API const char* durar_config_file(const durar_config* cfg);
DURAR_C_API const char* durar_config_state_dir(const durar_config* cfg);
/* After a load: the file's content as JSON with secrets replaced by "***". NULL before. */
DURAR_C_API const char* durar_config_json(const durar_config* cfg);

/* ---- runtime --------------------------------------------------------------------------- */

/* A runtime from `cfg` (loaded now if it is not loaded yet). On failure *out is NULL and the
 * message is on `cfg`. The runtime copies what it needs: `cfg` may be freed afterwards. */
DURAR_C_API durar_status durar_runtime_new(durar_config* cfg, durar_runtime** out);
/* Frees the runtime; sessions and agents made from it stay usable until freed. Not from
 * inside one of the family's callbacks. Freeing the family's last handle lets network work
 * still in flight (a response's last bytes) finish first, waiting at most 2 seconds. */
DURAR_C_API void durar_runtime_free(durar_runtime* rt);
DURAR_C_API const char* durar_runtime_error(const durar_runtime* rt);

/* Runs one turn end to end, blocking: opens the turn's session (creating it), builds the
 * agent, streams every event to `on_event` (may be NULL), runs tool calls, appends every
 * message to the transcript, and stores the outcome in `turn`. DURAR_OK when the model gave
 * its answer (durar_turn_text); else the failure's status (DURAR_CANCELLED when aborted,
 * DURAR_STOPPED for max_turns or a loop), with the message on `rt` and in the turn. A
 * session open as a durar_session is locked: a turn in it fails with DURAR_UNAVAILABLE. */
DURAR_C_API durar_status durar_runtime_run(durar_runtime* rt, durar_turn* turn,
                                           durar_event_fn on_event, void* user_data);
/* Aborts the run in progress on the runtime's family, if any; the run then returns
 * DURAR_CANCELLED, keeping what was said so far. Any thread, while `rt` is alive. */
DURAR_C_API durar_status durar_runtime_abort(durar_runtime* rt);

/* Adds a host tool for every agent of the runtime (turns and agents made after this call),
 * subject to the config's tool policy. The runtime copies the definition: `tool` may be freed
 * afterwards; its user_data must stay valid while the family lives. DURAR_INVALID_ARGUMENT
 * when a tool of that name exists already. */
DURAR_C_API durar_status durar_runtime_add_tool(durar_runtime* rt, const durar_tool* tool);

/* ---- turn: input and outcome ----------------------------------------------------------- */

/* An empty turn: the default agent, its main session, the configured model. NULL when out of
 * memory. A turn may be run again (with a new message); each run replaces the outcome. */
DURAR_C_API durar_turn* durar_turn_new(void);
DURAR_C_API void durar_turn_free(durar_turn* turn);
/* The failure of the turn's last run, or of its last setter; "" when none. */
DURAR_C_API const char* durar_turn_error(const durar_turn* turn);

/* Setters copy their strings. */
/* What the user says. Required before a run. */
DURAR_C_API durar_status durar_turn_set_message(durar_turn* turn, const char* text);
/* The agent id; NULL or "" = the default agent. */
DURAR_C_API durar_status durar_turn_set_agent(durar_turn* turn, const char* agent_id);
/* The session: NULL or "" = the agent's main session, "work" = agent:<id>:work, a key with
 * ':' as given. */
DURAR_C_API durar_status durar_turn_set_session(durar_turn* turn, const char* key);
/* A model for this turn ("provider/model" or alias); NULL or "" = the session's or agent's. */
DURAR_C_API durar_status durar_turn_set_model(durar_turn* turn, const char* model);
/* "off", "minimal", "low", "medium", "high", "xhigh"; NULL = the default. */
DURAR_C_API durar_status durar_turn_set_thinking(durar_turn* turn, const char* level);
/* Output tokens per model call, >= 1; 0 = the model's default. */
DURAR_C_API durar_status durar_turn_set_max_tokens(durar_turn* turn, int64_t max_tokens);
/* Sampling temperature, 0 to 2; a negative value = the model's default. */
DURAR_C_API durar_status durar_turn_set_temperature(durar_turn* turn, double temperature);
/* Whether the model may, must or must not call a tool, sent to the vendor as its own field
 * (tool_choice; Google's toolConfig): `choice` "auto" (or NULL: the default, the model
 * decides), "none" (no calls), "required" (at least one call, to any of the agent's tools)
 * or "named" (a call to the tool `tool_name`, required then; NULL or "" otherwise). A
 * forced choice (required, named) holds until a model call of the run has called a tool; the
 * run's later calls are automatic, so the model can give its answer. Ollama has no such
 * field, and Anthropic takes no forced choice with extended thinking on: there it is not sent.
 * A name no tool of the agent has, or required without tools, fails the run at its start with
 * DURAR_INVALID_ARGUMENT. In durar_agent_new's settings: the agent's choice for every run. */
DURAR_C_API durar_status durar_turn_set_tool_choice(durar_turn* turn, const char* choice,
                                                    const char* tool_name);

/* The outcome of the last run; valid until the next run with this turn or its free. */
/* The final answer's text; "" before a run or when there was none. */
DURAR_C_API const char* durar_turn_text(const durar_turn* turn);
/* Why the run ended: "done", "aborted", "error", "max_turns", "loop_detected", "timeout";
 * "" before a run. */
DURAR_C_API const char* durar_turn_stop(const durar_turn* turn);
/* Everything as JSON: {"stop", "turns", "text", "usage", "message" (the final assistant
 * message), "messages" (all the run added), "reason", "error": {"code", "message"}};
 * "{}" before a run. */
DURAR_C_API const char* durar_turn_result_json(const durar_turn* turn);

/* ---- session --------------------------------------------------------------------------- */

/* Opens a conversation for writing, creating it when absent: `agent_id` NULL or "" = the
 * default agent; `key` as in durar_turn_set_session. The session stays locked (to this
 * process and handle) until freed. On failure *out is NULL and the message is on `rt`
 * (DURAR_UNAVAILABLE when another handle or process holds it). */
DURAR_C_API durar_status durar_session_open(durar_runtime* rt, const char* agent_id,
                                            const char* key, durar_session** out);
/* Closes the session (flushing it) once no agent uses it any more. */
DURAR_C_API void durar_session_free(durar_session* s);
DURAR_C_API const char* durar_session_error(const durar_session* s);
/* The full key ("agent:main:work"), the session id (the transcript's name), and the
 * transcript's path. */
DURAR_C_API const char* durar_session_key(const durar_session* s);
DURAR_C_API const char* durar_session_id(const durar_session* s);
DURAR_C_API const char* durar_session_path(const durar_session* s);
/* The conversation as the model will see it: a JSON array of messages ({"role": "user" |
 * "assistant" | "toolResult", "content": [...], ...}). Valid until the next call on `s`;
 * NULL on failure (message on `s`). */
DURAR_C_API const char* durar_session_messages_json(durar_session* s);

/* ---- agent ----------------------------------------------------------------------------- */

/* An agent that keeps its conversation across runs: in `session` (may be NULL: in memory
 * only). `settings` (may be NULL) supplies the agent id, model, thinking level and sampling
 * as a turn would; its message and session are ignored. With a session, the agent id must be
 * the session's (NULL settings take it from the session). On failure *out is NULL and the
 * message is on `rt`. */
DURAR_C_API durar_status durar_agent_new(durar_runtime* rt, durar_session* session,
                                         const durar_turn* settings, durar_agent** out);
DURAR_C_API void durar_agent_free(durar_agent* agent);
DURAR_C_API const char* durar_agent_error(const durar_agent* agent);

/* Runs the turn's message through the agent, as durar_runtime_run does (the turn's agent,
 * session and model are the agent's, not the turn's); the outcome goes to `turn`. */
DURAR_C_API durar_status durar_agent_run(durar_agent* agent, durar_turn* turn,
                                         durar_event_fn on_event, void* user_data);
/* Aborts the agent's run in progress, if any. Any thread, while `agent` is alive. */
DURAR_C_API durar_status durar_agent_abort(durar_agent* agent);
/* The model from the next run on; recorded in the session. DURAR_NOT_FOUND when unknown. */
DURAR_C_API durar_status durar_agent_set_model(durar_agent* agent, const char* model);
/* The conversation as the model will see it next, as durar_session_messages_json. */
DURAR_C_API const char* durar_agent_context_json(durar_agent* agent);

/* ---- host tools ------------------------------------------------------------------------ */

/* A host tool's handler. `arguments_json` (`len` bytes, NUL-terminated) is the model's
 * arguments, already validated against the tool's schema. Write the result with
 * durar_tool_call_write (text for the model) and return DURAR_OK; or call
 * durar_tool_call_fail and/or return another status: the model then gets an error result
 * holding the fail message (else the text written, else the status name). `call` is valid
 * during the callback only. The handler runs on the run's thread and blocks the run while it
 * works. */
typedef durar_status (*durar_tool_fn)(void* user_data, const char* arguments_json, size_t len,
                                      durar_tool_call* call);

/* `name`: 1-64 of [A-Za-z0-9_-]; `description` (may be NULL) tells the model what it does;
 * `schema_json` is a JSON-schema object for the arguments (NULL = no arguments); `fn` is
 * called with `user_data` on each call. On failure *out is NULL and the message is in
 * durar_last_error() (DURAR_INVALID_ARGUMENT: bad name, schema not a JSON object). */
DURAR_C_API durar_status durar_tool_new(const char* name, const char* description,
                                        const char* schema_json, durar_tool_fn fn, void* user_data,
                                        durar_tool** out);
DURAR_C_API void durar_tool_free(durar_tool* tool);
/* Non-zero: calls of this tool never run alongside the turn's other tool calls. Default 0.
 * Takes effect for runtimes the tool is added to afterwards. */
DURAR_C_API durar_status durar_tool_set_sequential(durar_tool* tool, int sequential);

/* Inside a tool callback only. */
/* Appends `len` bytes of text to the result. */
DURAR_C_API durar_status durar_tool_call_write(durar_tool_call* call, const char* text, size_t len);
/* Marks the result as an error with this message (replacing an earlier one). */
DURAR_C_API durar_status durar_tool_call_fail(durar_tool_call* call, const char* message);
/* The model's id for this call, the tool's name, the session key ("" without a session),
 * and the agent's workspace directory. */
DURAR_C_API const char* durar_tool_call_id(const durar_tool_call* call);
DURAR_C_API const char* durar_tool_call_name(const durar_tool_call* call);
DURAR_C_API const char* durar_tool_call_session(const durar_tool_call* call);
DURAR_C_API const char* durar_tool_call_workspace(const durar_tool_call* call);

#ifdef __cplusplus
}
#endif

#endif /* DURAR_H */
