//! The shared request budget: at most `requests_per_minute` request starts in any 60 s window.
//!
//! Two rules, both must allow a start:
//! 1. **Sliding-window log (the hard guarantee):** the start times of the last `rpm` requests are
//!    kept; a request may start only when fewer than `rpm` of them lie in the last 60 s. So no
//!    60 s window (of any alignment) ever holds more than `rpm` starts.
//! 2. **Token bucket (smoothing):** capacity `min(rpm, 10)`, refilled at `rpm / 60` per second. It
//!    spreads requests evenly instead of spending the whole minute's budget in one burst, which
//!    keeps us friendly to the per-service limits Genesys Cloud applies on top of the per-token
//!    one.
//!
//! The logic is pure (time is passed in) so it can be tested without sleeping; [`Budget::acquire`]
//! is the blocking wrapper the client uses on its worker thread.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window the limit applies to.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Largest burst the smoothing bucket allows.
pub const MAX_BURST: u32 = 10;

/// A request-start budget shared by every request a client sends (token requests included).
#[derive(Debug, Clone)]
pub struct Budget {
    rpm: u32,
    starts: VecDeque<Instant>,
    tokens: f64,
    refilled_at: Option<Instant>,
}

impl Budget {
    /// A budget of `requests_per_minute` starts per 60 s (0 is treated as 1).
    pub fn new(requests_per_minute: u32) -> Budget {
        let rpm = requests_per_minute.max(1);
        Budget {
            rpm,
            starts: VecDeque::new(),
            tokens: f64::from(rpm.min(MAX_BURST)),
            refilled_at: None,
        }
    }

    /// The configured starts per minute.
    pub fn requests_per_minute(&self) -> u32 {
        self.rpm
    }

    /// Records a start at `now` and returns `Ok(())` when the budget allows one, otherwise
    /// records nothing and returns how long to wait before asking again (always > 0).
    /// `now` must not go backwards between calls (an earlier value is treated as the latest).
    pub fn try_start(&mut self, now: Instant) -> Result<(), Duration> {
        let now = match self.refilled_at {
            Some(last) if now < last => last,
            _ => now,
        };
        self.refill(now);
        while let Some(first) = self.starts.front() {
            if now.duration_since(*first) >= WINDOW {
                self.starts.pop_front();
            } else {
                break;
            }
        }

        let mut wait = Duration::ZERO;
        if self.starts.len() >= self.rpm as usize {
            // The oldest start in the window must leave it first.
            let oldest = self.starts[self.starts.len() - self.rpm as usize];
            wait = wait.max(WINDOW - now.duration_since(oldest));
        }
        if self.tokens < 1.0 {
            let per_sec = f64::from(self.rpm) / 60.0;
            wait = wait.max(Duration::from_secs_f64((1.0 - self.tokens) / per_sec));
        }
        if wait > Duration::ZERO {
            return Err(wait.max(Duration::from_millis(1)));
        }

        self.tokens -= 1.0;
        self.starts.push_back(now);
        Ok(())
    }

    /// Blocks the calling thread until a start is allowed, then records it. Returns `false`
    /// (without recording) when `cancel` is raised while waiting.
    pub fn acquire(&mut self, cancel: &crate::cancel::Cancel) -> bool {
        loop {
            match self.try_start(Instant::now()) {
                Ok(()) => return true,
                Err(wait) => {
                    if !cancel.sleep(wait) {
                        return false;
                    }
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a budget greedily for `total` of simulated time and returns every start offset.
    fn greedy_starts(rpm: u32, total: Duration) -> Vec<Duration> {
        let t0 = Instant::now();
        let mut budget = Budget::new(rpm);
        let mut now = Duration::ZERO;
        let mut starts = Vec::new();
        while now < total {
            match budget.try_start(t0 + now) {
                Ok(()) => starts.push(now),
                Err(wait) => now += wait,
            }
        }
        starts
    }

    fn max_in_any_window(starts: &[Duration]) -> usize {
        let mut best = 0;
        let mut lo = 0;
        for hi in 0..starts.len() {
            while starts[hi] - starts[lo] >= WINDOW {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        best
    }

    #[test]
    fn never_more_than_rpm_in_any_window() {
        for rpm in [1, 2, 7, 10, 11, 60, 300, 1000] {
            let starts = greedy_starts(rpm, Duration::from_secs(300));
            assert!(max_in_any_window(&starts) <= rpm as usize, "rpm {rpm}");
            // And the budget is actually used: close to rpm per minute over 5 minutes.
            assert!(
                starts.len() >= (rpm as usize) * 5 - 1,
                "rpm {rpm}: {}",
                starts.len()
            );
        }
    }

    #[test]
    fn bursts_are_capped_then_smoothed() {
        let t0 = Instant::now();
        let mut budget = Budget::new(300);
        for _ in 0..MAX_BURST {
            assert_eq!(budget.try_start(t0), Ok(()));
        }
        // The 11th must wait for one refill: 60 s / 300 = 200 ms.
        let wait = budget.try_start(t0).unwrap_err();
        assert!(wait > Duration::from_millis(190) && wait <= Duration::from_millis(200));
        assert_eq!(budget.try_start(t0 + wait), Ok(()));
    }

    #[test]
    fn small_budgets_wait_for_the_window() {
        let t0 = Instant::now();
        let mut budget = Budget::new(2);
        assert_eq!(budget.try_start(t0), Ok(()));
        assert_eq!(budget.try_start(t0), Ok(()));
        let wait = budget.try_start(t0 + Duration::from_secs(1)).unwrap_err();
        // The bucket refills after 30 s but the window only frees up at 60 s.
        assert!(wait <= Duration::from_secs(59) && wait > Duration::from_secs(58));
        assert!(budget.try_start(t0 + Duration::from_secs(59)).is_err());
        assert_eq!(budget.try_start(t0 + Duration::from_secs(60)), Ok(()));
    }

    #[test]
    fn five_quick_requests_at_sixty_per_minute_do_not_wait() {
        let t0 = Instant::now();
        let mut budget = Budget::new(60);
        for i in 0..5 {
            assert_eq!(budget.try_start(t0 + Duration::from_millis(i)), Ok(()));
        }
        assert_eq!(budget.requests_per_minute(), 60);
    }

    #[test]
    fn zero_is_treated_as_one_and_time_going_backwards_is_harmless() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut budget = Budget::new(0);
        assert_eq!(budget.try_start(t0), Ok(()));
        assert!(budget.try_start(t0 - Duration::from_secs(5)).is_err());
        assert_eq!(budget.try_start(t0 + WINDOW), Ok(()));
    }
}
