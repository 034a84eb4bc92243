//! End-to-end user sync through the C API against the Genesys Cloud emulator.

mod common;

use common::*;
use gc_emulator::{InjectedFault, RetryAfter};
use gcsync::result::GcsyncResult;
use serde_json::json;

fn fault(
    method: &str,
    route: &str,
    status: u16,
    code: &str,
    retry_after: RetryAfter,
    count: u32,
) -> InjectedFault {
    InjectedFault {
        method: method.into(),
        route: route.into(),
        status,
        code: code.into(),
        retry_after,
        count,
        drop_connection: false,
        ..Default::default()
    }
}

#[test]
fn every_mapped_field_reaches_genesys() {
    let w = World::new();
    set("default_country_code", "1");
    w.start();
    let user = json!({
        "id": "jdoe", "display_name": "Jane Doe", "business_email": "jane.doe@example.com",
        "business_phone": "+1 317 555 0100", "business_phone_2": "+13175550102",
        "mobile_phone": "(317) 555-0103", "home_phone": "+44 20 7946 0958", "fax": "+13175550199"
    });
    assert_eq!(user_changed(&user.to_string()), GcsyncResult::Ok);
    wait_idle();
    let s = status("jdoe");
    assert_eq!(s["state"], "Synced", "{s}");
    let g = gc_user(&w.emu, "jane.doe@example.com");
    assert_eq!(g["name"], "Jane Doe");
    assert_eq!(g["email"], "jane.doe@example.com");
    assert_eq!(g["state"], "active");
    assert_eq!(s["genesys_id"], g["id"]);
    assert_eq!(phone(&g, "WORK").as_deref(), Some("+13175550100"));
    assert_eq!(phone(&g, "WORK2").as_deref(), Some("+13175550102"));
    assert_eq!(phone(&g, "MOBILE").as_deref(), Some("+13175550103"));
    assert_eq!(phone(&g, "HOME").as_deref(), Some("+442079460958"));
    assert_eq!(phone(&g, "OTHER").as_deref(), Some("+13175550199"));
    assert!(s["last_synchronized"].as_str().unwrap().ends_with('Z'));

    // A change to one field updates it and keeps the rest.
    let mut changed = user.clone();
    changed["display_name"] = json!("Jane Q. Doe");
    changed["fax"] = json!(null);
    assert_eq!(user_changed(&changed.to_string()), GcsyncResult::Ok);
    wait_idle();
    let g = gc_user(&w.emu, "jane.doe@example.com");
    assert_eq!(g["name"], "Jane Q. Doe");
    assert_eq!(phone(&g, "OTHER"), None);
    assert_eq!(phone(&g, "WORK").as_deref(), Some("+13175550100"));
    assert_eq!(
        w.emu.call_count("POST", "/api/v2/users"),
        1,
        "updated, not recreated"
    );
}

#[test]
fn display_name_falls_back_to_user_id() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(r#"{"id":"nodisplay","business_email":"nd@example.com"}"#),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(gc_user(&w.emu, "nd@example.com")["name"], "nodisplay");
}

#[test]
fn user_without_email_is_an_error_and_costs_no_api_call() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(&cic_user("noemail", "No Email", None)),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("noemail");
    assert_eq!(s["state"], "Error");
    assert_eq!(s["reason"], "business email required");
    assert!(
        w.emu.requests().is_empty(),
        "no request at all, not even a token: {:?}",
        w.emu.requests().len()
    );
    assert_eq!(overview()["api_calls"], 0);
}

#[test]
fn unchanged_user_costs_no_api_call() {
    let w = World::new();
    w.start();
    let u = cic_user("same", "Same", Some("same@example.com"));
    assert_eq!(user_changed(&u), GcsyncResult::Ok);
    wait_idle();
    w.emu.clear_requests();
    for _ in 0..3 {
        assert_eq!(user_changed(&u), GcsyncResult::Ok);
        wait_idle();
    }
    assert!(w.emu.requests().is_empty());
    assert_eq!(status("same")["state"], "Synced");
}

#[test]
fn existing_user_is_adopted_by_email_not_duplicated() {
    let w = World::new();
    let id = w
        .emu
        .seed_user("Old Name", "Adopt.Me@example.com", "active");
    w.start();
    assert_eq!(
        user_changed(&cic_user("adopt", "New Name", Some("adopt.me@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    // POST first (few users to link): Genesys refuses the taken email, and gcsync adopts its
    // holder instead of creating another.
    assert_eq!(w.emu.call_count("POST", "/api/v2/users"), 1);
    assert!(w
        .emu
        .requests()
        .iter()
        .any(|r| r.route == "/api/v2/users" && r.status == 409));
    let s = status("adopt");
    assert_eq!(s["state"], "Synced");
    assert_eq!(s["genesys_id"], id.as_str());
    assert_eq!(w.emu.user(&id).unwrap()["name"], "New Name");
    assert_eq!(w.emu.users().len(), 1);
}

#[test]
fn soft_deleted_user_is_restored_not_recreated() {
    let w = World::new();
    let id = w.emu.seed_user("Gone", "gone@example.com", "deleted");
    w.start();
    assert_eq!(
        user_changed(&cic_user("gone", "Back Again", Some("gone@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("gone");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["genesys_id"], id.as_str());
    let g = w.emu.user(&id).unwrap();
    assert_eq!(g["state"], "active");
    assert_eq!(g["name"], "Back Again");
    assert_eq!(w.emu.users().len(), 1, "no duplicate");
}

#[test]
fn two_cic_users_with_one_email_do_not_share_a_genesys_user() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(&cic_user("first", "First", Some("shared@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(
        user_changed(&cic_user("second", "Second", Some("shared@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("second");
    assert_eq!(s["state"], "Error");
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("already used by CIC user first"),
        "{s}"
    );
    assert_eq!(gc_user(&w.emu, "shared@example.com")["name"], "First");
}

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

#[test]
fn wrong_credentials_show_an_actionable_error() {
    let w = World::new();
    set("client_secret", "wrong-secret-123");
    w.start();
    assert_eq!(
        user_changed(&cic_user("x", "X", Some("x@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("x");
    assert_eq!(s["state"], "Error");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.contains("login failed") && reason.contains("client_secret"),
        "{reason}"
    );
    assert!(!reason.contains("wrong-secret-123"));
    assert!(!logs().iter().any(|l| l.contains("wrong-secret-123")));
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
fn removal_deactivates_by_default_and_reappearance_reactivates() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(&cic_user("rm", "Rm", Some("rm@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(user_deleted("rm"), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(gc_user(&w.emu, "rm@example.com")["state"], "inactive");
    let s = status("rm");
    assert_eq!(s["removed"], true);
    assert_eq!(
        user_changed(&cic_user("rm", "Rm", Some("rm@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(gc_user(&w.emu, "rm@example.com")["state"], "active");
    assert_eq!(w.emu.users().len(), 1);
}

#[test]
fn removal_policy_delete_soft_deletes() {
    let w = World::new();
    set("user_removal_policy", "delete");
    w.start();
    assert_eq!(
        user_changed(&cic_user("del", "Del", Some("del@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(user_deleted("del"), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(gc_user(&w.emu, "del@example.com")["state"], "deleted");
    assert_eq!(w.emu.call_count("DELETE", "/api/v2/users/{userId}"), 1);
}

#[test]
fn removing_an_unknown_user_touches_nothing() {
    let w = World::new();
    w.emu.seed_user("Not Ours", "notours@example.com", "active");
    w.start();
    assert_eq!(user_deleted("notours"), GcsyncResult::Ok);
    wait_idle();
    assert!(w.emu.requests().is_empty());
    assert_eq!(gc_user(&w.emu, "notours@example.com")["state"], "active");
}

#[test]
fn foreign_contacts_on_an_adopted_user_are_kept() {
    let w = World::new();
    let id = w.emu.seed_user("Keep", "keep@example.com", "active");
    w.start();
    assert_eq!(
        user_changed(&cic_user("keep", "Keep", Some("keep@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let u = json!({"id":"keep","display_name":"Keep","business_email":"keep@example.com","home_phone":"+15550001"});
    assert_eq!(user_changed(&u.to_string()), GcsyncResult::Ok);
    wait_idle();
    let g = w.emu.user(&id).unwrap();
    assert_eq!(phone(&g, "HOME").as_deref(), Some("+15550001"));
    assert_eq!(g["email"], "keep@example.com");
}

#[test]
fn email_change_to_a_taken_email_is_an_actionable_error() {
    let w = World::new();
    w.emu
        .seed_user("Someone Else", "taken@example.com", "deleted");
    w.start();
    assert_eq!(
        user_changed(&cic_user("mover", "Mover", Some("mover@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(
        user_changed(&cic_user("mover", "Mover", Some("taken@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("mover");
    assert_eq!(s["state"], "Error");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.contains("taken@example.com is already used by another Genesys Cloud user"),
        "{reason}"
    );
    assert_eq!(
        s["pending"], false,
        "needs the admin, not retried in a loop"
    );
    assert!(w.emu.call_count("PATCH", "/api/v2/users/{userId}") <= 2);
    assert_eq!(gc_user(&w.emu, "mover@example.com")["state"], "active");
}

#[test]
fn search_index_lag_never_causes_a_duplicate() {
    let w = World::new();
    let id = w.emu.seed_user("Fresh", "fresh@example.com", "active");
    w.emu.set_faults(gc_emulator::Faults {
        search_lag_ms: 1500,
        ..gc_emulator::Faults::default()
    });
    w.start();
    assert_eq!(
        user_changed(&cic_user("fresh", "Fresh", Some("fresh@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    // The search missed the new user, the create hit 409, and the deleted-user search found
    // nothing: a transient error, retried later.
    let s = status("fresh");
    assert_eq!(s["state"], "Error", "{s}");
    assert!(
        s["reason"].as_str().unwrap().contains("cannot see yet"),
        "{s}"
    );
    eventually("adopted once the index caught up", || {
        status("fresh")["state"] == "Synced"
    });
    assert_eq!(status("fresh")["genesys_id"], id.as_str());
    assert_eq!(w.emu.users().len(), 1);
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

#[test]
fn a_missing_permission_is_a_final_error_that_names_the_fix() {
    let w = World::new();
    w.start();
    w.emu.inject(fault(
        "POST",
        "/api/v2/users",
        403,
        "missing.permissions",
        RetryAfter::Absent,
        1,
    ));
    assert_eq!(
        user_changed(&cic_user("np", "Np", Some("np@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("np");
    assert_eq!(s["state"], "Error");
    let reason = s["reason"].as_str().unwrap();
    assert!(reason.contains("403 missing.permissions"), "{reason}");
    assert!(reason.contains("role lacks a permission"), "{reason}");
    assert!(reason.contains("correlation id"), "{reason}");
    assert_eq!(s["pending"], false, "not retried until something changes");
    assert_eq!(w.emu.call_count("POST", "/api/v2/users"), 1);
}
