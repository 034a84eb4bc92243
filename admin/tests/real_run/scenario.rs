//! The dataset: a small CIC org synced through the C API into the emulator, with errors,
//! removals by both policies, a user already gone in Genesys Cloud, a retried 429 and a long
//! 429 left waiting.

use crate::common::*;
use crate::user;
use gc_emulator::{InjectedFault, RetryAfter};
use gcsync::ffi::*;
use gcsync::genesys::{users, Client, ClientConfig};
use gcsync::metrics::Metrics;
use gcsync::result::GcsyncResult;
use std::sync::Arc;

pub(crate) fn fault(
    method: &str,
    route: &str,
    status: u16,
    retry_after: RetryAfter,
) -> InjectedFault {
    InjectedFault {
        method: method.into(),
        route: route.into(),
        status,
        code: String::new(),
        retry_after,
        ..InjectedFault::default()
    }
}

/// Runs the dataset; gcsync is left running.
pub(crate) fn scenario(w: &World) {
    set("monthly_api_allowance", "30");
    w.start();
    // gcsync's panic hook sends panics to the host's log while it runs: show test failures.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    for i in 1..=5 {
        let id = format!("ok{i}");
        let email = format!("{id}@example.com");
        assert_eq!(
            user_changed(&user(&id, Some(&email), Some("+1 317 555 0100"))),
            GcsyncResult::Ok
        );
    }
    for (id, email) in [
        ("del1", "del1@example.com"),
        ("del2", "del2@example.com"),
        ("gone", "gone@example.com"),
    ] {
        assert_eq!(user_changed(&user(id, Some(email), None)), GcsyncResult::Ok);
    }
    assert_eq!(user_changed(&user("noemail", None, None)), GcsyncResult::Ok);
    // The same email as ok2: an Error that waits for the admin.
    assert_eq!(
        user_changed(&user("dupe", Some("ok2@example.com"), None)),
        GcsyncResult::Ok
    );
    wait_idle();
    // A short 429 (retried inside the call) and an update.
    w.emu.inject(fault(
        "GET",
        "/api/v2/users/{userId}",
        429,
        RetryAfter::Seconds(1),
    ));
    assert_eq!(
        user_changed(&user(
            "ok1",
            Some("ok1@example.com"),
            Some("+1 317 555 0199")
        )),
        GcsyncResult::Ok
    );
    wait_idle();
    // Removals: deactivate, delete, and one already gone in Genesys Cloud.
    assert_eq!(user_deleted("del1"), GcsyncResult::Ok);
    wait_idle();
    set("user_removal_policy", "delete");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    assert_eq!(user_deleted("del2"), GcsyncResult::Ok);
    wait_idle();
    let gone = status("gone")["genesys_id"].as_str().unwrap().to_string();
    let cfg = ClientConfig {
        api_base_url: w.emu.base_url(),
        login_base_url: w.emu.base_url(),
        client_id: CLIENT_ID.into(),
        client_secret: gcsync::secret::Secret::new(CLIENT_SECRET.to_string()),
        ..ClientConfig::default()
    };
    let outside = Client::new(cfg, Arc::new(Metrics::default())).unwrap();
    users::delete(&outside, &gone).unwrap();
    assert_eq!(user_deleted("gone"), GcsyncResult::Ok);
    wait_idle();
    // A long 429: the user waits for a retry time, its change stays pending in the database.
    w.emu.inject(fault(
        "POST",
        "/api/v2/users",
        429,
        RetryAfter::Seconds(900),
    ));
    assert_eq!(
        user_changed(&user("later", Some("later@example.com"), None)),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("later")["pending"], true);
    assert_eq!(flush(), GcsyncResult::Ok);
}
