//! Issue 12, the kill -9 form of the wrap-up code whose create was applied unanswered and
//! that was then renamed (the full-size storm's `Code stP02 v3` then `v4`): the emulator
//! applies the code's POST but answers 503 (`after_commit`; the child host sets
//! `max_retries` 0) and the child host is killed as soon as the emulator logged that POST.
//! After the restart the resumed create fails (a 503 not applied) and CIC renames the code:
//! the code's create intent, durable before the POST, sends gcsync to find the code by the
//! name it sent and rename it (before, a second code was created). Runs alone in nextest, as
//! `crash`.

mod common;
mod crash_support;

use common::routing::codes_named;
use common::*;
use crash_support::*;
use gc_emulator::InjectedFault;
use gcsync::object::GcsyncObjectKind::WrapupCode;
use gcsync::result::GcsyncResult;
use serde_json::json;
use std::time::{Duration, Instant};

const CODES: &str = "/api/v2/routing/wrapupcodes";
const CODE: &str = "KC1";

fn code(name: &str) -> GcsyncResult {
    let j = json!({"id": CODE, "name": name});
    object_changed(WrapupCode, &j.to_string())
}

// ---------------------------------------------------------------------------------------------
// The child host.

fn child(mode: &str) {
    child_start_no_retries();
    match mode {
        "create" => {
            assert_eq!(code("Kill v3"), GcsyncResult::Ok);
            say("SENT");
            wait_for_the_kill();
        }
        // The resumed create fails (the parent's 503): then CIC renames the code.
        "rename" => {
            let deadline = Instant::now() + SETTLE;
            while status_of(WrapupCode, CODE)["state"] != "Error" {
                assert!(Instant::now() < deadline, "the resumed create did not fail");
                std::thread::sleep(Duration::from_millis(2));
            }
            assert_eq!(code("Kill v4"), GcsyncResult::Ok);
            report_settled_and_exit(|| status_of(WrapupCode, CODE));
        }
        other => panic!("unknown child mode {other}"),
    }
}

crash_child_entry!(child);

// ---------------------------------------------------------------------------------------------
// The parent.

#[test]
fn a_code_created_just_before_a_kill_then_renamed_stays_one_code() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let fault = |after_commit| InjectedFault {
        method: "POST".into(),
        route: CODES.into(),
        status: 503,
        after_commit,
        count: 1,
        ..Default::default()
    };
    emu.inject(fault(true));
    let mut host = Host::start("create", &emu, dir.path(), &[]);
    host.expect("SENT", Duration::from_secs(60));
    let deadline = Instant::now() + Duration::from_secs(30);
    while emu.call_count("POST", CODES) == 0 {
        assert!(Instant::now() < deadline, "no POST {CODES}");
        std::thread::sleep(Duration::from_micros(200));
    }
    host.kill();
    assert_eq!(codes_named(&emu, "Kill v3").len(), 1, "applied");

    emu.inject(fault(false));
    let mut host = Host::start("rename", &emu, dir.path(), &[]);
    assert_eq!(host.expect("SETTLED", Duration::from_secs(90)), "true");
    let status: serde_json::Value =
        serde_json::from_str(&host.expect("STATUS", Duration::from_secs(10))).unwrap();
    drop(host.stdin.take());
    host.expect("EXITED", Duration::from_secs(30));
    host.finish();

    let all = emu.dump("wrapupcodes");
    let list = all.as_array().unwrap();
    assert_eq!(list.len(), 1, "exactly one code: {all}");
    assert_eq!(list[0]["name"], "Kill v4", "{all}");
    assert_eq!(status["state"], "Synced", "{status}");
    assert_eq!(status["genesys_id"], list[0]["id"], "{status}");
}
