//! Ownership recorded in the org for users the hooks create or adopt (issue 10): the CIC id as
//! external identifier, recorded once (never again, not after a restart), and matched first, so
//! a lost data directory, a second CIC server or an email change neither duplicates nor loses
//! anyone. Calls counted from the emulator's request log.

mod common;
mod fullsync_support;

use common::*;
use fullsync_support::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;
use serde_json::Value;
use std::collections::HashMap;

const EXT_POST: &str = "/api/v2/users/{userId}/externalid";
const EXT_GET: &str = "/api/v2/users/externalid/{authorityName}/{externalKey}";

fn hook(u: &Value) {
    assert_eq!(user_changed(&u.to_string()), GcsyncResult::Ok);
}

/// Creates `all` through the hooks and returns CIC id → Genesys id.
fn created_by_hooks(w: &FsWorld, all: &[Value]) -> HashMap<String, String> {
    for u in all {
        hook(u);
    }
    wait_idle();
    let ids: HashMap<String, String> = all
        .iter()
        .map(|u| {
            let id = u["id"].as_str().unwrap().to_string();
            (id.clone(), gid(&id))
        })
        .collect();
    for (cic, g) in &ids {
        assert_eq!(
            w.emu.external_ids(g),
            vec![("gcsync".to_string(), cic.clone())],
            "{cic}"
        );
    }
    ids
}

/// Restarts gcsync on an empty data directory (the old one is lost), returning it.
fn lose_data_directory() -> tempfile::TempDir {
    assert_eq!(gcsync_shutdown(10_000), GcsyncResult::Ok);
    let fresh = tempfile::tempdir().unwrap();
    set("data_dir", fresh.path().to_str().unwrap());
    assert_eq!(init(), GcsyncResult::Ok, "{}", last_error());
    fresh
}

#[test]
fn a_hook_created_user_gets_its_external_id_once_and_never_again() {
    let w = world();
    w.start();
    let all = users(0..5);
    created_by_hooks(&w, &all);
    // Per new user (few of them: POST first): a lookup by external id, one create, one
    // external id recorded.
    assert_eq!(w.emu.call_count("POST", EXT_POST), 5);
    assert_eq!(w.emu.call_count("POST", "/api/v2/users"), 5);
    assert_eq!(
        w.emu.call_count("GET", EXT_GET),
        5,
        "looked up before each create"
    );
    // Unchanged, changed, and after a restart: never recorded again.
    w.emu.clear_requests();
    hook(&all[0]);
    let mut renamed = all[1].clone();
    renamed["display_name"] = "Renamed".into();
    hook(&renamed);
    wait_idle();
    assert_eq!(writes(&w.emu), vec!["PATCH /api/v2/users/{userId}"]);
    assert_eq!(gcsync_shutdown(10_000), GcsyncResult::Ok);
    w.start();
    w.emu.clear_requests();
    for u in &all[2..] {
        hook(u);
    }
    wait_idle();
    assert_eq!(w.emu.requests().len(), 0, "{:?}", writes(&w.emu));
    assert_eq!(status("u2")["state"], "Synced");
}

#[test]
fn a_lost_data_directory_re_links_hook_created_users_by_external_id() {
    let w = world();
    let unowned = w
        .emu
        .seed_user("Somebody", "somebody@example.com", "active");
    w.start();
    let all = users(0..30);
    let before = created_by_hooks(&w, &all);
    let _fresh = lose_data_directory();
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(w.emu.users().len(), 31, "no duplicate");
    assert_eq!(writes(&w.emu), Vec::<String>::new(), "nothing differs");
    assert_eq!(w.emu.call_count("GET", EXT_GET), 30);
    for (cic, g) in &before {
        assert_eq!(&gid(cic), g, "{cic} re-linked to its user");
        assert_eq!(status(cic)["state"], "Synced");
    }
    assert_eq!(w.emu.user(&unowned).unwrap()["version"], 1, "untouched");
    // The next run knows the external ids are there: reads only.
    w.emu.clear_requests();
    full_sync(&all);
    let (reads, writes_n, _) = counts(&w.emu);
    assert_eq!((reads, writes_n), (1, 0));
}

#[test]
fn an_email_changed_while_the_data_directory_was_lost_is_found_by_external_id() {
    let w = world();
    w.emu
        .seed_user("Somebody", "somebody@example.com", "active");
    w.start();
    let all = users(0..3);
    let before = created_by_hooks(&w, &all);
    let _fresh = lose_data_directory();
    w.emu.clear_requests();
    let mut moved = all[1].clone();
    moved["business_email"] = "moved1@example.com".into();
    hook(&moved);
    wait_idle();
    assert_eq!(gid("u1"), before["u1"], "found by its external id");
    assert_eq!(w.emu.users().len(), 4, "no duplicate");
    let g = w.emu.user(&before["u1"]).unwrap();
    assert_eq!(g["email"], "moved1@example.com");
    assert_eq!(writes(&w.emu), vec!["PATCH /api/v2/users/{userId}"]);
    assert_eq!(w.emu.call_count("GET", EXT_GET), 1);
}

#[test]
fn a_second_server_adopts_the_users_the_first_created_without_a_write() {
    let w = world();
    w.start();
    let all = users(0..4);
    let before = created_by_hooks(&w, &all);
    // The second server of a pair: its own (empty) data directory, the same org.
    let _second = lose_data_directory();
    w.emu.clear_requests();
    for u in &all {
        hook(u);
    }
    wait_idle();
    for (cic, g) in &before {
        assert_eq!(&gid(cic), g);
        assert_eq!(status(cic)["state"], "Synced");
    }
    assert_eq!(w.emu.users().len(), 4);
    assert_eq!(writes(&w.emu), Vec::<String>::new());
    assert_eq!(w.emu.call_count("GET", EXT_GET), 4, "one lookup each");
}

#[test]
fn external_id_authority_off_records_and_looks_up_nothing() {
    let w = world();
    set("external_id_authority", "off");
    w.start();
    for u in users(0..3) {
        hook(&u);
    }
    wait_idle();
    assert_eq!(w.emu.call_count("POST", EXT_POST), 0);
    assert_eq!(w.emu.call_count("GET", EXT_GET), 0);
    assert_eq!(w.emu.call_count("POST", "/api/v2/users"), 3);
}
