//! Issue 12 item 2, the queue part of issue 5 item 4: queue members and queue wrap-up codes
//! gcsync adds just before a kill -9 stay gcsync's. The emulator applies the POST that adds
//! them but answers 503 (`after_commit`; the child host sets `max_retries` 0, so the client
//! does not send it again), and the child host is killed as soon as the emulator logged that
//! POST: whatever the child had committed by then (nothing, or the failed attempt's outcome),
//! the added member or code is in the queue and its outcome was never recorded as a success.
//! The restarted host then removes them in CIC: gcsync must take them out of the queue, and
//! leave what a Genesys admin put there (an adopted queue's own member and code).
//!
//! Four cases: a queue gcsync creates and one it adopts, each with the fault on the members'
//! POST and on the wrap-up codes' POST. Runs alone in nextest, as `crash`.

mod common;
mod crash_support;

use common::routing::{codes_named, member_ids, queue, MEMBERS, QUEUE_CODES};
use common::*;
use crash_support::*;
use gc_emulator::InjectedFault;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

const QUEUE: &str = "Intents";
const USER: &str = "qu1";
const CODE: &str = "QC1";
const CODE_NAME: &str = "Queue code one";

fn email(id: &str) -> String {
    format!("{id}@crash.example.com")
}

fn workgroup(members: &[&str], codes: &[&str]) -> GcsyncResult {
    let j = json!({"id": QUEUE, "members": members, "wrapup_codes": codes});
    object_changed(GcsyncObjectKind::Workgroup, &j.to_string())
}

// ---------------------------------------------------------------------------------------------
// The child host.

fn child(mode: &str) {
    child_start_no_retries();
    match mode {
        // The user and the code synced, then the workgroup that adds both to the queue.
        "add" => {
            let user = cic_user(USER, "Queue One", Some(&email(USER)));
            assert_eq!(user_changed(&user), GcsyncResult::Ok);
            let code = json!({"id": CODE, "name": CODE_NAME}).to_string();
            assert_eq!(
                object_changed(GcsyncObjectKind::WrapupCode, &code),
                GcsyncResult::Ok
            );
            assert!(settle(), "the user and the code settle");
            say("READY");
            assert_eq!(workgroup(&[USER], &[CODE]), GcsyncResult::Ok);
            say("SENT");
            wait_for_the_kill();
        }
        // CIC removes the member and the code, or deletes the workgroup.
        "remove" | "delete" => {
            let r = if mode == "remove" {
                workgroup(&[], &[])
            } else {
                object_deleted(GcsyncObjectKind::Workgroup, QUEUE)
            };
            assert_eq!(r, GcsyncResult::Ok);
            report_settled_and_exit(|| status_of(GcsyncObjectKind::Workgroup, QUEUE));
        }
        other => panic!("unknown child mode {other}"),
    }
}

crash_child_entry!(child);

// ---------------------------------------------------------------------------------------------
// The parent.

/// What a Genesys admin put in an adopted queue: a member and a code gcsync must never remove.
struct Outsiders {
    member: String,
    code: String,
}

fn codes_of(q: &Value) -> BTreeSet<String> {
    let list = q["wrapupCodes"].as_array().unwrap();
    list.iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

/// The queue `QUEUE` by name, once exactly.
fn the_queue(emu: &gc_emulator::Emulator) -> Value {
    let all = emu.dump("queues");
    let named = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["name"] == QUEUE);
    assert_eq!(named.count(), 1, "one queue {QUEUE}: {all}");
    queue(emu, QUEUE)
}

/// Starts the child host in mode `add` and kills it as soon as the emulator logged a POST of
/// `route`.
fn add_and_kill_after_the_post(emu: &gc_emulator::Emulator, dir: &Path, route: &str) {
    let mut host = Host::start("add", emu, dir, &[]);
    host.expect("READY", Duration::from_secs(60));
    host.expect("SENT", Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(30);
    while emu.call_count("POST", route) == 0 {
        assert!(Instant::now() < deadline, "no POST {route}");
        std::thread::sleep(Duration::from_micros(200));
    }
    host.kill();
}

/// Starts the child host in mode `then` (`remove`, `delete`), lets it settle and exit; the
/// workgroup's status.
fn restart(then: &str, emu: &gc_emulator::Emulator, dir: &Path) -> Value {
    let mut host = Host::start(then, emu, dir, &[]);
    assert_eq!(host.expect("SETTLED", Duration::from_secs(90)), "true");
    let status = host.expect("STATUS", Duration::from_secs(10));
    drop(host.stdin.take());
    host.expect("EXITED", Duration::from_secs(30));
    host.finish();
    serde_json::from_str(&status).unwrap()
}

/// Kills the child host right after the POST of `route`, then restarts it to remove the
/// member and the code in CIC; returns the emulator for more checks.
fn kill_after_the_post_then(then: &str, adopted: bool, route: &str) -> gc_emulator::Emulator {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let outsiders = adopted.then(|| {
        let member = emu.seed_user("Admin Added", "admin.added@crash.example.com", "active");
        let code = emu.seed("wrapupcodes", json!({"name": "Admin code"}));
        emu.seed(
            "queues",
            json!({"name": QUEUE, "members": [member], "wrapupCodes": [code]}),
        );
        Outsiders { member, code }
    });
    emu.inject(InjectedFault {
        method: "POST".into(),
        route: route.into(),
        status: 503,
        after_commit: true,
        count: 1,
        ..Default::default()
    });
    add_and_kill_after_the_post(&emu, dir.path(), route);

    // The POST was applied: the queue holds the user (and the code, when its POST was sent).
    let user = emu.user_by_email(&email(USER)).expect("the user")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = codes_named(&emu, CODE_NAME)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let q = the_queue(&emu);
    assert!(member_ids(&q, "user").contains(&user), "{q}");
    if route == QUEUE_CODES {
        assert!(codes_of(&q).contains(&code), "{q}");
    }

    let status = restart(then, &emu, dir.path());
    secrets::record_secret(CLIENT_SECRET);
    secrets::assert_no_secrets_in(&[], Some(dir.path()), &[CLIENT_ID], &emu.issued_tokens());
    assert_eq!(status["state"], "Synced", "{status}");
    if then == "delete" {
        return emu;
    }
    let q = the_queue(&emu);
    let (members, codes) = match &outsiders {
        Some(o) => (
            BTreeSet::from([o.member.clone()]),
            BTreeSet::from([o.code.clone()]),
        ),
        None => (BTreeSet::new(), BTreeSet::new()),
    };
    assert_eq!(
        member_ids(&q, "user"),
        members,
        "gcsync's member removed, the admin's kept: {q}"
    );
    assert_eq!(
        codes_of(&q),
        codes,
        "gcsync's code removed, the admin's kept: {q}"
    );
    emu
}

fn kill_after_the_post_then_remove(adopted: bool, route: &str) {
    kill_after_the_post_then("remove", adopted, route);
}

#[test]
fn a_member_added_to_a_created_queue_just_before_a_kill_is_removed_later() {
    kill_after_the_post_then_remove(false, MEMBERS);
}

#[test]
fn a_member_added_to_an_adopted_queue_just_before_a_kill_is_removed_later() {
    kill_after_the_post_then_remove(true, MEMBERS);
}

#[test]
fn a_code_added_to_a_created_queue_just_before_a_kill_is_removed_later() {
    kill_after_the_post_then_remove(false, QUEUE_CODES);
}

#[test]
fn a_code_added_to_an_adopted_queue_just_before_a_kill_is_removed_later() {
    kill_after_the_post_then_remove(true, QUEUE_CODES);
}

#[test]
fn a_queue_created_just_before_a_kill_is_deleted_with_its_workgroup() {
    // The queue's link is recorded with the additions, before the members' POST: the
    // workgroup deleted in CIC after the restart deletes that queue (never an orphan queue).
    let emu = kill_after_the_post_then("delete", false, MEMBERS);
    let all = emu.dump("queues");
    let named: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["name"] == QUEUE)
        .collect();
    assert!(named.is_empty(), "{all}");
    assert_eq!(
        emu.call_count("DELETE", "/api/v2/routing/queues/{queueId}"),
        1
    );
}

#[test]
fn a_queue_whose_create_answer_a_kill_cut_short_is_deleted_with_its_workgroup() {
    // The queue's POST is applied, its answer a 503, the host killed: no link was recorded,
    // only the create intent. After the restart the resumed change's create fails (503) and
    // CIC deletes the workgroup: the intent sends gcsync to find the queue by name and delete
    // it (before, it stayed in Genesys Cloud, linked to nothing).
    const QUEUES: &str = "/api/v2/routing/queues";
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let fault = |after_commit| InjectedFault {
        method: "POST".into(),
        route: QUEUES.into(),
        status: 503,
        after_commit,
        count: 1,
        ..Default::default()
    };
    emu.inject(fault(true));
    add_and_kill_after_the_post(&emu, dir.path(), QUEUES);
    the_queue(&emu);
    emu.inject(fault(false));
    let status = restart("delete", &emu, dir.path());
    let all = emu.dump("queues");
    assert!(!all.to_string().contains(QUEUE), "{all}");
    assert_eq!(status["state"], "Synced", "{status}");
}
