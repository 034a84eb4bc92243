//! What the benchmark measures about its own process: CPU time, bytes sent to storage, resident
//! memory, context switches of the calling thread, and the data directory on disk.
//!
//! Linux only (`/proc/self/io`, `/proc/self/status`, `RUSAGE_THREAD`); elsewhere each probe
//! answers `None` and the figure is printed as not measurable.

use std::path::Path;

/// User + system CPU seconds of this process so far (every thread, live or exited).
pub fn cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        let u = rusage(libc::RUSAGE_SELF)?;
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(secs(u.ru_utime) + secs(u.ru_stime))
    }
    #[cfg(not(unix))]
    None
}

#[cfg(unix)]
fn rusage(who: libc::c_int) -> Option<libc::rusage> {
    // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid value.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        (libc::getrusage(who, &mut u) == 0).then_some(u)
    }
}

/// (voluntary, involuntary) context switches of the calling thread so far. A voluntary switch
/// during a call means it blocked (a lock, I/O); an involuntary one that the scheduler preempted
/// it.
pub fn thread_switches() -> (u64, u64) {
    #[cfg(target_os = "linux")]
    if let Some(u) = rusage(libc::RUSAGE_THREAD) {
        return (u.ru_nvcsw as u64, u.ru_nivcsw as u64);
    }
    (0, 0)
}

/// Storage accounting of this process from `/proc/self/io`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Io {
    /// Bytes this process caused to be sent to the storage layer (page cache dirtied or direct).
    pub write_bytes: u64,
    /// Of those, bytes that never reached storage (a file truncated or deleted while dirty).
    pub cancelled_write_bytes: u64,
}

impl Io {
    /// Bytes that reached (or will reach) storage between `before` and `self`.
    pub fn net_since(&self, before: &Io) -> i64 {
        (self.write_bytes as i64 - before.write_bytes as i64)
            - (self.cancelled_write_bytes as i64 - before.cancelled_write_bytes as i64)
    }
}

/// The process's storage accounting, if the kernel provides it.
pub fn io() -> Option<Io> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
    };
    Some(Io {
        write_bytes: field("write_bytes:")?,
        cancelled_write_bytes: field("cancelled_write_bytes:")?,
    })
}

fn status_kb(name: &str) -> Option<u64> {
    status_kb_from("/proc/self/status", name)
}

/// Resident set size now, bytes.
pub fn rss_bytes() -> Option<u64> {
    status_kb("VmRSS:").map(|k| k * 1024)
}

/// Peak resident set size, bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    status_kb("VmHWM:").map(|k| k * 1024)
}

/// The C heap (every malloc arena): (bytes in use, bytes held free), from glibc's
/// `mallinfo2`. RSS growth beyond the growth in use is memory the allocator keeps (freed
/// chunks, per-thread arenas), not memory the plugin holds.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn heap_bytes() -> Option<(u64, u64)> {
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let m = unsafe { libc::mallinfo2() };
    Some(((m.uordblks + m.hblkhd) as u64, m.fordblks as u64))
}

/// Not available off glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn heap_bytes() -> Option<(u64, u64)> {
    None
}

/// Sum of the sizes of the regular files under `dir` (apparent size), bytes.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The file system type of `path` when it is one whose writes never reach a disk (tmpfs,
/// ramfs), which would make the disk figures meaningless.
pub fn memory_backed(path: &Path) -> Option<&'static str> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
        // SAFETY: statfs writes into the zeroed struct; c is NUL-terminated.
        let kind = unsafe {
            let mut s: libc::statfs = std::mem::zeroed();
            if libc::statfs(c.as_ptr(), &mut s) != 0 {
                return None;
            }
            s.f_type as i64
        };
        match kind {
            0x0102_1994 => Some("tmpfs"),
            0x8584_58f6 => Some("ramfs"),
            _ => None,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

/// One line about the machine: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = status_kb_from("/proc/meminfo", "MemTotal:").map_or(0, |k| k / 1024 / 1024);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| std::env::consts::OS.into());
    format!("{cpu}, {cores} cores, {mem} GiB RAM, kernel {kernel}")
}

fn status_kb_from(file: &str, name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(name)?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}

/// Lowers the calling thread's priority by 5 nice steps (Linux; threads it starts inherit it),
/// as gcsync does for its own background threads. The hook scenario starts its emulator
/// from such a thread: the cloud is remote in production, so it should not take the host's
/// cores first. False where it could not.
pub fn lower_thread_priority() -> bool {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's own id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        libc::setpriority(libc::PRIO_PROCESS, tid, (now + 5).min(19)) == 0
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// How the hook scenario runs the emulator's threads (`--cloud-sched`). The cloud is remote in
/// production, so its CPU is not the CIC server's: the default (`nice`, the figures before
/// session 10) lowers it by 5 nice steps; `batch` runs it SCHED_BATCH (no wake-up preemption of
/// the host's threads) and `idle` SCHED_IDLE (only on a core nothing else wants), which models a
/// remote cloud more closely but stretches its answers on a busy machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudSched {
    Nice,
    Batch,
    Idle,
}

impl CloudSched {
    pub fn parse(s: &str) -> Option<CloudSched> {
        match s {
            "nice" => Some(CloudSched::Nice),
            "batch" => Some(CloudSched::Batch),
            "idle" => Some(CloudSched::Idle),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CloudSched::Nice => "5 nice steps down",
            CloudSched::Batch => "SCHED_BATCH",
            CloudSched::Idle => "SCHED_IDLE",
        }
    }

    /// Applies this to the calling thread (threads it starts inherit it); false where it could
    /// not.
    pub fn apply(self) -> bool {
        let policy = match self {
            CloudSched::Nice => return lower_thread_priority(),
            CloudSched::Batch => libc::SCHED_BATCH,
            CloudSched::Idle => libc::SCHED_IDLE,
        };
        #[cfg(target_os = "linux")]
        // SAFETY: a plain system call on the calling thread (pid 0), with a valid parameter.
        unsafe {
            let param = libc::sched_param { sched_priority: 0 };
            libc::sched_setscheduler(0, policy, &param) == 0
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = policy;
            false
        }
    }
}

/// The machine's load averages (1, 5, 15 minutes) as `/proc/loadavg` shows them.
pub fn load_average() -> Option<String> {
    let t = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(t.split(' ').take(3).collect::<Vec<_>>().join(" "))
}

/// CPU time (ns) of this process's threads whose name starts with `prefix` (but for the
/// benchmark's own `gcsync-bench`, which unnamed threads inherit), from
/// `/proc/self/task/*/schedstat` (time on a CPU; threads that ended are not counted).
pub fn threads_cpu_ns(prefix: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.starts_with(prefix) && c.trim_end() != "gcsync-bench")
        })
        .filter_map(|t| {
            let s = std::fs::read_to_string(t.path().join("schedstat")).ok()?;
            s.split(' ').next()?.parse::<u64>().ok()
        })
        .sum()
}

/// The whole machine's (busy, total) CPU time so far, in clock ticks of every core, from the
/// first line of `/proc/stat` (idle and iowait are not busy).
pub fn machine_ticks() -> Option<(u64, u64)> {
    let t = std::fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = t
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}
