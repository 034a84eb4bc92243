/*
 * ffi-harness/portable.h - the few operating-system services the host needs, behind one small
 * interface with two implementations: portable_posix.c (Linux: pthreads, dlopen, /proc) and
 * portable_win32.c (MinGW-w64; run under Wine in CI: _beginthreadex, LoadLibraryW, Toolhelp32,
 * ACLs); a build compiles one of them (Makefile).
 * Everything else in the host is plain C11. Strings are UTF-8 on both; the Win32 side converts to
 * UTF-16 wherever Windows takes a path or a command line.
 */
#ifndef GCSYNC_HARNESS_PORTABLE_H
#define GCSYNC_HARNESS_PORTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef _WIN32
typedef void *host_thread;            /* the HANDLE from _beginthreadex */
typedef unsigned long host_thread_id; /* GetCurrentThreadId() */
typedef struct {
    void *opaque;
} host_mutex;                         /* an SRWLOCK (same layout; checked in portable_win32.c) */
#define HOST_MUTEX_INIT { 0 }
#define LIB_OPEN_NAME "LoadLibraryW"
#define LIB_CLOSE_NAME "FreeLibrary"
#define UNCREATABLE_DIR "C:\\gcsync-harness\\not<a>valid|name" /* '<', '>', '|' are never allowed */
/* printf-style checking that matches the C99 printf in use (__USE_MINGW_ANSI_STDIO). */
#define HOST_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#include <pthread.h>
typedef pthread_t host_thread;
typedef pthread_t host_thread_id;
typedef pthread_mutex_t host_mutex;
#define HOST_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define LIB_OPEN_NAME "dlopen"
#define LIB_CLOSE_NAME "dlclose"
#define UNCREATABLE_DIR "/proc/gcsync-harness-cannot-create-this"
#define HOST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

/* "Linux", "Windows" or "Windows under Wine 8.0" (for the first output line). */
const char *platform_name(void);
/* True when running under Wine (some Windows behaviour cannot be observed there). */
bool platform_is_wine(void);

/* First thing in main. Windows: replaces argv with the UTF-8 form of the UTF-16 command line (paths
 * and --set values are not squeezed through the ANSI code page) and puts stdout/stderr in binary
 * mode (lines end in "\n" as on Linux, for the scripts that read them). POSIX: nothing. */
void platform_init(int *argc, char ***argv);

/* ---- threads and a mutex -------------------------------------------------------------------- */

/* Starts fn(arg) on a new thread. Returns 0 or an errno value. */
int thread_start(host_thread *t, void *(*fn)(void *), void *arg);
void thread_join(host_thread t);
host_thread_id thread_self(void);
bool thread_same(host_thread_id a, host_thread_id b);
void mutex_lock(host_mutex *m);
void mutex_unlock(host_mutex *m);

/* ---- the library ---------------------------------------------------------------------------- */

/* dlopen(RTLD_NOW | RTLD_LOCAL) / LoadLibraryW. NULL on failure, with the reason in err. */
void *lib_open(const char *path, char *err, size_t err_len);
void *lib_sym(void *handle, const char *name);
/* dlclose / FreeLibrary. False on failure, with the reason in err. */
bool lib_close(void *handle, char *err, size_t err_len);
/* Whether the library at `path` is still mapped in this process, asked without loading it
 * (RTLD_NOLOAD / GetModuleHandleExW): 1 yes, 0 no. */
int lib_is_mapped(const char *path);

/* ---- the process ---------------------------------------------------------------------------- */

/* The number of threads in this process (-1 if it cannot be told); with `names`, each thread's id
 * and name ("123(gcsync-worker) ...") for the report. */
int count_threads(char *names, size_t names_len);
void sleep_ms(long ms);
double now_s(void); /* monotonic seconds */
/* fopen with a UTF-8 path. */
FILE *fopen_utf8(const char *path, const char *mode);

/* Ends the process with "harness: 0 passed, 1 failed" when `seconds` pass (0: none). On Windows it
 * starts a thread: call it before counting the host's own threads. */
void watchdog_start(unsigned seconds);
void watchdog_stop(void);

/* Checks (one check() line each) that the data directory and every file in it are private to the
 * current user. POSIX: the directory is mode 0700, no file has a group or other bit. Windows: each
 * has a DACL whose every ACE allows only the process token's user, and the directory's DACL is
 * protected (nothing inherited from its parent). Under Wine, which does not keep file ACLs, the
 * Windows check says so and is skipped. */
void check_private_dir(const char *dir, const char *when);

#endif /* GCSYNC_HARNESS_PORTABLE_H */
