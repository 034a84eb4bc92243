//! A tripwire shared by shutdown, the settings hook and the worker's Genesys client, so that
//! waits inside a sync step (budget, rate-limit pauses, backoff, version-conflict pauses) end at
//! once when shutdown's timeout has passed (`cancel`, for good) or when new settings must be
//! picked up (`interrupt`, until the worker calls `clear_interrupt`). Waits sleep on a condition
//! variable, not in polling slices.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct State {
    cancelled: bool,
    interrupted: bool,
}

/// What ends the HTTP requests in flight when shutdown cancels for good: the worker's Genesys
/// client registers its agent's `shutdown` (which closes the sockets, so a read blocked on a
/// stalled server returns at once).
type Abort = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct AbortSlot(Mutex<Option<Abort>>);

impl std::fmt::Debug for AbortSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AbortSlot")
    }
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    wake: Condvar,
    abort: AbortSlot,
}

/// Clonable handle; all clones see one state.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<Inner>);

impl Cancel {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Raises the flag for good (shutdown): every wait ends now and no new one starts, and the
    /// registered abort (see [`Cancel::set_abort`]) ends the requests in flight.
    pub fn cancel(&self) {
        self.lock().cancelled = true;
        self.0.wake.notify_all();
        self.run_abort();
    }

    /// Takes the registered abort out of its slot (so it runs once) and runs it.
    fn run_abort(&self) {
        let abort = self
            .0
            .abort
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(abort) = abort {
            abort();
        }
    }

    /// Registers what ends the requests in flight at [`Cancel::cancel`] (replacing the one
    /// before: the client in use registers itself). Runs at once if already cancelled.
    pub fn set_abort(&self, abort: impl Fn() + Send + Sync + 'static) {
        if self.is_shutdown() {
            abort();
            return;
        }
        *self.0.abort.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(abort));
        if self.is_shutdown() {
            self.run_abort(); // cancel() ran meanwhile and may have missed it
        }
    }

    /// Ends the current waits until [`Cancel::clear_interrupt`] (new settings to pick up).
    pub fn interrupt(&self) {
        self.lock().interrupted = true;
        self.0.wake.notify_all();
    }

    /// Lowers the interrupt flag (the worker has picked up the new settings).
    pub fn clear_interrupt(&self) {
        self.lock().interrupted = false;
    }

    /// Whether shutdown raised the flag.
    pub fn is_shutdown(&self) -> bool {
        self.lock().cancelled
    }

    /// Whether waits should end now (shutdown or an interrupt).
    pub fn is_cancelled(&self) -> bool {
        let s = self.lock();
        s.cancelled || s.interrupted
    }

    /// Sleeps for `d`; returns `false` (early) when cancelled or interrupted.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        let mut s = self.lock();
        loop {
            if s.cancelled || s.interrupted {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            s = self
                .0
                .wake
                .wait_timeout(s, end - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper(c: &Cancel) -> std::thread::JoinHandle<(bool, Duration)> {
        let c2 = c.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            (c2.sleep(Duration::from_secs(30)), start.elapsed())
        })
    }

    #[test]
    fn a_cancelled_sleep_returns_early() {
        let c = Cancel::default();
        assert!(c.sleep(Duration::from_millis(1)));
        let t = sleeper(&c);
        std::thread::sleep(Duration::from_millis(50));
        c.cancel();
        let (finished, took) = t.join().unwrap();
        assert!(!finished);
        assert!(took < Duration::from_secs(5));
        assert!(c.is_shutdown() && c.is_cancelled());
    }

    #[test]
    fn cancel_runs_the_registered_abort_once_and_an_interrupt_does_not() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let c = Cancel::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        c.set_abort(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        c.interrupt();
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        c.cancel();
        c.cancel();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let r = runs.clone();
        c.set_abort(move || {
            r.fetch_add(10, Ordering::SeqCst);
        });
        assert_eq!(
            runs.load(Ordering::SeqCst),
            11,
            "registered after cancel: runs at once"
        );
    }

    #[test]
    fn an_interrupt_ends_waits_until_cleared() {
        let c = Cancel::default();
        let t = sleeper(&c);
        std::thread::sleep(Duration::from_millis(50));
        c.interrupt();
        assert!(!t.join().unwrap().0);
        assert!(c.is_cancelled() && !c.is_shutdown());
        assert!(!c.sleep(Duration::from_millis(1)), "still interrupted");
        c.clear_interrupt();
        assert!(c.sleep(Duration::from_millis(1)));
    }
}
