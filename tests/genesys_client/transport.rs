//! The connection: refused, silent, through an explicit proxy; configurations the client
//! refuses to build; the client shared across threads.

use crate::common::*;
use crate::proxy::connect_proxy;
use crate::{client, get};
use gcsync::genesys::{ApiError, Client};
use gcsync::metrics::Metrics;
use serde_json::json;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
const TEST_CA_PEM: &str = include_str!("../client_support/test-ca.pem");
