mod common;
use common::*;
use gc_emulator::{Emulator, EmulatorConfig};

#[test]
fn token_issue_and_use() {
    let emu = start();
    let r = login_with(
        &emu,
        "gcsync-test",
        "test-secret",
        "grant_type=client_credentials",
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 86400);
    let tok = v["access_token"].as_str().unwrap();
    assert!(tok.len() >= 32);
    let r = api(&emu, tok, "GET", "/api/v2/users", None);
    assert_eq!(r.status, 200, "{}", r.body);
    let log = emu.requests();
    assert_eq!(log[0].route, "/oauth/token");
    assert_eq!(log[0].authorization_scheme.as_deref(), Some("Basic"));
    assert!(log[0].body.is_none());
    assert_eq!(log[1].authorization_scheme.as_deref(), Some("Bearer"));
    // The client behind each request (two gcsync instances sharing one org are told apart).
    assert_eq!(log[0].client_id.as_deref(), Some("gcsync-test"));
    assert_eq!(log[1].client_id.as_deref(), Some("gcsync-test"));
    let _ = api(&emu, "not-a-token", "GET", "/api/v2/users", None);
    assert_eq!(emu.requests()[2].client_id, None);
    let text = serde_json::to_string(&emu.requests()).unwrap();
    assert!(!text.contains("test-secret") && !text.contains(tok));
}

#[test]
fn bad_credentials_and_grants() {
    let emu = start();
    let r = login_with(
        &emu,
        "gcsync-test",
        "wrong",
        "grant_type=client_credentials",
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_client");
    assert_eq!(r.json()["error_description"], "authentication failed");
    let r = login_with(&emu, "gcsync-test", "test-secret", "grant_type=password");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "unsupported_grant_type");
    let r = request(
        &emu.base_url(),
        "POST",
        "/oauth/token",
        &[],
        Some(b"grant_type=client_credentials"),
    )
    .unwrap();
    assert_eq!(r.status, 401);
    let basic = format!("Basic {}", b64("gcsync-test:test-secret"));
    let r = request(
        &emu.base_url(),
        "POST",
        "/oauth/token",
        &[
            ("Authorization", &basic),
            ("Content-Type", "application/json"),
        ],
        Some(b"{\"grant_type\":\"client_credentials\"}"),
    )
    .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_request");
}

#[test]
fn api_requires_valid_token() {
    let emu = start();
    let r = request(&emu.base_url(), "GET", "/api/v2/users", &[], None).unwrap();
    assert_eq!(r.status, 401);
    let v = r.json();
    assert_eq!(v["code"], "authentication.required");
    assert_eq!(v["contextId"], r.header("ININ-Correlation-Id").unwrap());
    for k in [
        "status",
        "message",
        "messageWithParams",
        "messageParams",
        "details",
        "errors",
    ] {
        assert!(v.get(k).is_some(), "ErrorBody lacks {k}");
    }
    let r = api(&emu, "not-a-token", "GET", "/api/v2/users", None);
    assert_eq!((r.status, r.code().as_str()), (401, "bad.credentials"));
}

#[test]
fn tokens_expire() {
    let emu = start();
    let tok = token(&emu);
    emu.expire_all_tokens();
    let r = api(&emu, &tok, "GET", "/api/v2/users", None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "authentication.required")
    );
    let tok2 = token(&emu);
    assert_ne!(tok, tok2);
    assert_eq!(api(&emu, &tok2, "GET", "/api/v2/users", None).status, 200);

    let cfg = EmulatorConfig {
        token_lifetime_secs: 1,
        ..Default::default()
    };
    let emu = Emulator::start(cfg).unwrap();
    let tok = token(&emu);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(api(&emu, &tok, "GET", "/api/v2/users", None).status, 401);
}

#[test]
fn rate_limit_per_token() {
    let cfg = EmulatorConfig {
        rate_limit_per_minute: 5,
        ..Default::default()
    };
    let emu = Emulator::start(cfg).unwrap();
    let tok = token(&emu);
    for _ in 0..5 {
        assert_eq!(api(&emu, &tok, "GET", "/api/v2/users", None).status, 200);
    }
    let r = api(&emu, &tok, "GET", "/api/v2/users", None);
    assert_eq!((r.status, r.code().as_str()), (429, "too.many.requests"));
    let secs: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs));
    // A different token has its own budget.
    let tok2 = token(&emu);
    assert_eq!(api(&emu, &tok2, "GET", "/api/v2/users", None).status, 200);
}

#[test]
fn refuses_non_loopback_bind() {
    let cfg = EmulatorConfig {
        bind: "0.0.0.0:0".into(),
        ..Default::default()
    };
    assert!(Emulator::start(cfg).is_err());
}
