/* ffi-harness/dataset.c - the dataset: {"users":[...]} split into one raw JSON buffer per user. */
#include "host.h"

/* ---- the dataset ---------------------------------------------------------------------------- */

struct user *g_users;
size_t g_nusers;
char *g_snapshot; /* {"users":[...]} rebuilt from the elements */
size_t g_snapshot_len;

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
}
