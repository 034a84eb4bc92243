//! The shared request budget: at most `requests_per_minute` request starts in any 60 s window,
//! split in two lanes so presence never waits behind bulk/configuration work.
//!
//! Rules, all of which must allow a start:
//! 1. **Sliding-window log (the hard guarantee):** the start times of the last `rpm` requests are
//!    kept; a request may start only when fewer than `rpm` of them lie in the last 61 s (60 s
//!    plus [`ARRIVAL_GUARD`]). So no 60 s window (of any alignment) ever holds more than `rpm`
//!    starts, whatever the lane, and none does at Genesys Cloud's end either when arrival
//!    jitter stays under 1 s.
//! 2. **Token bucket (smoothing):** capacity `min(rpm, 10)`, refilled at `rpm / 60` per second. It
//!    spreads requests evenly instead of spending the whole minute's budget in one burst, which
//!    keeps us friendly to the per-service limits Genesys Cloud applies on top of the per-token
//!    one.
//! 3. **Lanes.** [`Lane::Presence`] may use the whole budget. [`Lane::Config`] may not use the
//!    share reserved for presence (`presence_reserved_share` percent of `rpm`): it starts only
//!    while the window holds fewer than `rpm - reserved` starts and the bucket keeps
//!    `reserved_tokens` for presence beyond the one it takes. A config start also waits while
//!    any presence start is waiting: presence is served first. So a config burst can never make
//!    presence wait for the budget; presence waits at most for the call it queues behind on the
//!    network, never for the budget.
//! 4. **Shared pause.** A 429 from Genesys Cloud pauses every lane until its `Retry-After` has
//!    passed ([`Budget::pause_until`]), not only the thread that saw it.
//!
//! The logic is pure (time is passed in) so it can be tested without sleeping; [`SharedBudget`]
//! is the blocking wrapper the client's threads share.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::cancel::Cancel;

/// The window the limit applies to.
pub const WINDOW: Duration = Duration::from_secs(60);

/// How much longer than [`WINDOW`] the log keeps a start. Genesys Cloud counts a request when it
/// arrives, not when we start it, and arrival lags the start by a varying amount (connect,
/// TLS, the network): two starts exactly 60 s apart can arrive 59.9 s apart. Keeping at most
/// `rpm` starts in any 61 s absorbs up to 1 s of such jitter, for 1.6 % of the long-run rate.
/// (Measured: at 3 000/min against the emulator's own limit, a 60 s log drew 9 429s in 70 s.)
pub const ARRIVAL_GUARD: Duration = Duration::from_secs(1);

/// How long a start stays in the log.
const SPAN: Duration = Duration::from_secs(WINDOW.as_secs() + ARRIVAL_GUARD.as_secs());

/// Largest burst the smoothing bucket allows.
pub const MAX_BURST: u32 = 10;

/// Which kind of work a request serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Presence (and token requests, which every lane waits for): served before any waiting
    /// config start, may use the whole budget.
    Presence,
    /// Bulk and configuration work (users, queues, skills, ...): never uses the presence share.
    Config,
}

/// A request-start budget shared by every request a client sends (token requests included).
#[derive(Debug, Clone)]
pub struct Budget {
    rpm: u32,
    reserved: u32,
    reserved_tokens: f64,
    starts: VecDeque<Instant>,
    tokens: f64,
    refilled_at: Option<Instant>,
    paused_until: Option<Instant>,
    presence_waiting: u32,
}

impl Budget {
    /// A budget of `requests_per_minute` starts per 60 s (0 is treated as 1), nothing reserved.
    pub fn new(requests_per_minute: u32) -> Budget {
        Budget::with_reserve(requests_per_minute, 0)
    }

    /// A budget of `requests_per_minute` starts per 60 s of which `presence_share` percent
    /// (capped at 90) config may never use. The reserve is `rpm × share / 100` rounded down but
    /// at least 1 when the share is above 0, and always leaves config at least 1 start a minute
    /// (so at 1 request a minute nothing can be reserved).
    pub fn with_reserve(requests_per_minute: u32, presence_share: u32) -> Budget {
        let rpm = requests_per_minute.max(1);
        let share = presence_share.min(90);
        let capacity = rpm.min(MAX_BURST);
        let part = |of: u32| -> u32 {
            if share == 0 {
                return 0;
            }
            let raw = (u64::from(of) * u64::from(share) / 100) as u32;
            raw.max(1).min(of - 1)
        };
        Budget {
            rpm,
            reserved: part(rpm),
            reserved_tokens: f64::from(part(capacity)),
            starts: VecDeque::new(),
            tokens: f64::from(capacity),
            refilled_at: None,
            paused_until: None,
            presence_waiting: 0,
        }
    }

    /// The configured starts per minute.
    pub fn requests_per_minute(&self) -> u32 {
        self.rpm
    }

    /// Starts per 60 s that config may never use.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }

    /// Records a start in `lane` at `now` and returns `Ok(())` when the budget allows one,
    /// otherwise records nothing and returns how long to wait before asking again (always > 0).
    /// `now` must not go backwards between calls (an earlier value is treated as the latest).
    pub fn try_start(&mut self, lane: Lane, now: Instant) -> Result<(), Duration> {
        let now = match self.refilled_at {
            Some(last) if now < last => last,
            _ => now,
        };
        self.refill(now);
        while let Some(first) = self.starts.front() {
            if now.duration_since(*first) >= SPAN {
                self.starts.pop_front();
            } else {
                break;
            }
        }
        let mut wait = self.paused_for(now).unwrap_or_default();
        let (limit, keep) = match lane {
            Lane::Presence => (self.rpm, 0.0),
            Lane::Config => (self.rpm - self.reserved, self.reserved_tokens),
        };
        if self.starts.len() >= limit as usize {
            // Enough starts must leave the window for this lane to fit again.
            let oldest = self.starts[self.starts.len() - limit as usize];
            wait = wait.max(SPAN - now.duration_since(oldest));
        }
        if self.tokens < 1.0 + keep {
            let per_sec = f64::from(self.rpm) / 60.0;
            wait = wait.max(Duration::from_secs_f64(
                (1.0 + keep - self.tokens) / per_sec,
            ));
        }
        if lane == Lane::Config && self.presence_waiting > 0 && wait.is_zero() {
            // Presence goes first; ask again when the next presence start could happen.
            let mut probe = self.clone();
            probe.presence_waiting = 0;
            probe.tokens -= 1.0;
            probe.starts.push_back(now);
            wait = probe
                .try_start(Lane::Presence, now)
                .err()
                .unwrap_or_default();
        }
        if wait > Duration::ZERO {
            return Err(wait.max(Duration::from_millis(1)));
        }
        self.tokens -= 1.0;
        self.starts.push_back(now);
        Ok(())
    }

    /// Pauses every lane until `until` (a 429's Retry-After); a later pause already set stays.
    pub fn pause_until(&mut self, until: Instant) {
        if self.paused_until.is_none_or(|p| p < until) {
            self.paused_until = Some(until);
        }
    }

    /// How much of a pause remains at `now`, if any.
    pub fn paused_for(&self, now: Instant) -> Option<Duration> {
        self.paused_until
            .filter(|p| *p > now)
            .map(|p| p.duration_since(now))
    }

    /// A presence start begins waiting: config starts wait until it has started.
    pub fn presence_waits(&mut self) {
        self.presence_waiting += 1;
    }

    /// A presence start stopped waiting (it started, or gave up).
    pub fn presence_done(&mut self) {
        self.presence_waiting = self.presence_waiting.saturating_sub(1);
    }

    fn refill(&mut self, now: Instant) {
        let capacity = f64::from(self.rpm.min(MAX_BURST));
        if let Some(last) = self.refilled_at {
            let per_sec = f64::from(self.rpm) / 60.0;
            let earned = now.duration_since(last).as_secs_f64() * per_sec;
            self.tokens = (self.tokens + earned).min(capacity);
        }
        self.refilled_at = Some(now);
    }
}

/// Why [`SharedBudget::acquire`] did not start a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The caller's [`Cancel`] was raised while waiting.
    Cancelled,
    /// A shared 429 pause longer than the caller accepts remains.
    Paused(Duration),
}

/// The budget shared by every thread of one client. Waits sleep on the caller's [`Cancel`]
/// (so shutdown ends them at once) and re-check the budget when the computed wait is over.
#[derive(Debug)]
pub struct SharedBudget {
    inner: Mutex<Budget>,
}

impl SharedBudget {
    /// Wraps a budget.
    pub fn new(budget: Budget) -> SharedBudget {
        SharedBudget {
            inner: Mutex::new(budget),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Budget> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks until a start in `lane` is allowed, then records it. A shared pause longer than
    /// `max_pause` ends the wait at once with [`Refused::Paused`].
    pub fn acquire(&self, lane: Lane, cancel: &Cancel, max_pause: Duration) -> Result<(), Refused> {
        struct Waiting<'a>(&'a SharedBudget, bool);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                if self.1 {
                    self.0.lock().presence_done();
                }
            }
        }
        let mut waiting = Waiting(self, false);
        loop {
            if cancel.is_cancelled() {
                return Err(Refused::Cancelled);
            }
            let wait = {
                let mut b = self.lock();
                let now = Instant::now();
                if let Some(p) = b.paused_for(now).filter(|p| *p > max_pause) {
                    return Err(Refused::Paused(p));
                }
                match b.try_start(lane, now) {
                    Ok(()) => {
                        if waiting.1 {
                            b.presence_done();
                            waiting.1 = false;
                        }
                        return Ok(());
                    }
                    Err(wait) => {
                        if lane == Lane::Presence && !waiting.1 {
                            b.presence_waits();
                            waiting.1 = true;
                        }
                        wait
                    }
                }
            };
            if !cancel.sleep(wait) {
                return Err(Refused::Cancelled);
            }
        }
    }

    /// Pauses every lane for `wait` from now (a 429's Retry-After).
    pub fn pause_for(&self, wait: Duration) {
        self.lock().pause_until(Instant::now() + wait);
    }

    /// The configured starts per minute.
    pub fn requests_per_minute(&self) -> u32 {
        self.lock().requests_per_minute()
    }
}

#[cfg(test)]
mod tests;
