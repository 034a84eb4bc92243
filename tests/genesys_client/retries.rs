//! Waits: Retry-After in seconds and as an HTTP date, a wait too long to hold, repeated 429s,
//! server errors backed off and the bound on them.

use crate::common::*;
use crate::{client, get};
use gcsync::genesys::ApiError;
use gcsync::metrics::Metrics;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One `status` answer with `Retry-After: 1`, then success: the client waits at least ~1 s.
fn waits_retry_after_once(status: u16, code: &'static str) -> Arc<Metrics> {
    let mock = Mock::new(move |_, i| {
        if i == 0 {
            Reply::error(status, code).with("Retry-After", "1")
        } else {
            Reply::json(200, "{}")
        }
    });
    let (c, m) = client(config(&mock.url));
    let t = Instant::now();
    get(&c, "/x").unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(Metrics::get(&m.retries), 1);
    m
}

#[test]
fn a_429_waits_retry_after_seconds() {
    let m = waits_retry_after_once(429, "too.many.requests");
    assert_eq!(Metrics::get(&m.rate_limited), 1);
}

#[test]
fn a_429_waits_until_an_http_date() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let date = gc_emulator::http_date(now + 2);
    let mock = Mock::new(move |_, i| {
        if i == 0 {
            Reply::error(429, "too.many.requests").with("Retry-After", &date)
        } else {
            Reply::json(200, "{}")
        }
    });
    let (c, m) = client(config(&mock.url));
    let t = Instant::now();
    get(&c, "/x").unwrap();
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(Metrics::get(&m.rate_limited), 1);
}

#[test]
fn a_503_retry_after_is_honoured() {
    let m = waits_retry_after_once(503, "service.unavailable");
    assert_eq!(Metrics::get(&m.rate_limited), 0);
}

#[test]
fn a_long_retry_after_fails_at_once() {
    let mock = Mock::new(|_, _| Reply::error(429, "too.many.requests").with("Retry-After", "600"));
    let (c, m) = client(config(&mock.url));
    let t = Instant::now();
    let err = get(&c, "/x").unwrap_err();
    assert_eq!(
        err,
        ApiError::RateLimited {
            retry_after: Duration::from_secs(600)
        }
    );
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(mock.api_requests().len(), 1);
    assert_eq!(Metrics::get(&m.rate_limited), 1);
    assert_eq!(Metrics::get(&m.retries), 0);
}

#[test]
fn repeated_429s_end_as_rate_limited() {
    let mock = Mock::new(|_, _| Reply::error(429, "too.many.requests").with("Retry-After", "0"));
    let (c, m) = client(config(&mock.url));
    let err = get(&c, "/x").unwrap_err();
    assert_eq!(
        err,
        ApiError::RateLimited {
            retry_after: Duration::ZERO
        }
    );
    assert_eq!(mock.api_requests().len(), 4);
    assert_eq!(Metrics::get(&m.rate_limited), 4);
    assert_eq!(Metrics::get(&m.retries), 3);
}

#[test]
fn server_errors_back_off_then_succeed() {
    let mock = Mock::new(|_, i| {
        if i < 2 {
            Reply::error(503, "service.unavailable")
        } else {
            Reply::json(200, r#"{"ok":true}"#)
        }
    });
    let (c, m) = client(config(&mock.url));
    assert_eq!(get(&c, "/x").unwrap().body, json!({"ok": true}));
    assert_eq!(mock.api_requests().len(), 3);
    assert_eq!(Metrics::get(&m.retries), 2);
    assert_eq!(Metrics::get(&m.api_calls), 4);
}

#[test]
fn server_errors_outlasting_the_bound_are_returned() {
    let mock = Mock::new(|_, _| {
        Reply::error(500, "internal.server.error").with("ININ-Correlation-Id", "corr-500")
    });
    let (c, m) = client(config(&mock.url));
    let err = get(&c, "/api/v2/users").unwrap_err();
    assert_eq!(
        err,
        ApiError::Status {
            status: 500,
            code: "internal.server.error".into(),
            message: "msg internal.server.error".into(),
            correlation_id: Some("corr-500".into()),
            entity_id: None,
        }
    );
    assert_eq!(mock.api_requests().len(), 4);
    assert_eq!(Metrics::get(&m.retries), 3);
}
