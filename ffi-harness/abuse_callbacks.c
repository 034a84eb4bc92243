/* ffi-harness/abuse_callbacks.c - abuse mode's calls from inside callbacks: every function called
 * from inside each callback, on the host's thread and on a gcsync thread, refused or answered as
 * the contract says. */
#include "host.h"

/* Each probe runs once, from inside one callback on one kind of thread: it calls every function
 * that must refuse there (CALLED_FROM_CALLBACK, a message naming the callback) and every one that
 * must answer (queries, messages, abi_version). */
enum { PROBE_GET_SETTING, PROBE_LOG_HOST, PROBE_LOG_PLUGIN, PROBE_STATUS, NPROBES };
static const char *const probe_names[NPROBES] = { "get_setting", "log (host thread)", "log (a gcsync thread)",
                                                  "status_changed" };
static const char *const probe_callback[NPROBES] = { "get_setting callback", "log callback", "log callback",
                                                     "status_changed callback" };
#define PROBE_GUARDED 12
#define PROBE_ALLOWED 7
static host_thread_id g_probe_host_thread;
static atomic_int g_probe_state[NPROBES]; /* 0 not yet, 1 running, 2 done */
static atomic_int g_probe_refused[NPROBES], g_probe_answered[NPROBES];
static char g_probe_bad[NPROBES][300]; /* the first unexpected answer; written by the probing thread only */

static void probe_from_callback(enum callback_id cb)
{
    int p = cb == CB_GET_SETTING      ? PROBE_GET_SETTING
            : cb == CB_STATUS_CHANGED ? PROBE_STATUS
            : thread_same(thread_self(), g_probe_host_thread) ? PROBE_LOG_HOST
                                                                  : PROBE_LOG_PLUGIN;
    int idle = 0;
    if (!atomic_compare_exchange_strong(&g_probe_state[p], &idle, 1))
        return;
    const struct user *u = &g_users[0];
    gcsync_host h = make_host();
    size_t ju, iu, su, out = 0;
    uint16_t *j16 = utf16_dup(u->json, u->len, &ju), *i16 = utf16_dup(u->id, strlen(u->id), &iu);
    uint16_t *s16 = utf16_dup(g_snapshot, g_snapshot_len, &su);
    char *buf = xmalloc(8192), detail[512];
#define PROBE_NOTE(name, rc)                                                                       \
    do {                                                                                           \
        if (!g_probe_bad[p][0])                                                                    \
            snprintf(g_probe_bad[p], sizeof g_probe_bad[p], "%s -> %s \"%.200s\"", name, rname(rc), detail); \
    } while (0)
#define GUARDED(name, call)                                                                        \
    do {                                                                                           \
        gcsync_result rc_ = (call);                                                                \
        last_error(detail, sizeof detail);                                                         \
        if (rc_ == RC_CALLED_FROM_CALLBACK && strstr(detail, probe_callback[p]))                   \
            atomic_fetch_add(&g_probe_refused[p], 1);                                              \
        else                                                                                       \
            PROBE_NOTE(name, rc_);                                                                 \
    } while (0)
#define ALLOWED(name, call)                                                                        \
    do {                                                                                           \
        gcsync_result rc_ = (call);                                                                \
        last_error(detail, sizeof detail);                                                         \
        if (rc_ == RC_OK || rc_ == RC_BUFFER_TOO_SMALL)                                            \
            atomic_fetch_add(&g_probe_answered[p], 1);                                             \
        else                                                                                       \
            PROBE_NOTE(name, rc_);                                                                 \
    } while (0)
    GUARDED("gcsync_init", G.gcsync_init(&h));
    GUARDED("gcsync_shutdown(0)", G.gcsync_shutdown(0));
    GUARDED("gcsync_on_settings_changed", G.gcsync_on_settings_changed());
    GUARDED("gcsync_wait_idle(0)", G.gcsync_wait_idle(0));
    GUARDED("gcsync_wait_settled(0)", G.gcsync_wait_settled(0));
    GUARDED("gcsync_flush(0)", G.gcsync_flush(0));
    GUARDED("gcsync_on_user_changed", G.gcsync_on_user_changed(u->json, u->len));
    GUARDED("gcsync_on_user_changed_utf16", G.gcsync_on_user_changed_utf16(j16, ju));
    GUARDED("gcsync_on_user_deleted", G.gcsync_on_user_deleted(u->id, strlen(u->id)));
    GUARDED("gcsync_on_user_deleted_utf16", G.gcsync_on_user_deleted_utf16(i16, iu));
    GUARDED("gcsync_on_force_sync", G.gcsync_on_force_sync(g_snapshot, g_snapshot_len));
    GUARDED("gcsync_on_force_sync_utf16", G.gcsync_on_force_sync_utf16(s16, su));
    ALLOWED("gcsync_object_status", G.gcsync_object_status(KIND_USER, u->id, strlen(u->id), buf, 8192, &out));
    ALLOWED("gcsync_object_status_utf16", G.gcsync_object_status_utf16(KIND_USER, i16, iu, buf, 8192, &out));
    ALLOWED("gcsync_list_status", G.gcsync_list_status(KIND_USER, buf, 8192, &out));
    ALLOWED("gcsync_overview", G.gcsync_overview(buf, 8192, &out));
    detail[0] = '\0';
    ALLOWED("gcsync_result_message", G.gcsync_result_message(RC_CALLED_FROM_CALLBACK, buf, 8192) > 0 ? RC_OK : RC_UNKNOWN);
    ALLOWED("gcsync_last_error_message", G.gcsync_last_error_message(buf, 8192) < 8192 ? RC_OK : RC_UNKNOWN);
    ALLOWED("gcsync_abi_version", G.gcsync_abi_version() == GCSYNC_ABI_VERSION ? RC_OK : RC_UNKNOWN);
#undef ALLOWED
#undef GUARDED
#undef PROBE_NOTE
    free(buf);
    free(j16);
    free(i16);
    free(s16);
    atomic_store(&g_probe_state[p], 2);
}

/* Runs a settings reload and one new user's sync with every callback probing, then checks them. */
void abuse_calls_from_callbacks(void)
{
    g_probe_host_thread = thread_self();
    for (int p = 0; p < NPROBES; p++) {
        atomic_store(&g_probe_state[p], 0);
        atomic_store(&g_probe_refused[p], 0);
        atomic_store(&g_probe_answered[p], 0);
        g_probe_bad[p][0] = '\0';
    }
    g_in_callback = probe_from_callback;
    g_settings_thread = thread_self();
    expect_rc(G.gcsync_on_settings_changed(), RC_OK, "gcsync_on_settings_changed (get_setting and log probing)");
    static const char probe_user[] =
        "{\"id\":\"probe.user\",\"display_name\":\"Probe User\",\"business_email\":\"probe.user@example.com\"}";
    expect_rc(G.gcsync_on_user_changed(probe_user, sizeof probe_user - 1), RC_OK,
              "gcsync_on_user_changed(a new user: the worker logs and notifies)");
    expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
    double until = now_s() + 30;
    bool all_done = false;
    while (!all_done && now_s() < until) {
        all_done = true;
        for (int p = 0; p < NPROBES; p++)
            all_done = all_done && atomic_load(&g_probe_state[p]) == 2;
        if (!all_done)
            sleep_ms(10);
    }
    g_in_callback = NULL;
    for (int p = 0; p < NPROBES; p++) {
        int state = atomic_load(&g_probe_state[p]);
        int refused = atomic_load(&g_probe_refused[p]), answered = atomic_load(&g_probe_answered[p]);
        check(state == 2 && refused == PROBE_GUARDED && answered == PROBE_ALLOWED,
              "from inside %s: %d of %d calls refused with CALLED_FROM_CALLBACK naming the callback, %d of %d "
              "queries/messages answered%s%s%s",
              probe_names[p], refused, PROBE_GUARDED, answered, PROBE_ALLOWED, state == 2 ? "" : " (never probed)",
              g_probe_bad[p][0] ? "; first unexpected: " : "", g_probe_bad[p]);
    }
    gcsync_result src;
    char *j = query(Q_OBJECT, "probe.user", &src);
    check(j && strstr(j, "\"Synced\""), "after the probes gcsync still works: probe.user %s", j ? j : rname(src));
    free(j);
}
