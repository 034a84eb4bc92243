//! Failure paths log warnings with method, path, status, code and correlation id, and never the
//! client secret, the Basic credentials or an access token (own binary: installs a logger).

#[path = "client_support/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use gcsync::genesys::{ApiError, Client, Method};
use gcsync::metrics::Metrics;
use log::{Level, LevelFilter, Log, Metadata, Record};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl Log for Capture {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        let line = format!("{} {} {}", record.level(), record.target(), record.args());
        LINES.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

const BASIC: &str = "Y2xpZW50LWlkLTEyMzpzM2NyM3QtY2xpZW50LVNFQ1JFVC12YWx1ZQ==";

#[test]
fn failures_are_logged_without_credentials() {
    log::set_logger(&Capture).unwrap();
    // Debug for every target, ureq's own request/response logs included.
    log::set_max_level(LevelFilter::Debug);
    let mut errors: Vec<ApiError> = Vec::new();
    let metrics = Arc::new(Metrics::default());

    // 1. Bad credentials, with a login service that echoes the secret and the Basic value.
    let login = Mock::raw(|_, _| {
        Reply::json(
            401,
            &format!(
                r#"{{"error":"invalid_client","error_description":"bad {CLIENT_SECRET} / {BASIC}"}}"#
            ),
        )
    });
    let c = Client::new(config(&login.url), metrics.clone()).unwrap();
    errors.push(
        c.request(Method::Get, "/api/v2/users", &[], None)
            .unwrap_err(),
    );
    assert!(matches!(&errors[0], ApiError::Auth { message } if message.contains("[redacted]")));

    // 2. API failures whose bodies echo the token: 401 twice, 404, 500 exhausted, long 429.
    let api = Mock::new(|s, _| {
        let auth = s.header("Authorization").unwrap_or("").to_string();
        let echo = format!(r#"{{"code":"x.y","message":"you sent {auth}","contextId":"ctx-1"}}"#);
        match s.url.as_str() {
            "/unauthorized" => Reply::json(401, &echo),
            "/missing" => Reply::json(404, &echo).with("ININ-Correlation-Id", "corr-404"),
            "/broken" => Reply::json(500, &echo),
            _ => Reply::json(429, &echo).with("Retry-After", "3600"),
        }
    });
    let c = Client::new(config(&api.url), metrics.clone()).unwrap();
    for path in ["/unauthorized", "/missing", "/broken", "/limited"] {
        errors.push(
            c.request(Method::Post, path, &[], Some(&serde_json::json!({"a": 1})))
                .unwrap_err(),
        );
    }

    // 3. Transport failure.
    let mut cfg = config(&dead_url());
    cfg.login_base_url = api.url.clone();
    cfg.max_retries = 1;
    cfg.retry_base = Duration::from_millis(1);
    let c = Client::new(cfg, metrics).unwrap();
    errors.push(
        c.request(Method::Delete, "/api/v2/users/u1", &[], None)
            .unwrap_err(),
    );

    let lines = LINES.lock().unwrap().clone();
    let mut everything = lines.join("\n");
    for e in &errors {
        everything.push_str(&format!("\n{e}\n{e:?}"));
    }
    for forbidden in [
        CLIENT_SECRET,
        BASIC,
        "SECRETTOKEN",
        "Bearer tok",
        "Basic Y2",
    ] {
        assert!(
            !everything.contains(forbidden),
            "{forbidden} leaked:\n{everything}"
        );
    }

    let warns: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(&format!("{} gcsync::genesys", Level::Warn)))
        .collect();
    let has = |needle: &str| warns.iter().any(|l| l.contains(needle));
    assert!(
        has("POST /oauth/token failed: status=401 code=-"),
        "{warns:#?}"
    );
    assert!(
        has("POST /unauthorized failed: status=401 code=x.y correlation_id=ctx-1"),
        "{warns:#?}"
    );
    assert!(
        has("POST /missing failed: status=404 code=x.y correlation_id=corr-404"),
        "{warns:#?}"
    );
    assert!(has("POST /broken failed: status=500"), "{warns:#?}");
    assert!(
        has("POST /limited failed: status=429 code=too.many.requests correlation_id=ctx-1"),
        "{warns:#?}"
    );
    assert!(
        has("DELETE /api/v2/users/u1 failed: status=-"),
        "{warns:#?}"
    );
    // ureq's debug output was captured too (so the check above covered it).
    assert!(lines.iter().any(|l| l.contains(" ureq")), "{lines:#?}");
}
