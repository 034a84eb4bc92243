//! Messages and logs: validation errors at warn once per object and reason, gcsync's own
//! decisions at debug, proxy failures naming the proxy, a 403 naming the permission, and logs
//! that say what happened.

use crate::common::*;
use crate::{lines, lines_at, start_leveled};
use gc_emulator::{InjectedFault, RetryAfter};
use gcsync::genesys::{users, Client, ClientConfig};
use gcsync::host::GcsyncLogLevel as L;
use gcsync::metrics::Metrics;
use gcsync::result::GcsyncResult;
use gcsync::secret::Secret;
use serde_json::json;
use std::sync::Arc;

#[test]
fn each_validation_error_is_logged_once_per_object_and_reason_at_warn() {
    let w = World::new();
    start_leveled();
    let bad = [
        ("ne", json!({"id": "ne", "display_name": "No Email"})),
        (
            "be",
            json!({"id": "be", "business_email": "not-an-address"}),
        ),
        ("bp", json!({"id": "bp", "business_email": "bp@nodot"})),
    ];
    for _ in 0..3 {
        for (_, u) in &bad {
            assert_eq!(user_changed(&u.to_string()), GcsyncResult::Ok);
            wait_idle();
        }
    }
    for (id, _) in &bad {
        let reason = status(id)["reason"].as_str().unwrap().to_string();
        let warned = lines_at(L::Warn, &format!("user {id}: not synced: {reason}"));
        assert_eq!(warned.len(), 1, "{id}: {warned:?}");
    }
    // Another reason for the same object is logged again, once.
    let fixed = json!({"id": "bp", "business_email": "bp at example.com"});
    assert_eq!(user_changed(&fixed.to_string()), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(lines_at(L::Warn, "user bp: not synced").len(), 2);
    assert!(
        w.emu.requests().is_empty(),
        "validation errors cost no API call"
    );
}

#[test]
fn gcsync_logs_its_own_decisions_at_debug() {
    let _w = World::new();
    start_leveled();
    let u = cic_user("dd", "Dd", Some("dd@example.com"));
    assert_eq!(user_changed(&u), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(user_changed(&u.replace("Dd", "Dd2")), GcsyncResult::Ok);
    wait_idle();
    // The same event again: the shortcut is a decision worth a debug line.
    assert_eq!(user_changed(&u.replace("Dd", "Dd3")), GcsyncResult::Ok);
    wait_idle();
    let snapshot = format!(r#"{{"users":[{}]}}"#, u.replace("Dd", "Dd3"));
    assert_eq!(force_sync(&snapshot), GcsyncResult::Ok);
    wait_idle();
    let unchanged = cic_user("dd", "Dd3", Some("dd@example.com"));
    assert_eq!(user_changed(&unchanged), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(user_deleted("never-seen"), GcsyncResult::Ok);
    wait_idle();
    let debug = |needle: &str| {
        let found = lines_at(L::Debug, needle);
        assert!(
            !found.is_empty(),
            "no debug line with {needle:?}: {:#?}",
            lines("")
        );
    };
    debug("user dd: no link to a Genesys user yet; creating it (a conflict finds the holder");
    debug("user dd: matches what was last applied; no API call");
    debug("user never-seen: deleted in CIC; never linked");
}

#[test]
fn an_unreachable_proxy_is_named_in_the_status_and_the_log() {
    let w = World::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    set(
        "http_proxy",
        &format!("http://admin:pr0xyPW@127.0.0.1:{port}"),
    );
    set("max_retries", "0");
    start_leveled();
    assert_eq!(
        user_changed(&cic_user("px", "Px", Some("px@example.com"))),
        GcsyncResult::Ok
    );
    eventually("the attempt fails", || status("px")["state"] == "Error");
    let reason = status("px")["reason"].as_str().unwrap().to_string();
    let want = format!("cannot connect to the proxy http://127.0.0.1:{port} (setting http_proxy)");
    assert!(reason.contains(&want), "{reason}");
    assert!(!reason.contains("pr0xyPW"), "{reason}");
    assert!(!lines(&want).is_empty());
    assert!(lines("pr0xyPW").is_empty(), "proxy password logged");
    assert!(w.emu.requests().is_empty());
}

#[test]
fn a_403_names_the_permission_the_endpoint_needs() {
    let w = World::new();
    w.start();
    let u = cic_user("fb", "Fb", Some("fb@example.com"));
    assert_eq!(user_changed(&u), GcsyncResult::Ok);
    wait_idle();
    w.emu.inject(InjectedFault {
        method: "PATCH".into(),
        route: "/api/v2/users/{userId}".into(),
        status: 403,
        code: "missing.permissions".into(),
        retry_after: RetryAfter::Absent,
        count: 1,
        drop_connection: false,
        ..Default::default()
    });
    assert_eq!(
        user_changed(&u.replace("\"Fb\"", "\"Fb 2\"")),
        GcsyncResult::Ok
    );
    wait_idle();
    let reason = status("fb")["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains(
            "the OAuth client's role lacks a permission: PATCH /api/v2/users/{userId} needs one \
             of admin, directory:user:edit, directory:organization:admin"
        ),
        "{reason}"
    );
    assert!(reason.contains("correlation id"), "{reason}");
}

fn outside_client(w: &World) -> Client {
    let cfg = ClientConfig {
        api_base_url: w.emu.base_url(),
        login_base_url: w.emu.base_url(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET.to_string()),
        ..ClientConfig::default()
    };
    Client::new(cfg, Arc::new(Metrics::default())).unwrap()
}

#[test]
fn removing_a_user_already_gone_in_genesys_says_so_and_deactivates_nothing() {
    let w = World::new();
    start_leveled();
    for id in ["gone", "here"] {
        let user = cic_user(id, id, Some(&format!("{id}@example.com")));
        assert_eq!(user_changed(&user), GcsyncResult::Ok);
    }
    wait_idle();
    let gone = status("gone")["genesys_id"].as_str().unwrap().to_string();
    let here = status("here")["genesys_id"].as_str().unwrap().to_string();
    // Someone deletes the user in Genesys Cloud, outside gcsync.
    users::delete(&outside_client(&w), &gone).unwrap();
    w.emu.clear_requests();
    assert_eq!(user_deleted("gone"), GcsyncResult::Ok);
    assert_eq!(user_deleted("here"), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(
        w.emu.call_count("PATCH", "/api/v2/users/{userId}"),
        1,
        "only `here` patched"
    );
    let said = lines(&format!("Genesys user {gone}"));
    assert!(
        said.iter()
            .any(|l| l.contains("no longer exists in Genesys Cloud; nothing to change")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .all(|l| !l.to_lowercase().contains("deactivate")),
        "{said:?}"
    );
    assert_eq!(lines(&format!("Genesys user {here} deactivated")).len(), 1);
    assert_eq!(status("gone")["removed"], true);
}

#[test]
fn a_phone_left_out_is_logged_once_per_object_at_warn() {
    let _w = World::new();
    start_leveled();
    let u = json!({"id": "lp", "business_email": "lp@example.com", "home_phone": "abc"});
    for name in ["Lp", "Lp 2", "Lp 3"] {
        let mut v = u.clone();
        v["display_name"] = json!(name);
        assert_eq!(user_changed(&v.to_string()), GcsyncResult::Ok);
        wait_idle();
    }
    assert_eq!(status("lp")["state"], "Synced");
    let warned = lines_at(
        L::Warn,
        "user lp: Home phone \"abc\" is not a phone number; left out",
    );
    assert_eq!(warned.len(), 1, "{:#?}", lines("lp"));
}
