/* ffi-harness/objects.c - the dataset's other CIC objects (workgroups, skills, wrap-up codes,
 * agent statuses):
 * sent through the generic hook gcsync_on_object_changed, then their status table. */
#include "host.h"

static const char *kind_name(unsigned kind)
{
    switch (kind) {
    case KIND_WORKGROUP: return "workgroup";
    case KIND_WRAPUP_CODE: return "wrapup_code";
    case KIND_SKILL: return "skill";
    case KIND_AGENT_STATUS: return "agent_status";
    default: return "?";
    }
}

/* Sends every object once. A skill refused as an unknown kind is accepted (the skills branch is
 * not in every library yet) and left out of the status checks; anything else must be OK. */
bool send_objects(void)
{
    long ok = 0, skills_unknown = 0, bad = 0;
    for (size_t i = 0; i < g_nobjects; i++) {
        struct object *o = &g_objects[i];
        gcsync_result rc = G.gcsync_on_object_changed(o->kind, o->json, o->len);
        if (rc == RC_OK) {
            o->accepted = true;
            ok++;
        } else if (rc == RC_UNKNOWN_OBJECT_KIND && o->kind == KIND_SKILL) {
            skills_unknown++;
        } else {
            char detail[256];
            last_error(detail, sizeof detail);
            say("         %s %s: %u %s (%s)", kind_name(o->kind), o->id, (unsigned)rc, rname(rc), detail);
            bad++;
        }
    }
    if (skills_unknown)
        say("note: %ld skill(s) refused as UNKNOWN_OBJECT_KIND: this library has no skill kind yet", skills_unknown);
    return check(bad == 0, "gcsync_on_object_changed x%zu (workgroups, skills, wrap-up codes, agent statuses) -> OK %ld, skills "
                           "of an unknown kind %ld, failed %ld",
                 g_nobjects, ok, skills_unknown, bad);
}

void report_objects(bool print)
{
    if (g_nobjects == 0)
        return;
    if (print) {
        say("%s", "");
        say("%-12s  %-20s  %-10s  %-36s  %s", "Kind", "CIC id", "State", "Genesys id", "Reason");
        say("%-12s  %-20s  %-10s  %-36s  %s", "----", "------", "-----", "----------", "------");
    }
    long synced = 0, accepted = 0;
    for (size_t i = 0; i < g_nobjects; i++) {
        struct object *o = &g_objects[i];
        if (!o->accepted)
            continue;
        accepted++;
        gcsync_result rc;
        char *j = query_kind(o->kind, o->id, &rc);
        if (!j) {
            say("%-12s  %-20s  (gcsync_object_status failed: %u %s)", kind_name(o->kind), o->id, (unsigned)rc,
                rname(rc));
            continue;
        }
        struct span s = { j, strlen(j) };
        char *state = field_text(s, "state"), *gid = field_text(s, "genesys_id"), *reason = field_text(s, "reason");
        synced += strcmp(state, "Synced") == 0;
        if (print)
            say("%-12s  %-20s  %-10s  %-36s  %s", kind_name(o->kind), o->id, state, gid, reason);
        free(state);
        free(gid);
        free(reason);
        free(j);
    }
    check(synced == accepted, "every accepted workgroup, skill, wrap-up code and agent status is Synced (%ld of %ld)", synced,
          accepted);
}
