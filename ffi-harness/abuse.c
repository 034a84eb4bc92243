/* ffi-harness/abuse.c - abuse mode: the error contract of every entry point. */
#include "host.h"

/* Every hook and query, expecting one code (NOT_INITIALIZED before init, SHUT_DOWN after). */
static void all_calls_expect(gcsync_result want, const char *when)
{
    char what[160];
    const struct user *u = &g_users[0];
    char buf[64];
    size_t out = 0;
#define EXPECT(call, name)                                                                         \
    do {                                                                                           \
        snprintf(what, sizeof what, "%s: %s", when, name);                                         \
        expect_rc((call), want, what);                                                             \
    } while (0)
    size_t ju, iu, su;
    uint16_t *j16 = utf16_dup(u->json, u->len, &ju), *i16 = utf16_dup(u->id, strlen(u->id), &iu);
    uint16_t *s16 = utf16_dup(g_snapshot, g_snapshot_len, &su);
    EXPECT(G.gcsync_on_user_changed(u->json, u->len), "gcsync_on_user_changed");
    EXPECT(G.gcsync_on_user_changed_utf16(j16, ju), "gcsync_on_user_changed_utf16");
    EXPECT(G.gcsync_on_user_deleted(u->id, strlen(u->id)), "gcsync_on_user_deleted");
    EXPECT(G.gcsync_on_user_deleted_utf16(i16, iu), "gcsync_on_user_deleted_utf16");
    g_settings_thread = thread_self();
    EXPECT(G.gcsync_on_settings_changed(), "gcsync_on_settings_changed");
    EXPECT(G.gcsync_on_force_sync(g_snapshot, g_snapshot_len), "gcsync_on_force_sync");
    EXPECT(G.gcsync_on_force_sync_utf16(s16, su), "gcsync_on_force_sync_utf16");
    EXPECT(G.gcsync_wait_idle(10), "gcsync_wait_idle");
    EXPECT(G.gcsync_wait_settled(10), "gcsync_wait_settled");
    EXPECT(G.gcsync_flush(10), "gcsync_flush");
    EXPECT(G.gcsync_object_status(KIND_USER, u->id, strlen(u->id), buf, sizeof buf, &out), "gcsync_object_status");
    EXPECT(G.gcsync_object_status_utf16(KIND_USER, i16, iu, buf, sizeof buf, &out), "gcsync_object_status_utf16");
    EXPECT(G.gcsync_list_status(KIND_USER, buf, sizeof buf, &out), "gcsync_list_status");
    EXPECT(G.gcsync_overview(buf, sizeof buf, &out), "gcsync_overview");
#undef EXPECT
    free(j16);
    free(i16);
    free(s16);
}

/* An init that must be refused; if the library accepts it anyway, shut it down again so the rest of
 * the run still means something (the failure is already counted). */
static void refused_init(const gcsync_host *h, gcsync_result want, const char *what)
{
    gcsync_result rc = h ? do_init(h) : G.gcsync_init(NULL);
    if (!expect_rc(rc, want, what) && rc == RC_OK) {
        do_shutdown();
        say("         (accepted: shut down again to carry on)");
    }
}

void mode_abuse(void)
{
    char what[200], buf[256], detail[512];
    size_t out;
    gcsync_result rc;
    const struct user *u = &g_users[0];
    const char *id = u->id;

    say("== abuse: before gcsync_init");
    reset_callback_counters();
    if (!load_library())
        return;
    check(G.gcsync_abi_version() == GCSYNC_ABI_VERSION, "gcsync_abi_version() == %d", GCSYNC_ABI_VERSION);
    all_calls_expect(RC_NOT_INITIALIZED, "before init");
    last_error(detail, sizeof detail);
    check(detail[0] != '\0', "gcsync_last_error_message after a failed call is not empty: \"%s\"", detail);
    rc = G.gcsync_shutdown(100);
    check(rc == RC_OK || rc == RC_NOT_INITIALIZED, "gcsync_shutdown before init -> %u %s (OK or NOT_INITIALIZED)",
          (unsigned)rc, rname(rc));

    say("== abuse: gcsync_init refusals (each must leave the library uninitialised)");
    gcsync_host host = make_host();
    refused_init(NULL, RC_NULL_PARAMETER, "gcsync_init(NULL)");
    host.abi_version = GCSYNC_ABI_VERSION + 1000;
    refused_init(&host, RC_ABI_VERSION_MISMATCH, "gcsync_init(abi_version 1001)");
    {
        /* A version-1 host (no struct_size): gcsync may read abi_version and nothing more. Each struct
         * below sits in an allocation of exactly its declared size, so a read past it shows up under
         * Valgrind. */
        uint32_t *v1 = xmalloc(sizeof *v1);
        *v1 = 1;
        refused_init((const gcsync_host *)(void *)v1, RC_ABI_VERSION_MISMATCH, "gcsync_init(version-1 host, 4 bytes)");
        last_error(detail, sizeof detail);
        check(strstr(detail, "abi_version is 1") != NULL, "the message names the version: \"%s\"", detail);
        free(v1);
        /* The version-2 struct ends with status_changed; one pointer short of it is refused
         * (fields appended later, such as request_snapshot, are optional). */
        const size_t sizes[] = { 8, offsetof(gcsync_host, status_changed) };
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            gcsync_host full = make_host();
            full.struct_size = (uint32_t)sizes[i];
            unsigned char *p = xmalloc(sizes[i]);
            memcpy(p, &full, sizes[i]);
            snprintf(what, sizeof what, "gcsync_init(struct_size %zu < sizeof(gcsync_host) %zu, in %zu bytes)",
                     sizes[i], sizeof(gcsync_host), sizes[i]);
            refused_init((const gcsync_host *)(void *)p, RC_ABI_VERSION_MISMATCH, what);
            last_error(detail, sizeof detail);
            check(strstr(detail, "struct_size") && strstr(detail, "sizeof(gcsync_host)"),
                  "the message says what to set: \"%s\"", detail);
            free(p);
        }
    }
    host = make_host();
    host.get_setting = NULL;
    refused_init(&host, RC_NULL_PARAMETER, "gcsync_init(get_setting NULL)");
    host = make_host();
    g_hidden_key = "client_id";
    refused_init(&host, RC_MISSING_SETTING, "gcsync_init without client_id");
    g_hidden_key = NULL;
    g_forced_key = "requests_per_minute";
    g_forced_value = "lots";
    refused_init(&host, RC_INVALID_SETTING, "gcsync_init with requests_per_minute=lots");
    g_forced_key = "sync_user_objects";
    g_forced_value = "false"; /* advanced objects need users: with sync_advanced_platform_objects=true */
    /* A copy: setting_put frees the value it replaces. */
    const char *adv = setting_get("sync_advanced_platform_objects");
    char *saved = adv ? xstrndup(adv, strlen(adv)) : NULL;
    setting_put("sync_advanced_platform_objects", "true");
    refused_init(&host, RC_CONFLICTING_SETTINGS,
              "gcsync_init with sync_user_objects=false, sync_advanced_platform_objects=true");
    setting_put("sync_advanced_platform_objects", saved ? saved : "false");
    free(saved);
    g_forced_key = "data_dir";
    g_forced_value = UNCREATABLE_DIR;
    refused_init(&host, RC_STORAGE_ERROR, "gcsync_init with an uncreatable data_dir");
    g_forced_key = g_forced_value = NULL;
    rc = G.gcsync_on_user_changed(u->json, u->len);
    check(rc == RC_NOT_INITIALIZED || rc == RC_SHUT_DOWN,
          "after refused inits: gcsync_on_user_changed -> %u %s (NOT_INITIALIZED)", (unsigned)rc, rname(rc));
    check_threads("after refused inits (no worker left behind)");

    say("== abuse: a newer host's larger gcsync_host (fields appended after ours) is accepted");
    {
        struct newer_host {
            gcsync_host base;
            void (*later_callback)(void *);
            uint64_t later_flags;
        } *newer = xmalloc(sizeof *newer);
        memset(newer, 0xA5, sizeof *newer); /* the fields this library does not know hold garbage */
        newer->base = make_host();
        newer->base.struct_size = (uint32_t)sizeof *newer;
        snprintf(what, sizeof what, "gcsync_init(struct_size %zu > sizeof(gcsync_host) %zu)", sizeof *newer,
                 sizeof(gcsync_host));
        if (expect_rc(do_init(&newer->base), RC_OK, what)) {
            expect_rc(G.gcsync_on_user_changed(u->json, u->len), RC_OK, "gcsync_on_user_changed");
            expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
            expect_rc(do_shutdown(), RC_OK, "gcsync_shutdown");
        }
        free(newer);
        check_threads("after the newer host's life");
    }

    say("== abuse: gcsync_init");
    if (!expect_rc(do_init(&host), RC_OK, "gcsync_init")) {
        unload_library();
        return;
    }
    expect_rc(do_init(&host), RC_ALREADY_INITIALIZED, "second gcsync_init");

    say("== abuse: NULL pointers");
    expect_rc(G.gcsync_on_user_changed(NULL, 10), RC_NULL_PARAMETER, "gcsync_on_user_changed(NULL, 10)");
    expect_rc(G.gcsync_on_user_deleted(NULL, 4), RC_NULL_PARAMETER, "gcsync_on_user_deleted(NULL, 4)");
    expect_rc(G.gcsync_on_force_sync(NULL, 12), RC_NULL_PARAMETER, "gcsync_on_force_sync(NULL, 12)");
    expect_rc(G.gcsync_object_status(KIND_USER, NULL, 4, buf, sizeof buf, &out), RC_NULL_PARAMETER,
              "gcsync_object_status(object_id NULL)");
    expect_rc(G.gcsync_object_status(KIND_USER, id, strlen(id), buf, sizeof buf, NULL), RC_NULL_PARAMETER,
              "gcsync_object_status(out_len NULL)");
    expect_rc(G.gcsync_object_status(KIND_USER, id, strlen(id), NULL, 16, &out), RC_NULL_PARAMETER,
              "gcsync_object_status(buf NULL, buf_len 16)");
    expect_rc(G.gcsync_list_status(KIND_USER, buf, sizeof buf, NULL), RC_NULL_PARAMETER,
              "gcsync_list_status(out_len NULL)");
    expect_rc(G.gcsync_overview(NULL, 16, &out), RC_NULL_PARAMETER, "gcsync_overview(buf NULL, buf_len 16)");

    say("== abuse: payloads");
    static const char bad_utf8_json[] = "{\"id\":\"bad\xff\xfe\",\"display_name\":\"x\"}";
    expect_rc(G.gcsync_on_user_changed(bad_utf8_json, sizeof bad_utf8_json - 1), RC_INVALID_UTF8,
              "gcsync_on_user_changed(invalid UTF-8 bytes)");
    static const char bad_utf8_id[] = "ab\xc3\x28";
    expect_rc(G.gcsync_on_user_deleted(bad_utf8_id, sizeof bad_utf8_id - 1), RC_INVALID_UTF8,
              "gcsync_on_user_deleted(invalid UTF-8 id)");
    expect_rc(G.gcsync_object_status(KIND_USER, bad_utf8_id, sizeof bad_utf8_id - 1, buf, sizeof buf, &out),
              RC_INVALID_UTF8, "gcsync_object_status(invalid UTF-8 id)");
    static const char truncated[] = "{\"id\":\"jdoe\",\"display_name\":\"Jane";
    expect_rc(G.gcsync_on_user_changed(truncated, sizeof truncated - 1), RC_MALFORMED_JSON,
              "gcsync_on_user_changed(truncated JSON)");
    last_error(detail, sizeof detail);
    check(detail[0] != '\0', "gcsync_last_error_message after MALFORMED_JSON: \"%s\"", detail);
    static const char not_json[] = "id=jdoe";
    expect_rc(G.gcsync_on_user_changed(not_json, sizeof not_json - 1), RC_MALFORMED_JSON,
              "gcsync_on_user_changed(\"id=jdoe\")");
    static const char bad_snapshot[] = "{\"users\":[{\"id\":\"a\"},";
    expect_rc(G.gcsync_on_force_sync(bad_snapshot, sizeof bad_snapshot - 1), RC_MALFORMED_JSON,
              "gcsync_on_force_sync(truncated JSON)");
    /* Length is authoritative: a valid prefix followed by garbage beyond len must be accepted. */
    static const char prefix[] = "{\"id\":\"len-test\"}GARBAGE";
    expect_rc(G.gcsync_on_user_changed(prefix, 17), RC_OK, "gcsync_on_user_changed honours the length (17 of 24 bytes)");
    static const char unknown_field[] = "{\"id\":\"jdoe\",\"shoe_size\":\"44\"}";
    expect_rc(G.gcsync_on_user_changed(unknown_field, sizeof unknown_field - 1), RC_UNKNOWN_FIELD,
              "gcsync_on_user_changed(unknown field shoe_size)");
    static const char no_id[] = "{\"display_name\":\"Nobody\",\"business_email\":\"nobody@example.com\"}";
    expect_rc(G.gcsync_on_user_changed(no_id, sizeof no_id - 1), RC_MISSING_FIELD,
              "gcsync_on_user_changed(no id)");
    static const char int_id[] = "{\"id\":42}";
    expect_rc(G.gcsync_on_user_changed(int_id, sizeof int_id - 1), RC_INVALID_FIELD,
              "gcsync_on_user_changed(id is a number)");
    static const char snap_unknown[] = "{\"users\":[],\"groups\":[]}";
    expect_rc(G.gcsync_on_force_sync(snap_unknown, sizeof snap_unknown - 1), RC_UNKNOWN_FIELD,
              "gcsync_on_force_sync(unknown top-level field)");
    {
        size_t big = 2u << 20; /* 2 MiB of valid JSON */
        char *p = xmalloc(big);
        static const char head[] = "{\"id\":\"big\",\"display_name\":\"";
        memcpy(p, head, sizeof head - 1);
        memset(p + sizeof head - 1, 'x', big - (sizeof head - 1) - 2);
        memcpy(p + big - 2, "\"}", 2);
        expect_rc(G.gcsync_on_user_changed(p, big), RC_PAYLOAD_TOO_LARGE, "gcsync_on_user_changed(2 MiB payload)");
        /* A force-sync snapshot has its own (larger) limit or none; only require no crash and a defined code. */
        free(p);
    }
    static const char array_user[] = "[\"arr1\",\"Array User\",\"a@b.c\"]";
    expect_rc(G.gcsync_on_user_changed(array_user, sizeof array_user - 1), RC_INVALID_FIELD,
              "gcsync_on_user_changed([\"arr1\",\"Array User\",\"a@b.c\"]: an array, not an object)");
    last_error(detail, sizeof detail);
    check(strstr(detail, "expected a JSON object") != NULL, "the message says an object was expected: \"%s\"", detail);
    static const char array_snapshot[] = "{\"users\":[[\"arr1\",\"Array User\",\"a@b.c\"]]}";
    expect_rc(G.gcsync_on_force_sync(array_snapshot, sizeof array_snapshot - 1), RC_INVALID_FIELD,
              "gcsync_on_force_sync(a user given as an array)");
    static const char ctl_name[] = "{\"id\":\"ctl\",\"display_name\":\"Jane\\u0007Doe\"}";
    expect_rc(G.gcsync_on_user_changed(ctl_name, sizeof ctl_name - 1), RC_INVALID_FIELD,
              "gcsync_on_user_changed(U+0007 in display_name)");
    last_error(detail, sizeof detail);
    check(strstr(detail, "display_name") != NULL, "the message names the field: \"%s\"", detail);
    {
        char long_id[257];
        memset(long_id, 'x', sizeof long_id);
        expect_rc(G.gcsync_on_user_deleted(long_id, sizeof long_id), RC_INVALID_FIELD, "gcsync_on_user_deleted(257-byte id)");
        last_error(detail, sizeof detail);
        check(strstr(detail, "257") && !strstr(detail, "max_payload_bytes"),
              "the message is about the id, not the payload limit: \"%s\"", detail);
        expect_rc(G.gcsync_object_status(KIND_USER, long_id, sizeof long_id, buf, sizeof buf, &out), RC_INVALID_FIELD,
                  "gcsync_object_status(257-byte id)");
        static const char tab_id[] = "jo\thn";
        expect_rc(G.gcsync_on_user_deleted(tab_id, sizeof tab_id - 1), RC_INVALID_FIELD,
                  "gcsync_on_user_deleted(a tab in the id)");
        expect_rc(G.gcsync_object_status(KIND_USER, tab_id, sizeof tab_id - 1, buf, sizeof buf, &out), RC_INVALID_FIELD,
                  "gcsync_object_status(a tab in the id)");
    }

    say("== abuse: UTF-16 entry points");
    {
        /* The first dataset user whose JSON is not plain ASCII (fewer UTF-16 units than bytes). */
        const struct user *nu = u;
        size_t ju, iu, au;
        for (size_t i = 0; i < g_nusers && nu == u; i++)
            if (utf8_to_utf16((const unsigned char *)g_users[i].json, g_users[i].len, NULL) < g_users[i].len)
                nu = &g_users[i];
        uint16_t *j16 = utf16_dup(nu->json, nu->len, &ju), *i16 = utf16_dup(nu->id, strlen(nu->id), &iu);
        uint16_t *a16 = utf16_dup(array_user, sizeof array_user - 1, &au);
        expect_rc(G.gcsync_on_user_changed_utf16(NULL, 4), RC_NULL_PARAMETER, "gcsync_on_user_changed_utf16(NULL, 4)");
        expect_rc(G.gcsync_on_user_deleted_utf16(NULL, 4), RC_NULL_PARAMETER, "gcsync_on_user_deleted_utf16(NULL, 4)");
        expect_rc(G.gcsync_on_force_sync_utf16(NULL, 4), RC_NULL_PARAMETER, "gcsync_on_force_sync_utf16(NULL, 4)");
        expect_rc(G.gcsync_object_status_utf16(KIND_USER, NULL, 4, buf, sizeof buf, &out), RC_NULL_PARAMETER,
                  "gcsync_object_status_utf16(object_id NULL)");
        snprintf(what, sizeof what, "gcsync_on_user_changed_utf16(dataset user %s, %zu units for %zu bytes)", nu->id,
                 ju, nu->len);
        expect_rc(G.gcsync_on_user_changed_utf16(j16, ju), RC_OK, what);
        expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
        char s8[2048], s16[2048];
        size_t n8 = 0, n16 = 0;
        gcsync_result r8 = G.gcsync_object_status(KIND_USER, nu->id, strlen(nu->id), s8, sizeof s8, &n8);
        gcsync_result r16 = G.gcsync_object_status_utf16(KIND_USER, i16, iu, s16, sizeof s16, &n16);
        check(r8 == RC_OK && r16 == RC_OK && n8 == n16 && strcmp(s8, s16) == 0 && strstr(s16, "\"Synced\""),
              "gcsync_object_status_utf16(%s) is Synced and the same UTF-8 JSON as the UTF-8 query: %s", nu->id, s16);
        uint16_t *bad = xmalloc(ju * sizeof *bad);
        memcpy(bad, j16, ju * sizeof *bad);
        bad[1] = 0xD800; /* a high surrogate followed by '"': unpaired */
        expect_rc(G.gcsync_on_user_changed_utf16(bad, ju), RC_INVALID_UTF16,
                  "gcsync_on_user_changed_utf16(unpaired surrogate at unit 1)");
        last_error(detail, sizeof detail);
        check(strstr(detail, "0xD800 at code unit 1") != NULL, "the message gives the unit offset: \"%s\"", detail);
        const uint16_t lone[] = { 'a', 0xDC00, 'b' };
        expect_rc(G.gcsync_on_user_deleted_utf16(lone, 3), RC_INVALID_UTF16, "gcsync_on_user_deleted_utf16(lone low surrogate)");
        expect_rc(G.gcsync_object_status_utf16(KIND_USER, lone, 3, buf, sizeof buf, &out), RC_INVALID_UTF16,
                  "gcsync_object_status_utf16(lone low surrogate)");
        expect_rc(G.gcsync_on_user_changed_utf16(a16, au), RC_INVALID_FIELD, "gcsync_on_user_changed_utf16(an array)");
        expect_rc(G.gcsync_on_force_sync_utf16(a16, au), RC_INVALID_FIELD, "gcsync_on_force_sync_utf16(an array)");
        uint16_t long16[257];
        for (size_t i = 0; i < 257; i++)
            long16[i] = 0x00E9; /* é: 257 units, 514 UTF-8 bytes */
        expect_rc(G.gcsync_on_user_deleted_utf16(long16, 129), RC_INVALID_FIELD,
                  "gcsync_on_user_deleted_utf16(129 x U+00E9 = 258 UTF-8 bytes)");
        expect_rc(G.gcsync_on_user_deleted_utf16(long16, 128), RC_OK,
                  "gcsync_on_user_deleted_utf16(128 x U+00E9 = 256 UTF-8 bytes, an unknown user)");
        free(bad);
        free(a16);
        free(i16);
        free(j16);
    }

    say("== abuse: kinds, buffers, messages");
    expect_rc(G.gcsync_object_status((gcsync_object_kind)99, id, strlen(id), buf, sizeof buf, &out),
              RC_UNKNOWN_OBJECT_KIND, "gcsync_object_status(kind 99)");
    expect_rc(G.gcsync_list_status((gcsync_object_kind)99, buf, sizeof buf, &out), RC_UNKNOWN_OBJECT_KIND,
              "gcsync_list_status(kind 99)");
    expect_rc(G.gcsync_on_user_changed(u->json, u->len), RC_OK, "gcsync_on_user_changed(first dataset user)");
    expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
    {
        gcsync_result frc;
        char *full = query(Q_OBJECT, id, &frc);
        if (check(full != NULL, "gcsync_object_status(%s) -> OK: %s", id, full ? full : rname(frc))) {
            size_t flen = strlen(full);
            char small[64];
            memset(small, 0xAA, sizeof small);
            out = 0;
            rc = G.gcsync_object_status(KIND_USER, id, strlen(id), small, 8, &out);
            expect_rc(rc, RC_BUFFER_TOO_SMALL, "gcsync_object_status(buf_len 8)");
            bool guard = true;
            for (size_t i = 8; i < sizeof small; i++)
                guard = guard && (unsigned char)small[i] == 0xAA;
            check(out == flen && small[7] == '\0' && memcmp(small, full, 7) == 0 && guard,
                  "buf_len 8: out_len %zu (want %zu), buf NUL-terminated prefix \"%.7s\", bytes past buf_len untouched",
                  out, flen, small);
            out = 0;
            rc = G.gcsync_object_status(KIND_USER, id, strlen(id), small, 1, &out);
            check(rc == RC_BUFFER_TOO_SMALL && out == flen && small[0] == '\0',
                  "gcsync_object_status(buf_len 1) -> %s, out_len %zu, buf \"\"", rname(rc), out);
            char *exact = xmalloc(flen);
            rc = G.gcsync_object_status(KIND_USER, id, strlen(id), exact, flen, &out);
            check(rc == RC_BUFFER_TOO_SMALL && out == flen && exact[flen - 1] == '\0',
                  "gcsync_object_status(buf_len == length, no room for NUL) -> %s", rname(rc));
            free(exact);
            free(full);
        }
    }
    {
        size_t need = G.gcsync_result_message(RC_OK, NULL, 0);
        char m[256];
        memset(m, 0xAA, sizeof m);
        size_t n = G.gcsync_result_message(RC_OK, m, sizeof m);
        check(need > 0 && n == need && strlen(m) == n, "gcsync_result_message(OK) = \"%s\" (length %zu)", m, n);
        memset(m, 0xAA, sizeof m);
        n = G.gcsync_result_message(RC_PAYLOAD_TOO_LARGE, m, 5);
        check(n > 4 && m[4] == '\0' && strlen(m) == 4 && (unsigned char)m[5] == 0xAA,
              "gcsync_result_message(PAYLOAD_TOO_LARGE, buf_len 5) truncates to \"%s\", returns %zu", m, n);
        char generic[256];
        G.gcsync_result_message(RC_UNKNOWN, generic, sizeof generic);
        n = G.gcsync_result_message(12345, m, sizeof m);
        check(n > 0 && strlen(m) == n && strcmp(m, generic) == 0,
              "gcsync_result_message(12345) = \"%s\" (the generic UNKNOWN text)", m);
        n = G.gcsync_result_message(8098, m, sizeof m);
        check(n > 0 && strcmp(m, generic) == 0, "gcsync_result_message(8098, an unassigned code) = \"%s\"", m);
        size_t le = G.gcsync_last_error_message(NULL, 0);
        check(le > 0, "gcsync_last_error_message(NULL, 0) returns the needed length (%zu)", le);
    }

    say("== abuse: settings reload and delete");
    g_settings_thread = thread_self();
    expect_rc(G.gcsync_on_settings_changed(), RC_OK, "gcsync_on_settings_changed");
    g_forced_key = "requests_per_minute";
    g_forced_value = "lots";
    expect_rc(G.gcsync_on_settings_changed(), RC_INVALID_SETTING, "gcsync_on_settings_changed(requests_per_minute=lots)");
    g_forced_key = g_forced_value = NULL;
    expect_rc(G.gcsync_on_user_changed(u->json, u->len), RC_OK, "hooks still work after a refused settings reload");
    expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");

    say("== abuse: calls from inside each callback (only queries and messages allowed)");
    abuse_calls_from_callbacks();

    say("== abuse: shutdown, then every call");
    snprintf(what, sizeof what, "gcsync_shutdown(%u)", O.timeout_ms);
    expect_rc(do_shutdown(), RC_OK, what);
    check_threads("after gcsync_shutdown");
    all_calls_expect(RC_SHUT_DOWN, "after shutdown");
    rc = G.gcsync_shutdown(100);
    check(rc == RC_SHUT_DOWN || rc == RC_OK, "second gcsync_shutdown -> %u %s (SHUT_DOWN or OK)", (unsigned)rc,
          rname(rc));
    check_callback_contract("abuse first life");

    say("== abuse: init again after shutdown (same process, library still loaded)");
    reset_callback_counters();
    host = make_host();
    if (expect_rc(do_init(&host), RC_OK, "gcsync_init after gcsync_shutdown")) {
        expect_rc(G.gcsync_on_user_changed(u->json, u->len), RC_OK, "gcsync_on_user_changed");
        expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
        gcsync_result src;
        char *j = query(Q_OBJECT, id, &src);
        check(j != NULL, "second life: gcsync_object_status(%s) -> %s", id, j ? j : rname(src));
        free(j);
        /* Queue the whole dataset and stop at once: what is left must be saved and resumed. */
        for (size_t i = 0; i < g_nusers; i++)
            G.gcsync_on_user_changed(g_users[i].json, g_users[i].len);
        rc = do_shutdown_within(0);
        check(rc == RC_OK || rc == RC_SHUTDOWN_TIMED_OUT,
              "second life: gcsync_shutdown(0) right after queueing %zu users -> %u %s (OK or SHUTDOWN_TIMED_OUT)",
              g_nusers, (unsigned)rc, rname(rc));
        check_threads("after gcsync_shutdown(0)");
        check_callback_contract("abuse second life");

        say("== abuse: third life resumes the saved work");
        reset_callback_counters();
        if (expect_rc(do_init(&host), RC_OK, "third gcsync_init")) {
            expect_rc(G.gcsync_wait_idle(O.timeout_ms), RC_OK, "gcsync_wait_idle");
            struct counts c = report(false);
            check(c.synced + c.error == (long)g_nusers,
                  "every dataset user was processed after the resume (Synced %ld + Error %ld == %zu)", c.synced,
                  c.error, g_nusers);
            check_expectations(c, "third life");
            snprintf(what, sizeof what, "third life: gcsync_shutdown(%u)", O.timeout_ms);
            expect_rc(do_shutdown(), RC_OK, what);
        }
    }
    check_threads("after the last gcsync_shutdown");
    unload_library();
    check_threads("after dlclose");
    check_callback_contract("abuse third life");
}
