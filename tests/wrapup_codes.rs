//! Wrap-up codes and a queue's wrap-up codes, end to end through the C API against the Genesys
//! Cloud emulator, and the named hooks of both kinds.

mod common;

use common::routing::*;
use common::*;
use gcsync::object::GcsyncObjectKind::{Workgroup, WrapupCode};
use gcsync::result::GcsyncResult;
use serde_json::json;

#[test]
fn a_queue_code_waits_for_its_code() {
    let w = advanced_world();
    workgroup("Billing", &[], &["W9"]);
    wait_idle();
    let s = status_of(Workgroup, "Billing");
    assert_eq!(s["reason"], "waiting for wrapup_code W9", "{s}");
    code("W9", "Refund");
    wait_idle();
    assert_eq!(status_of(Workgroup, "Billing")["state"], "Synced");
    let c = status_of(WrapupCode, "W9");
    assert_eq!(
        queue(&w.emu, "Billing")["wrapupCodes"],
        json!([c["genesys_id"]])
    );
}

#[test]
fn duplicate_names_put_the_later_object_in_error_and_overwrite_nothing() {
    let w = advanced_world();
    code("W1", "Sold");
    wait_idle();
    code("W2", "Sold");
    wait_idle();
    let s = status_of(WrapupCode, "W2");
    assert_eq!(s["state"], "Error", "{s}");
    assert!(
        s["reason"].as_str().unwrap().contains("duplicate name"),
        "{s}"
    );
    assert_eq!(status_of(WrapupCode, "W1")["state"], "Synced");
    assert_eq!(codes_named(&w.emu, "Sold").len(), 1);

    workgroup("Sales", &[], &[]);
    wait_idle();
    workgroup("SALES", &[], &[]);
    wait_idle();
    let s = status_of(Workgroup, "SALES");
    assert_eq!(s["state"], "Error", "{s}");
    assert!(
        s["reason"].as_str().unwrap().contains("duplicate name"),
        "{s}"
    );
    assert_eq!(w.emu.dump("queues").as_array().unwrap().len(), 1);

    // When the holder of the name goes, the refused one syncs.
    assert_eq!(object_deleted(WrapupCode, "W1"), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(status_of(WrapupCode, "W2")["state"], "Synced");
}

#[test]
fn deleting_a_code_in_use_removes_its_uses_first() {
    let w = advanced_world();
    code("W1", "Sold");
    workgroup("Sales", &[], &["W1"]);
    workgroup("Retention", &[], &["W1"]);
    wait_idle();
    let code_id = status_of(WrapupCode, "W1")["genesys_id"].clone();
    assert_eq!(queue(&w.emu, "Sales")["wrapupCodes"], json!([code_id]));
    // The emulator refuses to delete a code a queue still has (its default policy).
    assert_eq!(object_deleted(WrapupCode, "W1"), GcsyncResult::Ok);
    wait_idle();
    let c = status_of(WrapupCode, "W1");
    assert_eq!(
        (c["state"].clone(), c["removed"].clone()),
        (json!("Synced"), json!(true)),
        "{c}"
    );
    assert!(codes_named(&w.emu, "Sold").is_empty());
    for name in ["Sales", "Retention"] {
        assert_eq!(queue(&w.emu, name)["wrapupCodes"], json!([]), "{name}");
        // CIC still lists the code on the workgroup: it waits for it.
        let s = status_of(Workgroup, name);
        assert_eq!(s["reason"], "waiting for wrapup_code W1", "{s}");
    }
    assert_eq!(
        w.emu.call_count(
            "DELETE",
            "/api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}"
        ),
        2
    );
}

#[test]
fn the_named_hooks_are_the_generic_ones_with_their_kind() {
    use gcsync::ffi::*;
    let w = advanced_world();
    let wg = r#"{"id":"Sales","members":[],"wrapup_codes":["W1"]}"#;
    let units = |t: &str| t.encode_utf16().collect::<Vec<u16>>();
    unsafe {
        let c = r#"{"id":"W1","name":"Sold"}"#;
        let c16 = units(c);
        assert_eq!(
            gcsync_on_wrapup_code_changed_utf16(c16.as_ptr(), c16.len()),
            GcsyncResult::Ok
        );
        assert_eq!(
            gcsync_on_workgroup_changed(wg.as_ptr().cast(), wg.len()),
            GcsyncResult::Ok
        );
        // The same checks and codes as every hook.
        assert_eq!(
            gcsync_on_workgroup_changed(std::ptr::null(), 3),
            GcsyncResult::NullParameter
        );
        let bad = r#"{"id":"X","colour":1}"#;
        assert_eq!(
            gcsync_on_wrapup_code_changed(bad.as_ptr().cast(), bad.len()),
            GcsyncResult::UnknownField
        );
        let bad = r#"{"id":"X","members":"jdoe"}"#;
        assert_eq!(
            gcsync_on_workgroup_changed(bad.as_ptr().cast(), bad.len()),
            GcsyncResult::InvalidField
        );
        let lone = [0xD800u16];
        assert_eq!(
            gcsync_on_workgroup_deleted_utf16(lone.as_ptr(), 1),
            GcsyncResult::InvalidUtf16
        );
    }
    wait_idle();
    assert_eq!(status_of(Workgroup, "Sales")["state"], "Synced");
    assert_eq!(codes_named(&w.emu, "Sold").len(), 1);
    unsafe {
        let id16 = units("Sales");
        assert_eq!(
            gcsync_on_workgroup_deleted_utf16(id16.as_ptr(), id16.len()),
            GcsyncResult::Ok
        );
        assert_eq!(
            gcsync_on_wrapup_code_deleted("W1".as_ptr().cast(), 2),
            GcsyncResult::Ok
        );
    }
    wait_idle();
    assert!(w.emu.dump("queues").as_array().unwrap().is_empty());
    assert!(codes_named(&w.emu, "Sold").is_empty());
    // An unknown kind number is refused and queues nothing.
    let r = unsafe { gcsync_on_object_changed(99, wg.as_ptr().cast(), wg.len()) };
    assert_eq!(r, GcsyncResult::UnknownObjectKind);
}
