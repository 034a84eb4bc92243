/*
 * ffi-harness/host.h - the C test host for the gcsync plugin: what its files share.
 *
 * It plays the part of the PureConnect (CIC) server: it dlopen()s libgcsync.so, hands it a host
 * interface (settings lookup, log sink, status notifications), feeds it CIC users from a dataset
 * file through the hooks from several threads, waits for the worker, prints what the plugin says
 * about each object, shuts the plugin down, dlclose()s it and checks that no plugin thread is left.
 *
 * Every check prints one line ("  ok   ..." or "  FAIL ..."); the program ends with the line
 * "harness: N passed, M failed" and exits non-zero when M > 0.
 *
 * Modes:
 *   demo       send the dataset (--threads, --repeat), wait idle, print the status table/overview.
 *   stress     demo, plus query threads running concurrently with the hooks, settings reloads
 *              while the hooks run, and a force sync of the whole dataset at the end.
 *   lifecycle  --repeat K times: dlopen, init, send, wait idle, shutdown, dlclose, thread check.
 *   abuse      the error contract: calls before init, NULL pointers, bad UTF-8, bad JSON, huge
 *              payloads, small buffers, double init, calls after shutdown, init after shutdown.
 *   storm      the hook calls of an ops file (every kind: adds, changes, deletes) from --threads
 *              threads while the driver (tests/storm.rs) injects faults; then settle and report
 *              every object's status (storm.c).
 *
 * Files (one concern each; every .c includes this header first):
 *   main.c       arguments, settings and dataset loading, watchdog, mode dispatch, closing line
 *   checks.c     check()/say() output, result-code names, expect_rc()
 *   util.c       xmalloc, read_file, time and string helpers
 *   json.c       a tiny JSON scanner (spans): object members, array elements, value text
 *   settings.c   the key=value settings file, --set overrides, abuse-mode hide/force
 *   dataset.c    the {"users":[...]} dataset split into one raw buffer per user
 *   callbacks.c  the gcsync_host callbacks, their contract counters, init/shutdown wrappers
 *   library.c    loading the library (all its functions) and the thread-count check
 *   portable_posix.c, portable_win32.c
 *                the OS services of portable.h (a build compiles one): threads, dlopen or
 *                LoadLibraryW, thread counting (/proc/self/task or Toolhelp32), time, the
 *                watchdog, the data directory check
 *   report.c     queries with the snprintf protocol, the status table and overview checks
 *   session.c    demo/stress/lifecycle: sender threads and one full life
 *   abuse.c      abuse mode
 *   abuse_callbacks.c  abuse mode's calls from inside callbacks
 *   storm.c      storm mode
 *
 * Build: see Makefile (-std=c11 -Wall -Wextra -Wpedantic -Werror; Linux -pthread -ldl, Windows MinGW-w64).
 */
#ifndef GCSYNC_HARNESS_HOST_H
#define GCSYNC_HARNESS_HOST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcsync.h"
#include "portable.h"

/* ---- names from the generated header, in one place ------------------------------------------ */

#define RC_OK GCSYNC_RESULT_OK
#define RC_NULL_PARAMETER GCSYNC_RESULT_NULL_PARAMETER
#define RC_INVALID_UTF8 GCSYNC_RESULT_INVALID_UTF8
#define RC_NOT_INITIALIZED GCSYNC_RESULT_NOT_INITIALIZED
#define RC_ALREADY_INITIALIZED GCSYNC_RESULT_ALREADY_INITIALIZED
#define RC_SHUT_DOWN GCSYNC_RESULT_SHUT_DOWN
#define RC_ABI_VERSION_MISMATCH GCSYNC_RESULT_ABI_VERSION_MISMATCH
#define RC_TIMEOUT GCSYNC_RESULT_TIMEOUT
#define RC_SHUTDOWN_TIMED_OUT GCSYNC_RESULT_SHUTDOWN_TIMED_OUT
#define RC_STORAGE_ERROR GCSYNC_RESULT_STORAGE_ERROR
#define RC_UNKNOWN GCSYNC_RESULT_UNKNOWN
#define RC_MALFORMED_JSON GCSYNC_RESULT_MALFORMED_JSON
#define RC_UNKNOWN_FIELD GCSYNC_RESULT_UNKNOWN_FIELD
#define RC_MISSING_FIELD GCSYNC_RESULT_MISSING_FIELD
#define RC_INVALID_FIELD GCSYNC_RESULT_INVALID_FIELD
#define RC_PAYLOAD_TOO_LARGE GCSYNC_RESULT_PAYLOAD_TOO_LARGE
#define RC_INVALID_SETTING GCSYNC_RESULT_INVALID_SETTING
#define RC_MISSING_SETTING GCSYNC_RESULT_MISSING_SETTING
#define RC_CONFLICTING_SETTINGS GCSYNC_RESULT_CONFLICTING_SETTINGS
#define RC_UNKNOWN_OBJECT_KIND GCSYNC_RESULT_UNKNOWN_OBJECT_KIND
#define RC_BUFFER_TOO_SMALL GCSYNC_RESULT_BUFFER_TOO_SMALL
#define RC_QUEUE_FULL GCSYNC_RESULT_QUEUE_FULL
#define RC_CALLED_FROM_CALLBACK GCSYNC_RESULT_CALLED_FROM_CALLBACK
#define RC_INVALID_UTF16 GCSYNC_RESULT_INVALID_UTF16
#define KIND_USER GCSYNC_OBJECT_KIND_USER
#define KIND_WORKGROUP GCSYNC_OBJECT_KIND_WORKGROUP
#define KIND_WRAPUP_CODE GCSYNC_OBJECT_KIND_WRAPUP_CODE
#define KIND_SKILL GCSYNC_OBJECT_KIND_SKILL
#define KIND_AGENT_STATUS GCSYNC_OBJECT_KIND_AGENT_STATUS
#define RC_UNKNOWN_OBJECT_KIND GCSYNC_RESULT_UNKNOWN_OBJECT_KIND

/* ---- the library, loaded with dlopen ------------------------------------------------------ */

/* Every exported function. The pointer types come from the header's prototypes (__typeof__), so a
 * prototype change in the header is a compile error here rather than a silent ABI mismatch. */
#define GCSYNC_FUNCTIONS(X)                                                                        \
    X(gcsync_abi_version)                                                                          \
    X(gcsync_init)                                                                                 \
    X(gcsync_shutdown)                                                                             \
    X(gcsync_on_user_changed)                                                                      \
    X(gcsync_on_user_changed_utf16)                                                                \
    X(gcsync_on_user_deleted)                                                                      \
    X(gcsync_on_user_deleted_utf16)                                                                \
    X(gcsync_on_object_changed)                                                                    \
    X(gcsync_on_object_changed_utf16)                                                              \
    X(gcsync_on_object_deleted)                                                                    \
    X(gcsync_on_object_deleted_utf16)                                                              \
    X(gcsync_on_workgroup_changed)                                                                 \
    X(gcsync_on_workgroup_changed_utf16)                                                           \
    X(gcsync_on_skill_changed)                                                                     \
    X(gcsync_on_skill_changed_utf16)                                                               \
    X(gcsync_on_skill_deleted)                                                                     \
    X(gcsync_on_skill_deleted_utf16)                                                               \
    X(gcsync_on_wrapup_code_changed)                                                               \
    X(gcsync_on_wrapup_code_changed_utf16)                                                         \
    X(gcsync_on_wrapup_code_deleted)                                                               \
    X(gcsync_on_wrapup_code_deleted_utf16)                                                         \
    X(gcsync_on_status_changed)                                                                    \
    X(gcsync_on_status_changed_utf16)                                                              \
    X(gcsync_on_settings_changed)                                                                  \
    X(gcsync_on_force_sync)                                                                        \
    X(gcsync_on_force_sync_utf16)                                                                  \
    X(gcsync_wait_idle)                                                                            \
    X(gcsync_wait_settled)                                                                         \
    X(gcsync_flush)                                                                                \
    X(gcsync_object_status)                                                                        \
    X(gcsync_object_status_utf16)                                                                  \
    X(gcsync_list_status)                                                                          \
    X(gcsync_overview)                                                                             \
    X(gcsync_result_message)                                                                       \
    X(gcsync_last_error_message)

#define API_FIELD(name) __typeof__(&name) name;
struct api {
    void *handle;
    GCSYNC_FUNCTIONS(API_FIELD)
};
#undef API_FIELD


extern struct api G; /* library.c; all NULL while the library is not loaded */

/* ---- options -------------------------------------------------------------------------------- */

enum mode { MODE_DEMO, MODE_STRESS, MODE_LIFECYCLE, MODE_ABUSE, MODE_STORM };

struct options {
    const char *lib;
    const char *settings_file;
    const char *dataset_file;
    int threads;
    int repeat;
    uint32_t timeout_ms;
    long expect_synced; /* -1: no expectation */
    long expect_error;
    enum mode mode;
    unsigned watchdog_s;
    bool pinned; /* the library stays mapped after unload (default) */
    bool utf16;  /* send users, ask statuses and force-sync through the _utf16 forms */
    const char *ops_file; /* storm mode: the hook calls to make (storm.c) */
    long op_interval_ms;  /* storm mode: each sender's pause between two calls */
};

extern struct options O; /* main.c */

/* ---- checks.c ------------------------------------------------------------------------------- */

extern atomic_int g_passed, g_failed;
HOST_PRINTF(2, 3) bool check(bool ok, const char *fmt, ...);
HOST_PRINTF(1, 2) void say(const char *fmt, ...);
const char *rname(unsigned r);
/* This thread's last error detail from the library ("" when not loaded or none). */
void last_error(char *buf, size_t len);
/* Checks that a call returned `want`; on a mismatch shows the library's error detail. */
bool expect_rc(unsigned got, unsigned want, const char *what);

/* ---- util.c --------------------------------------------------------------------------------- */

void *xmalloc(size_t n);
char *xstrndup(const char *s, size_t n);
char *read_file(const char *path, size_t *len);
/* UTF-8 (valid) to UTF-16 code units; with out == NULL only counts them. */
size_t utf8_to_utf16(const unsigned char *s, size_t n, uint16_t *out);
/* The UTF-16 form of s[0..n) in a malloc'd buffer of exactly *units units (no terminator). */
uint16_t *utf16_dup(const char *s, size_t n, size_t *units);
char *trim(char *s);

/* ---- json.c --------------------------------------------------------------------------------- */

struct span {
    const char *p;
    size_t n;
};

/* The value of member `key` of the object in `obj` (top level only). */
bool obj_get(struct span obj, const char *key, struct span *out);
/* Splits the array in `arr` into its elements' raw texts. Returns the count, or -1 if malformed. */
long array_elements(struct span arr, struct span **out);
/* A value as text: a string is unescaped, `null` gives NULL, anything else is copied raw. */
char *value_text(struct span v);
/* The text of member `key` ("-" when absent or null); caller frees. */
char *field_text(struct span obj, const char *key);

/* ---- settings.c ----------------------------------------------------------------------------- */

extern size_t g_nsettings;
/* Abuse mode: hide a key, or replace one value, for one init attempt. */
extern const char *g_hidden_key;
extern const char *g_forced_key, *g_forced_value;
void setting_put(const char *key, const char *value);
bool setting_put_pair(char *line, const char *where);
bool settings_load(const char *path);
const char *setting_get(const char *key);
void settings_free(void);

/* ---- dataset.c ------------------------------------------------------------------------------ */

struct user {
    char *json; /* exactly len bytes, NOT NUL-terminated: over-reads by the library show up in ASan */
    size_t len;
    char *id;
    uint16_t *json16; /* the same JSON in UTF-16, exactly units16 code units (for --utf16 1) */
    size_t units16;
};

extern struct user *g_users;
extern size_t g_nusers;
extern char *g_snapshot; /* {"users":[...]} rebuilt from the elements */
extern size_t g_snapshot_len;

/* The other CIC objects of the dataset ("workgroups", "skills", "wrapup_codes"), sent through the
 * generic hook gcsync_on_object_changed with their kind number. */
struct object {
    unsigned kind;
    char *json; /* exactly len bytes, not NUL-terminated */
    size_t len;
    char *id;
    atomic_bool accepted; /* the hook answered OK (a skill may be refused as an unknown kind) */
    /* For the stress mix: the JSON and id in UTF-16, and an agent status's JSON without its id
     * (the gcsync_on_status_changed form), in UTF-8 and UTF-16. */
    uint16_t *json16, *id16, *status16;
    size_t units16, id_units, status_units;
    char *status_json;
    size_t status_len;
};

extern struct object *g_objects;
extern size_t g_nobjects;
bool dataset_load(const char *path);
void dataset_free(void);

/* ---- callbacks.c ---------------------------------------------------------------------------- */

extern host_thread_id g_settings_thread; /* the thread get_setting may be called on */
/* Which callback is running, for g_in_callback (abuse mode's calls from inside callbacks). */
enum callback_id { CB_GET_SETTING, CB_LOG, CB_STATUS_CHANGED };
/* When set, every callback calls it first (from the callback's own thread). */
extern void (*_Atomic g_in_callback)(enum callback_id cb);
void reset_callback_counters(void);
gcsync_host make_host(void);
gcsync_result do_init(const gcsync_host *h);
gcsync_result do_shutdown_within(uint32_t timeout_ms);
gcsync_result do_shutdown(void);
void check_callback_contract(const char *when);

/* ---- library.c ------------------------------------------------------------------------------ */

extern int g_baseline_tasks;
bool load_library(void);
void unload_library(void);
void check_mapped_after_unload(const char *when);
/* A thread that was joined can stay listed for microseconds; poll briefly, then judge. */
void check_threads(const char *when);
/* While the library runs: more threads than the host's own (so the check above can see them). */
void check_threads_visible(const char *when);

/* ---- report.c ------------------------------------------------------------------------------- */

enum query { Q_OBJECT, Q_LIST, Q_OVERVIEW };

struct counts {
    long synced, error, not_synced, other, missing;
};

/* Asks for the length with a NULL buffer, then fetches. Returns malloc'd JSON or NULL (rc set). */
char *query(enum query q, const char *id, gcsync_result *rc_out);
/* The same for one object of any kind (Q_OBJECT only). */
char *query_kind(unsigned kind, const char *id, gcsync_result *rc_out);
/* Prints the per-object table for the ids we sent and the overview; returns the state counts. */
struct counts report(bool print);
void check_expectations(struct counts c, const char *when);
/* Sends the dataset's other objects through gcsync_on_object_changed. */
bool send_objects(void);
/* Prints their status table; checks each accepted one is Synced. */
void report_objects(bool print);

/* ---- stress_objects.c ------------------------------------------------------------------------ */

/* The stress mix's calls for the other kinds: counters of one sender thread. */
struct object_calls {
    long sent, failed, queries, queries_failed;
    unsigned first_bad_rc;
    char first_bad_detail[256];
};
/* Fills each object's UTF-16 and agent-status forms (dataset_load calls it). */
void stress_objects_prepare(struct object *o, struct span elem);
/* One round of thread `thread`: every object once (generic and named hooks, UTF-8 and UTF-16,
 * every 5th call a malformed one that must be refused), a scratch wrap-up code and skill created
 * and deleted, and every 7th call an object status query. */
void stress_objects_round(int thread, int round, struct object_calls *c);
/* After the run: every scratch object of `threads` threads shows removed. */
void stress_objects_check_scratch(int threads);

/* ---- session.c, abuse.c, abuse_callbacks.c -------------------------------------------------- */

/* One full life: load, init, send, wait, report, shutdown, unload, thread check. */
void session(const char *label, bool stress, bool print);
void mode_lifecycle(void);
void mode_abuse(void);
/* Abuse mode's calls from inside each callback (host and gcsync threads), checked. */
void abuse_calls_from_callbacks(void);
void mode_storm(void);

#endif /* GCSYNC_HARNESS_HOST_H */
