//! The kind-generic C API: `gcsync_on_object_changed` / `_deleted` (UTF-8 and UTF-16) do what the
//! named user hooks do, unknown kinds get their own code, and `gcsync_list_status_page` pages
//! through every object once.

mod common;

use common::*;
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::Value;

const USER: u32 = GcsyncObjectKind::User as u32;

fn object_changed(kind: u32, json: &str) -> GcsyncResult {
    unsafe { gcsync_on_object_changed(kind, json.as_ptr().cast(), json.len()) }
}

fn object_deleted(kind: u32, id: &str) -> GcsyncResult {
    unsafe { gcsync_on_object_deleted(kind, id.as_ptr().cast(), id.len()) }
}

fn page(after: Option<&str>, max: u32) -> Result<Value, (GcsyncResult, String)> {
    let (p, n) = after.map_or((std::ptr::null(), 0), |a| (a.as_ptr(), a.len()));
    let text =
        read_text(|b, l, o| unsafe { gcsync_list_status_page(USER, p.cast(), n, max, b, l, o) })
            .map_err(|r| (r, last_error()))?;
    Ok(serde_json::from_str(&text).unwrap())
}

#[test]
fn the_generic_hooks_sync_and_remove_a_user_like_the_named_ones() {
    let w = World::new();
    w.start();
    let json = cic_user("gen1", "Generic One", Some("gen1@example.com"));
    assert_eq!(object_changed(USER, &json), GcsyncResult::Ok);
    let units: Vec<u16> = cic_user("gen2", "Nguyễn Gen", Some("gen2@example.com"))
        .encode_utf16()
        .collect();
    let r = unsafe { gcsync_on_object_changed_utf16(USER, units.as_ptr(), units.len()) };
    assert_eq!(r, GcsyncResult::Ok);
    wait_idle();
    assert_eq!(status("gen1")["state"], "Synced");
    assert_eq!(status("gen2")["state"], "Synced");
    assert_eq!(gc_user(&w.emu, "gen2@example.com")["name"], "Nguyễn Gen");
    assert_eq!(object_deleted(USER, "gen1"), GcsyncResult::Ok);
    let id16: Vec<u16> = "gen2".encode_utf16().collect();
    let r = unsafe { gcsync_on_object_deleted_utf16(USER, id16.as_ptr(), id16.len()) };
    assert_eq!(r, GcsyncResult::Ok);
    wait_idle();
    for (id, email) in [("gen1", "gen1@example.com"), ("gen2", "gen2@example.com")] {
        assert_eq!(status(id)["removed"], true, "{id}");
        assert_eq!(gc_user(&w.emu, email)["state"], "inactive", "{id}");
    }
    assert_no_secrets();
}

#[test]
fn unknown_kinds_and_bad_payloads_get_their_codes_and_queue_nothing() {
    let w = World::new();
    w.start();
    let json = cic_user("k", "K", Some("k@example.com"));
    for kind in [0, 99, u32::MAX] {
        assert_eq!(object_changed(kind, &json), GcsyncResult::UnknownObjectKind);
        assert!(last_error().contains(&kind.to_string()), "{}", last_error());
        assert_eq!(object_deleted(kind, "k"), GcsyncResult::UnknownObjectKind);
    }
    // The same strict rules as the named hook, field names in the messages.
    assert_eq!(object_changed(USER, "{"), GcsyncResult::MalformedJson);
    assert_eq!(
        object_changed(USER, r#"["k","K"]"#),
        GcsyncResult::InvalidField
    );
    assert_eq!(
        object_changed(USER, r#"{"id":"k","nickname":"x"}"#),
        GcsyncResult::UnknownField
    );
    assert!(last_error().contains("nickname"), "{}", last_error());
    let r = unsafe { gcsync_on_object_changed(USER, std::ptr::null(), 5) };
    assert_eq!(r, GcsyncResult::NullParameter);
    assert!(last_error().contains("object_json"), "{}", last_error());
    let long = "x".repeat(257);
    assert_eq!(object_deleted(USER, &long), GcsyncResult::InvalidField);
    let lone = [0xD800u16];
    let r = unsafe { gcsync_on_object_changed_utf16(USER, lone.as_ptr(), 1) };
    assert_eq!(r, GcsyncResult::InvalidUtf16);
    wait_idle();
    assert_eq!(overview()["queue_depth"], 0);
    assert_eq!(w.emu.call_count("POST", "/api/v2/users"), 0);
}

#[test]
fn status_pages_cover_every_object_once_in_id_order() {
    let w = World::new();
    set("sync_user_objects", "false");
    w.start();
    let ids: Vec<String> = (0..53).map(|i| format!("p{:02}", (i * 31) % 53)).collect();
    for id in &ids {
        assert_eq!(user_changed(&cic_user(id, id, None)), GcsyncResult::Ok);
    }
    wait_idle();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let p = page(after.as_deref(), 10).unwrap();
        pages += 1;
        let items = p["items"].as_array().unwrap();
        assert!(items.len() <= 10);
        for it in items {
            assert_eq!(it["kind"], "user");
            assert_eq!(it["state"], "Not synced", "{it}");
            seen.push(it["id"].as_str().unwrap().to_string());
        }
        match p["next_after"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), items.last().and_then(|i| i["id"].as_str()));
                after = Some(next.to_string());
            }
            None => break,
        }
    }
    let mut want = ids.clone();
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(pages, 6, "53 objects in pages of 10");
    // One page holding everything ends with a null cursor; the array form agrees.
    let all = page(None, 10_000).unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 53);
    assert!(all["next_after"].is_null());
    assert_eq!(all["items"], list_status());
    // A cursor past the end is an empty last page.
    let end = page(Some("zzz"), 5).unwrap();
    assert_eq!(end["items"], serde_json::json!([]));
    assert!(end["next_after"].is_null());
    // Out-of-range sizes are refused with their own code, naming the argument.
    for bad in [0, 10_001] {
        let (code, msg) = page(None, bad).unwrap_err();
        assert_eq!(code, GcsyncResult::InvalidArgument);
        assert!(msg.contains("max_items"), "{msg}");
    }
    let r = unsafe {
        gcsync_list_status_page(99, std::ptr::null(), 0, 5, std::ptr::null_mut(), 0, &mut 0)
    };
    assert_eq!(r, GcsyncResult::UnknownObjectKind);
    let r = unsafe {
        gcsync_list_status_page(
            USER,
            std::ptr::null(),
            3,
            5,
            std::ptr::null_mut(),
            0,
            &mut 0,
        )
    };
    assert_eq!(
        r,
        GcsyncResult::NullParameter,
        "NULL with a length is not 'from the start'"
    );
}
