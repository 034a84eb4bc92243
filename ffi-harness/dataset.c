/* ffi-harness/dataset.c - the dataset: {"users":[...]} split into one raw JSON buffer per user,
 * plus the optional "workgroups", "skills", "wrapup_codes" and "agent_statuses" arrays (one buffer per object). */
#include "host.h"

/* ---- the dataset ---------------------------------------------------------------------------- */

struct user *g_users;
size_t g_nusers;
char *g_snapshot; /* {"users":[...]} rebuilt from the elements */
size_t g_snapshot_len;
struct object *g_objects;
size_t g_nobjects;

/* The optional arrays of other objects and their kind numbers (from the header). */
static const struct {
    const char *key;
    unsigned kind;
} OBJECT_ARRAYS[] = {
    { "wrapup_codes", KIND_WRAPUP_CODE },
    { "skills", KIND_SKILL },
    { "workgroups", KIND_WORKGROUP },
    /* Sent last: an agent's status needs its user synced (it waits for it otherwise). */
    { "agent_statuses", KIND_AGENT_STATUS },
};

/* Appends the elements of doc's array `key` (if present) as objects of `kind`. */
static bool load_objects(const char *path, struct span doc, const char *key, unsigned kind)
{
    struct span arr, *elems = NULL;
    if (!obj_get(doc, key, &arr))
        return true;
    long n = array_elements(arr, &elems);
    if (n < 0) {
        fprintf(stderr, "host: %s: \"%s\" must be an array\n", path, key);
        return false;
    }
    struct object *grown = realloc(g_objects, (g_nobjects + (size_t)n + 1) * sizeof *g_objects);
    if (!grown)
        exit(2);
    g_objects = grown;
    for (long i = 0; i < n; i++) {
        struct span id;
        struct object *o = &g_objects[g_nobjects];
        o->kind = kind;
        o->len = elems[i].n;
        o->json = xmalloc(elems[i].n);
        memcpy(o->json, elems[i].p, elems[i].n);
        o->id = obj_get(elems[i], "id", &id) ? value_text(id) : NULL;
        o->accepted = false;
        if (!o->id) {
            fprintf(stderr, "host: %s: %s #%ld has no \"id\"\n", path, key, i + 1);
            free(o->json);
            free(elems);
            return false;
        }
        stress_objects_prepare(o, elems[i]);
        g_nobjects++;
    }
    free(elems);
    return true;
}

bool dataset_load(const char *path)
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
        g_users[i].json16 = utf16_dup(elems[i].p, elems[i].n, &g_users[i].units16);
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
    for (size_t k = 0; k < sizeof OBJECT_ARRAYS / sizeof OBJECT_ARRAYS[0]; k++)
        if (!load_objects(path, doc, OBJECT_ARRAYS[k].key, OBJECT_ARRAYS[k].kind)) {
            free(text);
            return false;
        }
    free(text);
    return true;
}

void dataset_free(void)
{
    for (size_t i = 0; i < g_nusers; i++) {
        free(g_users[i].json);
        free(g_users[i].json16);
        free(g_users[i].id);
    }
    free(g_users);
    free(g_snapshot);
    for (size_t i = 0; i < g_nobjects; i++) {
        free(g_objects[i].json);
        free(g_objects[i].id);
        free(g_objects[i].json16);
        free(g_objects[i].id16);
        free(g_objects[i].status16);
        free(g_objects[i].status_json);
    }
    free(g_objects);
}
