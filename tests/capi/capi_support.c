/* Support for the C API tests: checks, temp dirs, and the fake vendor as a child process. */
#define _XOPEN_SOURCE 700

#include "capi_support.h"

#include <durar.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

int capi_failures = 0;

void capi_fail(const char* file, int line, const char* what) {
  ++capi_failures;
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

void capi_fail_status(const char* file, int line, const char* what, int expected, int got) {
  ++capi_failures;
  fprintf(stderr, "%s:%d: %s returned %d, expected %d (last error: %s)\n", file, line, what, got,
          expected, durar_last_error());
}

void capi_run(const char* name, void (*test)(void)) {
  int before = capi_failures;
  fprintf(stderr, "-- %s\n", name);
  test();
  fprintf(stderr, "-- %s: %s\n", name, capi_failures == before ? "passed" : "FAILED");
}

int capi_result(void) {
  fprintf(stderr, capi_failures == 0 ? "all checks passed\n" : "%d checks failed\n", capi_failures);
  return capi_failures == 0 ? 0 : 1;
}

int capi_contains(const char* haystack, const char* needle) {
  return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

int capi_count(const char* haystack, const char* needle) {
  int n = 0;
  size_t len = strlen(needle);
  if (haystack == NULL || len == 0) return 0;
  for (const char* p = strstr(haystack, needle); p != NULL; p = strstr(p + len, needle)) ++n;
  return n;
}

/* ---- temp dirs ------------------------------------------------------------------------ */

int capi_temp_dir_make(capi_temp_dir* dir) {
  const char* tmp = getenv("TMPDIR");
  if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
  snprintf(dir->path, sizeof dir->path, "%s/durar-capi-XXXXXX", tmp);
  return mkdtemp(dir->path) != NULL ? 0 : -1;
}

static int remove_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void capi_temp_dir_remove(capi_temp_dir* dir) {
  if (dir->path[0] != '\0') nftw(dir->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  dir->path[0] = '\0';
}

int capi_write_file(const capi_temp_dir* dir, const char* name, const char* text, char* out,
                    size_t n) {
  snprintf(out, n, "%s/%s", dir->path, name);
  FILE* f = fopen(out, "w");
  if (f == NULL) return -1;
  size_t len = strlen(text);
  int ok = fwrite(text, 1, len, f) == len;
  return fclose(f) == 0 && ok ? 0 : -1;
}

char* capi_read_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t size = 0, cap = 4096;
  char* text = malloc(cap);
  while (text != NULL) {
    size += fread(text + size, 1, cap - 1 - size, f);
    if (size < cap - 1) break; /* end of file (or an error) */
    char* bigger = realloc(text, cap * 2);
    if (bigger == NULL) {
      free(text);
      text = NULL;
      break;
    }
    text = bigger;
    cap *= 2;
  }
  int failed = ferror(f);
  fclose(f);
  if (text == NULL || failed) {
    free(text);
    return NULL;
  }
  text[size] = '\0';
  return text;
}

/* ---- the fake vendor ------------------------------------------------------------------ */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the first line the server prints (its base URL), waiting at most 20 s. */
static int read_url(capi_vendor* v) {
  size_t used = 0;
  long long deadline = now_ms() + 20000;
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) return -1;
    struct pollfd p = {v->stdout_fd, POLLIN, 0};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    ssize_t got = read(v->stdout_fd, v->base_url + used, sizeof v->base_url - 1 - used);
    if (got <= 0) return -1;
    used += (size_t)got;
    v->base_url[used] = '\0';
    char* nl = strchr(v->base_url, '\n');
    if (nl != NULL) {
      *nl = '\0';
      return strncmp(v->base_url, "http://127.0.0.1:", 17) == 0 ? 0 : -1;
    }
    if (used == sizeof v->base_url - 1) return -1;
  }
}

int capi_vendor_start(capi_vendor* v, const char* const* recordings, size_t count) {
  return capi_vendor_start_logging(v, recordings, count, NULL);
}

int capi_vendor_start_logging(capi_vendor* v, const char* const* recordings, size_t count,
                              const char* requests_file) {
  const char* program = getenv("DURAR_FAKE_VENDOR");
  const char* data = getenv("DURAR_TEST_DATA");
  memset(v, 0, sizeof *v);
  v->pid = -1;
  v->stdin_fd = v->stdout_fd = -1;
  if (program == NULL || data == NULL || count > 16) {
    fprintf(stderr, "set DURAR_FAKE_VENDOR and DURAR_TEST_DATA (ctest does)\n");
    return -1;
  }
  static char paths[16][1024];
  char* argv[20];
  size_t first = 1;
  argv[0] = (char*)program;
  if (requests_file != NULL) {
    argv[first++] = (char*)"--requests";
    argv[first++] = (char*)requests_file;
  }
  for (size_t i = 0; i < count; ++i) {
    /* "/PATH=FILE" answers requests to PATH only (see fake_vendor_main.cpp). */
    const char* eq = recordings[i][0] == '/' ? strchr(recordings[i], '=') : NULL;
    if (eq != NULL)
      snprintf(paths[i], sizeof paths[i], "%.*s=%s/%s", (int)(eq - recordings[i]), recordings[i],
               data, eq + 1);
    else
      snprintf(paths[i], sizeof paths[i], "%s/%s", data, recordings[i]);
    argv[first + i] = paths[i];
  }
  argv[first + count] = NULL;

  int in[2], out[2];
  if (pipe(in) != 0) return -1;
  if (pipe(out) != 0) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  /* Our ends must not leak into the child: its stdin EOF is how it learns we are gone. */
  fcntl(in[1], F_SETFD, FD_CLOEXEC);
  fcntl(out[0], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, in[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  int rc = posix_spawn(&v->pid, program, &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  v->stdin_fd = in[1];
  v->stdout_fd = out[0];
  if (rc != 0) {
    fprintf(stderr, "cannot start %s: %s\n", program, strerror(rc));
    v->pid = -1;
    capi_vendor_stop(v);
    return -1;
  }
  if (read_url(v) != 0) {
    fprintf(stderr, "%s did not print its URL\n", program);
    capi_vendor_stop(v);
    return -1;
  }
  return 0;
}

void capi_vendor_stop(capi_vendor* v) {
  if (v->stdin_fd >= 0) close(v->stdin_fd);
  if (v->pid > 0) {
    kill(v->pid, SIGTERM);
    int status = 0;
    while (waitpid(v->pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (v->stdout_fd >= 0) close(v->stdout_fd);
  v->pid = -1;
  v->stdin_fd = v->stdout_fd = -1;
}

int capi_write_vendor_config(const capi_temp_dir* dir, const capi_vendor* v, char* out, size_t n) {
  char text[2048];
  snprintf(text, sizeof text,
           "models:\n"
           "  providers:\n"
           "    fake:\n"
           "      baseUrl: %s/v1\n"
           "      models: [{ id: m1, cost: { input: 2, output: 10 } }]\n"
           "agents:\n"
           "  defaults:\n"
           "    model: { primary: fake/m1 }\n"
           "    workspace: %s/ws\n",
           v->base_url, dir->path);
  return capi_write_file(dir, "durar.yaml", text, out, n);
}

durar_runtime* capi_runtime(const capi_temp_dir* dir, const capi_vendor* v) {
  char path[1024], state[1024];
  if (capi_write_vendor_config(dir, v, path, sizeof path) != 0) return NULL;
  snprintf(state, sizeof state, "%s/state", dir->path);
  durar_config* cfg = durar_config_new();
  durar_runtime* rt = NULL;
  if (cfg != NULL && durar_config_set_path(cfg, path) == DURAR_OK &&
      durar_config_set_state_dir(cfg, state) == DURAR_OK &&
      durar_config_set_env(cfg, "FAKE_API_KEY", CAPI_CANARY_KEY) == DURAR_OK &&
      durar_runtime_new(cfg, &rt) != DURAR_OK)
    fprintf(stderr, "durar_runtime_new: %s\n", durar_config_error(cfg));
  durar_config_free(cfg);
  return rt;
}

int capi_fixture_start(capi_fixture* f, const char* const* recordings, size_t count) {
  memset(f, 0, sizeof *f);
  f->vendor.pid = -1;
  f->vendor.stdin_fd = f->vendor.stdout_fd = -1;
  if (capi_temp_dir_make(&f->dir) == 0 && capi_vendor_start(&f->vendor, recordings, count) == 0) {
    f->rt = capi_runtime(&f->dir, &f->vendor);
    f->turn = durar_turn_new();
    if (f->rt != NULL && f->turn != NULL) return 0;
  }
  capi_fixture_stop(f);
  return -1;
}

void capi_fixture_stop(capi_fixture* f) {
  durar_turn_free(f->turn);
  durar_runtime_free(f->rt);
  f->turn = NULL;
  f->rt = NULL;
  capi_vendor_stop(&f->vendor);
  capi_temp_dir_remove(&f->dir);
}
