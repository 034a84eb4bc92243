/* ffi-harness/library.c - dlopen/dlsym/dlclose of libgcsync.so and the thread accounting. */
#include "host.h"

#include <dirent.h>
#include <dlfcn.h>

struct api G; /* all NULL while the library is not loaded */

_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs function and data pointers of one size");

/* ---- loading and unloading ------------------------------------------------------------------ */

bool load_library(void)
{
    memset(&G, 0, sizeof G);
    dlerror();
    void *h = dlopen(O.lib, RTLD_NOW | RTLD_LOCAL);
    if (!check(h != NULL, "dlopen %s%s%s", O.lib, h ? "" : ": ", h ? "" : dlerror()))
        return false;
    G.handle = h;
    char missing[1024] = "";
    int nmissing = 0;
#define LOAD_SYMBOL(name)                                                                          \
    do {                                                                                           \
        void *sym = dlsym(h, #name);                                                               \
        if (sym) {                                                                                 \
            memcpy(&G.name, &sym, sizeof sym);                                                     \
        } else {                                                                                   \
            nmissing++;                                                                            \
            strncat(missing, " " #name, sizeof missing - strlen(missing) - 1);                     \
        }                                                                                          \
    } while (0);
    GCSYNC_FUNCTIONS(LOAD_SYMBOL)
#undef LOAD_SYMBOL
#define COUNT_ONE(name) +1
    if (!check(nmissing == 0, "dlsym: all %d exported functions present%s%s", 0 GCSYNC_FUNCTIONS(COUNT_ONE),
               nmissing ? "; missing:" : "", missing)) {
#undef COUNT_ONE
        dlclose(h);
        memset(&G, 0, sizeof G);
        return false;
    }
    return true;
}

void unload_library(void)
{
    if (!G.handle)
        return;
    int rc = dlclose(G.handle);
    check(rc == 0, "dlclose%s%s", rc == 0 ? "" : ": ", rc == 0 ? "" : dlerror());
    memset(&G, 0, sizeof G);
}

/* ---- thread accounting ---------------------------------------------------------------------- */

int g_baseline_tasks;

int count_tasks(char *names, size_t names_len)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    if (names && names_len)
        names[0] = '\0';
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        if (names && names_len) {
            char path[300], comm[64] = "";
            snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
            FILE *f = fopen(path, "r");
            if (f) {
                if (!fgets(comm, sizeof comm, f))
                    comm[0] = '\0';
                fclose(f);
            }
            size_t cl = strlen(comm);
            if (cl && comm[cl - 1] == '\n')
                comm[cl - 1] = '\0';
            size_t used = strlen(names);
            snprintf(names + used, names_len - used, "%s%s(%s)", used ? " " : "", de->d_name, comm);
        }
    }
    closedir(d);
    return n;
}

/* A thread that was joined can stay listed for microseconds; poll briefly, then judge. */
void check_threads(const char *when)
{
    char names[1024];
    int n = 0;
    double t0 = now_s();
    for (int i = 0; i < 200; i++) {
        n = count_tasks(NULL, 0);
        if (n <= g_baseline_tasks)
            break;
        sleep_ms(1);
    }
    double waited = (now_s() - t0) * 1000.0;
    if (n != g_baseline_tasks) {
        count_tasks(names, sizeof names);
        check(false, "%s: %d threads in the process, want %d (the host's own); tasks: %s", when, n,
              g_baseline_tasks, names);
    } else {
        check(true, "%s: %d thread(s) in the process, as before the library was loaded%s", when, n,
              waited > 5.0 ? " (after a short wait)" : "");
    }
}
