//! Proxy variables in the environment must not affect the client (own test binary: it changes
//! the process environment).

#[path = "client_support/mod.rs"]
mod common;

use std::sync::Arc;

use common::*;
use gcsync::genesys::{Client, Method};
use gcsync::metrics::Metrics;

#[test]
fn proxy_environment_variables_are_ignored() {
    let mock = Mock::new(|_, _| Reply::json(200, r#"{"ok":true}"#));
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        std::env::set_var(var, "http://127.0.0.1:9");
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    // Sanity: a default ureq agent does pick the variable up and fails.
    assert!(ureq::get(format!("{}/probe", mock.url)).call().is_err());

    let c = Client::new(config(&mock.url), Arc::new(Metrics::default())).unwrap();
    let r = c.request(Method::Get, "/api/v2/users", &[], None).unwrap();
    assert_eq!(r.body, serde_json::json!({"ok": true}));
    assert_eq!(mock.token_requests(), 1);
}
