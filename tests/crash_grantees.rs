//! Issue 12, the superseded grantees: a member given a skill by a workgroup version that was
//! accepted and never processed, then replaced by a version without it, loses the skill even
//! when the host is killed (-9) before the workgroup's next step. The note of who inherited the
//! replaced version was kept in memory only: after the restart the newer version's step queued
//! the members of the stored version and of the newer one, and the member kept the skill for
//! good.
//!
//! The window is opened with the emulator's holds and one configuration worker
//! (`max_concurrent_requests` 1): a wrap-up code's create is held while the member's change
//! (a direct skill) and the workgroup's version granting it a skill are accepted, in that
//! order; once the code goes on, the member's step inherits the skill from the accepted version;
//! the next object, another user's update, is held, so the version waits unprocessed; the
//! newer version (without the member) is accepted, and the host is killed. A version a step
//! took and gave up for a newer change (`grants_given_up`) is the third case (two workers: see
//! its test). Runs alone in nextest, as `crash`.

mod common;
mod crash_support;

use common::*;
use crash_support::*;
use gcsync::object::GcsyncObjectKind::{Skill, Workgroup, WrapupCode};
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::io::BufRead;
use std::time::Duration;

const ANN: &str = "gr_ann";
const ZED: &str = "gr_zed";
const YAN: &str = "gr_yan";

fn email(id: &str) -> String {
    format!("{id}@crash.example.com")
}

fn user(id: &str, name: &str, skills: Value) {
    let j = json!({"id": id, "display_name": name, "business_email": email(id),
                   "skills": skills});
    assert_eq!(user_changed(&j.to_string()), GcsyncResult::Ok);
}

fn skill(id: &str) {
    let j = json!({"id": id, "treat_as_language": false});
    assert_eq!(object_changed(Skill, &j.to_string()), GcsyncResult::Ok);
}

fn workgroup(members: &[&str]) {
    workgroup_at(members, 50);
}

/// The workgroup granting Inherited at `proficiency`.
fn workgroup_at(members: &[&str], proficiency: u32) {
    let j = json!({"id": "GrW", "members": members,
                   "skills": [{"id": "Inherited", "proficiency": proficiency}],
                   "wrapup_codes": []});
    assert_eq!(object_changed(Workgroup, &j.to_string()), GcsyncResult::Ok);
}

fn wait_line() {
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The child host.

fn child(mode: &str) {
    // Two configuration workers for `given_up` (ann's step runs beside the workgroup's).
    let workers = if mode == "given_up" { "2" } else { "1" };
    child_start_advanced(&[("max_concurrent_requests", workers)]);
    match mode {
        "open" | "open_replace" => {
            skill("Inherited");
            skill("Direct");
            user(ANN, "Ann", json!([]));
            user(ZED, "Zed", json!([]));
            workgroup(&[]);
            assert!(settle(), "the skills, users and workgroup settle");
            say("READY");
            wait_line();
            // Taken at once, its create held: what follows waits behind it.
            let code = json!({"id": "GrCode", "name": "GrCode"}).to_string();
            assert_eq!(object_changed(WrapupCode, &code), GcsyncResult::Ok);
            say("CODE");
            wait_line();
            user(ANN, "Ann", json!([{"id": "Direct", "proficiency": 50}]));
            user(ZED, "Zed Two", json!([]));
            workgroup(&[ANN]);
            say("QUEUED");
            wait_line();
            // Ann inherited the skill from the version above, which waits behind zed's update.
            if mode == "open_replace" {
                workgroup(&[]);
            }
            // Durable well before the kill (the writer commits within milliseconds).
            std::thread::sleep(Duration::from_millis(500));
            say(&format!("REPLACED {}", status(ANN)));
            wait_for_the_kill();
        }
        "after" => report_settled_and_exit(|| status(ANN)),
        // The version resumed, replaced before a worker takes it (zed's resumed update and
        // the version's own step come after this hook).
        "after_replace" => {
            workgroup(&[]);
            report_settled_and_exit(|| status(ANN))
        }
        // A version a worker took, then gave up for a newer change (`given_up` below).
        "given_up" => {
            skill("Inherited");
            skill("Direct");
            user(ANN, "Ann", json!([{"id": "Direct", "proficiency": 50}]));
            user(ZED, "Zed", json!([]));
            user(YAN, "Yan", json!([]));
            workgroup(&[]);
            assert!(settle(), "the skills, users and workgroup settle");
            say("READY");
            wait_line();
            workgroup(&[ANN]);
            // Her own change: her step runs beside the workgroup's (which queues its members
            // again only once it ends).
            user(ANN, "Ann Two", json!([{"id": "Direct", "proficiency": 50}]));
            say("QUEUED");
            wait_line();
            // Both ahead of the newer version, their updates held: no worker takes it.
            user(ZED, "Zed Two", json!([]));
            user(YAN, "Yan Two", json!([]));
            workgroup(&[]);
            say("REPLACED");
            wait_line();
            // Durable well before the kill (the writer commits within milliseconds).
            std::thread::sleep(Duration::from_millis(500));
            say(&format!("NOTED {}", status(ANN)));
            wait_for_the_kill();
        }
        // A version changing only the proficiency ann inherits (`proficiency` below), or
        // taking the skill away (`removal`).
        "proficiency" | "removal" => {
            skill("Inherited");
            skill("Direct");
            user(ANN, "Ann", json!([]));
            workgroup_at(&[ANN], 50);
            assert!(settle(), "the skills, user and workgroup settle");
            say("READY");
            wait_line();
            let code = json!({"id": "GrCode", "name": "GrCode"}).to_string();
            assert_eq!(object_changed(WrapupCode, &code), GcsyncResult::Ok);
            say("CODE");
            wait_line();
            // Ann's step (her new name) comes before the version's: it inherits 90 from it,
            // or nothing.
            user(ANN, "Ann Two", json!([]));
            let skills = match mode {
                "proficiency" => json!([{"id": "Inherited", "proficiency": 90}]),
                _ => json!([]),
            };
            let j = json!({"id": "GrW", "members": [ANN], "skills": skills, "wrapup_codes": []});
            assert_eq!(object_changed(Workgroup, &j.to_string()), GcsyncResult::Ok);
            say("QUEUED");
            wait_for_the_kill();
        }
        // After the restart the version is replaced by one setting the proficiency back
        // (giving the skill back).
        "proficiency_back" | "removal_back" => {
            workgroup_at(&[ANN], 50);
            report_settled_and_exit(|| status(ANN))
        }
        other => panic!("unknown child mode {other}"),
    }
}

crash_child_entry!(child);

// ---------------------------------------------------------------------------------------------
// The parent.

const HELD: Duration = Duration::from_secs(30);

/// Starts the child in `mode` until READY: the host, ann's Genesys id, the skills' (Inherited,
/// Direct).
fn ready(
    mode: &str,
    emu: &gc_emulator::Emulator,
    dir: &std::path::Path,
) -> (Host, String, String, String) {
    let mut host = Host::start(mode, emu, dir, &[]);
    host.expect("READY", Duration::from_secs(60));
    let ann = emu.user_by_email(&email(ANN)).expect("ann")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (inherited, direct) = (skill_gid(emu, "Inherited"), skill_gid(emu, "Direct"));
    (host, ann, inherited, direct)
}

/// The child's wrap-up code create held (GO, CODE) while the changes behind it are accepted
/// (GO, QUEUED), with a hold on (`method`, `route`, after the commit) set meanwhile; then the
/// code goes on. Returns that hold.
fn behind_the_code(
    host: &mut Host,
    emu: &gc_emulator::Emulator,
    (method, route, after_commit): (&str, &str, bool),
) -> gc_emulator::HoldId {
    let code = emu.hold("POST", "/api/v2/routing/wrapupcodes", false);
    host.send("GO");
    host.expect("CODE", Duration::from_secs(10));
    assert!(emu.wait_held(code, HELD), "the code's create never came");
    let then = emu.hold(method, route, after_commit);
    host.send("GO");
    host.expect("QUEUED", Duration::from_secs(10));
    emu.release(code);
    then
}

/// Opens the window (the child in `open`), kills the child, restarts it in `then`: ann must end
/// with her direct skill only, and nothing noted in her warnings.
fn kill_then(open: &str, then: &str) {
    let (emu, dir) = (emulator(), tempfile::tempdir().unwrap());
    let (mut host, ann, inherited, direct) = ready(open, &emu, dir.path());
    let zed = behind_the_code(&mut host, &emu, ("PATCH", "/api/v2/users/{userId}", false));
    assert!(emu.wait_held(zed, HELD), "zed's update never came");
    // Ann's step ran before zed's: the accepted version gave her the skill.
    assert_eq!(
        skills_of(&emu, &ann),
        json!({&inherited: 3.0, &direct: 3.0}),
        "ann inherits from the accepted version"
    );
    host.send("GO");
    let before: Value =
        serde_json::from_str(&host.expect("REPLACED", Duration::from_secs(10))).unwrap();
    host.kill();
    emu.release(zed);

    restart_and_check(&emu, dir.path(), then, &before, (&ann, &direct));
}

/// Restarts the child in `then` after the kill: ann (`gid`) must end with her `direct` skill
/// only, her status `before` the kill naming the workgroup, and nothing noted after.
fn restart_and_check(
    emu: &gc_emulator::Emulator,
    dir: &std::path::Path,
    then: &str,
    before: &Value,
    (ann, direct): (&str, &str),
) {
    let status = restarted(emu, dir, then);
    assert_eq!(
        skills_of(emu, ann),
        json!({direct: 3.0}),
        "ann keeps the skill of a version that was never applied"
    );
    // What made the restart look at ann again: her warnings named the version, durably.
    let noted = before["warnings"].to_string();
    assert!(
        noted.contains("workgroup GrW: skills inherited from its change not synced yet"),
        "{before}"
    );
    assert_eq!(status["warnings"], json!([]), "{status}");
}

/// Restarts the child in `then` until it settled and exited: ann's status, Synced.
fn restarted(emu: &gc_emulator::Emulator, dir: &std::path::Path, then: &str) -> Value {
    let mut host = Host::start(then, emu, dir, &[]);
    assert_eq!(host.expect("SETTLED", Duration::from_secs(90)), "true");
    let status: Value =
        serde_json::from_str(&host.expect("STATUS", Duration::from_secs(10))).unwrap();
    drop(host.stdin.take());
    host.expect("EXITED", Duration::from_secs(30));
    host.finish();
    assert_eq!(status["state"], "Synced", "{status}");
    status
}

/// The version was replaced before the kill: who inherited it was noted in memory only.
#[test]
fn a_member_of_a_version_replaced_before_a_kill_loses_its_skill() {
    kill_then("open_replace", "after");
}

/// The version was resumed after the kill, and replaced before a worker took it (resumed
/// changes are not among the accepted grants, so replacing one noted nobody).
#[test]
fn a_member_of_a_resumed_version_replaced_after_the_restart_loses_its_skill() {
    kill_then("open", "after_replace");
}

/// Waits until `f` holds (polling), or panics with `what` after [`HELD`].
fn until(what: &str, f: impl Fn() -> bool) {
    let end = std::time::Instant::now() + HELD;
    while !f() {
        assert!(std::time::Instant::now() < end, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The window of `grants_given_up`: the workgroup's step took the version naming ann (the
/// object table held it) and is held on its first read, while ann's step (her own change, on
/// another worker) inherits the skill; two user updates, held, then a newer version without
/// her are accepted; the step's first write is refused and it gives its version up (who
/// inherited it noted in memory), its worker takes the second update, and the host is killed
/// before any worker takes the newer version. Ann's
/// own record must have named the version given up, so the restart looks at her again.
#[test]
fn a_member_of_a_version_given_up_before_a_kill_loses_its_skill() {
    let (emu, dir) = (emulator(), tempfile::tempdir().unwrap());
    let (mut host, ann, inherited, direct) = ready("given_up", &emu, dir.path());
    let read = emu.hold("GET", "/api/v2/routing/queues/{queueId}/members", false);
    host.send("GO");
    host.expect("QUEUED", Duration::from_secs(10));
    assert!(emu.wait_held(read, HELD), "the workgroup's read never came");
    until("ann never inherited from the version in flight", || {
        skills_of(&emu, &ann) == json!({&inherited: 3.0, &direct: 3.0})
    });
    let updates = [
        emu.hold("PATCH", "/api/v2/users/{userId}", false),
        emu.hold("PATCH", "/api/v2/users/{userId}", false),
    ];
    host.send("GO");
    host.expect("REPLACED", Duration::from_secs(10));
    // The other worker is held by zed's update; the step gives its version up, and its worker
    // takes yan's update (accepted before the newer version), held too.
    assert!(emu.wait_held(updates[0], HELD), "zed's update never came");
    emu.release(read);
    assert!(emu.wait_held(updates[1], HELD), "yan's update never came");
    host.send("GO");
    let before: Value =
        serde_json::from_str(&host.expect("NOTED", Duration::from_secs(10))).unwrap();
    host.kill();
    for u in updates {
        emu.release(u);
    }

    restart_and_check(&emu, dir.path(), "after", &before, (&ann, &direct));
}

/// The proficiency-only window: a version of the workgroup changing only the proficiency ann
/// inherits (50 → 90) is accepted and not processed when her step runs, so her step PATCHes
/// the new proficiency of an assignment gcsync already owns; Genesys applies it and the host
/// is killed before the outcome is committed. After the restart the version is replaced by
/// one setting the proficiency back (50): nothing ann inherits differs from what her row
/// says gcsync applied, and the workgroup's step changes nothing for her, so before the fix
/// nothing looked at her again and she kept 5 stars for good. The change is now recorded
/// ahead of the write with the note (`adding`), so her restarted step reads her skills.
#[test]
fn a_member_given_a_new_proficiency_by_a_version_not_processed_gets_it_back_after_a_kill() {
    let route = "/api/v2/users/{userId}/routingskills/bulk";
    kill_during_a_members_write("proficiency", ("PATCH", route), |i| json!({i: 5.0}));
}

/// The removal-only window: a version of the workgroup taking away the skill ann inherits is
/// accepted and not processed when her step runs, so her step only DELETEs an assignment gcsync
/// owns; Genesys applies it and the host is killed before the outcome is committed. After the
/// restart the version is replaced by one giving the skill back: nothing ann inherits differs
/// from what her row says gcsync applied, so before the fix (nothing recorded ahead of a
/// removal, not even the note) she lost the skill for good.
#[test]
fn a_member_whose_skill_a_version_not_processed_takes_away_gets_it_back_after_a_kill() {
    let route = "/api/v2/users/{userId}/routingskills/{skillId}";
    kill_during_a_members_write("removal", ("DELETE", route), |_| json!({}));
}

/// Opens the window of `mode` (ann's write `(method, route)` held once Genesys applied it: the
/// step has no answer, nothing of its outcome recorded; `during`, a function of Inherited's
/// id, is what it left), kills the host, restarts it with the version set back (`{mode}_back`):
/// ann must end with Inherited at 3 stars, and nothing noted.
fn kill_during_a_members_write(
    mode: &str,
    (method, route): (&str, &str),
    during: fn(&str) -> Value,
) {
    let (emu, dir) = (emulator(), tempfile::tempdir().unwrap());
    let (mut host, ann, inherited, _) = ready(mode, &emu, dir.path());
    assert_eq!(skills_of(&emu, &ann), json!({&inherited: 3.0}));
    let write = behind_the_code(&mut host, &emu, (method, route, true));
    assert!(emu.wait_held(write, HELD), "ann's skill write never came");
    assert_eq!(skills_of(&emu, &ann), during(&inherited));
    // The changes accepted durable before the kill (the writer commits within milliseconds).
    std::thread::sleep(Duration::from_millis(300));
    host.kill();
    emu.release(write);

    let status = restarted(&emu, dir.path(), &format!("{mode}_back"));
    assert_eq!(
        skills_of(&emu, &ann),
        json!({&inherited: 3.0}),
        "ann keeps what a version that was never applied gave"
    );
    assert_eq!(status["warnings"], json!([]), "{status}");
}
