//! A CIC user removed: deactivated or deleted by the removal policy, reactivated when it comes
//! back, and nothing touched for a user gcsync never linked.

use crate::common::*;
use gcsync::result::GcsyncResult;

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
