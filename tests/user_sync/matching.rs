//! Match before create: a Genesys user is adopted by email, restored when soft-deleted, never
//! shared or duplicated, and what gcsync does not own on it is kept.

use crate::common::*;
use gcsync::result::GcsyncResult;
use serde_json::json;

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
    let email = "shared@example.com";
    a_second_cic_user_with_the_email_is_refused(&w.emu, email, email);
}

#[test]
fn emails_differing_only_in_case_are_one_email_between_cic_users() {
    let w = World::new();
    w.start();
    a_second_cic_user_with_the_email_is_refused(&w.emu, "shared@example.com", "SHARED@Example.COM");
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
