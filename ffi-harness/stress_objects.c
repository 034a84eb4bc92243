/* ffi-harness/stress_objects.c - the stress mix's calls for the kinds other than users: every
 * workgroup, skill, wrap-up code and agent status of the dataset through the generic and the named
 * hooks in UTF-8 and UTF-16, malformed calls that must be refused, scratch objects created and
 * deleted (both delete forms), and status queries of those kinds, from every sender thread. */
#include "host.h"

/* The agent-status fields besides `id` (README, Agent status JSON), in the order they are copied. */
static const char *const STATUS_FIELDS[] = { "status",      "group",           "do_not_disturb",    "acd_allowed",
                                             "after_call_work", "logged_in",   "on_acd_interaction" };

void stress_objects_prepare(struct object *o, struct span elem)
{
    o->json16 = utf16_dup(o->json, o->len, &o->units16);
    o->id16 = utf16_dup(o->id, strlen(o->id), &o->id_units);
    o->status_json = NULL;
    o->status16 = NULL;
    o->status_len = o->status_units = 0;
    if (o->kind != KIND_AGENT_STATUS)
        return;
    /* gcsync_on_status_changed takes the status without its id (a JSON carrying one is refused). */
    char *out = xmalloc(elem.n + 2);
    size_t n = 0;
    out[n++] = '{';
    for (size_t k = 0; k < sizeof STATUS_FIELDS / sizeof STATUS_FIELDS[0]; k++) {
        struct span v;
        if (!obj_get(elem, STATUS_FIELDS[k], &v))
            continue;
        n += (size_t)sprintf(out + n, "%s\"%s\":", n > 1 ? "," : "", STATUS_FIELDS[k]);
        memcpy(out + n, v.p, v.n);
        n += v.n;
    }
    out[n++] = '}';
    o->status_json = out;
    o->status_len = n;
    o->status16 = utf16_dup(out, n, &o->status_units);
}

/* The named hook of the object's kind (UTF-8 or UTF-16). */
static gcsync_result named_changed(const struct object *o, bool utf16)
{
    switch (o->kind) {
    case KIND_WORKGROUP:
        return utf16 ? G.gcsync_on_workgroup_changed_utf16(o->json16, o->units16)
                     : G.gcsync_on_workgroup_changed(o->json, o->len);
    case KIND_SKILL:
        return utf16 ? G.gcsync_on_skill_changed_utf16(o->json16, o->units16) : G.gcsync_on_skill_changed(o->json, o->len);
    case KIND_WRAPUP_CODE:
        return utf16 ? G.gcsync_on_wrapup_code_changed_utf16(o->json16, o->units16)
                     : G.gcsync_on_wrapup_code_changed(o->json, o->len);
    case KIND_AGENT_STATUS:
        return utf16 ? G.gcsync_on_status_changed_utf16(o->id16, o->id_units, o->status16, o->status_units)
                     : G.gcsync_on_status_changed(o->id, strlen(o->id), o->status_json, o->status_len);
    default: return G.gcsync_on_object_changed(o->kind, o->json, o->len);
    }
}

/* A malformed call of the object's kind: must be refused with MALFORMED_JSON (mapped to OK). */
static gcsync_result malformed(const struct object *o, long n)
{
    static const char bad[] = "{\"id\"", bad_status[] = "{\"status\"";
    static const uint16_t bad16[] = { '{', '"', 'i', 'd' };
    static const uint16_t bad_status16[] = { '{', '"', 's', 't', 'a', 't', 'u', 's', '"' };
    gcsync_result rc;
    if (o->kind == KIND_AGENT_STATUS) /* no id in this form: the id argument is put in as `id` */
        rc = (n % 2) ? G.gcsync_on_status_changed(o->id, strlen(o->id), bad_status, 9)
                     : G.gcsync_on_status_changed_utf16(o->id16, o->id_units, bad_status16, 9);
    else
        rc = (n % 2) ? G.gcsync_on_object_changed(o->kind, bad, 5) : G.gcsync_on_object_changed_utf16(o->kind, bad16, 4);
    return rc == RC_MALFORMED_JSON ? RC_OK : (rc == RC_OK ? RC_UNKNOWN : rc);
}

/* One change of object o: generic or named hook, UTF-8 or UTF-16, by the call's number. */
static gcsync_result object_call(struct object *o, long n)
{
    if (n % 5 == 4)
        return malformed(o, n / 5);
    switch (n % 4) {
    case 0: return G.gcsync_on_object_changed(o->kind, o->json, o->len);
    case 1: return G.gcsync_on_object_changed_utf16(o->kind, o->json16, o->units16);
    case 2: return named_changed(o, false);
    default: return named_changed(o, true);
    }
}

static void count(struct object_calls *c, gcsync_result rc)
{
    c->sent++;
    if (rc != RC_OK && !c->failed++) {
        c->first_bad_rc = (unsigned)rc;
        last_error(c->first_bad_detail, sizeof c->first_bad_detail);
    }
}

static void scratch_ids(int thread, char *code, char *skill, size_t len)
{
    snprintf(code, len, "zz-stress-code-%d", thread);
    snprintf(skill, len, "zz-stress-skill-%d", thread);
}

/* A scratch wrap-up code and skill of this thread, created and then deleted, the forms alternating
 * by round. */
static void scratch(int thread, int round, struct object_calls *c)
{
    char code[48], skill[48], json[160];
    scratch_ids(thread, code, skill, sizeof code);
    bool odd = round % 2;
    size_t n = (size_t)snprintf(json, sizeof json, "{\"id\":\"%s\",\"name\":\"zz stress %d\"}", code, thread);
    size_t units;
    uint16_t *j16 = utf16_dup(json, n, &units);
    count(c, odd ? G.gcsync_on_wrapup_code_changed_utf16(j16, units) : G.gcsync_on_wrapup_code_changed(json, n));
    free(j16);
    n = (size_t)snprintf(json, sizeof json, "{\"id\":\"%s\",\"treat_as_language\":%s}", skill,
                         (round / 2) % 2 ? "true" : "false");
    j16 = utf16_dup(json, n, &units);
    count(c, odd ? G.gcsync_on_object_changed_utf16(KIND_SKILL, j16, units) : G.gcsync_on_skill_changed(json, n));
    free(j16);
    uint16_t *c16 = utf16_dup(code, strlen(code), &units);
    count(c, odd ? G.gcsync_on_object_deleted(KIND_WRAPUP_CODE, code, strlen(code))
                 : G.gcsync_on_wrapup_code_deleted_utf16(c16, units));
    free(c16);
    uint16_t *s16 = utf16_dup(skill, strlen(skill), &units);
    count(c, odd ? G.gcsync_on_skill_deleted(skill, strlen(skill))
                 : G.gcsync_on_object_deleted_utf16(KIND_SKILL, s16, units));
    free(s16);
}

void stress_objects_round(int thread, int round, struct object_calls *c)
{
    for (size_t k = 0; k < g_nobjects; k++) {
        struct object *o = &g_objects[((size_t)thread + k) % g_nobjects];
        gcsync_result rc = object_call(o, c->sent + thread);
        if (rc == RC_OK && (c->sent + thread) % 5 != 4)
            o->accepted = true; /* several threads set the same true: a benign race of equal writes */
        count(c, rc);
        if (c->sent % 7 == 0) {
            gcsync_result qrc;
            char *j = query_kind(o->kind, o->id, &qrc);
            c->queries++;
            if (!j)
                c->queries_failed++;
            free(j);
        }
    }
    scratch(thread, round, c);
}

/* The scratch object's last change was its deletion: its status shows it removed. */
static bool shows_removed(unsigned kind, const char *id)
{
    gcsync_result rc;
    char *j = query_kind(kind, id, &rc);
    if (!j) {
        say("         %s: gcsync_object_status failed: %u %s", id, (unsigned)rc, rname(rc));
        return false;
    }
    struct span s = { j, strlen(j) };
    char *removed = field_text(s, "removed");
    bool ok = strcmp(removed, "true") == 0;
    if (!ok)
        say("         %s: %s", id, j);
    free(removed);
    free(j);
    return ok;
}

void stress_objects_check_scratch(int threads)
{
    long removed = 0;
    for (int t = 0; t < threads; t++) {
        char code[48], skill[48];
        scratch_ids(t, code, skill, sizeof code);
        removed += shows_removed(KIND_WRAPUP_CODE, code);
        removed += shows_removed(KIND_SKILL, skill);
    }
    check(removed == 2L * threads, "every scratch wrap-up code and skill created and deleted by the threads shows removed "
                                   "(%ld of %d)", removed, 2 * threads);
}
