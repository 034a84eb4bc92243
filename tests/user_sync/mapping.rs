//! What a CIC user becomes in Genesys Cloud: every mapped field, the fallbacks, a user that
//! cannot be synced, and an unchanged user that costs nothing.

use crate::common::*;
use gcsync::result::GcsyncResult;
use serde_json::json;

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
