//! Phones as Genesys stores them (E.164 address, extension apart, `default_country_code`) and
//! emails compared case-insensitively, end to end through the C API against the emulator (two
//! CIC users whose emails differ only in case: `tests/user_sync/matching.rs`).

mod common;

use common::*;
use gc_emulator::{Faults, InjectedFault};
use gcsync::ffi::gcsync_on_settings_changed;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};

/// The lookup by external id before a create: a 404 is a miss, not a refusal.
const EXT_LOOKUP: &str = "/api/v2/users/externalid/{authorityName}/{externalKey}";

/// `(address, extension)` of the PHONE contact of one type.
fn contact(user: &Value, kind: &str) -> Option<(Option<String>, Option<String>)> {
    user["addresses"].as_array()?.iter().find_map(|c| {
        (c["mediaType"] == "PHONE" && c["type"] == kind).then(|| {
            let s = |k: &str| c[k].as_str().map(str::to_string);
            (s("address"), s("extension"))
        })
    })
}

fn number(n: &str, ext: Option<&str>) -> Option<(Option<String>, Option<String>)> {
    Some((Some(n.to_string()), ext.map(str::to_string)))
}

fn patches(w: &World) -> usize {
    w.emu.call_count("PATCH", "/api/v2/users/{userId}")
}

#[test]
fn national_numbers_extensions_and_e164_reach_genesys_as_it_stores_them() {
    let w = World::new();
    set("default_country_code", "1");
    w.start();
    let user = json!({
        "id": "ph", "display_name": "Phoebe", "business_email": "ph@example.com",
        "business_phone": "(317) 555-0100 x123", "business_phone_2": "+44 20 7946 0958 ext. 77",
        "mobile_phone": "317.555.0103", "home_phone": "+13175550104;ext=5", "fax": "+13175550199"
    });
    assert_eq!(user_changed(&user.to_string()), GcsyncResult::Ok);
    wait_idle();
    let s = status("ph");
    assert_eq!(s["state"], "Synced", "{s}");
    let g = gc_user(&w.emu, "ph@example.com");
    assert_eq!(contact(&g, "WORK"), number("+13175550100", Some("123")));
    assert_eq!(contact(&g, "WORK2"), number("+442079460958", Some("77")));
    assert_eq!(contact(&g, "MOBILE"), number("+13175550103", None));
    assert_eq!(contact(&g, "HOME"), number("+13175550104", Some("5")));
    assert_eq!(contact(&g, "OTHER"), number("+13175550199", None));
    // Nothing Genesys refused on the way (a lookup by external id that finds no one is a 404).
    assert!(
        w.emu
            .requests()
            .iter()
            .all(|r| r.status < 300 || r.route == EXT_LOOKUP),
        "{:?}",
        w.emu.requests()
    );
    // A Force Complete Sync reads the user back and finds every phone unchanged: no PATCH.
    let before = patches(&w);
    let snapshot = json!({ "users": [user] });
    assert_eq!(force_sync(&snapshot.to_string()), GcsyncResult::Ok);
    wait_idle();
    assert!(
        w.emu.call_count("GET", "/api/v2/users") > 0,
        "re-read (by id)"
    );
    assert_eq!(patches(&w), before, "an unchanged phone is never re-sent");
    assert_eq!(status("ph")["state"], "Synced");
}

#[test]
fn a_phone_that_cannot_be_made_valid_is_left_out_and_the_user_still_syncs() {
    let w = World::new();
    w.start();
    let user = json!({
        "id": "bad", "display_name": "Bad Phones", "business_email": "bad@example.com",
        "business_phone": "(317) 555-0100", "home_phone": "abc", "mobile_phone": "+13175550103",
        "fax": "+1 317 555 0199 x12a"
    });
    assert_eq!(user_changed(&user.to_string()), GcsyncResult::Ok);
    wait_idle();
    let s = status("bad");
    assert_eq!(s["state"], "Synced", "{s}");
    let g = gc_user(&w.emu, "bad@example.com");
    assert_eq!(g["name"], "Bad Phones");
    assert_eq!(contact(&g, "MOBILE"), number("+13175550103", None));
    // The national number (no default_country_code), "abc" and the bad extension: left out.
    for kind in ["WORK", "HOME", "OTHER"] {
        assert_eq!(contact(&g, kind), None, "{kind}");
    }
    // Each phone left out is named in the status, so the admin sees it beside the user.
    let warnings: Vec<&str> = s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    for (field, value) in [
        ("business phone", "(317) 555-0100"),
        ("home phone", "abc"),
        ("fax", "x12a"),
    ] {
        assert!(
            warnings.iter().any(|w| w.to_lowercase().contains(field)
                && w.contains(value)
                && w.contains("left out")),
            "{field}: {warnings:?}"
        );
    }
    assert!(
        w.emu
            .requests()
            .iter()
            .all(|r| r.status < 300 || r.route == EXT_LOOKUP),
        "Genesys never saw the bad phones"
    );
}

#[test]
fn setting_default_country_code_makes_national_numbers_sync() {
    let w = World::new();
    w.start();
    let u =
        json!({"id": "nat", "business_email": "nat@example.com", "business_phone": "317 555 0100"});
    assert_eq!(user_changed(&u.to_string()), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(contact(&gc_user(&w.emu, "nat@example.com"), "WORK"), None);
    assert_eq!(status("nat")["warnings"].as_array().unwrap().len(), 1);
    set("default_country_code", "+1");
    assert_eq!(
        gcsync_on_settings_changed(),
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    // The new setting maps every user again by itself: no CIC event, no Force Complete Sync.
    wait_idle();
    let g = gc_user(&w.emu, "nat@example.com");
    assert_eq!(contact(&g, "WORK"), number("+13175550100", None));
    assert_eq!(
        status("nat")["warnings"],
        json!([]),
        "the warning went with the fix"
    );
    // An unchanged setting re-read costs no call.
    let calls = w.emu.requests().len();
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(w.emu.requests().len(), calls);
    let _ = u;
}

#[test]
fn a_case_mismatched_email_is_adopted_not_duplicated_and_not_stuck() {
    let w = World::new();
    let id = w
        .emu
        .seed_user("Jane Doe", "Jane.Doe@Example.com", "active");
    w.start();
    let u = cic_user("jdoe", "Jane Doe", Some("jane.doe@example.com"));
    assert_eq!(user_changed(&u), GcsyncResult::Ok);
    wait_idle();
    let s = status("jdoe");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["genesys_id"], id.as_str());
    // POST first: Genesys refuses the email (case-insensitively taken) and the holder is
    // adopted, never a second user.
    let posts: Vec<u16> = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.route == "/api/v2/users")
        .map(|r| r.status)
        .collect();
    assert_eq!(posts, [409], "not created");
    assert_eq!(w.emu.users().len(), 1);
    // The case differs only: not a change, Genesys keeps its spelling.
    assert_eq!(w.emu.user(&id).unwrap()["email"], "Jane.Doe@Example.com");
    assert_eq!(patches(&w), 0);
    let snapshot = format!("{{\"users\":[{u}]}}");
    assert_eq!(force_sync(&snapshot), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(patches(&w), 0, "a forced check finds nothing to change");
}

#[test]
fn a_case_mismatched_email_behind_a_lagging_index_is_adopted_once_visible() {
    let w = World::new();
    let id = w
        .emu
        .seed_user("Jane Doe", "Jane.Doe@Example.com", "active");
    w.emu.set_faults(Faults {
        search_lag_ms: 1500,
        ..Faults::default()
    });
    w.start();
    let u = cic_user("jdoe", "Jane Doe", Some("jane.doe@example.com"));
    assert_eq!(user_changed(&u), GcsyncResult::Ok);
    wait_idle();
    // The create hit the case-insensitive uniqueness (409): retried, then adopted.
    eventually("adopted", || status("jdoe")["state"] == "Synced");
    assert_eq!(status("jdoe")["genesys_id"], id.as_str());
    assert_eq!(w.emu.users().len(), 1);
}

#[test]
fn a_create_whose_answer_was_lost_after_the_commit_is_linked_not_duplicated() {
    let w = World::new();
    w.start();
    w.emu.inject(InjectedFault {
        drop_connection: true,
        after_commit: true,
        ..InjectedFault::new("POST", "/api/v2/users", 0)
    });
    assert_eq!(
        user_changed(&cic_user("lost", "Lost", Some("lost@example.com"))),
        GcsyncResult::Ok
    );
    eventually("synced", || status("lost")["state"] == "Synced");
    assert_eq!(w.emu.users().len(), 1, "no duplicate");
    let g = gc_user(&w.emu, "lost@example.com");
    assert_eq!(status("lost")["genesys_id"], g["id"]);
    let first = &w
        .emu
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.route == "/api/v2/users")
        .unwrap();
    assert_eq!((first.status, first.handled_status), (0, Some(200)));
}
