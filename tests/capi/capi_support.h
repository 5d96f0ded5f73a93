/*
 * Support for the C API tests, in C: checks, a temporary directory, and durar-fake-vendor
 * started as a real process on 127.0.0.1 (its path from $DURAR_FAKE_VENDOR, recordings from
 * $DURAR_TEST_DATA).
 */
#ifndef DURAR_CAPI_SUPPORT_H
#define DURAR_CAPI_SUPPORT_H

#include <durar.h>
#include <stddef.h>
#include <sys/types.h>

extern int capi_failures;

#define CHECK(cond)                         \
  do {                                      \
    if (!(cond)) {                          \
      capi_fail(__FILE__, __LINE__, #cond); \
    }                                       \
  } while (0)
/* Stops the current test function (which returns void) when the check fails. */
#define REQUIRE(cond)                       \
  do {                                      \
    if (!(cond)) {                          \
      capi_fail(__FILE__, __LINE__, #cond); \
      return;                               \
    }                                       \
  } while (0)
#define CHECK_STATUS(expected, call)                                               \
  do {                                                                             \
    durar_status capi_st_ = (call);                                                \
    if (capi_st_ != (expected)) {                                                  \
      capi_fail_status(__FILE__, __LINE__, #call, (int)(expected), (int)capi_st_); \
    }                                                                              \
  } while (0)

void capi_fail(const char* file, int line, const char* what);
void capi_fail_status(const char* file, int line, const char* what, int expected, int got);
/* Runs one test function, printing its name. */
void capi_run(const char* name, void (*test)(void));
/* 0 when every check passed, else 1 (the process's exit code). */
int capi_result(void);

/* 1 when `haystack` holds `needle`; NULL haystacks hold nothing. */
int capi_contains(const char* haystack, const char* needle);
/* How often `needle` occurs in `haystack`. */
int capi_count(const char* haystack, const char* needle);

/* A fresh directory under $TMPDIR (or /tmp); removed with everything in it. */
typedef struct capi_temp_dir {
  char path[512];
} capi_temp_dir;
int capi_temp_dir_make(capi_temp_dir* dir);
void capi_temp_dir_remove(capi_temp_dir* dir);
/* Writes `text` to dir/name; the full path goes to `out` (size `n`). 0 on success. */
int capi_write_file(const capi_temp_dir* dir, const char* name, const char* text, char* out,
                    size_t n);
/* The whole file as a NUL-terminated string (free() it); NULL when it cannot be read. */
char* capi_read_file(const char* path);

/* The fake vendor, serving the recordings (paths under $DURAR_TEST_DATA) in turn, cycling;
 * "/PATH=FILE" serves FILE only to requests whose path ends with PATH. */
typedef struct capi_vendor {
  pid_t pid;
  int stdin_fd;
  int stdout_fd;
  char base_url[128]; /* "http://127.0.0.1:PORT" */
} capi_vendor;
/* 0 once the server prints its URL (bounded wait); -1 with a message on stderr otherwise. */
int capi_vendor_start(capi_vendor* v, const char* const* recordings, size_t count);
/* The same, appending every request's body to `requests_file` (one line each, written before
 * the request is answered; see --requests in fake_vendor_main.cpp). */
int capi_vendor_start_logging(capi_vendor* v, const char* const* recordings, size_t count,
                              const char* requests_file);
/* Closes its stdin (it exits on EOF), signals it and reaps it. */
void capi_vendor_stop(capi_vendor* v);

/* A config file for the fake vendor: provider "fake" (api key from $FAKE_API_KEY) with model
 * m1 as the default, workspace dir/ws. Its path goes to `out`. 0 on success. */
int capi_write_vendor_config(const capi_temp_dir* dir, const capi_vendor* v, char* out, size_t n);

/* A runtime on that config, with state under dir/state and $FAKE_API_KEY set to the canary
 * key (which must never appear in output). NULL (and a message on stderr) on failure. */
#define CAPI_CANARY_KEY "sk-capi-canary-4242"
durar_runtime* capi_runtime(const capi_temp_dir* dir, const capi_vendor* v);

/* What most tests start from: a temporary dir, the fake vendor serving `recordings`, a
 * runtime on it (capi_runtime) and an empty turn. */
typedef struct capi_fixture {
  capi_temp_dir dir;
  capi_vendor vendor;
  durar_runtime* rt;
  durar_turn* turn;
} capi_fixture;
/* 0 when all of it is up; otherwise -1, with whatever was made undone. */
int capi_fixture_start(capi_fixture* f, const char* const* recordings, size_t count);
/* Frees the turn and the runtime (either may be NULL), stops the vendor, removes the dir. */
void capi_fixture_stop(capi_fixture* f);

#endif
