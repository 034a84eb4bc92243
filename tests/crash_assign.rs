//! Issue 12 item 2, users' assignments: a skill or language gcsync assigns to a user just
//! before a kill -9 stays gcsync's. The emulator applies the bulk `PATCH` that assigns it but
//! answers 503 (`after_commit`; the child host sets `max_retries` 0, so the client does not send
//! it again), and the child host is killed as soon as the emulator logged that `PATCH`: the
//! assignment is on the user and its outcome was never recorded as a success. The restarted
//! host then removes the skill and the language from the user in CIC, or deletes both: the
//! assignments must be gone, and those a Genesys admin made must stay.
//!
//! The restart also meets a 503 on that `PATCH` (before it is applied), so the outcome does not
//! depend on whether the resumed change or the restart's CIC change is processed first: before
//! the fix, either the removal was processed with nothing known to remove, or the resumed change
//! failed and the removal came next, the same. Runs alone in nextest, as `crash`.

mod common;
mod crash_support;

use common::*;
use crash_support::*;
use gc_emulator::InjectedFault;
use gcsync::object::GcsyncObjectKind::Skill;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

const USER: &str = "as1";
const SKILLS: &str = "/api/v2/users/{userId}/routingskills/bulk";
const LANGUAGES: &str = "/api/v2/users/{userId}/routinglanguages/bulk";

fn email() -> String {
    format!("{USER}@crash.example.com")
}

fn user(skills: Value) -> GcsyncResult {
    let j = json!({"id": USER, "display_name": "Assign One", "business_email": email(),
                   "skills": skills});
    user_changed(&j.to_string())
}

fn skill(id: &str, language: bool) -> GcsyncResult {
    let j = json!({"id": id, "treat_as_language": language});
    object_changed(Skill, &j.to_string())
}

// ---------------------------------------------------------------------------------------------
// The child host.

fn child(mode: &str) {
    child_start_no_retries();
    match mode {
        // The skill, the language and the user synced; then (once the parent has made the
        // admin's assignments) the user is given both.
        "add" => {
            assert_eq!(skill("Sk", false), GcsyncResult::Ok);
            assert_eq!(skill("La", true), GcsyncResult::Ok);
            assert_eq!(user(json!([])), GcsyncResult::Ok);
            assert!(settle(), "the skill, the language and the user settle");
            say("READY");
            let mut go = String::new();
            std::io::stdin().lock().read_line(&mut go).unwrap();
            let both = json!([{"id": "Sk", "proficiency": 50}, {"id": "La", "proficiency": 50}]);
            assert_eq!(user(both), GcsyncResult::Ok);
            say("SENT");
            wait_for_the_kill();
        }
        // CIC takes both from the user, or deletes both.
        "remove" | "delete" => {
            if mode == "remove" {
                assert_eq!(user(json!([])), GcsyncResult::Ok);
            } else {
                assert_eq!(object_deleted(Skill, "Sk"), GcsyncResult::Ok);
                assert_eq!(object_deleted(Skill, "La"), GcsyncResult::Ok);
            }
            report_settled_and_exit(|| status(USER));
        }
        other => panic!("unknown child mode {other}"),
    }
}

crash_child_entry!(child);

// ---------------------------------------------------------------------------------------------
// The parent.

fn fault(route: &str, after_commit: bool) -> InjectedFault {
    InjectedFault {
        method: "PATCH".into(),
        route: route.into(),
        status: 503,
        after_commit,
        count: 1,
        ..Default::default()
    }
}

/// The user's assignments in the emulator: (skills, languages), id → proficiency.
fn held(emu: &gc_emulator::Emulator, gid: &str) -> (Value, Value) {
    let all = emu.dump("assignments");
    let a = &all[gid];
    let or_empty = |v: &Value| if v.is_null() { json!({}) } else { v.clone() };
    (or_empty(&a["skills"]), or_empty(&a["languages"]))
}

/// Starts the child in mode `add`, makes the admin's assignments once the user exists, and
/// kills the child as soon as the emulator logged the `PATCH` of `route`. Returns the user's
/// id and the admin's (skill, language) ids.
fn assign_and_kill(
    emu: &gc_emulator::Emulator,
    dir: &Path,
    route: &str,
) -> (String, String, String) {
    let mut host = Host::start("add", emu, dir, &[]);
    host.expect("READY", Duration::from_secs(60));
    let gid = emu.user_by_email(&email()).expect("the user")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // What a Genesys admin assigned to the user: gcsync never made these.
    let admin_skill = emu.seed("skills", json!({"name": "Admin skill"}));
    let admin_language = emu.seed("languages", json!({"name": "Admin language"}));
    for (op, id) in [
        ("set_skill", &admin_skill),
        ("set_language", &admin_language),
    ] {
        emu.drift(json!({"op": op, "userId": gid, "id": id, "proficiency": 2.0}));
    }
    host.send("GO");
    host.expect("SENT", Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(30);
    while emu.call_count("PATCH", route) == 0 {
        assert!(Instant::now() < deadline, "no PATCH {route}");
        std::thread::sleep(Duration::from_micros(200));
    }
    host.kill();
    (gid, admin_skill, admin_language)
}

/// Starts the child in mode `then`, lets it settle and exit; the user's status.
fn restart(then: &str, emu: &gc_emulator::Emulator, dir: &Path) -> Value {
    let mut host = Host::start(then, emu, dir, &[]);
    assert_eq!(host.expect("SETTLED", Duration::from_secs(90)), "true");
    let status = host.expect("STATUS", Duration::from_secs(10));
    drop(host.stdin.take());
    host.expect("EXITED", Duration::from_secs(30));
    host.finish();
    serde_json::from_str(&status).unwrap()
}

fn kill_after_the_patch_then(then: &str, route: &str) {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    emu.inject(fault(route, true));
    let (gid, admin_skill, admin_language) = assign_and_kill(&emu, dir.path(), route);

    // The PATCH was applied: the user holds what it assigned (the skill's PATCH goes first).
    let (skills, languages) = held(&emu, &gid);
    assert_eq!(skills.as_object().unwrap().len(), 2, "{skills}");
    if route == LANGUAGES {
        assert_eq!(languages.as_object().unwrap().len(), 2, "{languages}");
    }

    emu.inject(fault(route, false));
    let status = restart(then, &emu, dir.path());
    secrets::record_secret(CLIENT_SECRET);
    secrets::assert_no_secrets_in(&[], Some(dir.path()), &[CLIENT_ID], &emu.issued_tokens());
    assert_eq!(status["state"], "Synced", "{status}");
    let (skills, languages) = held(&emu, &gid);
    assert_eq!(
        (skills, languages),
        (json!({admin_skill: 2.0}), json!({admin_language: 2.0})),
        "gcsync's assignments removed, the admin's kept"
    );
}

#[test]
fn a_skill_assigned_just_before_a_kill_is_removed_later() {
    kill_after_the_patch_then("remove", SKILLS);
}

#[test]
fn a_language_assigned_just_before_a_kill_is_removed_later() {
    kill_after_the_patch_then("remove", LANGUAGES);
}

#[test]
fn a_skill_assigned_just_before_a_kill_is_unassigned_when_cic_deletes_it() {
    kill_after_the_patch_then("delete", SKILLS);
}
