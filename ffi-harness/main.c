/* ffi-harness/main.c - argument parsing, loading settings and dataset, the watchdog, running the
 * chosen mode and the closing "harness: N passed, M failed" line. See host.h for the overview. */
#include "host.h"

struct options O = {
    .threads = 1, .repeat = 1, .timeout_ms = 30000, .expect_synced = -1, .expect_error = -1,
    .mode = MODE_DEMO, .watchdog_s = 900, .pinned = true,
};

/* ---- main ----------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: host --lib PATH/libgcsync.so --settings FILE --dataset FILE [--set key=value]...\n"
            "            [--threads N] [--repeat N] [--timeout-ms N] [--expect-synced N] [--expect-error N]\n"
            "            [--mode demo|stress|lifecycle|abuse] [--watchdog-s N] [--pinned 0|1] [--utf16 0|1]\n"
            "       host --mode storm --lib PATH --settings FILE --ops FILE [--threads N] [--op-interval-ms N] ...\n");
    exit(2);
}

static long num_arg(const char *name, const char *v, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min || n > max) {
        fprintf(stderr, "host: %s wants a number in %ld..%ld, got \"%s\"\n", name, min, max, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    platform_init(&argc, &argv);
    char **sets = xmalloc((size_t)argc * sizeof *sets);
    int nsets = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--lib"))
            O.lib = v;
        else if (!strcmp(a, "--settings"))
            O.settings_file = v;
        else if (!strcmp(a, "--dataset"))
            O.dataset_file = v;
        else if (!strcmp(a, "--ops"))
            O.ops_file = v;
        else if (!strcmp(a, "--op-interval-ms"))
            O.op_interval_ms = num_arg(a, v, 0, 60000);
        else if (!strcmp(a, "--set"))
            sets[nsets++] = (char *)v;
        else if (!strcmp(a, "--threads"))
            O.threads = (int)num_arg(a, v, 1, 256);
        else if (!strcmp(a, "--repeat"))
            O.repeat = (int)num_arg(a, v, 1, 1000000);
        else if (!strcmp(a, "--timeout-ms"))
            O.timeout_ms = (uint32_t)num_arg(a, v, 0, 3600000);
        else if (!strcmp(a, "--expect-synced"))
            O.expect_synced = num_arg(a, v, 0, 1000000);
        else if (!strcmp(a, "--expect-error"))
            O.expect_error = num_arg(a, v, 0, 1000000);
        else if (!strcmp(a, "--pinned"))
            O.pinned = num_arg(a, v, 0, 1) == 1;
        else if (!strcmp(a, "--utf16"))
            O.utf16 = num_arg(a, v, 0, 1) == 1;
        else if (!strcmp(a, "--watchdog-s"))
            O.watchdog_s = (unsigned)num_arg(a, v, 0, 86400);
        else if (!strcmp(a, "--mode")) {
            if (!strcmp(v, "demo"))
                O.mode = MODE_DEMO;
            else if (!strcmp(v, "stress"))
                O.mode = MODE_STRESS;
            else if (!strcmp(v, "lifecycle"))
                O.mode = MODE_LIFECYCLE;
            else if (!strcmp(v, "abuse"))
                O.mode = MODE_ABUSE;
            else if (!strcmp(v, "storm"))
                O.mode = MODE_STORM;
            else
                usage();
        } else
            usage();
    }
    bool storm = O.mode == MODE_STORM;
    if (!O.lib || !O.settings_file || (storm ? !O.ops_file : !O.dataset_file))
        usage();
    if (!settings_load(O.settings_file))
        return 2;
    for (int i = 0; i < nsets; i++) {
        char *copy = xstrndup(sets[i], strlen(sets[i]));
        bool ok = setting_put_pair(copy, "--set");
        free(copy);
        if (!ok)
            return 2;
    }
    free(sets);
    if (!storm && !dataset_load(O.dataset_file))
        return 2;
    if (!storm && g_nusers == 0) {
        fprintf(stderr, "host: the dataset has no users\n");
        return 2;
    }
    watchdog_start(O.watchdog_s);
    g_baseline_tasks = count_threads(NULL, 0); /* after the watchdog: on Windows it is a thread */
    say("host: %s on %s%s, %zu users from %s, %zu settings, %d thread(s), repeat %d, timeout %u ms, %d task(s) at start",
        O.mode == MODE_DEMO ? "demo" : O.mode == MODE_STRESS ? "stress" : O.mode == MODE_LIFECYCLE ? "lifecycle" : storm ? "storm" : "abuse",
        platform_name(), O.utf16 ? " (UTF-16 hooks)" : "", g_nusers, storm ? O.ops_file : O.dataset_file, g_nsettings, O.threads, O.repeat, O.timeout_ms, g_baseline_tasks);

    switch (O.mode) {
    case MODE_DEMO: session("demo", false, true); break;
    case MODE_STRESS: session("stress", true, true); break;
    case MODE_LIFECYCLE: mode_lifecycle(); break;
    case MODE_ABUSE: mode_abuse(); break;
    case MODE_STORM: mode_storm(); break;
    }
    watchdog_stop();
    dataset_free();
    settings_free();
    int passed = atomic_load(&g_passed), failed = atomic_load(&g_failed);
    printf("harness: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
