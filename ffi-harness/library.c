/* ffi-harness/library.c - loading the library (dlopen or LoadLibraryW, through portable.h) with all
 * its functions, unloading it, and the thread-count check. */
#include "host.h"

struct api G; /* all NULL while the library is not loaded */

/* ---- loading and unloading ------------------------------------------------------------------ */

bool load_library(void)
{
    memset(&G, 0, sizeof G);
    char err[512] = "";
    void *h = lib_open(O.lib, err, sizeof err);
    if (!check(h != NULL, LIB_OPEN_NAME " %s%s%s", O.lib, h ? "" : ": ", err))
        return false;
    G.handle = h;
    char missing[1024] = "";
    int nmissing = 0;
#define LOAD_SYMBOL(name)                                                                          \
    do {                                                                                           \
        void *sym = lib_sym(h, #name);                                                             \
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
        lib_close(h, err, sizeof err);
        memset(&G, 0, sizeof G);
        return false;
    }
    return true;
}

void unload_library(void)
{
    if (!G.handle)
        return;
    char err[512] = "";
    bool ok = lib_close(G.handle, err, sizeof err);
    check(ok, LIB_CLOSE_NAME "%s%s", ok ? "" : ": ", err);
    memset(&G, 0, sizeof G);
}

/* After the unload: Linux links the library with -z nodelete and Windows pins it at init, so it stays
 * mapped (no thread can be left returning into unmapped code). --pinned 0 skips the check. */
void check_mapped_after_unload(const char *when)
{
    if (!O.pinned) {
        say("  skip %s: library mapping not checked (--pinned 0)", when);
        return;
    }
    check(lib_is_mapped(O.lib) == 1, "%s: the library stays mapped (Linux -z nodelete, Windows pinned at init)",
          when);
}

/* ---- thread accounting ---------------------------------------------------------------------- */

int g_baseline_tasks;

/* While the library runs, its threads must show in the count: the checks after shutdown mean nothing
 * otherwise. */
void check_threads_visible(const char *when)
{
    char names[1024];
    int n = count_threads(names, sizeof names);
    check(n > g_baseline_tasks, "%s: %d thread(s) in the process, the library's own among them (host's: %d): %s",
          when, n, g_baseline_tasks, names);
}

/* A thread that was joined can stay listed a little longer: it wakes its joiner before it leaves the
 * process's task list, and on a loaded machine (or under Valgrind, which runs one thread at a time,
 * or Wine) it may not run again for a while. Poll until it is gone (up to 10 s: a thread the library
 * left running never goes), then judge. */
void check_threads(const char *when)
{
    char names[1024];
    int n = 0;
    double t0 = now_s();
    for (;;) {
        n = count_threads(NULL, 0);
        if (n <= g_baseline_tasks || now_s() - t0 > 10.0)
            break;
        sleep_ms(1);
    }
    double waited = (now_s() - t0) * 1000.0;
    if (n != g_baseline_tasks) {
        count_threads(names, sizeof names);
        check(false, "%s: %d threads in the process, want %d (the host's own); tasks: %s", when, n,
              g_baseline_tasks, names);
    } else {
        check(true, "%s: %d thread(s) in the process, as before the library was loaded%s", when, n,
              waited > 5.0 ? " (after a short wait)" : "");
    }
}
