//! Ownership recorded in the org (issue 10): external ids on the users a full sync creates, and
//! a fresh data directory re-linked through them without a duplicate or a needless write.

mod common;
mod fullsync_support;

use common::*;
use fullsync_support::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;
use std::collections::HashMap;

#[test]
fn a_fresh_data_directory_re_links_everyone_by_external_id() {
    let w = world();
    let unowned = w
        .emu
        .seed_user("Somebody", "somebody@example.com", "active");
    w.start();
    let mut all = users(0..30);
    full_sync(&all);
    let before: HashMap<String, String> = (0..30)
        .map(|i| (format!("u{i}"), gid(&format!("u{i}"))))
        .collect();
    for (cic, g) in &before {
        assert_eq!(
            w.emu.external_ids(g),
            vec![("gcsync".to_string(), cic.clone())]
        );
    }
    assert!(w.emu.external_ids(&unowned).is_empty());
    assert_eq!(
        w.emu
            .call_count("POST", "/api/v2/users/{userId}/externalid"),
        30
    );

    // The data directory is lost; meanwhile u5's email changed in CIC.
    assert_eq!(gcsync_shutdown(10_000), GcsyncResult::Ok);
    let fresh = tempfile::tempdir().unwrap();
    set("data_dir", fresh.path().to_str().unwrap());
    w.start();
    all[5]["business_email"] = "renamed5@example.com".into();
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(w.emu.users().len(), 31, "no duplicate");
    assert_eq!(
        writes(&w.emu),
        vec!["PATCH /api/v2/users/{userId}"],
        "only u5 differs"
    );
    let lookups = w.emu.call_count(
        "GET",
        "/api/v2/users/externalid/{authorityName}/{externalKey}",
    );
    assert_eq!(lookups, 30);
    for (cic, g) in &before {
        assert_eq!(&gid(cic), g, "{cic} re-linked to its user");
        assert_eq!(status(cic)["state"], "Synced");
    }
    assert_eq!(
        w.emu.user(&before["u5"]).unwrap()["email"],
        "renamed5@example.com"
    );
    let u = w.emu.user(&unowned).unwrap();
    assert_eq!(u["version"], 1, "the unowned user is untouched");

    // A second run on the new directory: reads only.
    w.emu.clear_requests();
    full_sync(&all);
    let (reads, writes_n, _) = counts(&w.emu);
    assert_eq!((reads, writes_n), (1, 0));
}
