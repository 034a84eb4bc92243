//! Transient failures end synced: version conflicts re-read, expired tokens renewed, rate limits
//! and server errors waited out, dropped connections and a storm of faults without a duplicate;
//! a wait too long to hold becomes a visible error retried later.

use crate::common::*;
use crate::fault;
use gc_emulator::RetryAfter;
use gcsync::result::GcsyncResult;

#[test]
fn version_conflict_is_retried_after_rereading() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(&cic_user("v", "One", Some("v@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    w.emu.inject(fault(
        "PATCH",
        "/api/v2/users/{userId}",
        409,
        "general.conflict",
        RetryAfter::Absent,
        2,
    ));
    w.emu.clear_requests();
    assert_eq!(
        user_changed(&cic_user("v", "Two", Some("v@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("v")["state"], "Synced");
    assert_eq!(gc_user(&w.emu, "v@example.com")["name"], "Two");
    assert_eq!(w.emu.call_count("PATCH", "/api/v2/users/{userId}"), 3);
    assert_eq!(
        w.emu.call_count("GET", "/api/v2/users/{userId}"),
        2,
        "no read first (the version is known), then a re-read per conflict"
    );
    assert!(overview()["retries"].as_u64().unwrap() >= 2);
}

#[test]
fn real_concurrent_edit_conflict_is_resolved() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(&cic_user("c", "One", Some("c@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let id = status("c")["genesys_id"].as_str().unwrap().to_string();
    // Someone edits the user in Genesys Cloud: gcsync's remembered state is stale, a forced
    // sync reads the current version and overwrites the mapped fields.
    w.emu.bump_user_version(&id);
    assert_eq!(
        force_sync(&format!(
            r#"{{"users":[{}]}}"#,
            cic_user("c", "Two", Some("c@example.com"))
        )),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(w.emu.user(&id).unwrap()["name"], "Two");
}

#[test]
fn expired_token_is_renewed_and_the_call_replayed() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(&cic_user("t", "One", Some("t@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(w.emu.call_count("POST", "/oauth/token"), 1);
    w.emu.expire_all_tokens();
    assert_eq!(
        user_changed(&cic_user("t", "Two", Some("t@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("t")["state"], "Synced");
    assert_eq!(gc_user(&w.emu, "t@example.com")["name"], "Two");
    assert_eq!(w.emu.call_count("POST", "/oauth/token"), 2);
    let r401 = w.emu.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(r401, 1);
}

/// Injects one 429 on `route` and checks gcsync waited at least `min_ms` before succeeding.
fn rate_limit_is_honoured(route: &str, retry_after: RetryAfter, min_ms: u64) {
    let w = World::new();
    w.start();
    w.emu.inject(fault(
        "POST",
        route,
        429,
        "too.many.requests",
        retry_after,
        1,
    ));
    let t0 = std::time::Instant::now();
    assert_eq!(
        user_changed(&cic_user("r", "R", Some("r@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let waited = t0.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(min_ms),
        "{waited:?}"
    );
    assert_eq!(status("r")["state"], "Synced");
    assert_eq!(overview()["rate_limited"], 1);
    assert_eq!(w.emu.users().len(), 1);
}

#[test]
fn rate_limit_with_retry_after_seconds_is_honoured() {
    rate_limit_is_honoured("/api/v2/users", RetryAfter::Seconds(1), 950);
}

#[test]
fn rate_limit_with_retry_after_http_date_is_honoured() {
    // An HTTP date has one-second resolution: "2 s from now" is at least 1 s away.
    rate_limit_is_honoured("/api/v2/users", RetryAfter::HttpDate(2), 900);
}

#[test]
fn very_long_retry_after_becomes_a_visible_error_retried_later() {
    let w = World::new();
    w.start();
    w.emu.inject(fault(
        "POST",
        "/api/v2/users",
        429,
        "too.many.requests",
        RetryAfter::Seconds(600),
        1,
    ));
    assert_eq!(
        user_changed(&cic_user("l", "L", Some("l@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("l");
    assert_eq!(s["state"], "Error");
    assert!(s["reason"].as_str().unwrap().contains("rate limit"), "{s}");
    assert_eq!(s["pending"], true, "retry scheduled");
    assert_eq!(overview()["retry_scheduled"], 1);
    // A force sync retries at once (the fault is used up) and succeeds.
    assert_eq!(
        force_sync(&format!(
            r#"{{"users":[{}]}}"#,
            cic_user("l", "L", Some("l@example.com"))
        )),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("l")["state"], "Synced");
}

#[test]
fn server_errors_back_off_and_succeed() {
    let w = World::new();
    w.start();
    w.emu.inject(fault(
        "POST",
        "/api/v2/users",
        503,
        "service.unavailable",
        RetryAfter::Absent,
        2,
    ));
    assert_eq!(
        user_changed(&cic_user("b", "B", Some("b@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("b")["state"], "Synced");
    assert_eq!(w.emu.call_count("POST", "/api/v2/users"), 3);
    assert!(overview()["retries"].as_u64().unwrap() >= 2);
    assert_eq!(w.emu.users().len(), 1);
}

#[test]
fn persistent_server_errors_end_in_a_transient_error_with_retry() {
    let w = World::new();
    set("max_retries", "2");
    w.start();
    w.emu.inject(fault(
        "*",
        "*",
        503,
        "service.unavailable",
        RetryAfter::Absent,
        3,
    ));
    assert_eq!(
        user_changed(&cic_user("p", "P", Some("p@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("p");
    assert_eq!(s["state"], "Error");
    assert!(s["reason"].as_str().unwrap().contains("503"), "{s}");
    assert!(
        s["reason"].as_str().unwrap().contains("next attempt"),
        "{s}"
    );
    // retry_later_s=1: the worker tries again by itself and succeeds.
    eventually("retry later succeeds", || status("p")["state"] == "Synced");
}

#[test]
fn dropped_connections_are_retried_without_duplicates() {
    let w = World::new();
    w.start();
    let mut drop = fault("POST", "/api/v2/users", 0, "", RetryAfter::Absent, 1);
    drop.drop_connection = true;
    w.emu.inject(drop);
    assert_eq!(
        user_changed(&cic_user("dc", "Dc", Some("dc@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("dc")["state"], "Synced");
    assert_eq!(w.emu.users().len(), 1);
    assert!(
        w.emu.requests().iter().any(|r| r.status == 0),
        "the drop happened"
    );
}

#[test]
fn a_storm_of_random_faults_ends_with_every_user_synced_once() {
    let w = World::new();
    set("retry_later_s", "1");
    w.emu.set_faults(gc_emulator::Faults {
        error_5xx_rate: 0.15,
        rate_429: 0.05,
        retry_after_secs: 1,
        drop_rate: 0.05,
        seed: 7,
        ..gc_emulator::Faults::default()
    });
    w.start();
    for i in 0..15 {
        let u = cic_user(
            &format!("s{i}"),
            &format!("Storm {i}"),
            Some(&format!("s{i}@example.com")),
        );
        assert_eq!(user_changed(&u), GcsyncResult::Ok);
    }
    eventually("all synced through the storm", || {
        overview()["objects"]["synced"] == 15
    });
    assert_eq!(w.emu.users().len(), 15, "no duplicates");
    for i in 0..15 {
        assert_eq!(
            gc_user(&w.emu, &format!("s{i}@example.com"))["name"],
            format!("Storm {i}")
        );
    }
    let o = overview();
    assert!(o["retries"].as_u64().unwrap() > 0, "{o}");
}
