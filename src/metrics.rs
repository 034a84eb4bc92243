//! Counters shared by the worker, the Genesys client and the overview query.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Process-wide counters for one plugin instance. Cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP requests sent to Genesys Cloud (token requests included).
    pub api_calls: AtomicU64,
    /// Requests repeated after a 429, 5xx, transport error, 401 refresh or 409 conflict.
    pub retries: AtomicU64,
    /// 429 responses received.
    pub rate_limited: AtomicU64,
    /// Access tokens obtained.
    pub tokens_issued: AtomicU64,
    /// Work items the worker finished (success or error).
    pub processed: AtomicU64,
    /// Whether the worker thread is running its loop.
    pub worker_alive: AtomicBool,
    /// Panics the worker caught and survived.
    pub worker_panics: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the most recent error text (must not contain secrets).
    pub fn set_last_error(&self, text: impl Into<String>) {
        if let Ok(mut g) = self.last_error.lock() {
            *g = Some(text.into());
        }
    }

    /// The most recent error text, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|g| g.clone())
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
