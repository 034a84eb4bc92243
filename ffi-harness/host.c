/*
 * ffi-harness/host.c - a C test host for the gcsync plugin.
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
 *
 * Build: see Makefile (-std=c11 -Wall -Wextra -Wpedantic -Werror -pthread -ldl).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gcsync.h"

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
#define KIND_USER GCSYNC_OBJECT_KIND_USER

/* ---- the library, loaded with dlopen ------------------------------------------------------ */

/* Every exported function. The pointer types come from the header's prototypes (__typeof__), so a
 * prototype change in the header is a compile error here rather than a silent ABI mismatch. */
#define GCSYNC_FUNCTIONS(X)                                                                        \
    X(gcsync_abi_version)                                                                          \
    X(gcsync_init)                                                                                 \
    X(gcsync_shutdown)                                                                             \
    X(gcsync_on_user_changed)                                                                      \
    X(gcsync_on_user_deleted)                                                                      \
    X(gcsync_on_settings_changed)                                                                  \
    X(gcsync_on_force_sync)                                                                        \
    X(gcsync_wait_idle)                                                                            \
    X(gcsync_object_status)                                                                        \
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

static struct api G; /* all NULL while the library is not loaded */

_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs function and data pointers of one size");

/* ---- options -------------------------------------------------------------------------------- */

enum mode { MODE_DEMO, MODE_STRESS, MODE_LIFECYCLE, MODE_ABUSE };

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
};

static struct options O = {
    .threads = 1, .repeat = 1, .timeout_ms = 30000, .expect_synced = -1, .expect_error = -1,
    .mode = MODE_DEMO, .watchdog_s = 900,
};

/* ---- checks ---------------------------------------------------------------------------------- */

static atomic_int g_passed, g_failed;
static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 2, 3))) static bool check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&g_out_lock);
    fputs(ok ? "  ok   " : "  FAIL ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&g_out_lock);
    va_end(ap);
    atomic_fetch_add(ok ? &g_passed : &g_failed, 1);
    return ok;
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&g_out_lock);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&g_out_lock);
    va_end(ap);
}

static const char *rname(unsigned r)
{
    switch (r) {
    case 8000: return "OK";
    case 8001: return "PANIC";
    case 8002: return "NULL_PARAMETER";
    case 8003: return "INVALID_UTF8";
    case 8004: return "NOT_INITIALIZED";
    case 8005: return "ALREADY_INITIALIZED";
    case 8006: return "SHUT_DOWN";
    case 8007: return "ABI_VERSION_MISMATCH";
    case 8008: return "SHUTDOWN_TIMED_OUT";
    case 8009: return "TIMEOUT";
    case 8010: return "STORAGE_ERROR";
    case 8011: return "INTERNAL_ERROR";
    case 8099: return "UNKNOWN";
    case 8100: return "MALFORMED_JSON";
    case 8101: return "UNKNOWN_FIELD";
    case 8102: return "MISSING_FIELD";
    case 8103: return "INVALID_FIELD";
    case 8104: return "PAYLOAD_TOO_LARGE";
    case 8200: return "INVALID_SETTING";
    case 8201: return "MISSING_SETTING";
    case 8202: return "CONFLICTING_SETTINGS";
    case 8300: return "UNKNOWN_OBJECT_KIND";
    case 8301: return "BUFFER_TOO_SMALL";
    case 8302: return "QUEUE_FULL";
    default: return "?";
    }
}

/* This thread's last error detail from the library ("" when not loaded or none). */
static void last_error(char *buf, size_t len)
{
    buf[0] = '\0';
    if (G.gcsync_last_error_message) {
        G.gcsync_last_error_message(buf, len);
        buf[len - 1] = '\0';
    }
}

/* Checks that a call returned `want`; on a mismatch shows the library's error detail. */
static bool expect_rc(unsigned got, unsigned want, const char *what)
{
    if (got == want)
        return check(true, "%s -> %s", what, rname(want));
    char detail[512];
    last_error(detail, sizeof detail);
    return check(false, "%s -> got %u %s, want %u %s (last error: \"%s\")", what, got, rname(got),
                 want, rname(want), detail);
}

/* ---- small utilities ------------------------------------------------------------------------ */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "host: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (n == cap) {
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            return NULL;
        }
        buf = nb;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* ---- a tiny JSON scanner: spans, not a parser ---------------------------------------------- */

struct span {
    const char *p;
    size_t n;
};

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at '"'; returns the position after the closing quote, or NULL. */
static const char *scan_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Returns the end of the value starting at p (string, object, array or literal), or NULL. */
static const char *scan_value(const char *p, const char *e)
{
    if (p >= e)
        return NULL;
    if (*p == '"')
        return scan_string(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            char c = *p;
            if (c == '"') {
                p = scan_string(p, e);
                if (!p)
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    const char *s = p;
    while (p < e && *p != ',' && *p != ']' && *p != '}' && *p != ' ' && *p != '\t' && *p != '\n' &&
           *p != '\r')
        p++;
    return p > s ? p : NULL;
}

/* The value of member `key` of the object in `obj` (top level only). */
static bool obj_get(struct span obj, const char *key, struct span *out)
{
    const char *e = obj.p + obj.n;
    const char *p = skip_ws(obj.p, e);
    if (p >= e || *p != '{')
        return false;
    p++;
    for (;;) {
        p = skip_ws(p, e);
        if (p >= e || *p != '"')
            return false;
        const char *ks = p + 1, *ke = scan_string(p, e);
        if (!ke)
            return false;
        size_t kl = (size_t)(ke - 1 - ks);
        p = skip_ws(ke, e);
        if (p >= e || *p != ':')
            return false;
        p = skip_ws(p + 1, e);
        const char *ve = scan_value(p, e);
        if (!ve)
            return false;
        if (kl == strlen(key) && memcmp(ks, key, kl) == 0) {
            out->p = p;
            out->n = (size_t)(ve - p);
            return true;
        }
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        return false;
    }
}

/* Splits the array in `arr` into its elements' raw texts. Returns the count, or -1 if malformed. */
static long array_elements(struct span arr, struct span **out)
{
    const char *e = arr.p + arr.n;
    const char *p = skip_ws(arr.p, e);
    *out = NULL;
    if (p >= e || *p != '[')
        return -1;
    p = skip_ws(p + 1, e);
    long n = 0, cap = 0;
    struct span *v = NULL;
    if (p < e && *p == ']')
        return 0;
    for (;;) {
        const char *ve = scan_value(p, e);
        if (!ve) {
            free(v);
            return -1;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct span *nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) {
                free(v);
                return -1;
            }
            v = nv;
        }
        v[n].p = p;
        v[n].n = (size_t)(ve - p);
        n++;
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        if (p < e && *p == ']') {
            *out = v;
            return n;
        }
        free(v);
        return -1;
    }
}

static void put_utf8(char **o, unsigned long cp)
{
    unsigned char *q = (unsigned char *)*o;
    if (cp < 0x80) {
        *q++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *q++ = (unsigned char)(0xC0 | (cp >> 6));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *q++ = (unsigned char)(0xE0 | (cp >> 12));
        *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *q++ = (unsigned char)(0xF0 | (cp >> 18));
        *q++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)q;
}

static long hex4(const char *p, const char *e)
{
    if (e - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* A value as text: a string is unescaped, `null` gives NULL, anything else is copied raw. */
static char *value_text(struct span v)
{
    if (v.n == 4 && memcmp(v.p, "null", 4) == 0)
        return NULL;
    if (v.n < 2 || v.p[0] != '"')
        return xstrndup(v.p, v.n);
    const char *p = v.p + 1, *e = v.p + v.n - 1;
    char *out = xmalloc(v.n * 2 + 1), *o = out;
    while (p < e) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        if (p >= e)
            break;
        char c = *p++;
        switch (c) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            long cp = hex4(p, e);
            if (cp < 0)
                break;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                long lo = hex4(p + 2, e);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            put_utf8(&o, (unsigned long)cp);
            break;
        }
        default: *o++ = c; break; /* \" \\ \/ */
        }
    }
    *o = '\0';
    return out;
}

/* The text of member `key` ("-" when absent or null); caller frees. */
static char *field_text(struct span obj, const char *key)
{
    struct span v;
    char *t = obj_get(obj, key, &v) ? value_text(v) : NULL;
    return t ? t : xstrndup("-", 1);
}

/* ---- settings: a key=value file plus --set overrides ---------------------------------------- */

struct setting {
    char *key, *value;
};
static struct setting *g_settings;
static size_t g_nsettings;
/* Abuse mode: hide a key, or replace one value, for one init attempt. */
static const char *g_hidden_key;
static const char *g_forced_key, *g_forced_value;

static void setting_put(const char *key, const char *value)
{
    for (size_t i = 0; i < g_nsettings; i++) {
        if (strcmp(g_settings[i].key, key) == 0) {
            free(g_settings[i].value);
            g_settings[i].value = xstrndup(value, strlen(value));
            return;
        }
    }
    struct setting *ns = realloc(g_settings, (g_nsettings + 1) * sizeof *ns);
    if (!ns) {
        fprintf(stderr, "host: out of memory\n");
        exit(2);
    }
    g_settings = ns;
    g_settings[g_nsettings].key = xstrndup(key, strlen(key));
    g_settings[g_nsettings].value = xstrndup(value, strlen(value));
    g_nsettings++;
}

static bool setting_put_pair(char *line, const char *where)
{
    char *eq = strchr(line, '=');
    if (!eq) {
        fprintf(stderr, "host: %s: expected key=value, got \"%s\"\n", where, line);
        return false;
    }
    *eq = '\0';
    char *key = trim(line), *value = trim(eq + 1);
    if (!*key) {
        fprintf(stderr, "host: %s: empty key\n", where);
        return false;
    }
    setting_put(key, value);
    return true;
}

static bool settings_load(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "host: cannot read settings file %s: %s\n", path, strerror(errno));
        return false;
    }
    bool ok = true;
    int lineno = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *t = trim(line);
        if (!*t || *t == '#')
            continue;
        char where[600];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        ok = setting_put_pair(t, where) && ok;
    }
    free(text);
    return ok;
}

static const char *setting_get(const char *key)
{
    if (g_hidden_key && strcmp(key, g_hidden_key) == 0)
        return NULL;
    if (g_forced_key && strcmp(key, g_forced_key) == 0)
        return g_forced_value;
    for (size_t i = 0; i < g_nsettings; i++)
        if (strcmp(g_settings[i].key, key) == 0)
            return g_settings[i].value;
    return NULL;
}

/* ---- host callbacks ------------------------------------------------------------------------- */

/* Contract violations seen inside callbacks; checked after each session. */
static atomic_long g_settings_wrong_thread, g_settings_calls, g_log_lines, g_log_bad, g_log_after_shutdown;
static atomic_long g_log_secret; /* lines holding the client secret or an Authorization value */
static atomic_long g_status_calls, g_status_bad, g_status_after_shutdown, g_status_query_bad;
static atomic_uint g_status_query_bad_rc; /* the last unexpected code, for the report */
static atomic_bool g_shutdown_returned, g_shutdown_started, g_init_returned;
static atomic_long g_status_during_init; /* notifications before gcsync_init returned */
static atomic_long g_status_during_shutdown; /* notifications while gcsync_shutdown ran */
static pthread_t g_settings_thread;
static int g_userdata_tag; /* &g_userdata_tag is the userdata we pass */

static int64_t cb_get_setting(void *userdata, const char *key, char *value_buf, size_t value_buf_len)
{
    atomic_fetch_add(&g_settings_calls, 1);
    if (userdata != &g_userdata_tag || !pthread_equal(pthread_self(), g_settings_thread) || !key)
        atomic_fetch_add(&g_settings_wrong_thread, 1);
    if (!key)
        return -1;
    const char *v = setting_get(key);
    if (!v)
        return -1;
    size_t n = strlen(v);
    if (value_buf && value_buf_len > 0) {
        size_t c = n < value_buf_len - 1 ? n : value_buf_len - 1;
        memcpy(value_buf, v, c);
        value_buf[c] = '\0';
    }
    return (int64_t)n;
}

static void cb_log(void *userdata, gcsync_log_level level, const char *message, size_t message_len)
{
    static const char *const names[] = { "?", "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };
    int lv = (int)level;
    atomic_fetch_add(&g_log_lines, 1);
    if (atomic_load(&g_shutdown_returned))
        atomic_fetch_add(&g_log_after_shutdown, 1);
    if (userdata != &g_userdata_tag || lv < 1 || lv > 5 || !message || message[message_len] != '\0' ||
        strlen(message) != message_len)
        atomic_fetch_add(&g_log_bad, 1);
    if (!message)
        return;
    const char *secret = setting_get("client_secret");
    if ((secret && *secret && strstr(message, secret)) || strstr(message, "Bearer ") ||
        strstr(message, "Basic ") || strstr(message, "access_token"))
        atomic_fetch_add(&g_log_secret, 1);
    fprintf(stderr, "[gcsync %-5s] %.*s\n", names[lv >= 1 && lv <= 5 ? lv : 0], (int)message_len, message);
}

static void cb_status_changed(void *userdata, gcsync_object_kind kind, const char *object_id, size_t object_id_len)
{
    atomic_fetch_add(&g_status_calls, 1);
    if (atomic_load(&g_shutdown_returned))
        atomic_fetch_add(&g_status_after_shutdown, 1);
    if (userdata != &g_userdata_tag || kind != KIND_USER || !object_id || object_id_len == 0) {
        atomic_fetch_add(&g_status_bad, 1);
        return;
    }
    /* The query functions are allowed from here: use one, as a host showing live status would. */
    if (G.gcsync_object_status) {
        char buf[2048];
        size_t out = 0;
        gcsync_result rc = G.gcsync_object_status(kind, object_id, object_id_len, buf, sizeof buf, &out);
        /* While gcsync_shutdown runs, the queries answer SHUT_DOWN ("after shutdown or while it ran"). */
        bool stopping = atomic_load(&g_shutdown_started);
        if (!atomic_load(&g_init_returned))
            atomic_fetch_add(&g_status_during_init, 1);
        if (stopping)
            atomic_fetch_add(&g_status_during_shutdown, 1);
        if (rc == RC_SHUT_DOWN && stopping)
            return;
        if ((rc != RC_OK && rc != RC_BUFFER_TOO_SMALL) || (rc == RC_OK && strlen(buf) != out)) {
            atomic_fetch_add(&g_status_query_bad, 1);
            atomic_store(&g_status_query_bad_rc, (unsigned)rc);
        }
    }
}

static void reset_callback_counters(void)
{
    atomic_store(&g_settings_wrong_thread, 0);
    atomic_store(&g_settings_calls, 0);
    atomic_store(&g_log_lines, 0);
    atomic_store(&g_log_bad, 0);
    atomic_store(&g_log_secret, 0);
    atomic_store(&g_log_after_shutdown, 0);
    atomic_store(&g_status_calls, 0);
    atomic_store(&g_status_bad, 0);
    atomic_store(&g_status_after_shutdown, 0);
    atomic_store(&g_status_query_bad, 0);
    atomic_store(&g_status_query_bad_rc, 0);
    atomic_store(&g_shutdown_returned, false);
    atomic_store(&g_shutdown_started, false);
    atomic_store(&g_status_during_shutdown, 0);
    atomic_store(&g_status_during_init, 0);
    atomic_store(&g_init_returned, false);
}

static gcsync_host make_host(void)
{
    gcsync_host h;
    memset(&h, 0, sizeof h);
    h.abi_version = GCSYNC_ABI_VERSION;
    h.userdata = &g_userdata_tag;
    h.get_setting = cb_get_setting;
    h.log = cb_log;
    h.status_changed = cb_status_changed;
    return h;
}

static gcsync_result do_init(const gcsync_host *h)
{
    g_settings_thread = pthread_self();
    atomic_store(&g_shutdown_returned, false);
    atomic_store(&g_shutdown_started, false);
    atomic_store(&g_init_returned, false);
    gcsync_result rc = G.gcsync_init(h);
    atomic_store(&g_init_returned, true);
    return rc;
}

static gcsync_result do_shutdown_within(uint32_t timeout_ms)
{
    atomic_store(&g_shutdown_started, true);
    gcsync_result rc = G.gcsync_shutdown(timeout_ms);
    atomic_store(&g_shutdown_returned, true);
    return rc;
}

static gcsync_result do_shutdown(void)
{
    return do_shutdown_within(O.timeout_ms);
}

static void check_callback_contract(const char *when)
{
    check(atomic_load(&g_settings_wrong_thread) == 0,
          "%s: get_setting called %ld times, always on the init/settings thread with our userdata", when,
          atomic_load(&g_settings_calls));
    check(atomic_load(&g_log_secret) == 0,
          "%s: no log line holds the client secret, a token or an Authorization value (bad: %ld)", when,
          atomic_load(&g_log_secret));
    check(atomic_load(&g_log_bad) == 0,
          "%s: %ld log lines, all with a valid level, userdata and NUL at message[len] (bad: %ld)", when,
          atomic_load(&g_log_lines), atomic_load(&g_log_bad));
    check(atomic_load(&g_log_after_shutdown) == 0, "%s: no log line after gcsync_shutdown returned (saw %ld)",
          when, atomic_load(&g_log_after_shutdown));
    check(atomic_load(&g_status_bad) == 0 && atomic_load(&g_status_after_shutdown) == 0,
          "%s: %ld status notifications (%ld before gcsync_init returned, %ld while shutdown ran), all well-formed "
          "and before shutdown returned (bad %ld, late %ld)",
          when, atomic_load(&g_status_calls), atomic_load(&g_status_during_init),
          atomic_load(&g_status_during_shutdown), atomic_load(&g_status_bad),
          atomic_load(&g_status_after_shutdown));
    unsigned bad_rc = atomic_load(&g_status_query_bad_rc);
    check(atomic_load(&g_status_query_bad) == 0,
          "%s: gcsync_object_status from inside the status callback worked (bad: %ld%s%s)", when,
          atomic_load(&g_status_query_bad), bad_rc ? ", last got " : "", bad_rc ? rname(bad_rc) : "");
}

/* ---- loading and unloading ------------------------------------------------------------------ */

static bool load_library(void)
{
    memset(&G, 0, sizeof G);
    dlerror();
    void *h = dlopen(O.lib, RTLD_NOW | RTLD_LOCAL);
    if (!check(h != NULL, "dlopen %s%s%s", O.lib, h ? "" : ": ", h ? "" : dlerror()))
        return false;
    G.handle = h;
    char missing[1024] = "";
    int nmissing = 0;
#define LOAD_SYMBOL(name)                                                                          \
    do {                                                                                           \
        void *sym = dlsym(h, #name);                                                               \
        if (sym) {                                                                                 \
            memcpy(&G.name, &sym, sizeof sym);                                                     \
        } else {                                                                                   \
            nmissing++;                                                                            \
            strncat(missing, " " #name, sizeof missing - strlen(missing) - 1);                     \
        }                                                                                          \
    } while (0);
    GCSYNC_FUNCTIONS(LOAD_SYMBOL)
#undef LOAD_SYMBOL
    if (!check(nmissing == 0, "dlsym: all 13 exported functions present%s%s", nmissing ? "; missing:" : "",
               missing)) {
        dlclose(h);
        memset(&G, 0, sizeof G);
        return false;
    }
    return true;
}

static void unload_library(void)
{
    if (!G.handle)
        return;
    int rc = dlclose(G.handle);
    check(rc == 0, "dlclose%s%s", rc == 0 ? "" : ": ", rc == 0 ? "" : dlerror());
    memset(&G, 0, sizeof G);
}

/* ---- thread accounting ---------------------------------------------------------------------- */

static int g_baseline_tasks;

static int count_tasks(char *names, size_t names_len)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    if (names && names_len)
        names[0] = '\0';
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        if (names && names_len) {
            char path[300], comm[64] = "";
            snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
            FILE *f = fopen(path, "r");
            if (f) {
                if (!fgets(comm, sizeof comm, f))
                    comm[0] = '\0';
                fclose(f);
            }
            size_t cl = strlen(comm);
            if (cl && comm[cl - 1] == '\n')
                comm[cl - 1] = '\0';
            size_t used = strlen(names);
            snprintf(names + used, names_len - used, "%s%s(%s)", used ? " " : "", de->d_name, comm);
        }
    }
    closedir(d);
    return n;
}

/* A thread that was joined can stay listed for microseconds; poll briefly, then judge. */
static void check_threads(const char *when)
{
    char names[1024];
    int n = 0;
    double t0 = now_s();
    for (int i = 0; i < 200; i++) {
        n = count_tasks(NULL, 0);
        if (n <= g_baseline_tasks)
            break;
        sleep_ms(1);
    }
    double waited = (now_s() - t0) * 1000.0;
    if (n != g_baseline_tasks) {
        count_tasks(names, sizeof names);
        check(false, "%s: %d threads in the process, want %d (the host's own); tasks: %s", when, n,
              g_baseline_tasks, names);
    } else {
        check(true, "%s: %d thread(s) in the process, as before the library was loaded%s", when, n,
              waited > 5.0 ? " (after a short wait)" : "");
    }
}

/* ---- the dataset ---------------------------------------------------------------------------- */

struct user {
    char *json; /* exactly len bytes, NOT NUL-terminated: over-reads by the library show up in ASan */
    size_t len;
    char *id;
};

static struct user *g_users;
static size_t g_nusers;
static char *g_snapshot; /* {"users":[...]} rebuilt from the elements */
static size_t g_snapshot_len;

static bool dataset_load(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "host: cannot read dataset %s: %s\n", path, strerror(errno));
        return false;
    }
    struct span doc = { text, len }, arr, *elems = NULL;
    long n = -1;
    if (obj_get(doc, "users", &arr))
        n = array_elements(arr, &elems);
    if (n < 0) {
        fprintf(stderr, "host: %s: expected {\"users\":[...]}\n", path);
        free(text);
        return false;
    }
    g_users = xmalloc((size_t)(n ? n : 1) * sizeof *g_users);
    g_nusers = (size_t)n;
    g_snapshot = xmalloc(arr.n + 32);
    size_t o = (size_t)sprintf(g_snapshot, "{\"users\":[");
    for (long i = 0; i < n; i++) {
        struct span id;
        g_users[i].len = elems[i].n;
        g_users[i].json = xmalloc(elems[i].n);
        memcpy(g_users[i].json, elems[i].p, elems[i].n);
        g_users[i].id = obj_get(elems[i], "id", &id) ? value_text(id) : NULL;
        if (!g_users[i].id) {
            fprintf(stderr, "host: %s: user #%ld has no \"id\"\n", path, i + 1);
            free(elems);
            free(text);
            return false;
        }
        if (i)
            g_snapshot[o++] = ',';
        memcpy(g_snapshot + o, elems[i].p, elems[i].n);
        o += elems[i].n;
    }
    o += (size_t)sprintf(g_snapshot + o, "]}");
    g_snapshot_len = o;
    free(elems);
    free(text);
    return true;
}

static void dataset_free(void)
{
    for (size_t i = 0; i < g_nusers; i++) {
        free(g_users[i].json);
        free(g_users[i].id);
    }
    free(g_users);
    free(g_snapshot);
    for (size_t i = 0; i < g_nsettings; i++) {
        free(g_settings[i].key);
        free(g_settings[i].value);
    }
    free(g_settings);
}

/* ---- queries with the snprintf protocol ----------------------------------------------------- */

enum query { Q_OBJECT, Q_LIST, Q_OVERVIEW };

static atomic_long g_query_protocol_bad;

static gcsync_result query_raw(enum query q, const char *id, char *buf, size_t len, size_t *out)
{
    switch (q) {
    case Q_OBJECT: return G.gcsync_object_status(KIND_USER, id, strlen(id), buf, len, out);
    case Q_LIST: return G.gcsync_list_status(KIND_USER, buf, len, out);
    default: return G.gcsync_overview(buf, len, out);
    }
}

/* Asks for the length with a NULL buffer, then fetches. Returns malloc'd JSON or NULL (rc set). */
static char *query(enum query q, const char *id, gcsync_result *rc_out)
{
    size_t need = 0;
    gcsync_result rc = query_raw(q, id, NULL, 0, &need);
    if (rc != RC_BUFFER_TOO_SMALL) {
        if (rc_out)
            *rc_out = rc;
        if (rc == RC_OK) /* impossible: nothing fits in zero bytes */
            atomic_fetch_add(&g_query_protocol_bad, 1);
        return NULL;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        size_t cap = need + 1 + (size_t)attempt * 256; /* the answer may grow between calls */
        char *buf = xmalloc(cap);
        size_t got = (size_t)-1;
        rc = query_raw(q, id, buf, cap, &got);
        if (rc == RC_OK) {
            if (got != strlen(buf) || got >= cap)
                atomic_fetch_add(&g_query_protocol_bad, 1);
            if (rc_out)
                *rc_out = rc;
            return buf;
        }
        free(buf);
        if (rc != RC_BUFFER_TOO_SMALL)
            break;
        need = got;
    }
    if (rc_out)
        *rc_out = rc;
    return NULL;
}

/* ---- sending from threads -------------------------------------------------------------------- */

struct sender {
    pthread_t thread;
    int index;
    bool with_queries;
    long sent, failed, queries, queries_failed;
    unsigned first_bad_rc;
    char first_bad_detail[256];
};

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    for (int r = 0; r < O.repeat; r++) {
        for (size_t i = (size_t)s->index; i < g_nusers; i += (size_t)O.threads) {
            gcsync_result rc = G.gcsync_on_user_changed(g_users[i].json, g_users[i].len);
            s->sent++;
            if (rc != RC_OK) {
                if (!s->failed++) {
                    s->first_bad_rc = (unsigned)rc;
                    last_error(s->first_bad_detail, sizeof s->first_bad_detail);
                }
            }
            if (s->with_queries && (s->sent % 7) == 0) {
                gcsync_result qrc;
                char *j = query((s->sent % 14) ? Q_OVERVIEW : Q_LIST, NULL, &qrc);
                if (!j && (s->queries_failed++ == 0) && !s->failed) {
                    s->first_bad_rc = (unsigned)qrc;
                    last_error(s->first_bad_detail, sizeof s->first_bad_detail);
                }
                s->queries++;
                free(j);
                j = query(Q_OBJECT, g_users[i].id, &qrc);
                s->queries++;
                if (!j)
                    s->queries_failed++;
                free(j);
            }
        }
    }
    return NULL;
}

/* Sends every user `repeat` times from `threads` threads. Returns false if a thread failed. */
static bool send_users(bool with_queries, bool settings_reloads)
{
    int n = O.threads;
    struct sender *s = calloc((size_t)n, sizeof *s);
    if (!s)
        exit(2);
    double t0 = now_s();
    int started = 0;
    for (int i = 0; i < n; i++) {
        s[i].index = i;
        s[i].with_queries = with_queries;
        int err = pthread_create(&s[i].thread, NULL, sender_main, &s[i]);
        if (err) {
            check(false, "start sender thread %d: %s", i, strerror(err));
            break;
        }
        started++;
    }
    long reloads = 0, reloads_bad = 0;
    unsigned reload_bad_rc = 0;
    if (settings_reloads) {
        /* gcsync_on_settings_changed while the hooks run (settings are read on this thread). */
        for (int i = 0; i < 5; i++) {
            g_settings_thread = pthread_self();
            gcsync_result rc = G.gcsync_on_settings_changed();
            reloads++;
            if (rc != RC_OK) {
                reloads_bad++;
                reload_bad_rc = (unsigned)rc;
            }
            sleep_ms(2);
        }
    }
    long sent = 0, failed = 0, queries = 0, qfailed = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(s[i].thread, NULL);
        sent += s[i].sent;
        failed += s[i].failed;
        queries += s[i].queries;
        qfailed += s[i].queries_failed;
        if (s[i].failed || s[i].queries_failed)
            say("         thread %d: first failure %u %s (%s)", i, s[i].first_bad_rc, rname(s[i].first_bad_rc),
                s[i].first_bad_detail);
    }
    double dt = now_s() - t0;
    bool ok = check(failed == 0, "gcsync_on_user_changed x%ld from %d thread(s) (%zu users x %d repeats) -> OK "
                                 "(failed: %ld; %.3f s, %.0f calls/s)",
                    sent, started, g_nusers, O.repeat, failed, dt, dt > 0 ? (double)sent / dt : 0.0);
    if (with_queries)
        ok = check(qfailed == 0, "%ld concurrent status/overview queries during intake -> OK (failed: %ld)", queries,
                   qfailed) && ok;
    if (settings_reloads)
        ok = check(reloads_bad == 0, "gcsync_on_settings_changed x%ld during intake -> OK (failed: %ld, last %u %s)",
                   reloads, reloads_bad, reload_bad_rc, reloads_bad ? rname(reload_bad_rc) : "") && ok;
    free(s);
    return ok;
}

/* ---- status report -------------------------------------------------------------------------- */

struct counts {
    long synced, error, not_synced, other, missing;
};

/* Prints the per-object table for the ids we sent and the overview; returns the state counts. */
static struct counts report(bool print)
{
    struct counts c = { 0, 0, 0, 0, 0 };
    atomic_store(&g_query_protocol_bad, 0);
    size_t w = strlen("CIC id");
    for (size_t i = 0; i < g_nusers; i++)
        if (strlen(g_users[i].id) > w)
            w = strlen(g_users[i].id);
    if (print) {
        say("%s", "");
        say("%-*s  %-10s  %-20s  %-36s  %s", (int)w, "CIC id", "State", "Last synchronized", "Genesys id", "Reason");
        say("%-*s  %-10s  %-20s  %-36s  %s", (int)w, "------", "-----", "-----------------", "----------", "------");
    }
    long bad_status = 0;
    for (size_t i = 0; i < g_nusers; i++) {
        bool dup = false; /* the dataset may repeat an id */
        for (size_t j = 0; j < i; j++)
            dup = dup || strcmp(g_users[i].id, g_users[j].id) == 0;
        if (dup)
            continue;
        gcsync_result rc;
        char *j = query(Q_OBJECT, g_users[i].id, &rc);
        if (!j) {
            c.missing++;
            bad_status++;
            char detail[256];
            last_error(detail, sizeof detail);
            say("%-*s  (gcsync_object_status failed: %u %s: %s)", (int)w, g_users[i].id, (unsigned)rc, rname(rc),
                detail);
            continue;
        }
        struct span o = { j, strlen(j) };
        char *state = field_text(o, "state"), *last = field_text(o, "last_synchronized"),
             *gid = field_text(o, "genesys_id"), *reason = field_text(o, "reason"), *id = field_text(o, "id");
        if (strcmp(state, "Synced") == 0)
            c.synced++;
        else if (strcmp(state, "Error") == 0)
            c.error++;
        else if (strcmp(state, "Not synced") == 0)
            c.not_synced++;
        else
            c.other++;
        if (strcmp(id, g_users[i].id) != 0)
            bad_status++;
        if (print)
            say("%-*s  %-10s  %-20s  %-36s  %s", (int)w, g_users[i].id, state, last, gid, reason);
        free(state);
        free(last);
        free(gid);
        free(reason);
        free(id);
        free(j);
    }
    check(bad_status == 0, "gcsync_object_status for each sent id -> OK with the same \"id\" (bad: %ld)", bad_status);

    /* The list must agree with the per-object answers. */
    gcsync_result rc;
    char *list = query(Q_LIST, NULL, &rc);
    if (check(list != NULL, "gcsync_list_status -> %s", list ? "OK" : rname(rc))) {
        struct span *el = NULL;
        struct span ls = { list, strlen(list) };
        long n = array_elements(ls, &el);
        long synced = 0, error = 0, others = 0;
        for (long i = 0; i < n; i++) {
            char *st = field_text(el[i], "state"), *oid = field_text(el[i], "id");
            bool ours = false; /* the data dir may also hold objects from earlier runs */
            for (size_t k = 0; k < g_nusers && !ours; k++)
                ours = strcmp(oid, g_users[k].id) == 0;
            if (ours) {
                synced += strcmp(st, "Synced") == 0;
                error += strcmp(st, "Error") == 0;
            } else {
                others++;
            }
            free(st);
            free(oid);
        }
        check(n >= 0 && synced == c.synced && error == c.error,
              "gcsync_list_status is a JSON array of %ld objects (%ld not from this dataset); for the dataset's ids "
              "Synced %ld / Error %ld agree with per-object status (%ld / %ld)",
              n, others, synced, error, c.synced, c.error);
        free(el);
        free(list);
    }

    char *ov = query(Q_OVERVIEW, NULL, &rc);
    if (check(ov != NULL, "gcsync_overview -> %s", ov ? "OK" : rname(rc))) {
        if (print) {
            say("%s", "");
            say("overview: %s", ov);
            say("%s", "");
        }
        struct span o = { ov, strlen(ov) };
        char *pending = field_text(o, "pending"), *depth = field_text(o, "queue_depth"),
             *alive = field_text(o, "worker_alive");
        check(strcmp(pending, "0") == 0 && strcmp(depth, "0") == 0 && strcmp(alive, "true") == 0,
              "overview after wait_idle: pending=%s queue_depth=%s worker_alive=%s (want 0, 0, true)", pending, depth,
              alive);
        free(pending);
        free(depth);
        free(alive);
        free(ov);
    }
    check(atomic_load(&g_query_protocol_bad) == 0,
          "query functions kept the snprintf contract (NULL/0 -> BUFFER_TOO_SMALL with length; out_len == strlen)");
    return c;
}

static void check_expectations(struct counts c, const char *when)
{
    if (O.expect_synced >= 0)
        check(c.synced == O.expect_synced, "%s: %ld object(s) Synced, expected %ld", when, c.synced, O.expect_synced);
    if (O.expect_error >= 0)
        check(c.error == O.expect_error, "%s: %ld object(s) in Error, expected %ld", when, c.error, O.expect_error);
}

/* ---- modes ---------------------------------------------------------------------------------- */

/* One full life: load, init, send, wait, report, shutdown, unload, thread check. */
static void session(const char *label, bool stress, bool print)
{
    say("== %s", label);
    reset_callback_counters();
    if (!load_library())
        return;
    check(G.gcsync_abi_version() == GCSYNC_ABI_VERSION, "gcsync_abi_version() == %d (got %u)", GCSYNC_ABI_VERSION,
          (unsigned)G.gcsync_abi_version());
    gcsync_host host = make_host();
    if (!expect_rc(do_init(&host), RC_OK, "gcsync_init")) {
        unload_library();
        return;
    }
    send_users(stress, stress);
    if (stress) {
        g_settings_thread = pthread_self();
        expect_rc(G.gcsync_on_force_sync(g_snapshot, g_snapshot_len), RC_OK, "gcsync_on_force_sync(whole dataset)");
    }
    double t0 = now_s();
    gcsync_result rc = G.gcsync_wait_idle(O.timeout_ms);
    char what[96];
    snprintf(what, sizeof what, "gcsync_wait_idle(%u ms) [took %.2f s]", O.timeout_ms, now_s() - t0);
    expect_rc(rc, RC_OK, what);
    struct counts c = report(print);
    check_expectations(c, label);
    t0 = now_s();
    rc = do_shutdown();
    snprintf(what, sizeof what, "gcsync_shutdown(%u ms) [took %.3f s]", O.timeout_ms, now_s() - t0);
    expect_rc(rc, RC_OK, what);
    check_threads("after gcsync_shutdown");
    unload_library();
    check_threads("after dlclose");
    check_callback_contract(label);
}

static void mode_lifecycle(void)
{
    for (int k = 1; k <= O.repeat; k++) {
        char label[64];
        snprintf(label, sizeof label, "lifecycle %d/%d", k, O.repeat);
        int saved = O.repeat;
        O.repeat = 1; /* in this mode --repeat counts lives, each sends the dataset once */
        session(label, false, k == 1 || k == saved);
        O.repeat = saved;
    }
}

/* Every hook and query, expecting one code (NOT_INITIALIZED before init, SHUT_DOWN after). */
static void all_calls_expect(gcsync_result want, const char *when)
{
    char what[160];
    const struct user *u = &g_users[0];
    char buf[64];
    size_t out = 0;
#define EXPECT(call, name)                                                                         \
    do {                                                                                           \
        snprintf(what, sizeof what, "%s: %s", when, name);                                         \
        expect_rc((call), want, what);                                                             \
    } while (0)
    EXPECT(G.gcsync_on_user_changed(u->json, u->len), "gcsync_on_user_changed");
    EXPECT(G.gcsync_on_user_deleted(u->id, strlen(u->id)), "gcsync_on_user_deleted");
    g_settings_thread = pthread_self();
    EXPECT(G.gcsync_on_settings_changed(), "gcsync_on_settings_changed");
    EXPECT(G.gcsync_on_force_sync(g_snapshot, g_snapshot_len), "gcsync_on_force_sync");
    EXPECT(G.gcsync_wait_idle(10), "gcsync_wait_idle");
    EXPECT(G.gcsync_object_status(KIND_USER, u->id, strlen(u->id), buf, sizeof buf, &out), "gcsync_object_status");
    EXPECT(G.gcsync_list_status(KIND_USER, buf, sizeof buf, &out), "gcsync_list_status");
    EXPECT(G.gcsync_overview(buf, sizeof buf, &out), "gcsync_overview");
#undef EXPECT
}

/* An init that must be refused; if the library accepts it anyway, shut it down again so the rest of
 * the run still means something (the failure is already counted). */
static void refused_init(const gcsync_host *h, gcsync_result want, const char *what)
{
    gcsync_result rc = h ? do_init(h) : G.gcsync_init(NULL);
    if (!expect_rc(rc, want, what) && rc == RC_OK) {
        do_shutdown();
        say("         (accepted: shut down again to carry on)");
    }
}

static void mode_abuse(void)
{
    char what[200], buf[256], detail[512];
    size_t out;
    gcsync_result rc;
    const struct user *u = &g_users[0];
    const char *id = u->id;

    say("== abuse: before gcsync_init");
    reset_callback_counters();
    if (!load_library())
        return;
    check(G.gcsync_abi_version() == GCSYNC_ABI_VERSION, "gcsync_abi_version() == %d", GCSYNC_ABI_VERSION);
    all_calls_expect(RC_NOT_INITIALIZED, "before init");
    last_error(detail, sizeof detail);
    check(detail[0] != '\0', "gcsync_last_error_message after a failed call is not empty: \"%s\"", detail);
    rc = G.gcsync_shutdown(100);
    check(rc == RC_OK || rc == RC_NOT_INITIALIZED, "gcsync_shutdown before init -> %u %s (OK or NOT_INITIALIZED)",
          (unsigned)rc, rname(rc));

    say("== abuse: gcsync_init refusals (each must leave the library uninitialised)");
    gcsync_host host = make_host();
    refused_init(NULL, RC_NULL_PARAMETER, "gcsync_init(NULL)");
    host.abi_version = GCSYNC_ABI_VERSION + 1000;
    refused_init(&host, RC_ABI_VERSION_MISMATCH, "gcsync_init(abi_version 1001)");
    host = make_host();
    host.get_setting = NULL;
    refused_init(&host, RC_NULL_PARAMETER, "gcsync_init(get_setting NULL)");
    host = make_host();
    g_hidden_key = "client_id";
    refused_init(&host, RC_MISSING_SETTING, "gcsync_init without client_id");
    g_hidden_key = NULL;
    g_forced_key = "requests_per_minute";
    g_forced_value = "lots";
    refused_init(&host, RC_INVALID_SETTING, "gcsync_init with requests_per_minute=lots");
    g_forced_key = "sync_user_objects";
    g_forced_value = "false"; /* advanced objects need users: with sync_advanced_platform_objects=true */
    const char *adv = setting_get("sync_advanced_platform_objects");
    setting_put("sync_advanced_platform_objects", "true");
    refused_init(&host, RC_CONFLICTING_SETTINGS,
              "gcsync_init with sync_user_objects=false, sync_advanced_platform_objects=true");
    if (adv) {
        char *copy = xstrndup(adv, strlen(adv));
        setting_put("sync_advanced_platform_objects", copy);
        free(copy);
    } else {
        setting_put("sync_advanced_platform_objects", "false");
    }
    g_forced_key = "data_dir";
    g_forced_value = "/proc/gcsync-harness-cannot-create-this";
    refused_init(&host, RC_STORAGE_ERROR, "gcsync_init with an uncreatable data_dir");
    g_forced_key = g_forced_value = NULL;
    rc = G.gcsync_on_user_changed(u->json, u->len);
    check(rc == RC_NOT_INITIALIZED || rc == RC_SHUT_DOWN,
          "after refused inits: gcsync_on_user_changed -> %u %s (NOT_INITIALIZED)", (unsigned)rc, rname(rc));
    check_threads("after refused inits (no worker left behind)");

    say("== abuse: gcsync_init");
    if (!expect_rc(do_init(&host), RC_OK, "gcsync_init")) {
        unload_library();
        return;
    }
    expect_rc(do_init(&host), RC_ALREADY_INITIALIZED, "second gcsync_init");

    say("== abuse: NULL pointers");
    expect_rc(G.gcsync_on_user_changed(NULL, 10), RC_NULL_PARAMETER, "gcsync_on_user_changed(NULL, 10)");
    expect_rc(G.gcsync_on_user_deleted(NULL, 4), RC_NULL_PARAMETER, "gcsync_on_user_deleted(NULL, 4)");
    expect_rc(G.gcsync_on_force_sync(NULL, 12), RC_NULL_PARAMETER, "gcsync_on_force_sync(NULL, 12)");
    expect_rc(G.gcsync_object_status(KIND_USER, NULL, 4, buf, sizeof buf, &out), RC_NULL_PARAMETER,
              "gcsync_object_status(object_id NULL)");
    expect_rc(G.gcsync_object_status(KIND_USER, id, strlen(id), buf, sizeof buf, NULL), RC_NULL_PARAMETER,
              "gcsync_object_status(out_len NULL)");
    expect_rc(G.gcsync_object_status(KIND_USER, id, strlen(id), NULL, 16, &out), RC_NULL_PARAMETER,
              "gcsync_object_status(buf NULL, buf_len 16)");
    expect_rc(G.gcsync_list_status(KIND_USER, buf, sizeof buf, NULL), RC_NULL_PARAMETER,
              "gcsync_list_status(out_len NULL)");
    expect_rc(G.gcsync_overview(NULL, 16, &out), RC_NULL_PARAMETER, "gcsync_overview(buf NULL, buf_len 16)");

    say("== abuse: payloads");
    static const char bad_utf8_json[] = "{\"id\":\"bad\xff\xfe\",\"display_name\":\"x\"}";
    expect_rc(G.gcsync_on_user_changed(bad_utf8_json, sizeof bad_utf8_json - 1), RC_INVALID_UTF8,
              "gcsync_on_user_changed(invalid UTF-8 bytes)");
    static const char bad_utf8_id[] = "ab\xc3\x28";
    expect_rc(G.gcsync_on_user_deleted(bad_utf8_id, sizeof bad_utf8_id - 1), RC_INVALID_UTF8,
              "gcsync_on_user_deleted(invalid UTF-8 id)");
    expect_rc(G.gcsync_object_status(KIND_USER, bad_utf8_id, sizeof bad_utf8_id - 1, buf, sizeof buf, &out),
              RC_INVALID_UTF8, "gcsync_object_status(invalid UTF-8 id)");
    static const char truncated[] = "{\"id\":\"jdoe\",\"display_name\":\"Jane";
    expect_rc(G.gcsync_on_user_changed(truncated, sizeof truncated - 1), RC_MALFORMED_JSON,
              "gcsync_on_user_changed(truncated JSON)");
    last_error(detail, sizeof detail);
    check(detail[0] != '\0', "gcsync_last_error_message after MALFORMED_JSON: \"%s\"", detail);
    static const char not_json[] = "id=jdoe";
    expect_rc(G.gcsync_on_user_changed(not_json, sizeof not_json - 1), RC_MALFORMED_JSON,
              "gcsync_on_user_changed(\"id=jdoe\")");
    static const char bad_snapshot[] = "{\"users\":[{\"id\":\"a\"},";
    expect_rc(G.gcsync_on_force_sync(bad_snapshot, sizeof bad_snapshot - 1), RC_MALFORMED_JSON,
              "gcsync_on_force_sync(truncated JSON)");
    /* Length is authoritative: a valid prefix followed by garbage beyond len must be accepted. */
    static const char prefix[] = "{\"id\":\"len-test\"}GARBAGE";
    expect_rc(G.gcsync_on_user_changed(prefix, 17), RC_OK, "gcsync_on_user_changed honours the length (17 of 24 bytes)");
    static const char unknown_field[] = "{\"id\":\"jdoe\",\"shoe_size\":\"44\"}";
    expect_rc(G.gcsync_on_user_changed(unknown_field, sizeof unknown_field - 1), RC_UNKNOWN_FIELD,
              "gcsync_on_user_changed(unknown field shoe_size)");
    static const char no_id[] = "{\"display_name\":\"Nobody\",\"business_email\":\"nobody@example.com\"}";
    expect_rc(G.gcsync_on_user_changed(no_id, sizeof no_id - 1), RC_MISSING_FIELD,
              "gcsync_on_user_changed(no id)");
    static const char int_id[] = "{\"id\":42}";
    expect_rc(G.gcsync_on_user_changed(int_id, sizeof int_id - 1), RC_INVALID_FIELD,
              "gcsync_on_user_changed(id is a number)");
    static const char snap_unknown[] = "{\"users\":[],\"groups\":[]}";
    expect_rc(G.gcsync_on_force_sync(snap_unknown, sizeof snap_unknown - 1), RC_UNKNOWN_FIELD,
              "gcsync_on_force_sync(unknown top-level field)");
    {
        size_t big = 2u << 20; /* 2 MiB of valid JSON */
        char *p = xmalloc(big);
        static const char head[] = "{\"id\":\"big\",\"display_name\":\"";
        memcpy(p, head, sizeof head - 1);
        memset(p + sizeof head - 1, 'x', big - (sizeof head - 1) - 2);
        memcpy(p + big - 2, "\"}", 2);
        expect_rc(G.gcsync_on_user_changed(p, big), RC_PAYLOAD_TOO_LARGE, "gcsync_on_user_changed(2 MiB payload)");
        /* A force-sync snapshot has its own (larger) limit or none; only require no crash and a defined code. */
        free(p);
    }

    say("== abuse: kinds, buffers, messages");
    expect_rc(G.gcsync_object_status((gcsync_object_kind)99, id, strlen(id), buf, sizeof buf, &out),
              RC_UNKNOWN_OBJECT_KIND, "gcsync_object_status(kind 99)");
    expect_rc(G.gcsync_list_status((gcsync_object_kind)99, buf, sizeof buf, &out), RC_UNKNOWN_OBJECT_KIND,
              "gcsync_list_status(kind 99)");
    expect_rc(G.gcsync_on_user_changed(u->json, u->len), RC_OK, "gcsync_on_user_changed(first dataset user)");
    expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
    {
        gcsync_result frc;
        char *full = query(Q_OBJECT, id, &frc);
        if (check(full != NULL, "gcsync_object_status(%s) -> OK: %s", id, full ? full : rname(frc))) {
            size_t flen = strlen(full);
            char small[64];
            memset(small, 0xAA, sizeof small);
            out = 0;
            rc = G.gcsync_object_status(KIND_USER, id, strlen(id), small, 8, &out);
            expect_rc(rc, RC_BUFFER_TOO_SMALL, "gcsync_object_status(buf_len 8)");
            bool guard = true;
            for (size_t i = 8; i < sizeof small; i++)
                guard = guard && (unsigned char)small[i] == 0xAA;
            check(out == flen && small[7] == '\0' && memcmp(small, full, 7) == 0 && guard,
                  "buf_len 8: out_len %zu (want %zu), buf NUL-terminated prefix \"%.7s\", bytes past buf_len untouched",
                  out, flen, small);
            out = 0;
            rc = G.gcsync_object_status(KIND_USER, id, strlen(id), small, 1, &out);
            check(rc == RC_BUFFER_TOO_SMALL && out == flen && small[0] == '\0',
                  "gcsync_object_status(buf_len 1) -> %s, out_len %zu, buf \"\"", rname(rc), out);
            char *exact = xmalloc(flen);
            rc = G.gcsync_object_status(KIND_USER, id, strlen(id), exact, flen, &out);
            check(rc == RC_BUFFER_TOO_SMALL && out == flen && exact[flen - 1] == '\0',
                  "gcsync_object_status(buf_len == length, no room for NUL) -> %s", rname(rc));
            free(exact);
            free(full);
        }
    }
    {
        size_t need = G.gcsync_result_message(RC_OK, NULL, 0);
        char m[256];
        memset(m, 0xAA, sizeof m);
        size_t n = G.gcsync_result_message(RC_OK, m, sizeof m);
        check(need > 0 && n == need && strlen(m) == n, "gcsync_result_message(OK) = \"%s\" (length %zu)", m, n);
        memset(m, 0xAA, sizeof m);
        n = G.gcsync_result_message(RC_PAYLOAD_TOO_LARGE, m, 5);
        check(n > 4 && m[4] == '\0' && strlen(m) == 4 && (unsigned char)m[5] == 0xAA,
              "gcsync_result_message(PAYLOAD_TOO_LARGE, buf_len 5) truncates to \"%s\", returns %zu", m, n);
        char generic[256];
        G.gcsync_result_message(RC_UNKNOWN, generic, sizeof generic);
        n = G.gcsync_result_message(12345, m, sizeof m);
        check(n > 0 && strlen(m) == n && strcmp(m, generic) == 0,
              "gcsync_result_message(12345) = \"%s\" (the generic UNKNOWN text)", m);
        n = G.gcsync_result_message(8098, m, sizeof m);
        check(n > 0 && strcmp(m, generic) == 0, "gcsync_result_message(8098, an unassigned code) = \"%s\"", m);
        size_t le = G.gcsync_last_error_message(NULL, 0);
        check(le > 0, "gcsync_last_error_message(NULL, 0) returns the needed length (%zu)", le);
    }

    say("== abuse: settings reload and delete");
    g_settings_thread = pthread_self();
    expect_rc(G.gcsync_on_settings_changed(), RC_OK, "gcsync_on_settings_changed");
    g_forced_key = "requests_per_minute";
    g_forced_value = "lots";
    expect_rc(G.gcsync_on_settings_changed(), RC_INVALID_SETTING, "gcsync_on_settings_changed(requests_per_minute=lots)");
    g_forced_key = g_forced_value = NULL;
    expect_rc(G.gcsync_on_user_changed(u->json, u->len), RC_OK, "hooks still work after a refused settings reload");
    expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");

    say("== abuse: shutdown, then every call");
    snprintf(what, sizeof what, "gcsync_shutdown(%u)", O.timeout_ms);
    expect_rc(do_shutdown(), RC_OK, what);
    check_threads("after gcsync_shutdown");
    all_calls_expect(RC_SHUT_DOWN, "after shutdown");
    rc = G.gcsync_shutdown(100);
    check(rc == RC_SHUT_DOWN || rc == RC_OK, "second gcsync_shutdown -> %u %s (SHUT_DOWN or OK)", (unsigned)rc,
          rname(rc));
    check_callback_contract("abuse first life");

    say("== abuse: init again after shutdown (same process, library still loaded)");
    reset_callback_counters();
    host = make_host();
    if (expect_rc(do_init(&host), RC_OK, "gcsync_init after gcsync_shutdown")) {
        expect_rc(G.gcsync_on_user_changed(u->json, u->len), RC_OK, "gcsync_on_user_changed");
        expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
        gcsync_result src;
        char *j = query(Q_OBJECT, id, &src);
        check(j != NULL, "second life: gcsync_object_status(%s) -> %s", id, j ? j : rname(src));
        free(j);
        /* Queue the whole dataset and stop at once: what is left must be saved and resumed. */
        for (size_t i = 0; i < g_nusers; i++)
            G.gcsync_on_user_changed(g_users[i].json, g_users[i].len);
        rc = do_shutdown_within(0);
        check(rc == RC_OK || rc == RC_SHUTDOWN_TIMED_OUT,
              "second life: gcsync_shutdown(0) right after queueing %zu users -> %u %s (OK or SHUTDOWN_TIMED_OUT)",
              g_nusers, (unsigned)rc, rname(rc));
        check_threads("after gcsync_shutdown(0)");
        check_callback_contract("abuse second life");

        say("== abuse: third life resumes the saved work");
        reset_callback_counters();
        if (expect_rc(do_init(&host), RC_OK, "third gcsync_init")) {
            expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
            struct counts c = report(false);
            check(c.synced + c.error == (long)g_nusers,
                  "every dataset user was processed after the resume (Synced %ld + Error %ld == %zu)", c.synced,
                  c.error, g_nusers);
            check_expectations(c, "third life");
            snprintf(what, sizeof what, "third life: gcsync_shutdown(%u)", O.timeout_ms);
            expect_rc(do_shutdown(), RC_OK, what);
        }
    }
    check_threads("after the last gcsync_shutdown");
    unload_library();
    check_threads("after dlclose");
    check_callback_contract("abuse third life");
}

/* ---- main ----------------------------------------------------------------------------------- */

static void on_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "\nhost: WATCHDOG: no progress within --watchdog-s (hang in the library?)\n"
                              "harness: 0 passed, 1 failed\n";
    ssize_t w = write(STDOUT_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(3);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: host --lib PATH/libgcsync.so --settings FILE --dataset FILE [--set key=value]...\n"
            "            [--threads N] [--repeat N] [--timeout-ms N] [--expect-synced N] [--expect-error N]\n"
            "            [--mode demo|stress|lifecycle|abuse] [--watchdog-s N]\n");
    exit(2);
}

static long num_arg(const char *name, const char *v, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min || n > max) {
        fprintf(stderr, "host: %s wants a number in %ld..%ld, got \"%s\"\n", name, min, max, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_baseline_tasks = count_tasks(NULL, 0);
    char **sets = xmalloc((size_t)argc * sizeof *sets);
    int nsets = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--lib"))
            O.lib = v;
        else if (!strcmp(a, "--settings"))
            O.settings_file = v;
        else if (!strcmp(a, "--dataset"))
            O.dataset_file = v;
        else if (!strcmp(a, "--set"))
            sets[nsets++] = (char *)v;
        else if (!strcmp(a, "--threads"))
            O.threads = (int)num_arg(a, v, 1, 256);
        else if (!strcmp(a, "--repeat"))
            O.repeat = (int)num_arg(a, v, 1, 1000000);
        else if (!strcmp(a, "--timeout-ms"))
            O.timeout_ms = (uint32_t)num_arg(a, v, 0, 3600000);
        else if (!strcmp(a, "--expect-synced"))
            O.expect_synced = num_arg(a, v, 0, 1000000);
        else if (!strcmp(a, "--expect-error"))
            O.expect_error = num_arg(a, v, 0, 1000000);
        else if (!strcmp(a, "--watchdog-s"))
            O.watchdog_s = (unsigned)num_arg(a, v, 0, 86400);
        else if (!strcmp(a, "--mode")) {
            if (!strcmp(v, "demo"))
                O.mode = MODE_DEMO;
            else if (!strcmp(v, "stress"))
                O.mode = MODE_STRESS;
            else if (!strcmp(v, "lifecycle"))
                O.mode = MODE_LIFECYCLE;
            else if (!strcmp(v, "abuse"))
                O.mode = MODE_ABUSE;
            else
                usage();
        } else
            usage();
    }
    if (!O.lib || !O.settings_file || !O.dataset_file)
        usage();
    if (!settings_load(O.settings_file))
        return 2;
    for (int i = 0; i < nsets; i++) {
        char *copy = xstrndup(sets[i], strlen(sets[i]));
        bool ok = setting_put_pair(copy, "--set");
        free(copy);
        if (!ok)
            return 2;
    }
    free(sets);
    if (!dataset_load(O.dataset_file))
        return 2;
    if (g_nusers == 0) {
        fprintf(stderr, "host: the dataset has no users\n");
        return 2;
    }
    if (O.watchdog_s) {
        signal(SIGALRM, on_watchdog);
        alarm(O.watchdog_s);
    }
    say("host: %s, %zu users from %s, %zu settings, %d thread(s), repeat %d, timeout %u ms, %d task(s) at start",
        O.mode == MODE_DEMO ? "demo" : O.mode == MODE_STRESS ? "stress" : O.mode == MODE_LIFECYCLE ? "lifecycle" : "abuse",
        g_nusers, O.dataset_file, g_nsettings, O.threads, O.repeat, O.timeout_ms, g_baseline_tasks);

    switch (O.mode) {
    case MODE_DEMO: session("demo", false, true); break;
    case MODE_STRESS: session("stress", true, true); break;
    case MODE_LIFECYCLE: mode_lifecycle(); break;
    case MODE_ABUSE: mode_abuse(); break;
    }
    alarm(0);
    dataset_free();
    int passed = atomic_load(&g_passed), failed = atomic_load(&g_failed);
    printf("harness: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
