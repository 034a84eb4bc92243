/* ffi-harness/callbacks.c - the gcsync_host callbacks, their contract counters, init/shutdown wrappers. */
#include "host.h"

/* ---- host callbacks ------------------------------------------------------------------------- */

/* Contract violations seen inside callbacks; checked after each session. */
static atomic_long g_settings_wrong_thread, g_settings_calls, g_log_lines, g_log_bad, g_log_after_shutdown;
static atomic_long g_log_secret; /* lines holding the client secret or an Authorization value */
static atomic_long g_status_calls, g_status_bad, g_status_after_shutdown, g_status_query_bad;
static atomic_uint g_status_query_bad_rc; /* the last unexpected code, for the report */
static atomic_bool g_shutdown_returned, g_shutdown_started, g_init_returned;
static atomic_long g_status_during_init; /* notifications before gcsync_init returned */
static atomic_long g_status_during_shutdown; /* notifications while gcsync_shutdown ran */
host_thread_id g_settings_thread;
void (*_Atomic g_in_callback)(enum callback_id cb);
static int g_userdata_tag; /* &g_userdata_tag is the userdata we pass */

static int64_t cb_get_setting(void *userdata, const char *key, char *value_buf, size_t value_buf_len)
{
    atomic_fetch_add(&g_settings_calls, 1);
    void (*in_callback)(enum callback_id) = g_in_callback;
    if (in_callback)
        in_callback(CB_GET_SETTING);
    if (userdata != &g_userdata_tag || !thread_same(thread_self(), g_settings_thread) || !key)
        atomic_fetch_add(&g_settings_wrong_thread, 1);
    if (!key)
        return -1;
    const char *v = setting_get(key);
    if (!v)
        return -1;
    size_t n = strlen(v);
    if (value_buf && value_buf_len > 0) {
        size_t c = n < value_buf_len - 1 ? n : value_buf_len - 1;
        memcpy(value_buf, v, c);
        value_buf[c] = '\0';
    }
    return (int64_t)n;
}

static void cb_log(void *userdata, gcsync_log_level level, const char *message, size_t message_len)
{
    static const char *const names[] = { "?", "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };
    int lv = (int)level;
    atomic_fetch_add(&g_log_lines, 1);
    void (*in_callback)(enum callback_id) = g_in_callback;
    if (in_callback)
        in_callback(CB_LOG);
    if (atomic_load(&g_shutdown_returned))
        atomic_fetch_add(&g_log_after_shutdown, 1);
    if (userdata != &g_userdata_tag || lv < 1 || lv > 5 || !message || message[message_len] != '\0' ||
        strlen(message) != message_len)
        atomic_fetch_add(&g_log_bad, 1);
    if (!message)
        return;
    const char *secret = setting_get("client_secret");
    if ((secret && *secret && strstr(message, secret)) || strstr(message, "Bearer ") ||
        strstr(message, "Basic ") || strstr(message, "access_token"))
        atomic_fetch_add(&g_log_secret, 1);
    fprintf(stderr, "[gcsync %-5s] %.*s\n", names[lv >= 1 && lv <= 5 ? lv : 0], (int)message_len, message);
}

static void cb_status_changed(void *userdata, gcsync_object_kind kind, const char *object_id, size_t object_id_len)
{
    atomic_fetch_add(&g_status_calls, 1);
    void (*in_callback)(enum callback_id) = g_in_callback;
    if (in_callback)
        in_callback(CB_STATUS_CHANGED);
    if (atomic_load(&g_shutdown_returned))
        atomic_fetch_add(&g_status_after_shutdown, 1);
    bool known_kind = kind == KIND_USER || kind == KIND_WORKGROUP || kind == KIND_WRAPUP_CODE ||
                      kind == KIND_SKILL || kind == KIND_AGENT_STATUS;
    if (userdata != &g_userdata_tag || !known_kind || !object_id || object_id_len == 0) {
        atomic_fetch_add(&g_status_bad, 1);
        return;
    }
    /* The query functions are allowed from here: use one, as a host showing live status would. */
    if (G.gcsync_object_status) {
        char buf[2048];
        size_t out = 0;
        gcsync_result rc = G.gcsync_object_status(kind, object_id, object_id_len, buf, sizeof buf, &out);
        /* While gcsync_shutdown runs, the queries answer SHUT_DOWN ("after shutdown or while it ran"). */
        bool stopping = atomic_load(&g_shutdown_started);
        if (!atomic_load(&g_init_returned))
            atomic_fetch_add(&g_status_during_init, 1);
        if (stopping)
            atomic_fetch_add(&g_status_during_shutdown, 1);
        if (rc == RC_SHUT_DOWN && stopping)
            return;
        if ((rc != RC_OK && rc != RC_BUFFER_TOO_SMALL) || (rc == RC_OK && strlen(buf) != out)) {
            atomic_fetch_add(&g_status_query_bad, 1);
            atomic_store(&g_status_query_bad_rc, (unsigned)rc);
        }
    }
}

void reset_callback_counters(void)
{
    atomic_store(&g_settings_wrong_thread, 0);
    atomic_store(&g_settings_calls, 0);
    atomic_store(&g_log_lines, 0);
    atomic_store(&g_log_bad, 0);
    atomic_store(&g_log_secret, 0);
    atomic_store(&g_log_after_shutdown, 0);
    atomic_store(&g_status_calls, 0);
    atomic_store(&g_status_bad, 0);
    atomic_store(&g_status_after_shutdown, 0);
    atomic_store(&g_status_query_bad, 0);
    atomic_store(&g_status_query_bad_rc, 0);
    atomic_store(&g_shutdown_returned, false);
    atomic_store(&g_shutdown_started, false);
    atomic_store(&g_status_during_shutdown, 0);
    atomic_store(&g_status_during_init, 0);
    atomic_store(&g_init_returned, false);
}

gcsync_host make_host(void)
{
    gcsync_host h;
    memset(&h, 0, sizeof h);
    h.abi_version = GCSYNC_ABI_VERSION;
    h.struct_size = sizeof h;
    h.userdata = &g_userdata_tag;
    h.get_setting = cb_get_setting;
    h.log = cb_log;
    h.status_changed = cb_status_changed;
    return h;
}

gcsync_result do_init(const gcsync_host *h)
{
    g_settings_thread = thread_self();
    atomic_store(&g_shutdown_returned, false);
    atomic_store(&g_shutdown_started, false);
    atomic_store(&g_init_returned, false);
    gcsync_result rc = G.gcsync_init(h);
    atomic_store(&g_init_returned, true);
    return rc;
}

gcsync_result do_shutdown_within(uint32_t timeout_ms)
{
    atomic_store(&g_shutdown_started, true);
    gcsync_result rc = G.gcsync_shutdown(timeout_ms);
    atomic_store(&g_shutdown_returned, true);
    return rc;
}

gcsync_result do_shutdown(void)
{
    return do_shutdown_within(O.timeout_ms);
}

void check_callback_contract(const char *when)
{
    check(atomic_load(&g_settings_wrong_thread) == 0,
          "%s: get_setting called %ld times, always on the init/settings thread with our userdata", when,
          atomic_load(&g_settings_calls));
    check(atomic_load(&g_log_secret) == 0,
          "%s: no log line holds the client secret, a token or an Authorization value (bad: %ld)", when,
          atomic_load(&g_log_secret));
    check(atomic_load(&g_log_bad) == 0,
          "%s: %ld log lines, all with a valid level, userdata and NUL at message[len] (bad: %ld)", when,
          atomic_load(&g_log_lines), atomic_load(&g_log_bad));
    check(atomic_load(&g_log_after_shutdown) == 0, "%s: no log line after gcsync_shutdown returned (saw %ld)",
          when, atomic_load(&g_log_after_shutdown));
    check(atomic_load(&g_status_bad) == 0 && atomic_load(&g_status_after_shutdown) == 0,
          "%s: %ld status notifications (%ld before gcsync_init returned, %ld while shutdown ran), all well-formed "
          "and before shutdown returned (bad %ld, late %ld)",
          when, atomic_load(&g_status_calls), atomic_load(&g_status_during_init),
          atomic_load(&g_status_during_shutdown), atomic_load(&g_status_bad),
          atomic_load(&g_status_after_shutdown));
    unsigned bad_rc = atomic_load(&g_status_query_bad_rc);
    check(atomic_load(&g_status_query_bad) == 0,
          "%s: gcsync_object_status from inside the status callback worked (bad: %ld%s%s)", when,
          atomic_load(&g_status_query_bad), bad_rc ? ", last got " : "", bad_rc ? rname(bad_rc) : "");
}
