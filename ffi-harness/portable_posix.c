/* ffi-harness/portable_posix.c - the OS services of portable.h on POSIX (Linux): pthreads, dlopen,
 * /proc/self/task, clock_gettime, alarm() as the watchdog, the data directory's mode bits.
 * The Linux builds compile this file; the Windows build compiles portable_win32.c instead. */
#include "host.h"

#ifdef _WIN32
#error "portable_posix.c is the POSIX side of portable.h; a Windows build compiles portable_win32.c"
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs function and data pointers of one size");

const char *platform_name(void) { return "Linux"; }
bool platform_is_wine(void) { return false; }
void platform_init(int *argc, char ***argv) { (void)argc; (void)argv; }

int thread_start(host_thread *t, void *(*fn)(void *), void *arg) { return pthread_create(t, NULL, fn, arg); }
void thread_join(host_thread t) { pthread_join(t, NULL); }
host_thread_id thread_self(void) { return pthread_self(); }
bool thread_same(host_thread_id a, host_thread_id b) { return pthread_equal(a, b) != 0; }
void mutex_lock(host_mutex *m) { pthread_mutex_lock(m); }
void mutex_unlock(host_mutex *m) { pthread_mutex_unlock(m); }

void *lib_open(const char *path, char *err, size_t err_len)
{
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        snprintf(err, err_len, "%s", dlerror());
    return h;
}

void *lib_sym(void *handle, const char *name) { return dlsym(handle, name); }

bool lib_close(void *handle, char *err, size_t err_len)
{
    if (dlclose(handle) == 0)
        return true;
    snprintf(err, err_len, "%s", dlerror());
    return false;
}

int lib_is_mapped(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (!h)
        return 0;
    dlclose(h);
    return 1;
}

int count_threads(char *names, size_t names_len)
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

void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

FILE *fopen_utf8(const char *path, const char *mode) { return fopen(path, mode); }

static void on_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "\nhost: WATCHDOG: no progress within --watchdog-s (hang in the library?)\n"
                              "harness: 0 passed, 1 failed\n";
    ssize_t w = write(STDOUT_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(3);
}

void watchdog_start(unsigned seconds)
{
    if (!seconds)
        return;
    signal(SIGALRM, on_watchdog);
    alarm(seconds);
}

void watchdog_stop(void) { alarm(0); }

void check_private_dir(const char *dir, const char *when)
{
    struct stat st;
    if (!check(stat(dir, &st) == 0, "%s: data directory %s exists", when, dir))
        return;
    check((st.st_mode & 0777) == 0700, "%s: data directory is mode 0700 (got %03o)", when,
          (unsigned)(st.st_mode & 0777));
    DIR *d = opendir(dir);
    if (!check(d != NULL, "%s: data directory can be listed", when))
        return;
    int files = 0, loose = 0;
    char first_open[300] = "";
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (de->d_name[0] == '.' || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        files++;
        if (st.st_mode & 077) {
            if (!loose++)
                snprintf(first_open, sizeof first_open, "%s (%03o)", de->d_name, (unsigned)(st.st_mode & 0777));
        }
    }
    closedir(d);
    check(files > 0 && loose == 0, "%s: %d file(s) in it, none readable by group or others%s%s", when, files,
          loose ? "; first: " : "", first_open);
}
