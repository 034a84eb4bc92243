//! Holds: a test stops one chosen request at a chosen point until it lets it go, to put the
//! calls of two concurrent clients in a chosen order (README "Holds"). A hold catches the next
//! request matching its method and route template: before it is handled (nothing changed yet),
//! or after its change is committed and logged, before the answer is sent. The request's
//! thread waits without holding the org's lock, so every other request goes on.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A hold set by [`crate::Emulator::hold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldId(u64);

struct Slot {
    id: u64,
    method: String,
    route: String,
    after_commit: bool,
    caught: bool,
    released: bool,
}

/// The holds of one emulator.
#[derive(Default)]
pub struct Holds {
    slots: Mutex<Vec<Slot>>,
    changed: Condvar,
    next: Mutex<u64>,
}

impl Holds {
    fn lock(&self) -> MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new hold on the next request matching `method` and `route` (`*`: any).
    pub fn add(&self, method: &str, route: &str, after_commit: bool) -> HoldId {
        let id = {
            let mut n = self.next.lock().unwrap_or_else(|p| p.into_inner());
            *n += 1;
            *n
        };
        self.lock().push(Slot {
            id,
            method: method.into(),
            route: route.into(),
            after_commit,
            caught: false,
            released: false,
        });
        HoldId(id)
    }

    /// Called by the server at each point: waits while a hold catches this request.
    pub fn stop_here(&self, method: &str, route: &str, after_commit: bool) {
        let mut g = self.lock();
        let Some(slot) = g.iter_mut().find(|s| {
            !s.caught
                && s.after_commit == after_commit
                && (s.method == "*" || s.method == method)
                && (s.route == "*" || s.route == route)
        }) else {
            return;
        };
        slot.caught = true;
        let id = slot.id;
        self.changed.notify_all();
        while g.iter().any(|s| s.id == id && !s.released) {
            g = self
                .changed
                .wait_timeout(g, Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Whether hold `h` caught its request within `timeout`.
    pub fn wait_caught(&self, h: HoldId, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        let mut g = self.lock();
        loop {
            if g.iter().any(|s| s.id == h.0 && s.caught) {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            g = self
                .changed
                .wait_timeout(g, end - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Lets hold `h`'s request go (or, not caught yet, no longer catches one).
    pub fn release(&self, h: HoldId) {
        for s in self.lock().iter_mut().filter(|s| s.id == h.0) {
            s.caught = true;
            s.released = true;
        }
        self.changed.notify_all();
    }

    /// Lets every request go (the emulator stops).
    pub fn release_all(&self) {
        for s in self.lock().iter_mut() {
            s.caught = true;
            s.released = true;
        }
        self.changed.notify_all();
    }
}
