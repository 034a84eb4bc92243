//! The client against loopback servers with scripted answers.

#[path = "client_support/mod.rs"]
mod common;
#[path = "common/proxy.rs"]
mod proxy;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use gcsync::genesys::{ApiError, Client, Method};
use gcsync::metrics::Metrics;
use proxy::connect_proxy;
use serde_json::json;

fn client(cfg: gcsync::genesys::ClientConfig) -> (Client, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    (Client::new(cfg, metrics.clone()).unwrap(), metrics)
}

fn get(c: &Client, path: &str) -> Result<gcsync::genesys::ApiResponse, ApiError> {
    c.request(Method::Get, path, &[], None)
}

/// IMF-fixdate for a Unix time (test helper, inverse of the client's parser).
fn imf_fixdate(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days as i64 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn imf_fixdate_helper_is_right() {
    assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

#[test]
fn one_token_serves_many_calls_and_requests_are_well_formed() {
    let mock = Mock::new(|_, i| {
        Reply::json(200, &format!(r#"{{"n":{i}}}"#)).with("ININ-Correlation-Id", "corr-1")
    });
    let (c, m) = client(config(&mock.url));
    for i in 0..5 {
        let r = c
            .request(
                Method::Get,
                "/api/v2/users",
                &[("name", "a b&c=d"), ("id", "x/ü")],
                None,
            )
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, json!({ "n": i }));
        assert_eq!(r.correlation_id.as_deref(), Some("corr-1"));
    }
    assert_eq!(mock.token_requests(), 1);
    let seen = mock.seen();
    let token = &seen[0];
    assert_eq!(token.method, "POST");
    assert_eq!(
        token.header("Authorization"),
        Some("Basic Y2xpZW50LWlkLTEyMzpzM2NyM3QtY2xpZW50LVNFQ1JFVC12YWx1ZQ==")
    );
    assert_eq!(
        token.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(token.body, "grant_type=client_credentials");
    let api = &seen[1];
    assert_eq!(api.url, "/api/v2/users?name=a%20b%26c%3Dd&id=x%2F%C3%BC");
    assert_eq!(
        api.header("Authorization"),
        Some("Bearer tok-1-SECRETTOKEN")
    );
    assert_eq!(api.header("User-Agent"), Some("gcsync/0.1.0"));
    assert_eq!(Metrics::get(&m.api_calls), 6);
    assert_eq!(Metrics::get(&m.tokens_issued), 1);
    assert_eq!(Metrics::get(&m.retries), 0);
}

#[test]
fn json_bodies_are_sent_and_empty_answers_are_null() {
    let mock = Mock::new(|s, _| match s.method.as_str() {
        "DELETE" => Reply::json(204, ""),
        _ => Reply::json(200, r#"{"id":"u1"}"#),
    });
    let (c, _) = client(config(&mock.url));
    let body = json!({"name": "Ann", "email": "ann@example.com"});
    for method in [Method::Post, Method::Put, Method::Patch] {
        let r = c
            .request(method, "api/v2/users/u1", &[], Some(&body))
            .unwrap();
        assert_eq!(r.body, json!({"id": "u1"}));
    }
    let r = c
        .request(Method::Delete, "/api/v2/users/u1", &[], None)
        .unwrap();
    assert_eq!((r.status, r.body), (204, serde_json::Value::Null));
    let api = mock.api_requests();
    let methods: Vec<&str> = api.iter().map(|s| s.method.as_str()).collect();
    assert_eq!(methods, ["POST", "PUT", "PATCH", "DELETE"]);
    for s in &api[..3] {
        assert_eq!(s.url, "/api/v2/users/u1");
        assert_eq!(s.header("Content-Type"), Some("application/json"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&s.body).unwrap(),
            body
        );
    }
}

#[test]
fn expiring_tokens_are_renewed_proactively() {
    // expires_in 0: every call finds the token inside its renewal margin.
    let mock = Mock::with_tokens(0, |_, _| Reply::json(200, "{}"));
    let (c, m) = client(config(&mock.url));
    for _ in 0..3 {
        get(&c, "/api/v2/users/me").unwrap();
    }
    assert_eq!(mock.token_requests(), 3);
    assert_eq!(Metrics::get(&m.tokens_issued), 3);
    let auths: Vec<String> = mock
        .api_requests()
        .iter()
        .map(|s| s.header("Authorization").unwrap().to_string())
        .collect();
    assert_eq!(
        auths,
        [
            "Bearer tok-1-SECRETTOKEN",
            "Bearer tok-2-SECRETTOKEN",
            "Bearer tok-3-SECRETTOKEN"
        ]
    );
}

#[test]
fn invalidate_token_forces_a_new_one() {
    let mock = Mock::new(|_, _| Reply::json(200, "{}"));
    let (c, _) = client(config(&mock.url));
    get(&c, "/a").unwrap();
    c.invalidate_token();
    get(&c, "/a").unwrap();
    assert_eq!(mock.token_requests(), 2);
}

#[test]
fn a_401_refreshes_the_token_and_replays_once() {
    let mock = Mock::new(|_, i| {
        if i == 0 {
            Reply::error(401, "authentication.required")
        } else {
            Reply::json(200, "{}")
        }
    });
    let (c, m) = client(config(&mock.url));
    get(&c, "/api/v2/users").unwrap();
    assert_eq!(mock.token_requests(), 2);
    let api = mock.api_requests();
    assert_eq!(api.len(), 2);
    assert_eq!(
        api[1].header("Authorization"),
        Some("Bearer tok-2-SECRETTOKEN")
    );
    assert_eq!(Metrics::get(&m.retries), 1);
}

/// Issue 12's storm: the replay's new token expired while the replay waited out a 429 (tokens
/// expired on a period); that 401 says nothing against the credentials, so it is replayed again.
#[test]
fn a_401_after_the_replay_waited_out_a_429_is_replayed_again() {
    let mock = Mock::new(|_, i| match i {
        0 | 2 => Reply::error(401, "authentication.required"),
        1 => Reply::json(429, "{}").with("Retry-After", "0"),
        _ => Reply::json(200, "{}"),
    });
    let (c, _) = client(config(&mock.url));
    get(&c, "/api/v2/users").unwrap();
    assert_eq!(mock.api_requests().len(), 4);
    assert_eq!(mock.token_requests(), 3, "one new token per 401");
}

#[test]
fn a_second_401_is_returned() {
    let mock = Mock::new(|_, _| Reply::error(401, "bad.credentials"));
    let (c, _) = client(config(&mock.url));
    let err = get(&c, "/api/v2/users").unwrap_err();
    assert!(err.is(401, "bad.credentials"), "{err:?}");
    assert_eq!(mock.api_requests().len(), 2);
    assert_eq!(mock.token_requests(), 2);
}

#[test]
fn bad_credentials_are_an_auth_error() {
    let mock = Mock::raw(|_, _| {
        Reply::json(
            400,
            r#"{"error":"invalid_client","description":"authentication failed","error_description":"authentication failed"}"#,
        )
    });
    let (c, m) = client(config(&mock.url));
    let err = get(&c, "/api/v2/users").unwrap_err();
    assert_eq!(
        err,
        ApiError::Auth {
            message: "invalid_client: authentication failed".into()
        }
    );
    assert!(!format!("{err} {err:?}").contains(CLIENT_SECRET));
    assert_eq!(mock.seen().len(), 1, "no retry, no API call");
    assert_eq!(Metrics::get(&m.tokens_issued), 0);
}

#[test]
fn token_endpoint_server_errors_are_retried() {
    let mut tokens = 0;
    let mock = Mock::raw(move |s, _| match s.is_token() {
        true if tokens == 0 => {
            tokens += 1;
            Reply::error(503, "service.unavailable")
        }
        true => token_reply(1, 3600),
        false => Reply::json(200, "{}"),
    });
    let (c, m) = client(config(&mock.url));
    get(&c, "/x").unwrap();
    assert_eq!(mock.token_requests(), 2);
    assert_eq!(Metrics::get(&m.retries), 1);
}

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
    let date = imf_fixdate(now + 2);
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

#[test]
fn client_errors_and_501_are_not_retried() {
    for (status, code) in [
        (501, "not.implemented"),
        (404, "not.found"),
        (409, "general.conflict"),
        (400, "bad.request"),
    ] {
        let mock = Mock::new(move |_, _| Reply::error(status, code));
        let (c, m) = client(config(&mock.url));
        let err = get(&c, "/x").unwrap_err();
        assert!(err.is(status, code), "{err:?}");
        // Without the header the body's contextId is the correlation id.
        match err {
            ApiError::Status {
                correlation_id,
                message,
                ..
            } => {
                assert_eq!(correlation_id, Some(format!("ctx-{status}")));
                assert_eq!(message, format!("msg {code}"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(mock.api_requests().len(), 1);
        assert_eq!(Metrics::get(&m.retries), 0);
    }
}

#[test]
fn non_json_error_bodies_become_the_message_and_redirects_are_not_followed() {
    let mock = Mock::new(|_, i| match i {
        0 => Reply {
            status: 403,
            headers: vec![],
            body: "<html>\n  Forbidden  \n</html>".into(),
        },
        _ => Reply::json(302, "").with("Location", "http://127.0.0.1:1/elsewhere"),
    });
    let (c, _) = client(config(&mock.url));
    let err = get(&c, "/x").unwrap_err();
    assert!(
        matches!(&err, ApiError::Status { status: 403, code, message, .. } if code.is_empty() && message == "<html> Forbidden </html>"),
        "{err:?}"
    );
    let err = get(&c, "/x").unwrap_err();
    assert_eq!(err.status(), Some(302));
    assert_eq!(mock.api_requests().len(), 2);
}

#[test]
fn a_2xx_that_is_not_json_is_an_error() {
    let mock = Mock::new(|_, _| Reply::json(200, "not json"));
    let (c, _) = client(config(&mock.url));
    let err = get(&c, "/x").unwrap_err();
    assert!(
        matches!(err, ApiError::Status { status: 200, .. }),
        "{err:?}"
    );
}

#[test]
fn connection_refused_is_a_transport_error_after_retries() {
    let login = Mock::new(|_, _| Reply::json(200, "{}"));
    let mut cfg = config(&dead_url());
    cfg.login_base_url = login.url.clone();
    let (c, m) = client(cfg);
    let err = get(&c, "/x").unwrap_err();
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(Metrics::get(&m.api_calls), 1 + 4);
    assert_eq!(Metrics::get(&m.retries), 3);
}

#[test]
fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let holder = std::thread::spawn(move || {
        // Accept and hold connections without answering.
        let mut held = Vec::new();
        for _ in 0..2 {
            if let Ok((s, _)) = listener.accept() {
                held.push(s);
            }
        }
        std::thread::sleep(Duration::from_millis(800));
    });
    let mut cfg = config(&url);
    cfg.request_timeout = Duration::from_millis(200);
    cfg.max_retries = 1;
    let (c, m) = client(cfg);
    let t = Instant::now();
    let err = get(&c, "/x").unwrap_err();
    assert!(
        matches!(&err, ApiError::Transport { message } if message.contains("timed out")),
        "{err:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(Metrics::get(&m.api_calls), 2);
    holder.join().unwrap();
}

#[test]
fn an_explicit_proxy_is_used() {
    let mock = Mock::new(|_, _| Reply::json(200, r#"{"ok":1}"#));
    let (proxy_url, lines) = connect_proxy();
    let mut cfg = config(&mock.url);
    cfg.proxy = Some(proxy_url);
    let (c, _) = client(cfg);
    assert_eq!(get(&c, "/x").unwrap().body, json!({"ok": 1}));
    let host = mock.url.trim_start_matches("http://");
    let lines = lines.lock().unwrap().clone();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with(&format!("CONNECT {host}"))),
        "{lines:?}"
    );
}

#[test]
fn new_rejects_unusable_configs() {
    let m = Arc::new(Metrics::default());
    let base = config("http://127.0.0.1:1");
    let mut bad = Vec::new();
    let mut c = base.clone();
    c.api_base_url = "http://api.mypurecloud.com".into();
    bad.push(c);
    let mut c = base.clone();
    c.login_base_url = "http://192.168.1.10".into();
    bad.push(c);
    let mut c = base.clone();
    c.client_secret = gcsync::secret::Secret::default();
    bad.push(c);
    let mut c = base.clone();
    c.requests_per_minute = 0;
    bad.push(c);
    let mut c = base.clone();
    c.request_timeout = Duration::ZERO;
    bad.push(c);
    let mut c = base.clone();
    c.ca_bundle_pem = Some(b"garbage".to_vec());
    bad.push(c);
    let mut c = base.clone();
    c.proxy = Some("http://user:pw@ not a url".into());
    bad.push(c);
    for cfg in bad {
        let err = Client::new(cfg.clone(), m.clone()).err().unwrap();
        assert!(matches!(err, ApiError::Config { .. }), "{cfg:?} -> {err:?}");
        assert!(!err.to_string().contains(CLIENT_SECRET));
    }
    assert!(Client::new(base.clone(), m.clone()).is_ok());
    let mut https = base;
    https.api_base_url = "https://api.mypurecloud.com".into();
    https.login_base_url = "https://login.mypurecloud.com/".into();
    https.ca_bundle_pem = Some(TEST_CA_PEM.as_bytes().to_vec());
    assert!(Client::new(https, m).is_ok());
    assert_eq!(Metrics::get(&Metrics::default().api_calls), 0);
}

#[test]
fn the_client_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Client>();
    shared::<Arc<Client>>();
}

/// A throwaway self-signed CA (public certificate only).
const TEST_CA_PEM: &str = include_str!("client_support/test-ca.pem");

#[test]
fn a_503_retry_after_is_honoured() {
    let m = waits_retry_after_once(503, "service.unavailable");
    assert_eq!(Metrics::get(&m.rate_limited), 0);
}
