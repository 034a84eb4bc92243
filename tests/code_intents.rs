//! A wrap-up code's create applied with its answer lost, then a change that renames the code
//! (issue 12, the full-size storm of seed 1796661343126727234: `POST "Code stP02 v3"` applied
//! unanswered, the step failed, the rename to v4 POSTed a second code). The code's record keeps
//! a create intent (the name of a create that may have been sent) until the link is recorded:
//! the next step looks for that name (exact) before creating, adopts what it finds and renames
//! it with `PUT`. The same shape for a skill: its create applied unanswered, then "Treat as
//! Language" toggled (the skill must not stay beside the new language). Each case holds the
//! step at a known point with scripted faults.

mod common;

use common::routing::{code, codes_named};
use common::*;
use gc_emulator::InjectedFault;
use gcsync::object::GcsyncObjectKind::WrapupCode;
use gcsync::result::GcsyncResult;

const CODES: &str = "/api/v2/routing/wrapupcodes";
const ONE: &str = "/api/v2/routing/wrapupcodes/{codeId}";

/// A world syncing wrap-up codes whose failed steps wait 30 s before their next attempt (so
/// the next CIC change comes first), gcsync started.
fn world() -> World {
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("retry_later_s", "30");
    w.start();
    w
}

/// The next code POST fails with a 503, applied (`after_commit`, its answer lost) or not, and
/// its 5 retries get a 503: the step fails without recording a link.
fn create_fails(w: &World, applied: bool) {
    let fault = |after_commit: bool, count| InjectedFault {
        method: "POST".into(),
        route: CODES.into(),
        status: 503,
        count,
        drop_connection: after_commit,
        after_commit,
        ..Default::default()
    };
    if applied {
        w.emu.inject(fault(true, 1));
        w.emu.inject(fault(false, 5));
    } else {
        w.emu.inject(fault(false, 6));
    }
}

/// Every wrap-up code in the emulator.
fn all_codes(w: &World) -> Vec<serde_json::Value> {
    w.emu.dump("wrapupcodes").as_array().unwrap().clone()
}

/// `Z1` created with "v3" under `create_fails(applied)`, the step failed; then renamed "v4".
fn created_in_doubt_then_renamed(w: &World, applied: bool) {
    create_fails(w, applied);
    code("Z1", "Code v3");
    eventually("the create failed", || {
        status_of(WrapupCode, "Z1")["state"] == "Error"
    });
    let made = usize::from(applied);
    assert_eq!(codes_named(&w.emu, "Code v3").len(), made, "applied?");
    code("Z1", "Code v4");
    assert_settled();
}

/// Exactly one Genesys code, named "Code v4", linked to `Z1`.
fn one_code_v4_linked(w: &World) -> String {
    let all = all_codes(w);
    assert_eq!(all.len(), 1, "exactly one code: {all:?}");
    assert_eq!(all[0]["name"], "Code v4", "{all:?}");
    let s = status_of(WrapupCode, "Z1");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["genesys_id"], all[0]["id"], "{s}");
    all[0]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_code_created_unanswered_then_renamed_is_renamed_not_created_again() {
    let w = world();
    created_in_doubt_then_renamed(&w, true);
    let gid = one_code_v4_linked(&w);
    // The code the lost create made is the one renamed: found by name, renamed with a PUT.
    assert_eq!(w.emu.call_count("PUT", ONE), 1);
    // The failed step's POST and its 5 retries; none after.
    assert_eq!(w.emu.call_count("POST", CODES), 6, "the code was adopted");
    let logged = w.emu.requests();
    assert!(logged.iter().any(|r| r.method == "GET" && r.route == CODES));
    // Linked now, the intent cleared: the next rename is a PUT alone, no look-up.
    let gets = w.emu.call_count("GET", CODES);
    code("Z1", "Code v5");
    assert_settled();
    assert_eq!(codes_named(&w.emu, "Code v5")[0]["id"], gid.as_str());
    assert_eq!(
        w.emu.call_count("GET", CODES),
        gets,
        "no look-up once linked"
    );
    assert_eq!(w.emu.call_count("PUT", ONE), 2);
}

#[test]
fn a_code_whose_create_was_not_applied_then_renamed_is_created_once() {
    let w = world();
    created_in_doubt_then_renamed(&w, false);
    one_code_v4_linked(&w);
    assert_eq!(w.emu.call_count("PUT", ONE), 0, "nothing to rename");
    // The 6 refused POSTs of "v3", the look-up for it, the POST of "v4".
    assert_eq!(w.emu.call_count("POST", CODES), 7);
}

#[test]
fn a_code_created_and_renamed_without_doubt_adds_no_look_up() {
    let w = world();
    code("Z1", "Code v3");
    assert_settled();
    code("Z1", "Code v4");
    assert_settled();
    one_code_v4_linked(&w);
    // One POST, one PUT, no search: the intent costs no API call when no create is in doubt.
    assert_eq!(w.emu.call_count("POST", CODES), 1);
    assert_eq!(w.emu.call_count("PUT", ONE), 1);
    assert_eq!(w.emu.call_count("GET", CODES), 0, "{:?}", w.emu.requests());
}

#[test]
fn a_code_created_unanswered_then_deleted_in_cic_is_deleted_after_a_rename_failed() {
    // The lost create of "v3", then a rename to "v4" whose look-up fails too: the intent
    // stays, and the CIC deletion that follows still finds and deletes the "v3" code.
    let w = world();
    create_fails(&w, true);
    code("Z1", "Code v3");
    eventually("the create failed", || {
        status_of(WrapupCode, "Z1")["state"] == "Error"
    });
    w.emu.inject(InjectedFault {
        method: "GET".into(),
        route: CODES.into(),
        status: 503,
        count: 6,
        ..Default::default()
    });
    let gets = w.emu.call_count("GET", CODES);
    code("Z1", "Code v4");
    eventually("the rename's look-up failed", || {
        w.emu.call_count("GET", CODES) >= gets + 6
            && status_of(WrapupCode, "Z1")["state"] == "Error"
    });
    assert_eq!(object_deleted(WrapupCode, "Z1"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(all_codes(&w), Vec::<serde_json::Value>::new());
    assert_eq!(status_of(WrapupCode, "Z1")["removed"], true);
}

/// The active Genesys objects of `kind` (`skills`, `languages`) named `name`.
fn active_named(w: &World, kind: &str, name: &str) -> usize {
    let all = w.emu.dump(kind);
    let list = all.as_array().unwrap();
    list.iter()
        .filter(|s| s["name"] == name && s["state"] == "active")
        .count()
}

#[test]
fn a_skill_created_unanswered_then_made_a_language_leaves_no_skill() {
    // The same shape for a skill (issue 12's check of the other kinds): its create applied with
    // the answer lost, the step failed, then CIC toggles "Treat as Language". The skill the
    // lost create made must not stay beside the new language.
    use gcsync::object::GcsyncObjectKind::Skill;
    let w = world();
    let fault = |after_commit: bool, count| InjectedFault {
        method: "POST".into(),
        route: "/api/v2/routing/skills".into(),
        status: 503,
        count,
        drop_connection: after_commit,
        after_commit,
        ..Default::default()
    };
    w.emu.inject(fault(true, 1));
    w.emu.inject(fault(false, 5));
    let skill = |language: bool| {
        let j = serde_json::json!({"id": "Spanish", "treat_as_language": language});
        assert_eq!(object_changed(Skill, &j.to_string()), GcsyncResult::Ok);
    };
    skill(false);
    eventually("the create failed", || {
        status_of(Skill, "Spanish")["state"] == "Error"
    });
    assert_eq!(active_named(&w, "skills", "Spanish"), 1, "applied");
    skill(true);
    assert_settled();
    assert_eq!(active_named(&w, "languages", "Spanish"), 1);
    assert_eq!(status_of(Skill, "Spanish")["state"], "Synced");
    assert_eq!(
        active_named(&w, "skills", "Spanish"),
        0,
        "the lost create's skill"
    );
}
