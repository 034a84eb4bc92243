//! The skill hooks at the C boundary, and what gcsync remembers of skills and assignments
//! across a restart.

mod common;

use common::skills::*;
use common::*;
use gcsync::object::GcsyncObjectKind::Skill;
use gcsync::result::GcsyncResult;
use serde_json::json;

#[test]
fn the_skill_hooks_check_their_input_like_every_hook_and_queue_nothing_bad() {
    use gcsync::ffi::*;
    let w = world();
    let changed = |b: &[u8]| unsafe { gcsync_on_skill_changed(b.as_ptr().cast(), b.len()) };
    let deleted = |b: &[u8]| unsafe { gcsync_on_skill_deleted(b.as_ptr().cast(), b.len()) };
    let units = |t: &str| t.encode_utf16().collect::<Vec<u16>>();
    assert_eq!(
        unsafe { gcsync_on_skill_changed(std::ptr::null(), 3) },
        GcsyncResult::NullParameter
    );
    assert_eq!(
        unsafe { gcsync_on_skill_deleted(std::ptr::null(), 3) },
        GcsyncResult::NullParameter
    );
    assert_eq!(changed(b"{\"id\":\"a\xff\"}"), GcsyncResult::InvalidUtf8);
    assert_eq!(
        changed(br#"{"id":"a","colour":1}"#),
        GcsyncResult::UnknownField
    );
    assert_eq!(changed(br#"["a",true]"#), GcsyncResult::InvalidField);
    assert_eq!(changed(br#"{"id":" "}"#), GcsyncResult::MissingField);
    assert_eq!(deleted(b""), GcsyncResult::MissingField);
    let lone = [0xD800u16, 0x41];
    let r = unsafe { gcsync_on_skill_changed_utf16(lone.as_ptr(), lone.len()) };
    assert_eq!(r, GcsyncResult::InvalidUtf16);
    let ok = units(r#"{"id":"Utf16","treat_as_language":true}"#);
    let r = unsafe { gcsync_on_skill_changed_utf16(ok.as_ptr(), ok.len()) };
    assert_eq!(r, GcsyncResult::Ok);
    wait_idle();
    assert_eq!(names(&w, "languages"), ["Utf16"]);
    let id = units("Utf16");
    let r = unsafe { gcsync_on_skill_deleted_utf16(id.as_ptr(), id.len()) };
    assert_eq!(r, GcsyncResult::Ok);
    wait_idle();
    assert!(names(&w, "languages").is_empty());
    let list: Vec<String> = w
        .emu
        .dump("skills")
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].to_string())
        .collect();
    assert!(list.is_empty(), "nothing bad was queued: {list:?}");
    assert_eq!(status_of(Skill, "Utf16")["removed"], true);
}

#[test]
fn what_was_assigned_survives_a_restart_and_costs_no_call_after_it() {
    let w = world();
    skill("Keep", false);
    skill("Tongue", true);
    wait_idle();
    let refs = json!([{"id": "Keep", "proficiency": 55}, {"id": "Tongue", "proficiency": 95}]);
    user("lee", refs.clone());
    wait_idle();
    assert_eq!(gcsync::ffi::gcsync_shutdown(5_000), GcsyncResult::Ok);
    w.start();
    w.emu.clear_requests();
    let json = json!({"id": "lee", "display_name": "Lee R", "business_email": "lee@example.com",
                      "skills": refs});
    assert_eq!(user_changed(&json.to_string()), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(gc_user(&w.emu, "lee@example.com")["name"], "Lee R");
    let routing = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.route.contains("routing"))
        .count();
    assert_eq!(
        routing, 0,
        "the assignments were remembered across the restart"
    );
    assert_eq!(
        held(&w, "lee"),
        (json!({gid("Keep"): 3.0}), json!({gid("Tongue"): 5.0}))
    );
}

/// The wait of a user's assignments for a skill is kept in memory: after a restart (or a kill
/// while it waited) the user is processed again at start and waits anew, so the skill's sync
/// still reaches it.
#[test]
fn a_user_waiting_for_a_skill_gets_it_when_the_skill_comes_after_a_restart() {
    let w = world();
    user("mia", json!([{"id": "Later", "proficiency": 50}]));
    wait_idle();
    let s = status("mia");
    assert_eq!(s["state"], "Synced", "{s}");
    assert!(s["warnings"].to_string().contains("skill Later"), "{s}");
    assert_eq!(gcsync::ffi::gcsync_shutdown(5_000), GcsyncResult::Ok);
    w.start();
    wait_idle();
    w.emu.clear_requests();
    skill("Later", false);
    wait_idle();
    assert_eq!(held(&w, "mia"), (json!({gid("Later"): 3.0}), json!({})));
    let user_calls = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.route.starts_with("/api/v2/users/{userId}") && !r.route.contains("routing"))
        .count();
    assert_eq!(user_calls, 0, "the user itself costs no call");
    assert_eq!(status("mia")["warnings"], json!([]));
}

/// A skill whose bulk `PATCH` Genesys applied but answered with an error (no retry by the
/// client) is still gcsync's: removed from the user when CIC removes it, even when the removal
/// comes before any retry (README "Crash-consistent assignments"); the skill an admin gave the
/// user stays. Before, the failed step recorded nothing and the removal found nothing to remove.
#[test]
fn an_assignment_applied_by_a_failed_patch_is_removed_when_cic_removes_it() {
    use gc_emulator::InjectedFault;
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("requests_per_minute", "100000");
    set("max_retries", "0");
    w.start();
    skill("Sk", false);
    wait_idle();
    user("ann", json!([]));
    wait_idle();
    let ann = user_gid("ann");
    let admin = w.emu.seed("skills", json!({"name": "Admin skill"}));
    w.emu
        .drift(json!({"op": "set_skill", "userId": ann, "id": admin, "proficiency": 2.0}));
    // Applied and answered 503; then a 503 before it is applied, so a retry that comes before
    // the removal fails too and the outcome does not depend on which goes first.
    for after_commit in [true, false] {
        w.emu.inject(InjectedFault {
            method: "PATCH".into(),
            route: "/api/v2/users/{userId}/routingskills/bulk".into(),
            status: 503,
            after_commit,
            count: 1,
            ..Default::default()
        });
    }
    user("ann", json!([{"id": "Sk", "proficiency": 50}]));
    eventually("the PATCH failed", || status("ann")["state"] == "Error");
    let sk = gid("Sk");
    assert_eq!(
        held(&w, "ann").0,
        json!({sk.clone(): 3.0, admin.clone(): 2.0})
    );
    user("ann", json!([]));
    wait_idle();
    assert_eq!(held(&w, "ann").0, json!({admin: 2.0}), "gcsync's removed");
    assert_eq!(status("ann")["state"], "Synced", "{}", status("ann"));
}
