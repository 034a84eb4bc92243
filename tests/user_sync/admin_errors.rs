//! Final errors the admin must fix, named with the fix: wrong credentials (the secret never
//! shown) and a missing permission.

use crate::common::*;
use crate::fault;
use gc_emulator::RetryAfter;
use gcsync::result::GcsyncResult;

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
