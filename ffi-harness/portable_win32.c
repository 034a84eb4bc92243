/* ffi-harness/portable_win32.c - the OS services of portable.h on Win32 (MinGW-w64; run under Wine
 * in CI): _beginthreadex, LoadLibraryW with UTF-16 paths, Toolhelp32 thread counting and names,
 * a watchdog thread, the UTF-8 command line, the data directory's ACL.
 * The Windows build compiles this file; the Linux builds compile portable_posix.c instead. */
#include "host.h"

#ifndef _WIN32
#error "portable_win32.c is the Win32 side of portable.h; a POSIX build compiles portable_posix.c"
#endif

#include <windows.h>
#include <aclapi.h>
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <shellapi.h>
#include <tlhelp32.h>

_Static_assert(sizeof(host_mutex) == sizeof(SRWLOCK), "host_mutex stands for an SRWLOCK");

/* UTF-8 -> UTF-16 (malloc'd), or NULL if `s` is not valid UTF-8. `path`: '/' becomes '\\', as
 * Windows wants in a path it compares (GetModuleHandle) or passes on unchanged. */
static wchar_t *widen(const char *s, bool path)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0)
        return NULL;
    wchar_t *w = xmalloc((size_t)n * sizeof *w);
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    for (int i = 0; path && i < n; i++)
        if (w[i] == L'/')
            w[i] = L'\\';
    return w;
}

/* UTF-16 -> UTF-8 (malloc'd; "" on failure). */
static char *narrow(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = xmalloc(n > 0 ? (size_t)n : 1);
    s[0] = '\0';
    if (n > 0)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

/* A fully qualified UTF-16 path (backslashes), malloc'd; NULL if `path` is not valid UTF-8. */
static wchar_t *full_path(const char *path)
{
    wchar_t *w = widen(path, true);
    if (!w)
        return NULL;
    DWORD n = GetFullPathNameW(w, 0, NULL, NULL);
    if (n == 0)
        return w;
    wchar_t *full = xmalloc((size_t)n * sizeof *full);
    DWORD got = GetFullPathNameW(w, n, full, NULL);
    if (got == 0 || got >= n) {
        free(full);
        return w;
    }
    free(w);
    return full;
}

static void win_error(DWORD code, char *err, size_t err_len)
{
    char text[256] = "";
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, text, sizeof text, NULL);
    char *t = trim(text);
    snprintf(err, err_len, "error %lu%s%s", (unsigned long)code, *t ? ": " : "", t);
}

static const char *wine_version(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    FARPROC p = ntdll ? GetProcAddress(ntdll, "wine_get_version") : NULL;
    if (!p)
        return NULL;
    const char *(*get)(void);
    memcpy(&get, &p, sizeof get);
    return get();
}

const char *platform_name(void)
{
    static char name[64];
    const char *wine = wine_version();
    if (!wine)
        return "Windows";
    snprintf(name, sizeof name, "Windows under Wine %s", wine);
    return name;
}

bool platform_is_wine(void) { return wine_version() != NULL; }

void platform_init(int *argc, char ***argv)
{
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
    int n = 0;
    wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
    if (!w)
        return;
    char **a = xmalloc(((size_t)n + 1) * sizeof *a);
    for (int i = 0; i < n; i++)
        a[i] = narrow(w[i]); /* kept for the life of the process */
    a[n] = NULL;
    LocalFree(w);
    *argc = n;
    *argv = a;
}

struct start {
    void *(*fn)(void *);
    void *arg;
};

static unsigned __stdcall thread_trampoline(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    s.fn(s.arg);
    return 0;
}

int thread_start(host_thread *t, void *(*fn)(void *), void *arg)
{
    struct start *s = xmalloc(sizeof *s);
    s->fn = fn;
    s->arg = arg;
    uintptr_t h = _beginthreadex(NULL, 0, thread_trampoline, s, 0, NULL);
    if (!h) {
        int e = errno ? errno : EAGAIN;
        free(s);
        return e;
    }
    *t = (host_thread)h;
    return 0;
}

void thread_join(host_thread t)
{
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}

host_thread_id thread_self(void) { return GetCurrentThreadId(); }
bool thread_same(host_thread_id a, host_thread_id b) { return a == b; }
void mutex_lock(host_mutex *m) { AcquireSRWLockExclusive((PSRWLOCK)m); }
void mutex_unlock(host_mutex *m) { ReleaseSRWLockExclusive((PSRWLOCK)m); }

void *lib_open(const char *path, char *err, size_t err_len)
{
    wchar_t *w = full_path(path);
    if (!w) {
        snprintf(err, err_len, "the path is not valid UTF-8");
        return NULL;
    }
    HMODULE h = LoadLibraryW(w);
    DWORD code = GetLastError();
    free(w);
    if (!h)
        win_error(code, err, err_len);
    return (void *)h;
}

void *lib_sym(void *handle, const char *name)
{
    FARPROC p = GetProcAddress((HMODULE)handle, name);
    void *v;
    memcpy(&v, &p, sizeof v);
    return v;
}

bool lib_close(void *handle, char *err, size_t err_len)
{
    if (FreeLibrary((HMODULE)handle))
        return true;
    win_error(GetLastError(), err, err_len);
    return false;
}

int lib_is_mapped(const char *path)
{
    wchar_t *w = full_path(path);
    HMODULE h = NULL;
    BOOL found = w && GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, w, &h);
    free(w);
    return found ? 1 : 0;
}

/* GetThreadDescription exists from Windows 10 1607 (and in Wine); looked up, not linked. */
typedef HRESULT(WINAPI *get_thread_description_fn)(HANDLE, PWSTR *);

static void thread_name(DWORD tid, char *out, size_t out_len)
{
    out[0] = '\0';
    static get_thread_description_fn get;
    if (!get) {
        FARPROC p = GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "GetThreadDescription");
        if (!p)
            return;
        memcpy(&get, &p, sizeof get);
    }
    HANDLE t = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, tid);
    if (!t)
        return;
    PWSTR desc = NULL;
    if (SUCCEEDED(get(t, &desc)) && desc) {
        char *s = narrow(desc);
        snprintf(out, out_len, "%s", s);
        free(s);
        LocalFree(desc);
    }
    CloseHandle(t);
}

int count_threads(char *names, size_t names_len)
{
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return -1;
    DWORD me = GetCurrentProcessId();
    THREADENTRY32 te;
    te.dwSize = sizeof te;
    int n = 0;
    if (names && names_len)
        names[0] = '\0';
    for (BOOL more = Thread32First(snap, &te); more; more = Thread32Next(snap, &te)) {
        if (te.dwSize < offsetof(THREADENTRY32, th32OwnerProcessID) + sizeof te.th32OwnerProcessID ||
            te.th32OwnerProcessID != me) {
            te.dwSize = sizeof te;
            continue;
        }
        n++;
        if (names && names_len) {
            char name[64];
            thread_name(te.th32ThreadID, name, sizeof name);
            size_t used = strlen(names);
            snprintf(names + used, names_len - used, "%s%lu(%s)", used ? " " : "", (unsigned long)te.th32ThreadID,
                     name);
        }
        te.dwSize = sizeof te;
    }
    CloseHandle(snap);
    return n;
}

void sleep_ms(long ms) { Sleep((DWORD)ms); }

double now_s(void)
{
    static LARGE_INTEGER freq;
    if (!freq.QuadPart)
        QueryPerformanceFrequency(&freq);
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)freq.QuadPart;
}

FILE *fopen_utf8(const char *path, const char *mode)
{
    wchar_t *wp = widen(path, false), *wm = widen(mode, false);
    FILE *f = wp && wm ? _wfopen(wp, wm) : NULL;
    free(wp);
    free(wm);
    return f;
}

static unsigned __stdcall watchdog_main(void *arg)
{
    Sleep((DWORD)(uintptr_t)arg * 1000u);
    static const char msg[] = "\nhost: WATCHDOG: no progress within --watchdog-s (hang in the library?)\n"
                              "harness: 0 passed, 1 failed\n";
    DWORD w;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), msg, sizeof msg - 1, &w, NULL);
    TerminateProcess(GetCurrentProcess(), 3); /* no DLL detach code: the library may be hung */
    return 0;
}

void watchdog_start(unsigned seconds)
{
    if (!seconds)
        return;
    uintptr_t h = _beginthreadex(NULL, 0, watchdog_main, (void *)(uintptr_t)seconds, 0, NULL);
    if (!h) {
        fprintf(stderr, "host: cannot start the watchdog thread\n");
        exit(2);
    }
    CloseHandle((HANDLE)h);
}

void watchdog_stop(void) {} /* the thread ends with the process */

/* The process token's user SID (malloc'd TOKEN_USER), or NULL. */
static TOKEN_USER *token_user(void)
{
    HANDLE tok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return NULL;
    DWORD n = 0;
    GetTokenInformation(tok, TokenUser, NULL, 0, &n);
    TOKEN_USER *u = n ? xmalloc(n) : NULL;
    if (u && !GetTokenInformation(tok, TokenUser, u, n, &n)) {
        free(u);
        u = NULL;
    }
    CloseHandle(tok);
    return u;
}

/* Whether the DACL of `path` allows only `sid` (and, with `protected_dacl`, is protected). */
static bool dacl_private(const wchar_t *path, PSID sid, bool protected_dacl, char *why, size_t why_len)
{
    PACL dacl = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    DWORD rc = GetNamedSecurityInfoW(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd);
    if (rc != ERROR_SUCCESS) {
        win_error(rc, why, why_len);
        return false;
    }
    bool ok = dacl != NULL && dacl->AceCount > 0;
    snprintf(why, why_len, "%s", dacl ? "no ACE" : "no DACL (everyone has access)");
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision;
    if (ok && protected_dacl && (!GetSecurityDescriptorControl(sd, &control, &revision) || !(control & SE_DACL_PROTECTED))) {
        ok = false;
        snprintf(why, why_len, "the DACL is not protected (it inherits from the parent)");
    }
    for (DWORD i = 0; ok && i < dacl->AceCount; i++) {
        ACCESS_ALLOWED_ACE *ace = NULL;
        if (!GetAce(dacl, i, (void **)&ace) || ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE ||
            !EqualSid((PSID)&ace->SidStart, sid)) {
            ok = false;
            snprintf(why, why_len, "ACE %lu is not an allow ACE for this user", (unsigned long)i);
        }
    }
    LocalFree(sd);
    return ok;
}

void check_private_dir(const char *dir, const char *when)
{
    wchar_t *wdir = full_path(dir);
    DWORD attr = wdir ? GetFileAttributesW(wdir) : INVALID_FILE_ATTRIBUTES;
    if (!check(attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY), "%s: data directory %s exists",
               when, dir)) {
        free(wdir);
        return;
    }
    if (platform_is_wine()) {
        say("  skip %s: data directory ACL not checked: Wine does not keep file ACLs (real Windows only)", when);
        free(wdir);
        return;
    }
    TOKEN_USER *user = token_user();
    if (!check(user != NULL, "%s: the process token's user can be read", when)) {
        free(wdir);
        return;
    }
    char why[300];
    bool ok = dacl_private(wdir, user->User.Sid, true, why, sizeof why);
    check(ok, "%s: data directory DACL is protected and allows only this user%s%s", when, ok ? "" : ": ", ok ? "" : why);
    size_t dl = wcslen(wdir);
    wchar_t *pattern = xmalloc((dl + 3) * sizeof *pattern);
    memcpy(pattern, wdir, dl * sizeof *pattern);
    memcpy(pattern + dl, L"\\*", 3 * sizeof *pattern);
    WIN32_FIND_DATAW fd;
    HANDLE find = FindFirstFileW(pattern, &fd);
    int files = 0, loose = 0;
    char first_open[400] = "";
    for (BOOL more = find != INVALID_HANDLE_VALUE; more; more = FindNextFileW(find, &fd)) {
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            continue;
        size_t nl = wcslen(fd.cFileName);
        wchar_t *p = xmalloc((dl + nl + 2) * sizeof *p);
        memcpy(p, wdir, dl * sizeof *p);
        p[dl] = L'\\';
        memcpy(p + dl + 1, fd.cFileName, (nl + 1) * sizeof *p);
        files++;
        if (!dacl_private(p, user->User.Sid, false, why, sizeof why) && !loose++) {
            char *name = narrow(fd.cFileName);
            snprintf(first_open, sizeof first_open, "%s (%s)", name, why);
            free(name);
        }
        free(p);
    }
    if (find != INVALID_HANDLE_VALUE)
        FindClose(find);
    check(files > 0 && loose == 0, "%s: %d file(s) in it, each allowing only this user%s%s", when, files,
          loose ? "; first: " : "", first_open);
    free(pattern);
    free(user);
    free(wdir);
}
