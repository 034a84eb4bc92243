//! Issue 10 "Done when: Switchover": two gcsync instances (two child host processes of
//! `crash_support`, each with its own data directory, each with its own OAuth client id so the
//! emulator's request log tells them apart) form a CIC switchover pair against one org. Both
//! receive the same hook stream; only the active one calls. On a switchover (the active one set
//! standby, or killed with SIGKILL) the other takes over: it asks its host for a snapshot
//! (reason TAKEOVER), works off the hooks it saved and converges the org. Asserted: the standby
//! makes no call at all; no change is lost (also those sent while the switch was happening);
//! one Genesys user per CIC user, one skill per CIC skill, one queue per workgroup with its
//! members; and every write the org accepts from the new active is one the old active did not
//! make (a user already synced costs no write, a skill or queue only a create the org refuses
//! before it is adopted by name). Then the roles go back. A misconfigured pair (both active)
//! duplicates nothing either.

mod common;
mod crash_support;
mod switchover_support;

use crash_support::CHILD_ENV;
use gcsync::ffi::*;
use serde_json::{json, Value};
use std::time::Duration;
use switchover_support::*;

#[test]
#[ignore = "the child host of the switchover tests; they start it with GCSYNC_CRASH_CHILD set"]
fn crash_child() {
    if std::env::var(CHILD_ENV).is_ok() {
        switchover_support::child();
    }
}

/// Six users, a skill and a workgroup with two of the users as members.
fn stream(p: &mut Pair) {
    for i in 0..6 {
        p.change(&format!("u{i}"), &format!("User {i}"));
    }
    p.change_object(
        "skill",
        json!({"id": "Spanish", "treat_as_language": false}),
    );
    p.change_object(
        "workgroup",
        json!({"id": "Support", "members": ["u0", "u1"], "skills": [], "wrapup_codes": []}),
    );
}

/// The whole exchange; `kill`: the active server is killed (SIGKILL) rather than set standby,
/// and comes back as the standby of the pair.
fn switchover(kill: bool) {
    let mut p = Pair::new();
    p.start(A, "active");
    p.start(B, "standby");
    // 1. A active, B standby, both see the stream.
    stream(&mut p);
    p.settle(A);
    std::thread::sleep(Duration::from_millis(300));
    p.assert_org_is_cic();
    assert!(!p.calls(A, 0).is_empty());
    println!(
        "one active server: {} call(s) for 6 users, a skill and a workgroup",
        p.calls(A, 0).len()
    );
    assert_eq!(
        p.calls(B, 0),
        Vec::<String>::new(),
        "the standby calls nothing"
    );
    let st: Value = serde_json::from_str(&p.ask(B, "STATUS user u0", "STATUS")).unwrap();
    assert_eq!(st["pending"], true, "the standby keeps its hooks: {st}");

    // 2. Switchover A -> B; changes made while it happens reach only the servers running.
    if kill {
        p.hosts.remove(A).unwrap().kill();
    } else {
        p.ask(A, "ROLE standby", "OK");
    }
    let mark = p.emu.requests().len();
    p.change("u1", "User 1 renamed during the switch");
    p.change("u6", "User 6 added during the switch");
    p.take_over(B);
    std::thread::sleep(Duration::from_millis(300));
    p.assert_org_is_cic();
    assert_eq!(
        p.calls(A, mark),
        Vec::<String>::new(),
        "the old active calls nothing"
    );
    // The skill and the queue A created: B tries the create first (one call for a new one,
    // README "Queue", "A CIC skill"), the org refuses it (name taken, nothing written) and B
    // adopts the existing object by exact name.
    assert_eq!(
        p.writes(B, mark, false),
        [
            "POST /api/v2/routing/queues Support",
            "POST /api/v2/routing/skills Spanish",
        ],
        "B's refused writes"
    );
    assert_eq!(
        p.writes(B, mark, true),
        [
            "PATCH /api/v2/users/{userId} u1@example.com",
            "POST /api/v2/users u6@example.com",
            "POST /api/v2/users/{userId}/externalid u6@example.com",
        ],
        "B writes only what A did not"
    );

    // 3. And back: B standby, A active again (restarted from its own data directory if killed).
    if kill {
        // The restart after the kill asks for a snapshot at once (unclean stop); a standby's
        // full sync makes no call, so the takeover below asks again.
        p.start(A, "standby");
        let reason = p.ask(A, "ASKED", "ASKED");
        assert_eq!(reason, GCSYNC_SNAPSHOT_REASON_UNCLEAN_STOP.to_string());
    }
    p.ask(B, "ROLE standby", "OK");
    let mark = p.emu.requests().len();
    p.change("u2", "User 2 renamed during the switch back");
    p.change("u7", "User 7 added during the switch back");
    p.take_over(A);
    std::thread::sleep(Duration::from_millis(300));
    p.assert_org_is_cic();
    assert_eq!(
        p.calls(B, mark),
        Vec::<String>::new(),
        "the new standby calls nothing"
    );
    // A set standby saw B's change to u1 and applies it on its return: its PATCH carries the
    // version A knew, the org refuses it (409, nothing written), A re-reads u1, finds it as
    // wanted and writes nothing. A killed A never saw that change.
    let refused: &[&str] = match kill {
        true => &[],
        false => &["PATCH /api/v2/users/{userId} u1@example.com"],
    };
    assert_eq!(p.writes(A, mark, false), refused, "A's refused writes");
    assert_eq!(
        p.writes(A, mark, true),
        [
            "PATCH /api/v2/users/{userId} u2@example.com",
            "POST /api/v2/users u7@example.com",
            "POST /api/v2/users/{userId}/externalid u7@example.com",
        ],
        "A writes only what B did not"
    );
    let st: Value = serde_json::from_str(&p.ask(B, "STATUS user u7", "STATUS")).unwrap();
    assert_eq!(st["pending"], true, "the new standby keeps its hooks: {st}");
    p.finish(B);
}

#[test]
fn a_pair_switches_over_and_back_with_no_call_from_the_standby_no_lost_change_no_double_write() {
    switchover(false);
}

#[test]
fn a_killed_active_is_taken_over_by_the_standby_and_comes_back_as_standby() {
    switchover(true);
}

/// A misconfigured pair (both active) as README "Switchover pairs" describes it: both write,
/// yet the org ends as CIC holds it with one Genesys user per CIC user (the second adopts what
/// the first created); what is lost is budget only.
#[test]
fn a_misconfigured_pair_with_both_active_duplicates_nothing_and_converges() {
    let mut p = Pair::new();
    p.start(A, "active");
    p.start(B, "active");
    stream(&mut p);
    p.change("u2", "User 2 renamed");
    p.settle(A);
    p.settle(B);
    p.assert_org_is_cic();
    assert!(!p.writes(A, 0, true).is_empty() && !p.calls(B, 0).is_empty());
    for s in [A, B] {
        for i in 0..6 {
            let st = p.status(s, "user", &format!("u{i}"));
            assert_eq!(st["state"], "Synced", "{s} u{i}: {st}");
        }
    }
    println!(
        "both active: A {} call(s), B {} call(s) for 6 users, a skill, a workgroup, a rename",
        p.calls(A, 0).len(),
        p.calls(B, 0).len()
    );
    p.finish("none");
}
