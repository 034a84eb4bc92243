/* ffi-harness/settings.c - the host's settings: a key=value file, --set overrides, abuse-mode masks. */
#include "host.h"

/* ---- settings: a key=value file plus --set overrides ---------------------------------------- */

struct setting {
    char *key, *value;
};
static struct setting *g_settings;
size_t g_nsettings;
/* Abuse mode: hide a key, or replace one value, for one init attempt. */
const char *g_hidden_key;
const char *g_forced_key, *g_forced_value;

void setting_put(const char *key, const char *value)
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

bool setting_put_pair(char *line, const char *where)
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

bool settings_load(const char *path)
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

const char *setting_get(const char *key)
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

void settings_free(void)
{
    for (size_t i = 0; i < g_nsettings; i++) {
        free(g_settings[i].key);
        free(g_settings[i].value);
    }
    free(g_settings);
}
