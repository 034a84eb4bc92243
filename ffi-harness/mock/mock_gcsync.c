/* A throwaway stand-in for libgcsync.so, used only to exercise the host before the real library
 * builds (make mock). It keeps statuses in memory, "syncs" on a worker thread, and follows the
 * result-code contract loosely. Not a model of the real behaviour. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "gcsync.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int state; /* 0 never, 1 running, 2 shut down */
static gcsync_host H;
static pthread_t worker;
static int stop;
static char ids[64][64];
static int nids, has_email[64];
static __thread char lasterr[128];

static gcsync_result fail(gcsync_result r, const char *m) { snprintf(lasterr, sizeof lasterr, "%s", m); return r; }
static gcsync_result gate(void) { return state == 1 ? GCSYNC_RESULT_OK : state == 0 ? fail(GCSYNC_RESULT_NOT_INITIALIZED, "not init") : fail(GCSYNC_RESULT_SHUT_DOWN, "shut down"); }
static void *run(void *a) { (void)a; H.log(H.userdata, GCSYNC_LOG_LEVEL_INFO, "worker up", 9); while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) usleep(1000); return NULL; }
uint32_t gcsync_abi_version(void) { return GCSYNC_ABI_VERSION; }
gcsync_result gcsync_init(const gcsync_host *h) {
    if (!h || !h->get_setting || !h->log) return fail(GCSYNC_RESULT_NULL_PARAMETER, "null");
    if (h->abi_version != GCSYNC_ABI_VERSION || h->struct_size < sizeof *h) return fail(GCSYNC_RESULT_ABI_VERSION_MISMATCH, "abi");
    if (state == 1) return fail(GCSYNC_RESULT_ALREADY_INITIALIZED, "already");
    char b[8];
    if (h->get_setting(h->userdata, "client_id", b, sizeof b) < 0) return fail(GCSYNC_RESULT_MISSING_SETTING, "client_id");
    H = *h; stop = 0; state = 1; pthread_create(&worker, NULL, run, NULL);
    return GCSYNC_RESULT_OK;
}
gcsync_result gcsync_shutdown(uint32_t t) { (void)t; if (state != 1) return gate(); __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST); pthread_join(worker, NULL); state = 2; return GCSYNC_RESULT_OK; }
gcsync_result gcsync_on_user_changed(const char *j, size_t n) {
    gcsync_result g = gate(); if (g != GCSYNC_RESULT_OK) return g;
    if (!j) return fail(GCSYNC_RESULT_NULL_PARAMETER, "null");
    if (n > (1u << 20)) return fail(GCSYNC_RESULT_PAYLOAD_TOO_LARGE, "big");
    const char *p = memmem(j, n, "\"id\":\"", 6); if (!p) return fail(GCSYNC_RESULT_MISSING_FIELD, "id");
    p += 6; const char *q = memchr(p, '"', n - (size_t)(p - j)); if (!q) return fail(GCSYNC_RESULT_MALFORMED_JSON, "json");
    pthread_mutex_lock(&mu);
    int i; for (i = 0; i < nids; i++) if (strlen(ids[i]) == (size_t)(q - p) && !memcmp(ids[i], p, (size_t)(q - p))) break;
    if (i == nids && nids < 64) { snprintf(ids[nids], 64, "%.*s", (int)(q - p), p); nids++; }
    has_email[i] = memmem(j, n, "\"business_email\":\"", 18) != NULL;
    pthread_mutex_unlock(&mu);
    if (H.status_changed) H.status_changed(H.userdata, GCSYNC_OBJECT_KIND_USER, ids[i], strlen(ids[i]));
    return GCSYNC_RESULT_OK;
}
gcsync_result gcsync_on_user_deleted(const char *id, size_t n) { (void)n; gcsync_result g = gate(); if (g) {} return g != GCSYNC_RESULT_OK ? g : id ? GCSYNC_RESULT_OK : GCSYNC_RESULT_NULL_PARAMETER; }
gcsync_result gcsync_on_settings_changed(void) { return gate(); }
gcsync_result gcsync_on_force_sync(const char *j, size_t n) { (void)n; gcsync_result g = gate(); return g != GCSYNC_RESULT_OK ? g : j ? GCSYNC_RESULT_OK : GCSYNC_RESULT_NULL_PARAMETER; }
gcsync_result gcsync_wait_idle(uint32_t t) { (void)t; return gate(); }
static gcsync_result put(const char *s, char *buf, size_t len, size_t *out) {
    if (!out || (!buf && len)) return fail(GCSYNC_RESULT_NULL_PARAMETER, "null");
    size_t n = strlen(s); *out = n;
    if (len) { size_t c = n < len - 1 ? n : len - 1; memcpy(buf, s, c); buf[c] = 0; }
    return n < len ? GCSYNC_RESULT_OK : GCSYNC_RESULT_BUFFER_TOO_SMALL;
}
static void status_json(int i, char *o, size_t n) {
    snprintf(o, n, "{\"kind\":\"user\",\"id\":\"%s\",\"state\":\"%s\",\"pending\":false,\"last_synchronized\":%s,\"genesys_id\":%s,\"reason\":%s}",
             ids[i], has_email[i] ? "Synced" : "Error", has_email[i] ? "\"2026-11-25T15:30:00Z\"" : "null",
             has_email[i] ? "\"0b5c2a58-0000-4000-8000-000000000001\"" : "null", has_email[i] ? "null" : "\"business email required\"");
}
gcsync_result gcsync_object_status(gcsync_object_kind k, const char *id, size_t n, char *buf, size_t len, size_t *out) {
    gcsync_result g = gate(); if (g != GCSYNC_RESULT_OK) return g;
    if (k != GCSYNC_OBJECT_KIND_USER) return fail(GCSYNC_RESULT_UNKNOWN_OBJECT_KIND, "kind");
    if (!id) return fail(GCSYNC_RESULT_NULL_PARAMETER, "null");
    char s[512] = "{}"; pthread_mutex_lock(&mu);
    for (int i = 0; i < nids; i++) if (strlen(ids[i]) == n && !memcmp(ids[i], id, n)) status_json(i, s, sizeof s);
    pthread_mutex_unlock(&mu);
    return put(s, buf, len, out);
}
gcsync_result gcsync_list_status(gcsync_object_kind k, char *buf, size_t len, size_t *out) {
    gcsync_result g = gate(); if (g != GCSYNC_RESULT_OK) return g;
    if (k != GCSYNC_OBJECT_KIND_USER) return fail(GCSYNC_RESULT_UNKNOWN_OBJECT_KIND, "kind");
    char s[64 * 512] = "[", one[512]; pthread_mutex_lock(&mu);
    for (int i = 0; i < nids; i++) { status_json(i, one, sizeof one); if (i) strcat(s, ","); strcat(s, one); }
    pthread_mutex_unlock(&mu); strcat(s, "]");
    return put(s, buf, len, out);
}
gcsync_result gcsync_overview(char *buf, size_t len, size_t *out) { gcsync_result g = gate(); if (g != GCSYNC_RESULT_OK) return g; return put("{\"queue_depth\":0,\"pending\":0,\"worker_alive\":true}", buf, len, out); }
size_t gcsync_result_message(uint32_t r, char *buf, size_t len) { const char *m = r == 8000 ? "success" : "unknown result code"; if (len) snprintf(buf, len, "%s", m); return strlen(m); }
size_t gcsync_last_error_message(char *buf, size_t len) { if (len) snprintf(buf, len, "%s", lasterr); return strlen(lasterr); }
gcsync_result gcsync_on_user_changed_utf16(const uint16_t *j, size_t n) { (void)n; gcsync_result g = gate(); return g != GCSYNC_RESULT_OK ? g : j ? GCSYNC_RESULT_OK : GCSYNC_RESULT_NULL_PARAMETER; }
gcsync_result gcsync_on_user_deleted_utf16(const uint16_t *id, size_t n) { (void)n; gcsync_result g = gate(); return g != GCSYNC_RESULT_OK ? g : id ? GCSYNC_RESULT_OK : GCSYNC_RESULT_NULL_PARAMETER; }
gcsync_result gcsync_on_force_sync_utf16(const uint16_t *j, size_t n) { (void)n; gcsync_result g = gate(); return g != GCSYNC_RESULT_OK ? g : j ? GCSYNC_RESULT_OK : GCSYNC_RESULT_NULL_PARAMETER; }
gcsync_result gcsync_object_status_utf16(gcsync_object_kind k, const uint16_t *id, size_t n, char *buf, size_t len, size_t *out) { (void)k; (void)n; gcsync_result g = gate(); if (g != GCSYNC_RESULT_OK) return g; if (!id) return fail(GCSYNC_RESULT_NULL_PARAMETER, "null"); return put("{}", buf, len, out); }
gcsync_result gcsync_wait_settled(uint32_t t) { (void)t; return gate(); }
gcsync_result gcsync_flush(uint32_t t) { (void)t; return gate(); }
