//! gcsync's background threads (the workers, the writer, the full sync and its timer) start
//! here: named, and one step below normal priority unless the `background_priority` setting is
//! `normal` ([`crate::platform::lower_thread_priority`]). The host's threads (the contact
//! center's own work) and the hooks they call then come first when the cores are busy; the
//! background work is either network-bound (Genesys Cloud calls at a few hundred a minute) or
//! short (a group commit), so it loses little by waiting a time slice.
//!
//! Each thread lowers itself as its first step, so threads it starts later inherit the lower
//! priority (Linux) and the host's thread that called `gcsync_init` keeps its own. A failure to
//! lower is logged once, at debug, and the thread runs at normal priority.

use crate::settings::BackgroundPriority;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Whether a failure to lower a thread's priority was logged already (once per process).
static FAILURE_LOGGED: AtomicBool = AtomicBool::new(false);

/// Starts background thread `name` at `priority`, running `f`.
pub fn spawn<F, T>(
    name: String,
    priority: BackgroundPriority,
    f: F,
) -> std::io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    std::thread::Builder::new().name(name).spawn(move || {
        apply(priority);
        f()
    })
}

/// Sets the calling thread's priority as `priority` asks (nothing for `Normal`).
pub fn apply(priority: BackgroundPriority) {
    if priority == BackgroundPriority::Normal {
        return;
    }
    if let Err(e) = crate::platform::lower_thread_priority() {
        if !FAILURE_LOGGED.swap(true, Ordering::Relaxed) {
            log::debug!(
                "could not lower the priority of gcsync's background threads ({e}); they run at normal priority"
            );
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The calling thread's nice value.
    fn nice() -> i32 {
        // SAFETY: a plain system call on the calling thread's own id.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::getpriority(libc::PRIO_PROCESS, tid)
        }
    }

    #[test]
    fn a_below_normal_thread_is_five_nicer_than_its_starter_and_the_starter_is_unchanged() {
        let before = nice();
        let (inner, name) = spawn(
            "gcsync-test".into(),
            BackgroundPriority::BelowNormal,
            || (nice(), std::thread::current().name().map(str::to_string)),
        )
        .unwrap()
        .join()
        .unwrap();
        assert_eq!(inner, (before + 5).min(19));
        // SAFETY: reads the calling thread's policy.
        let policy = spawn(
            "gcsync-test".into(),
            BackgroundPriority::BelowNormal,
            || unsafe { libc::sched_getscheduler(0) },
        )
        .unwrap()
        .join()
        .unwrap();
        assert_eq!(policy, libc::SCHED_BATCH);
        // SAFETY: as above.
        assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER);
        assert_eq!(name.as_deref(), Some("gcsync-test"));
        assert_eq!(nice(), before);
        // A thread it starts inherits its priority (Linux): the full sync's thread, say.
        let grandchild = spawn(
            "gcsync-test".into(),
            BackgroundPriority::BelowNormal,
            || std::thread::spawn(nice).join().unwrap(),
        )
        .unwrap()
        .join()
        .unwrap();
        assert_eq!(grandchild, (before + 5).min(19));
    }

    #[test]
    fn a_normal_thread_keeps_its_starters_priority() {
        let before = nice();
        let inner = spawn("gcsync-test".into(), BackgroundPriority::Normal, nice)
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(inner, before);
    }
}
