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

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    wake: Condvar,
}

/// Clonable handle; all clones see one state.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<Inner>);

impl Cancel {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Raises the flag for good (shutdown): every wait ends now and no new one starts.
    pub fn cancel(&self) {
        self.lock().cancelled = true;
        self.0.wake.notify_all();
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
