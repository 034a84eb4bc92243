//! Requests and answers: one token for many calls, well-formed requests, JSON bodies, and the
//! answers that are not retried (client errors, 501, non-JSON bodies, redirects).

use crate::common::*;
use crate::{client, get};
use gcsync::genesys::{ApiError, Method};
use gcsync::metrics::Metrics;
use serde_json::json;

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
