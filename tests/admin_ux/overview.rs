//! The overview: worker_alive right after init, last_error with its time and object, cleared
//! when that object syncs.

use crate::common::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;

#[test]
fn worker_alive_is_true_as_soon_as_init_returns() {
    let _w = World::new();
    for round in 0..20 {
        assert_eq!(init(), GcsyncResult::Ok, "{}", last_error());
        assert_eq!(overview()["worker_alive"], true, "round {round}");
        assert_eq!(gcsync_shutdown(5_000), GcsyncResult::Ok);
    }
}

#[test]
fn last_error_names_its_time_and_object_and_clears_when_that_object_syncs() {
    let w = World::new();
    w.start();
    assert!(overview()["last_error"].is_null());
    assert_eq!(user_changed(&cic_user("le", "Le", None)), GcsyncResult::Ok);
    wait_idle();
    let e = overview()["last_error"].clone();
    assert_eq!(e["kind"], "user", "{e}");
    assert_eq!(e["id"], "le");
    assert_eq!(e["message"], "business email required");
    let at = e["at"].as_str().unwrap();
    assert!(at.len() == 20 && at.ends_with('Z'), "{at}");
    // Another object syncing leaves it; the object itself syncing clears it.
    assert_eq!(
        user_changed(&cic_user("ok", "Ok", Some("ok@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(overview()["last_error"]["id"], "le");
    assert_eq!(
        user_changed(&cic_user("le", "Le", Some("le@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert!(overview()["last_error"].is_null(), "{}", overview());
    assert_eq!(w.emu.users().len(), 2);
}

#[test]
fn every_overview_field_the_header_defines_is_present() {
    let header = include_str!("../../include/gcsync.h");
    let doc_start = header
        .find("Writes the overview")
        .expect("overview doc in the header");
    let doc = &header[doc_start..header[doc_start..].find("gcsync_overview(").unwrap() + doc_start];
    let _w = World::new();
    init();
    let o = overview();
    let fields: Vec<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
    for f in &fields {
        assert!(
            doc.contains(&format!("`{f}`")),
            "{f} not defined in the header"
        );
    }
    let readme = include_str!("../../README.md");
    for f in &fields {
        assert!(
            readme.contains(&format!("`{f}`")),
            "{f} not defined in the README"
        );
    }
}
