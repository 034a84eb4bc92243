//! API usage: every answered call counted per endpoint (method + route template) per UTC month
//! and per hour, for the overview, the database (the writer persists the counts) and the org's
//! monthly allowance; and a note of the calls made for the change the worker is processing, for
//! the audit trail (how many, which fields were written, the last correlation id).
//!
//! Counting holds one mutex for a few map operations; it never does I/O.

use crate::clock::{unix_now, Month};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The `YYYY-MM` (UTC) of a Unix time.
pub fn month_of(unix: u64) -> String {
    Month::of(unix).as_str().to_string()
}

/// Counts not yet written to the database.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UsageDelta {
    /// `(month, method, route)` → (calls, 429 answers).
    pub endpoints: BTreeMap<(String, &'static str, &'static str), (u64, u64)>,
    /// Hour (Unix seconds / 3600) → (calls, 429 answers).
    pub hours: BTreeMap<u64, (u64, u64)>,
}

impl UsageDelta {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty() && self.hours.is_empty()
    }

    /// Adds `other` to these counts.
    pub fn merge(&mut self, other: UsageDelta) {
        for (k, (c, l)) in other.endpoints {
            let e = self.endpoints.entry(k).or_default();
            e.0 += c;
            e.1 += l;
        }
        for (k, (c, l)) in other.hours {
            let e = self.hours.entry(k).or_default();
            e.0 += c;
            e.1 += l;
        }
    }
}

/// The calls made since the worker's last item ended, i.e. for the item it is processing. Kept
/// per thread: each worker makes its item's calls on its own thread, so with several workers
/// an item's audit counts its own calls, never a neighbour's.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ItemCalls {
    /// Answered calls (token requests included).
    pub calls: u32,
    /// Successful writes (POST, PUT, PATCH, DELETE).
    pub writes: u32,
    /// Top-level field names of the bodies written (never values), `version` left out.
    pub fields: BTreeSet<String>,
    /// HTTP status of the last answered call.
    pub last_status: Option<u16>,
    /// `ININ-Correlation-Id` of the last answered call that had one.
    pub correlation_id: Option<String>,
}

thread_local! {
    /// This thread's [`ItemCalls`].
    static ITEM: std::cell::RefCell<ItemCalls> = std::cell::RefCell::new(ItemCalls::default());
}

/// Where the usage of the month stands against the allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UsageState {
    /// No `monthly_api_allowance` set.
    NotSet,
    /// Below 80 % of the allowance.
    Ok,
    /// At 80 % or more.
    Warning,
    /// Past the allowance: further calls may be billed.
    Over,
}

impl UsageState {
    /// The state for `calls` against `allowance`.
    pub fn of(calls: u64, allowance: Option<u64>) -> UsageState {
        match allowance {
            None | Some(0) => UsageState::NotSet,
            Some(a) if calls > a => UsageState::Over,
            Some(a) if calls.saturating_mul(100) >= a.saturating_mul(80) => UsageState::Warning,
            Some(_) => UsageState::Ok,
        }
    }

    /// The name the overview and the admin tool show.
    pub fn name(self) -> &'static str {
        match self {
            UsageState::NotSet => "not_set",
            UsageState::Ok => "ok",
            UsageState::Warning => "warning",
            UsageState::Over => "over",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    month: String,
    month_calls: u64,
    unsaved: UsageDelta,
    warned: (String, Option<UsageState>),
}

/// The counters; one per running instance (inside [`crate::metrics::Metrics`]).
#[derive(Debug, Default)]
pub struct Usage {
    inner: Mutex<Inner>,
    /// `Inner`'s month and its calls in one word ([`pack`]), stored under its lock as they
    /// change: the overview reads them without the lock the client takes per answered call.
    month_calls: AtomicU64,
}

/// Bits of [`Usage::month_calls`] that hold the count (the month is above them).
const CALL_BITS: u32 = 44;

/// A month (`YYYY-MM`) and its calls in one word (0: none recorded).
fn pack(month: &str, calls: u64) -> u64 {
    (month_key(month) << CALL_BITS) | calls.min((1 << CALL_BITS) - 1)
}

/// `YYYY-MM` as `year * 12 + month` (1-based month, so never 0 for a real month).
fn month_key(month: &str) -> u64 {
    let n = |r: std::ops::Range<usize>| -> u64 {
        month.get(r).and_then(|t| t.parse().ok()).unwrap_or(0)
    };
    n(0..4) * 12 + n(5..7)
}

impl Usage {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the month's count from what the database holds (calls made before a restart).
    pub fn seed_month(&self, month: &str, calls: u64) {
        let mut g = self.lock();
        g.month = month.to_string();
        g.month_calls = calls;
        self.month_calls
            .store(pack(month, calls), Ordering::Release);
    }

    /// Counts one answered call at `now` (Unix seconds).
    pub fn answered(
        &self,
        now: u64,
        method: &'static str,
        route: &'static str,
        status: u16,
        correlation_id: Option<&str>,
    ) {
        let month = month_of(now);
        let limited = u64::from(status == 429);
        let mut g = self.lock();
        if g.month != month {
            g.month = month.clone();
            g.month_calls = 0;
        }
        g.month_calls += 1;
        self.month_calls
            .store(pack(&g.month, g.month_calls), Ordering::Release);
        let e = g
            .unsaved
            .endpoints
            .entry((month, method, route))
            .or_default();
        e.0 += 1;
        e.1 += limited;
        let h = g.unsaved.hours.entry(now / 3600).or_default();
        h.0 += 1;
        h.1 += limited;
        drop(g);
        ITEM.with(|i| {
            let mut i = i.borrow_mut();
            i.calls += 1;
            i.last_status = Some(status);
            if let Some(c) = correlation_id {
                i.correlation_id = Some(c.to_string());
            }
        });
    }

    /// Notes a successful write and the names of the fields its body set.
    pub fn wrote<'a>(&self, fields: impl Iterator<Item = &'a str>) {
        ITEM.with(|i| {
            let mut i = i.borrow_mut();
            i.writes += 1;
            i.fields
                .extend(fields.filter(|f| *f != "version").map(str::to_string));
        });
    }

    /// The calls this thread made since its last take (a worker takes them when an item ends).
    pub fn take_item(&self) -> ItemCalls {
        ITEM.with(|i| std::mem::take(&mut *i.borrow_mut()))
    }

    /// The counts not yet handed to the writer.
    pub fn take_unsaved(&self) -> UsageDelta {
        std::mem::take(&mut self.lock().unsaved)
    }

    /// `(month, calls this month)`, now.
    pub fn month(&self) -> (String, u64) {
        let (now, calls) = self.month_now();
        (now.as_str().to_string(), calls)
    }

    /// [`Usage::month`] without allocating.
    pub fn month_now(&self) -> (Month, u64) {
        let now = Month::of(unix_now());
        let packed = self.month_calls.load(Ordering::Acquire);
        let calls = match packed >> CALL_BITS == month_key(now.as_str()) {
            true => packed & ((1 << CALL_BITS) - 1),
            false => 0,
        };
        (now, calls)
    }

    /// The state against `allowance` if it got worse than what was last reported this month
    /// (so a crossing is logged once), else `None`.
    pub fn newly_reached(&self, allowance: Option<u64>) -> Option<(UsageState, u64)> {
        let (month, calls) = self.month();
        let state = UsageState::of(calls, allowance);
        let mut g = self.lock();
        if g.warned.0 != month {
            g.warned = (month, None);
        }
        let worse = state >= UsageState::Warning && g.warned.1.is_none_or(|w| state > w);
        if worse {
            g.warned.1 = Some(state);
        }
        worse.then_some((state, calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_per_endpoint_month_and_hour() {
        let u = Usage::default();
        let t = 1_795_620_645; // 2026-11-25T15:30:45Z
        u.answered(t, "GET", "/api/v2/users/{userId}", 200, Some("c1"));
        u.answered(t + 1, "GET", "/api/v2/users/{userId}", 429, None);
        u.answered(t + 3600, "POST", "/api/v2/users", 200, Some("c3"));
        u.wrote(["name", "version", "email"].into_iter());
        let item = u.take_item();
        assert_eq!(item.calls, 3);
        assert_eq!(item.writes, 1);
        assert_eq!(item.correlation_id.as_deref(), Some("c3"));
        assert_eq!(
            item.fields.into_iter().collect::<Vec<_>>(),
            ["email", "name"]
        );
        assert_eq!(u.take_item(), ItemCalls::default());
        let d = u.take_unsaved();
        let get = ("2026-11".to_string(), "GET", "/api/v2/users/{userId}");
        assert_eq!(d.endpoints[&get], (2, 1));
        assert_eq!(d.hours[&(t / 3600)], (2, 1));
        assert_eq!(d.hours[&(t / 3600 + 1)], (1, 0));
        assert!(u.take_unsaved().is_empty());
    }

    /// The month's calls read without the lock follow every answered call and the seed, and
    /// count only for the month they were made in.
    #[test]
    fn the_months_calls_read_without_the_lock_are_this_months() {
        let u = Usage::default();
        let now = unix_now();
        assert_eq!(u.month_now().1, 0);
        u.seed_month(&month_of(now), 41);
        u.answered(now, "GET", "/api/v2/users", 200, None);
        assert_eq!(u.month_now(), (crate::clock::Month::of(now), 42));
        assert_eq!(u.month().1, 42);
        // Counted in an earlier month: this month has none yet.
        u.seed_month("2025-01", 7);
        assert_eq!(u.month_now().1, 0);
        u.answered(now, "GET", "/api/v2/users", 200, None);
        assert_eq!(u.month_now().1, 1, "a new month starts from zero");
        assert_eq!(month_key("2026-12") + 1, month_key("2027-01"));
    }

    #[test]
    fn states_against_the_allowance() {
        assert_eq!(UsageState::of(10, None), UsageState::NotSet);
        assert_eq!(UsageState::of(79, Some(100)), UsageState::Ok);
        assert_eq!(UsageState::of(80, Some(100)), UsageState::Warning);
        assert_eq!(UsageState::of(100, Some(100)), UsageState::Warning);
        assert_eq!(UsageState::of(101, Some(100)), UsageState::Over);
        let u = Usage::default();
        u.seed_month(&month_of(unix_now()), 85);
        assert_eq!(u.newly_reached(Some(100)), Some((UsageState::Warning, 85)));
        assert_eq!(u.newly_reached(Some(100)), None, "reported once");
        u.seed_month(&month_of(unix_now()), 150);
        assert_eq!(u.newly_reached(Some(100)), Some((UsageState::Over, 150)));
        assert_eq!(u.newly_reached(None), None);
    }
}
