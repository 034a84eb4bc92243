/* ffi-harness/report.c - queries with the snprintf protocol, the status table/overview report. */
#include "host.h"

/* ---- queries with the snprintf protocol ----------------------------------------------------- */

static atomic_long g_query_protocol_bad;

static gcsync_result query_raw(enum query q, unsigned kind, const char *id, char *buf, size_t len, size_t *out)
{
    switch (q) {
    case Q_OBJECT:
        if (O.utf16) {
            size_t units;
            uint16_t *id16 = utf16_dup(id, strlen(id), &units);
            gcsync_result rc = G.gcsync_object_status_utf16(kind, id16, units, buf, len, out);
            free(id16);
            return rc;
        }
        return G.gcsync_object_status(kind, id, strlen(id), buf, len, out);
    case Q_LIST: return G.gcsync_list_status(KIND_USER, buf, len, out);
    default: return G.gcsync_overview(buf, len, out);
    }
}

static char *query_of(enum query q, unsigned kind, const char *id, gcsync_result *rc_out);

/* Asks for the length with a NULL buffer, then fetches. Returns malloc'd JSON or NULL (rc set). */
char *query(enum query q, const char *id, gcsync_result *rc_out)
{
    return query_of(q, KIND_USER, id, rc_out);
}

char *query_kind(unsigned kind, const char *id, gcsync_result *rc_out)
{
    return query_of(Q_OBJECT, kind, id, rc_out);
}

static char *query_of(enum query q, unsigned kind, const char *id, gcsync_result *rc_out)
{
    size_t need = 0;
    gcsync_result rc = query_raw(q, kind, id, NULL, 0, &need);
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
        rc = query_raw(q, kind, id, buf, cap, &got);
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

/* ---- status report -------------------------------------------------------------------------- */

/* Prints the per-object table for the ids we sent and the overview; returns the state counts. */
struct counts report(bool print)
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

void check_expectations(struct counts c, const char *when)
{
    if (O.expect_synced >= 0)
        check(c.synced == O.expect_synced, "%s: %ld object(s) Synced, expected %ld", when, c.synced, O.expect_synced);
    if (O.expect_error >= 0)
        check(c.error == O.expect_error, "%s: %ld object(s) in Error, expected %ld", when, c.error, O.expect_error);
}
