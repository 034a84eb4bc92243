//! The token: renewed before it expires, on demand and on a 401 (the call replayed), bad
//! credentials an auth error, the token endpoint's server errors retried.

use crate::common::*;
use crate::{client, get};
use gcsync::genesys::ApiError;
use gcsync::metrics::Metrics;

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
