/* ffi-harness/storm.c - storm mode (issue 12 item 1): a stream of CIC changes of every kind sent
 * from --threads threads while the driver (tests/storm.rs) makes the emulator misbehave.
 *
 * The ops file (--ops) holds one hook call a line, made by the driver:
 *   THREAD KIND U JSON        gcsync_on_object_changed(KIND, JSON)
 *   THREAD KIND D ID          gcsync_on_object_deleted(KIND, ID)
 *   THREAD 5 S USER_ID JSON   gcsync_on_status_changed(USER_ID, JSON)   (an agent status)
 * Thread t sends the lines of thread t in file order, --op-interval-ms apart, so each object's
 * changes keep their order whatever the interleaving. Protocol with the driver (stdout lines
 * marked "@@ ", answers on stdin):
 *   @@ STREAMED sent failed        every op sent; the host then waits for a line on stdin
 *   (driver: faults off, then any line)
 *   @@ SETTLED rc                  gcsync_wait_settled(--timeout-ms)
 *   @@ STATUS KIND JSON            gcsync_object_status of every object the ops named, one a line
 *   @@ DONE                        then shutdown, unload and the thread checks. */
#include "host.h"

struct op {
    int thread;
    unsigned kind;
    char act; /* 'U', 'D' or 'S' */
    char *id;
    char *json; /* exactly json_len bytes, not NUL-terminated (NULL for 'D') */
    size_t json_len;
};

static struct op *g_ops;
static size_t g_nops;

struct storm_sender {
    host_thread thread;
    int index;
    long sent, failed;
    unsigned first_bad_rc;
    char first_bad_detail[256];
};

/* Copies n bytes into a buffer of exactly n bytes (ASan/Valgrind see an over-read). */
static char *exact_copy(const char *p, size_t n)
{
    char *b = xmalloc(n ? n : 1);
    memcpy(b, p, n);
    return b;
}

static bool parse_line(char *line, size_t lineno, struct op *o)
{
    char *end;
    long t = strtol(line, &end, 10);
    if (end == line || *end != ' ' || t < 0 || t >= O.threads)
        goto bad;
    unsigned long k = strtoul(end + 1, &end, 10);
    if (*end != ' ' || !end[1] || end[2] != ' ')
        goto bad;
    o->thread = (int)t;
    o->kind = (unsigned)k;
    o->act = end[1];
    char *rest = end + 3;
    if (o->act == 'U') {
        struct span v, j = { rest, strlen(rest) };
        if (!obj_get(j, "id", &v))
            goto bad;
        o->id = value_text(v);
        o->json_len = strlen(rest);
        o->json = exact_copy(rest, o->json_len);
    } else if (o->act == 'D') {
        o->id = xstrndup(rest, strlen(rest));
        o->json = NULL;
        o->json_len = 0;
    } else if (o->act == 'S') {
        char *sp = strchr(rest, ' ');
        if (!sp)
            goto bad;
        o->id = xstrndup(rest, (size_t)(sp - rest));
        o->json_len = strlen(sp + 1);
        o->json = exact_copy(sp + 1, o->json_len);
    } else
        goto bad;
    return true;
bad:
    fprintf(stderr, "host: %s:%zu: not an op line\n", O.ops_file, lineno);
    return false;
}

static bool ops_load(void)
{
    size_t len;
    char *text = read_file(O.ops_file, &len);
    if (!text) {
        fprintf(stderr, "host: cannot read ops %s: %s\n", O.ops_file, strerror(errno));
        return false;
    }
    size_t cap = 64, lineno = 0;
    g_ops = xmalloc(cap * sizeof *g_ops);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        if (!*line)
            continue;
        if (g_nops == cap) {
            cap *= 2;
            struct op *grown = realloc(g_ops, cap * sizeof *g_ops);
            if (!grown)
                exit(2);
            g_ops = grown;
        }
        if (!parse_line(line, lineno, &g_ops[g_nops])) {
            free(text);
            return false;
        }
        g_nops++;
    }
    free(text);
    return true;
}

static void ops_free(void)
{
    for (size_t i = 0; i < g_nops; i++) {
        free(g_ops[i].id);
        free(g_ops[i].json);
    }
    free(g_ops);
}

static gcsync_result send_op(const struct op *o)
{
    switch (o->act) {
    case 'U': return G.gcsync_on_object_changed(o->kind, o->json, o->json_len);
    case 'D': return G.gcsync_on_object_deleted(o->kind, o->id, strlen(o->id));
    default: return G.gcsync_on_status_changed(o->id, strlen(o->id), o->json, o->json_len);
    }
}

static void *storm_sender_main(void *arg)
{
    struct storm_sender *s = arg;
    for (size_t i = 0; i < g_nops; i++) {
        if (g_ops[i].thread != s->index)
            continue;
        gcsync_result rc = send_op(&g_ops[i]);
        s->sent++;
        if (rc != RC_OK && !s->failed++) {
            s->first_bad_rc = (unsigned)rc;
            last_error(s->first_bad_detail, sizeof s->first_bad_detail);
        }
        if (O.op_interval_ms)
            sleep_ms(O.op_interval_ms);
    }
    return NULL;
}

static void stream(void)
{
    struct storm_sender *s = calloc((size_t)O.threads, sizeof *s);
    if (!s)
        exit(2);
    double t0 = now_s();
    int started = 0;
    for (int i = 0; i < O.threads; i++) {
        s[i].index = i;
        if (thread_start(&s[i].thread, storm_sender_main, &s[i])) {
            check(false, "start sender thread %d", i);
            break;
        }
        started++;
    }
    long sent = 0, failed = 0;
    for (int i = 0; i < started; i++) {
        thread_join(s[i].thread);
        sent += s[i].sent;
        failed += s[i].failed;
        if (s[i].failed)
            say("         thread %d: first failure %u %s (%s)", i, s[i].first_bad_rc, rname(s[i].first_bad_rc),
                s[i].first_bad_detail);
    }
    check(failed == 0, "%ld hook calls of every kind from %d thread(s) -> OK (failed: %ld; %.1f s)", sent, started,
          failed, now_s() - t0);
    say("@@ STREAMED %ld %ld", sent, failed);
    free(s);
}

/* The status of every object the ops named, once each. */
static void report_statuses(void)
{
    long reported = 0, bad = 0;
    for (size_t i = 0; i < g_nops; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = g_ops[j].kind == g_ops[i].kind && !strcmp(g_ops[j].id, g_ops[i].id);
        if (seen)
            continue;
        gcsync_result rc;
        char *j = query_kind(g_ops[i].kind, g_ops[i].id, &rc);
        if (!j) {
            bad++;
            say("         status of kind %u %s: %u %s", g_ops[i].kind, g_ops[i].id, (unsigned)rc, rname(rc));
            continue;
        }
        say("@@ STATUS %u %s", g_ops[i].kind, j);
        free(j);
        reported++;
    }
    check(bad == 0, "gcsync_object_status of the %ld object(s) streamed -> OK (failed: %ld)", reported + bad, bad);
}

void mode_storm(void)
{
    say("== storm");
    if (!ops_load()) {
        check(false, "ops file %s loads", O.ops_file);
        return;
    }
    reset_callback_counters();
    if (!load_library()) {
        ops_free();
        return;
    }
    gcsync_host host = make_host();
    if (!expect_rc(do_init(&host), RC_OK, "gcsync_init")) {
        unload_library();
        ops_free();
        return;
    }
    stream();
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        say("host: no answer on stdin; settling anyway");
    double t0 = now_s();
    gcsync_result rc = G.gcsync_wait_settled(O.timeout_ms);
    say("@@ SETTLED %u", (unsigned)rc);
    char what[96];
    snprintf(what, sizeof what, "gcsync_wait_settled(%u ms) [took %.2f s]", O.timeout_ms, now_s() - t0);
    expect_rc(rc, RC_OK, what);
    report_statuses();
    say("@@ DONE");
    expect_rc(do_shutdown(), RC_OK, "gcsync_shutdown");
    check_threads("after gcsync_shutdown");
    unload_library();
    check_threads("after " LIB_CLOSE_NAME);
    check_callback_contract("storm");
    ops_free();
}
