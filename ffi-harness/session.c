/* ffi-harness/session.c - demo, stress and lifecycle modes: sender threads and one full life. */
#include "host.h"

/* ---- sending from threads -------------------------------------------------------------------- */

struct sender {
    host_thread thread;
    int index;
    bool with_queries;
    long sent, failed, queries, queries_failed;
    unsigned first_bad_rc;
    char first_bad_detail[256];
    struct object_calls objects; /* stress: the other kinds' calls */
};

/* One hook call of the stress mix: the user in UTF-8 or UTF-16 (alternating), and every 5th call a
 * malformed one that must be refused with MALFORMED_JSON (so refusals run concurrently too). */
static gcsync_result stress_call(struct sender *s, size_t i)
{
    if (s->sent % 5 == 4) {
        static const uint16_t bad16[] = {'{', '"', 'i', 'd'};
        gcsync_result rc = (s->sent % 2) ? G.gcsync_on_user_changed("{\"id\"", 5)
                                         : G.gcsync_on_user_changed_utf16(bad16, 4);
        return rc == RC_MALFORMED_JSON ? RC_OK : (rc == RC_OK ? RC_UNKNOWN : rc);
    }
    return (s->sent % 2) ? G.gcsync_on_user_changed_utf16(g_users[i].json16, g_users[i].units16)
                         : G.gcsync_on_user_changed(g_users[i].json, g_users[i].len);
}

/* One call for user i (and, with queries, every 7th call a few status queries). */
static void send_one(struct sender *s, size_t i)
{
    gcsync_result rc = s->with_queries ? stress_call(s, i)
                       : O.utf16       ? G.gcsync_on_user_changed_utf16(g_users[i].json16, g_users[i].units16)
                                       : G.gcsync_on_user_changed(g_users[i].json, g_users[i].len);
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

/* Demo: the threads share the users out. Stress: every thread sends every user (starting at its
 * own), so each of any number of threads makes nusers x repeat mixed calls. */
static void *sender_main(void *arg)
{
    struct sender *s = arg;
    for (int r = 0; r < O.repeat; r++) {
        if (s->with_queries) {
            for (size_t k = 0; k < g_nusers; k++)
                send_one(s, ((size_t)s->index + k) % g_nusers);
            stress_objects_round(s->index, r, &s->objects);
        } else {
            for (size_t i = (size_t)s->index; i < g_nusers; i += (size_t)O.threads)
                send_one(s, i);
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
        int err = thread_start(&s[i].thread, sender_main, &s[i]);
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
            g_settings_thread = thread_self();
            gcsync_result rc = G.gcsync_on_settings_changed();
            reloads++;
            if (rc != RC_OK) {
                reloads_bad++;
                reload_bad_rc = (unsigned)rc;
            }
            sleep_ms(2);
        }
    }
    long sent = 0, failed = 0, queries = 0, qfailed = 0, osent = 0, ofailed = 0;
    for (int i = 0; i < started; i++) {
        thread_join(s[i].thread);
        sent += s[i].sent;
        failed += s[i].failed;
        queries += s[i].queries + s[i].objects.queries;
        qfailed += s[i].queries_failed + s[i].objects.queries_failed;
        osent += s[i].objects.sent;
        ofailed += s[i].objects.failed;
        if (s[i].failed || s[i].queries_failed)
            say("         thread %d: first failure %u %s (%s)", i, s[i].first_bad_rc, rname(s[i].first_bad_rc),
                s[i].first_bad_detail);
        if (s[i].objects.failed)
            say("         thread %d: first failure of another kind %u %s (%s)", i, s[i].objects.first_bad_rc,
                rname(s[i].objects.first_bad_rc), s[i].objects.first_bad_detail);
    }
    double dt = now_s() - t0;
    bool ok = check(failed == 0, "gcsync_on_user_changed x%ld from %d thread(s) (%zu users x %d repeats) -> OK "
                                 "(failed: %ld; %.3f s, %.0f calls/s)",
                    sent, started, g_nusers, O.repeat, failed, dt, dt > 0 ? (double)sent / dt : 0.0);
    if (with_queries)
        ok = check(ofailed == 0, "hooks of the other kinds x%ld (%ld a thread; generic and named, UTF-8 and UTF-16, "
                                 "malformed ones refused, scratch objects created and deleted) -> OK (failed: %ld)",
                   osent, started ? osent / started : 0, ofailed) && ok;
    if (with_queries)
        ok = check(qfailed == 0, "%ld concurrent status/overview queries during intake -> OK (failed: %ld)", queries,
                   qfailed) && ok;
    if (settings_reloads)
        ok = check(reloads_bad == 0, "gcsync_on_settings_changed x%ld during intake -> OK (failed: %ld, last %u %s)",
                   reloads, reloads_bad, reload_bad_rc, reloads_bad ? rname(reload_bad_rc) : "") && ok;
    free(s);
    return ok;
}

/* ---- modes ---------------------------------------------------------------------------------- */

/* One full life: load, init, send, wait, report, shutdown, unload, thread check. */
void session(const char *label, bool stress, bool print)
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
    check_threads_visible("after gcsync_init");
    send_users(stress, stress);
    if (!stress && g_nobjects)
        send_objects();
    if (stress) {
        g_settings_thread = thread_self();
        if (O.utf16) {
            size_t units;
            uint16_t *s16 = utf16_dup(g_snapshot, g_snapshot_len, &units);
            expect_rc(G.gcsync_on_force_sync_utf16(s16, units), RC_OK, "gcsync_on_force_sync_utf16(whole dataset)");
            free(s16);
        } else {
            expect_rc(G.gcsync_on_force_sync(g_snapshot, g_snapshot_len), RC_OK, "gcsync_on_force_sync(whole dataset)");
        }
    }
    double t0 = now_s();
    gcsync_result rc = G.gcsync_wait_idle(O.timeout_ms);
    char what[96];
    snprintf(what, sizeof what, "gcsync_wait_idle(%u ms) [took %.2f s]", O.timeout_ms, now_s() - t0);
    expect_rc(rc, RC_OK, what);
    struct counts c = report(print);
    report_objects(print);
    if (stress && g_nobjects)
        stress_objects_check_scratch(O.threads);
    check_expectations(c, label);
    t0 = now_s();
    rc = do_shutdown();
    snprintf(what, sizeof what, "gcsync_shutdown(%u ms) [took %.3f s]", O.timeout_ms, now_s() - t0);
    expect_rc(rc, RC_OK, what);
    check_threads("after gcsync_shutdown");
    const char *data_dir = setting_get("data_dir");
    if (data_dir)
        check_private_dir(data_dir, "after gcsync_shutdown");
    unload_library();
    check_threads("after " LIB_CLOSE_NAME);
    check_mapped_after_unload("after " LIB_CLOSE_NAME);
    check_callback_contract(label);
}

void mode_lifecycle(void)
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
