//! A skill's "Treat as Language" toggle or deletion racing with a worker that syncs one of its
//! users' assignments (issue 12, the skill-churn race): each window is opened on purpose with
//! the emulator's holds (a request stopped before it is handled, or after its change is
//! committed, until the test lets it go), and the user must end with exactly what CIC gives it.

mod common;

use common::skills::*;
use common::*;
use gcsync::object::GcsyncObjectKind::{Skill, Workgroup};
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::time::Duration;

const LANG_BULK: &str = "/api/v2/users/{userId}/routinglanguages/bulk";
const LANG_ONE: &str = "/api/v2/users/{userId}/routinglanguages/{languageId}";
const LANGUAGE: &str = "/api/v2/routing/languages/{languageId}";
const MEMBERS: &str = "/api/v2/routing/queues/{queueId}/members";
const HELD: Duration = Duration::from_secs(20);

/// Whether the emulator answered a `method` on `route` for the user with this Genesys id.
fn answered(w: &World, method: &str, route: &str, user_gid: &str) -> bool {
    w.emu
        .requests()
        .iter()
        .any(|r| r.method == method && r.route == route && r.path.contains(user_gid))
}

/// The skill moves (the toggle) or goes (a deletion in CIC).
fn move_or_delete(id: &str, delete: bool) {
    match delete {
        true => assert_eq!(object_deleted(Skill, id), GcsyncResult::Ok),
        false => skill(id, false),
    }
}

/// What `user` must hold at the end: the moved skill as an ACD skill with `stars`, or nothing.
fn assert_holds_only_the_new_object(w: &World, user: &str, stars: f64, delete: bool) {
    let (skills, languages) = held(w, user);
    assert_eq!(languages, json!({}), "{user} keeps the old language");
    let want: Value = match delete {
        true => json!({}),
        false => json!({gid("Lang"): stars}),
    };
    assert_eq!(skills, want, "{user}");
    let s = status(user);
    assert_eq!(s["state"], "Synced", "{s}");
}

/// Window 1: the user's worker writes the language (a new proficiency) while the skill's step
/// takes that language away from it. Before the fix the skill's DELETE of the assignment could
/// land first, the user's PATCH put it back, and the skill then recorded it as removed: the
/// user kept the old (then deleted) language for good. The skill's step now takes each user's
/// assignment lock, which the user's step holds from reading to recording.
fn a_users_write_racing_the_removal_of_its_assignment(delete: bool) {
    let w = world();
    skill("Lang", true);
    wait_idle();
    user("ann", json!([{"id": "Lang", "proficiency": 30}]));
    wait_idle();
    let ann = user_gid("ann");
    let old = gid("Lang");
    assert_eq!(held(&w, "ann").1, json!({&old: 2.0}));
    let patch = w.emu.hold("PATCH", LANG_BULK, false);
    let unassign = w.emu.hold("DELETE", LANG_ONE, true);
    user("ann", json!([{"id": "Lang", "proficiency": 90}]));
    assert!(w.emu.wait_held(patch, HELD), "ann's PATCH never came");
    move_or_delete("Lang", delete);
    // Before the fix the skill's step removed ann's assignment now (held after the commit);
    // with it, the step waits for ann's and this wait runs out.
    let early = w.emu.wait_held(unassign, Duration::from_secs(1));
    w.emu.release(patch);
    eventually("ann's PATCH answered", || {
        answered(&w, "PATCH", LANG_BULK, &ann)
    });
    if early {
        // Let ann's worker record what it wrote before the skill's step records the removal.
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        w.emu.wait_held(unassign, HELD),
        "ann's language never removed"
    );
    w.emu.release(unassign);
    wait_idle();
    assert_holds_only_the_new_object(&w, "ann", 5.0, delete);
}

#[test]
fn a_users_write_racing_the_toggle_taking_its_language_away_leaves_no_old_language() {
    a_users_write_racing_the_removal_of_its_assignment(false);
}

#[test]
fn a_users_write_racing_the_deletion_taking_its_language_away_leaves_no_old_language() {
    a_users_write_racing_the_removal_of_its_assignment(true);
}

/// Windows 2 and 3: the user is given the language by a step that read it as synced just
/// before the skill's step began; that step finds no holder (the user has recorded nothing
/// yet), and the user's PATCH succeeds while the old object still exists. The user's step sees,
/// once it has recorded its write, that the skill is on its way and is processed again: it
/// waits for the skill (2); and once the skill's step is over, moved or deleted, its waiters
/// are queued again even though it is not synced (3): the old language is removed, and the
/// new object assigned.
fn a_user_given_the_language_while_it_moves(delete: bool) {
    let w = world();
    skill("Lang", true);
    wait_idle();
    user("bob", json!([]));
    wait_idle();
    let bob = user_gid("bob");
    let patch = w.emu.hold("PATCH", LANG_BULK, false);
    let delete_old = w.emu.hold("DELETE", LANGUAGE, false);
    user("bob", json!([{"id": "Lang", "proficiency": 50}]));
    assert!(w.emu.wait_held(patch, HELD), "bob's PATCH never came");
    move_or_delete("Lang", delete);
    assert!(
        w.emu.wait_held(delete_old, HELD),
        "the old language never deleted"
    );
    w.emu.release(patch);
    eventually("bob's PATCH answered", || {
        answered(&w, "PATCH", LANG_BULK, &bob)
    });
    // Bob's step saw the skill on its way once it had recorded its write, and bob now waits
    // for it (its warnings say so). Before the fix nothing looked at bob again: the outcome
    // below shows what that left.
    let waits = within(Duration::from_secs(5), || {
        status("bob")["warnings"]
            .to_string()
            .contains("skill Lang: not synced yet")
    });
    w.emu.release(delete_old);
    wait_idle();
    assert_holds_only_the_new_object(&w, "bob", 3.0, delete);
    assert!(waits, "bob never waited for the skill on its way");
}

/// Whether `f` holds within `d` (polled).
fn within(d: Duration, f: impl Fn() -> bool) -> bool {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_user_given_the_language_as_the_toggle_begins_ends_with_the_new_skill_only() {
    a_user_given_the_language_while_it_moves(false);
}

#[test]
fn a_user_given_the_language_as_its_deletion_begins_ends_with_none() {
    a_user_given_the_language_while_it_moves(true);
}

/// A change of `id`'s name only (no skill): the user's step runs, nothing of its skills changes.
fn renamed(id: &str) {
    let json = json!({"id": id, "display_name": format!("{id} Two"),
                      "business_email": format!("{id}@example.com"), "skills": []});
    assert_eq!(user_changed(&json.to_string()), GcsyncResult::Ok);
}

fn workgroup(members: &[&str], skills: Value) {
    let j = json!({"id": "W", "members": members, "skills": skills, "wrapup_codes": []});
    assert_eq!(object_changed(Workgroup, &j.to_string()), GcsyncResult::Ok);
}

/// A workgroup change given up for a newer one (`worker/give_up.rs`): its step takes it (a
/// member's step, for her own change, inherits its skills from it) and then stops
/// in a read before its first write; the newer change arrives meanwhile, so the step gives the
/// version up and the record goes back to the version before. That version's members were
/// given its skills, but neither the version before nor the newer one has them: before the fix
/// nobody looked at them again (their hook found the version "processed", the worker having
/// taken it), and ann kept the language for good (`tests/crash_stream.rs`,
/// `GCSYNC_CRASH_SEED=1796643458571568822`: crU00 kept crK01 of crW02's op 616, which op 617
/// replaced while the step of 616 read the queue's members).
#[test]
fn a_member_given_a_skill_by_a_workgroup_version_given_up_loses_it() {
    let w = world();
    skill("Lang", true);
    user("ann", json!([]));
    let lang = json!([{"id": "Lang", "proficiency": 30}]);
    workgroup(&[], lang.clone());
    wait_idle();
    let ann = user_gid("ann");
    let read = w.emu.hold("GET", MEMBERS, false);
    workgroup(&["ann"], lang.clone());
    assert!(w.emu.wait_held(read, HELD), "the members never read");
    // Her own change: her step runs beside the workgroup's (which queues her only once it ends).
    renamed("ann");
    eventually("ann given the language", || {
        answered(&w, "PATCH", LANG_BULK, &ann)
    });
    assert_eq!(held(&w, "ann").1, json!({gid("Lang"): 2.0}));
    workgroup(&[], lang);
    w.emu.release(read);
    wait_idle();
    assert_eq!(held(&w, "ann").1, json!({}), "ann keeps the language");
    assert_eq!(status_of(Workgroup, "W")["state"], "Synced");
}

/// A member's step that runs while her workgroup's step is in flight names the workgroup in
/// her warnings (the version taken counts as not processed until its step ends:
/// `Shared::taken_grants`). Once that step ends Synced, the note must go without waiting for
/// her next change, and without a call: nothing about her changed. Before the fix she kept
/// "workgroup W: skills inherited from its change not synced yet" until her next step.
#[test]
fn a_member_synced_while_her_workgroups_step_runs_loses_the_note_when_it_ends() {
    let w = world();
    skill("Sk", false);
    user("ann", json!([]));
    let sk = json!([{"id": "Sk", "proficiency": 30}]);
    workgroup(&[], sk.clone());
    wait_idle();
    let ann = user_gid("ann");
    let read = w.emu.hold("GET", MEMBERS, false);
    workgroup(&["ann"], sk);
    assert!(w.emu.wait_held(read, HELD), "the members never read");
    // Her own change: her step runs beside the workgroup's (which queues her only once it ends).
    renamed("ann");
    let noted = "workgroup W: skills inherited from its change not synced yet";
    let sk = gid("Sk");
    eventually(
        "ann given the skill, naming the workgroup in flight",
        || {
            status("ann")["warnings"].to_string().contains(noted)
                && held(&w, "ann").0 == json!({&sk: 2.0})
        },
    );
    let calls = |w: &World| {
        w.emu
            .requests()
            .iter()
            .filter(|r| r.path.contains(&ann))
            .count()
    };
    let before = calls(&w);
    w.emu.release(read);
    wait_idle();
    assert_eq!(status_of(Workgroup, "W")["state"], "Synced");
    let s = status("ann");
    assert_eq!(s["warnings"], json!([]), "ann keeps the note: {s}");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(
        calls(&w),
        before,
        "a call about ann although nothing changed"
    );
    assert_eq!(held(&w, "ann").0, json!({&sk: 2.0}));
}
