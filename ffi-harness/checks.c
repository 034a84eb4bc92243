/* ffi-harness/checks.c - check()/say() output lines, result-code names, expect_rc(). */
#include "host.h"

#include <stdarg.h>

/* ---- checks ---------------------------------------------------------------------------------- */

atomic_int g_passed, g_failed;
static host_mutex g_out_lock = HOST_MUTEX_INIT;

HOST_PRINTF(2, 3) bool check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mutex_lock(&g_out_lock);
    fputs(ok ? "  ok   " : "  FAIL ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    mutex_unlock(&g_out_lock);
    va_end(ap);
    atomic_fetch_add(ok ? &g_passed : &g_failed, 1);
    return ok;
}

HOST_PRINTF(1, 2) void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mutex_lock(&g_out_lock);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    mutex_unlock(&g_out_lock);
    va_end(ap);
}

const char *rname(unsigned r)
{
    switch (r) {
    case 8000: return "OK";
    case 8001: return "PANIC";
    case 8002: return "NULL_PARAMETER";
    case 8003: return "INVALID_UTF8";
    case 8004: return "NOT_INITIALIZED";
    case 8005: return "ALREADY_INITIALIZED";
    case 8006: return "SHUT_DOWN";
    case 8007: return "ABI_VERSION_MISMATCH";
    case 8008: return "SHUTDOWN_TIMED_OUT";
    case 8009: return "TIMEOUT";
    case 8010: return "STORAGE_ERROR";
    case 8011: return "INTERNAL_ERROR";
    case 8014: return "CALLED_FROM_CALLBACK";
    case 8099: return "UNKNOWN";
    case 8100: return "MALFORMED_JSON";
    case 8101: return "UNKNOWN_FIELD";
    case 8102: return "MISSING_FIELD";
    case 8103: return "INVALID_FIELD";
    case 8104: return "PAYLOAD_TOO_LARGE";
    case 8105: return "INVALID_UTF16";
    case 8200: return "INVALID_SETTING";
    case 8201: return "MISSING_SETTING";
    case 8202: return "CONFLICTING_SETTINGS";
    case 8300: return "UNKNOWN_OBJECT_KIND";
    case 8301: return "BUFFER_TOO_SMALL";
    case 8302: return "QUEUE_FULL";
    default: return "?";
    }
}

/* This thread's last error detail from the library ("" when not loaded or none). */
void last_error(char *buf, size_t len)
{
    buf[0] = '\0';
    if (G.gcsync_last_error_message) {
        G.gcsync_last_error_message(buf, len);
        buf[len - 1] = '\0';
    }
}

/* Checks that a call returned `want`; on a mismatch shows the library's error detail. */
bool expect_rc(unsigned got, unsigned want, const char *what)
{
    if (got == want)
        return check(true, "%s -> %s", what, rname(want));
    char detail[512];
    last_error(detail, sizeof detail);
    return check(false, "%s -> got %u %s, want %u %s (last error: \"%s\")", what, got, rname(got),
                 want, rname(want), detail);
}
