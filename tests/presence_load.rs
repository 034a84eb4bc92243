//! Presence under load and failure: changes coalesce while a write is in flight, a shift start
//! goes through the bulk endpoint, and after an outage (with or without a restart) exactly the
//! presences that did not land are sent again. Call counts come from the emulator's logs.

mod common;

use common::holds::while_in_flight;
use common::*;
use gc_emulator::Faults;
use gcsync::result::GcsyncResult;
use std::collections::BTreeMap;

/// The route of a single agent's presence write.
const PRESENCE: &str = "/api/v2/users/{userId}/presences/{sourceId}";

fn faults(latency_ms: u64, error_5xx_rate: f64) -> Faults {
    Faults {
        latency_ms,
        error_5xx_rate,
        ..Faults::default()
    }
}

/// Presence writes per Genesys user id since `mark` (an index into the write log).
fn writes_since(w: &World, mark: usize) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for pw in &w.emu.presence_writes()[mark..] {
        *out.entry(pw.user_id.clone()).or_default() += 1;
    }
    out
}

#[test]
fn a_thousand_changes_during_a_two_second_stall_cost_at_most_two_writes() {
    let w = World::new();
    let gid = presence_world(&w, "s", 1).remove(0);
    assert_eq!(
        agent_status_changed("s0", &cic_status("Available", true)),
        GcsyncResult::Ok
    );
    wait_idle();
    let mark = w.emu.presence_writes().len();
    let change = |i: usize| {
        let status = if i.is_multiple_of(2) {
            "At Lunch"
        } else {
            "In a Meeting"
        };
        assert_eq!(
            agent_status_changed("s0", &cic_status(status, false)),
            GcsyncResult::Ok
        );
    };
    // The first change's write stalls (held in flight) while the other 999 come in.
    while_in_flight(
        &w.emu,
        "PATCH",
        PRESENCE,
        || change(0),
        || (1..1000).for_each(change),
    );
    wait_idle();
    let n = writes_since(&w, mark).values().sum::<usize>();
    assert!((1..=2).contains(&n), "{n} presence writes");
    assert_eq!(shown(&w.emu, &gid), "Meeting", "the latest status wins");
    assert_eq!(presence_status("s0")["state"], "Synced");
}

#[test]
fn five_hundred_agents_changing_at_once_go_through_the_bulk_endpoint() {
    let w = fast_world();
    let n = 500;
    let gids = presence_world(&w, "b", n + 1);
    for i in 0..=n {
        agent_status_changed(&format!("b{i}"), &cic_status("Available", true));
    }
    wait_idle();
    // First presence per user: one primary-source check each (the source and definitions are
    // read once), the writes in bulk.
    let checks = w
        .emu
        .call_count("GET", "/api/v2/presence/users/{userId}/primarysource");
    assert_eq!(checks, n + 1);
    let bulk = w.emu.call_count("PUT", "/api/v2/users/presences/bulk");
    let single = w
        .emu
        .call_count("PATCH", "/api/v2/users/{userId}/presences/{sourceId}");
    assert!(
        bulk + single <= (n + 1).div_ceil(50) + 1,
        "{bulk} + {single}"
    );
    assert!(gids.iter().all(|g| shown(&w.emu, g) == "Available"));
    // A shift change: one write in flight (held) while 500 agents change.
    w.emu.clear_requests();
    let lunch = |i: usize| {
        let r = agent_status_changed(&format!("b{i}"), &cic_status("At Lunch", false));
        assert_eq!(r, GcsyncResult::Ok);
    };
    while_in_flight(
        &w.emu,
        "PATCH",
        PRESENCE,
        || lunch(n),
        || (0..n).for_each(lunch),
    );
    wait_idle();
    assert_eq!(
        w.emu.call_count("PUT", "/api/v2/users/presences/bulk"),
        n.div_ceil(50)
    );
    assert_eq!(
        w.emu
            .call_count("PATCH", "/api/v2/users/{userId}/presences/{sourceId}"),
        1
    );
    assert_eq!(
        w.emu.requests().len(),
        n.div_ceil(50) + 1,
        "nothing else was called"
    );
    assert!(gids.iter().all(|g| shown(&w.emu, g) == "Meal"));
}

#[test]
fn after_an_outage_and_after_a_restart_only_what_did_not_land_is_sent_again() {
    let w = World::new();
    let gids = presence_world(&w, "o", 10);
    for i in 0..10 {
        agent_status_changed(&format!("o{i}"), &cic_status("Available", true));
    }
    wait_idle();
    // Outage: five agents change; their presences fail and wait for a retry.
    let mark = w.emu.presence_writes().len();
    w.emu.set_faults(faults(0, 1.0));
    for i in 0..5 {
        agent_status_changed(&format!("o{i}"), &cic_status("At Lunch", false));
    }
    eventually("the five in Error", || {
        (0..5).all(|i| presence_status(&format!("o{i}"))["state"] == "Error")
    });
    w.emu.set_faults(Faults::default());
    eventually("the five synced", || {
        (0..5).all(|i| presence_status(&format!("o{i}"))["state"] == "Synced")
    });
    let want: BTreeMap<String, usize> = gids[..5].iter().map(|g| (g.clone(), 1)).collect();
    assert_eq!(writes_since(&w, mark), want);
    // An outage that spans a restart: what did not land is resumed from the store.
    let mark = w.emu.presence_writes().len();
    w.emu.set_faults(faults(0, 1.0));
    for i in 5..8 {
        agent_status_changed(&format!("o{i}"), &cic_status("In a Meeting", false));
    }
    eventually("three in Error", || {
        (5..8).all(|i| presence_status(&format!("o{i}"))["state"] == "Error")
    });
    let _ = gcsync::ffi::gcsync_shutdown(2_000);
    w.emu.set_faults(Faults::default());
    w.start();
    wait_idle();
    eventually("the three synced", || {
        (5..8).all(|i| presence_status(&format!("o{i}"))["state"] == "Synced")
    });
    let want: BTreeMap<String, usize> = gids[5..8].iter().map(|g| (g.clone(), 1)).collect();
    assert_eq!(writes_since(&w, mark), want);
    assert!(gids[5..8].iter().all(|g| shown(&w.emu, g) == "Meeting"));
    assert!(gids[..5].iter().all(|g| shown(&w.emu, g) == "Meal"));
}

#[test]
fn one_refused_entry_of_a_bulk_write_does_not_fail_the_others() {
    let w = World::new();
    let lunch = w.emu.seed_presence_definition("Meal", "Lunch");
    set("presence_map", "At Lunch=secondary:Lunch");
    let gids = presence_world(&w, "q", 4);
    for i in 0..4 {
        agent_status_changed(&format!("q{i}"), &cic_status("Available", true));
    }
    wait_idle();
    // The admin deletes the label gcsync maps At Lunch to; gcsync still has it cached.
    assert!(w.emu.delete_presence_definition(&lunch));
    w.emu.clear_requests();
    // q3's write in flight (held) while the other three change.
    while_in_flight(
        &w.emu,
        "PATCH",
        PRESENCE,
        || {
            agent_status_changed("q3", &cic_status("In a Meeting", false));
        },
        || {
            agent_status_changed("q0", &cic_status("At Lunch", false));
            agent_status_changed("q1", &cic_status("In a Meeting", false));
            agent_status_changed("q2", &cic_status("In a Meeting", false));
        },
    );
    wait_idle();
    // One bulk call refused for q0's entry, split: q0 alone, q1 and q2 together.
    assert!(w.emu.call_count("PUT", "/api/v2/users/presences/bulk") >= 2);
    for (i, gid) in gids.iter().enumerate().skip(1) {
        assert_eq!(presence_status(&format!("q{i}"))["state"], "Synced");
        assert_eq!(shown(&w.emu, gid), "Meeting");
    }
    let s = presence_status("q0");
    assert_eq!(s["state"], "Error");
    assert!(
        s["reason"].as_str().unwrap().contains(&lunch),
        "the API's reason: {s}"
    );
    assert_eq!(
        shown(&w.emu, &gids[0]),
        "Available",
        "nothing written for q0"
    );
    // The definitions were read again once for the refused entry.
    assert_eq!(w.emu.call_count("GET", "/api/v2/presence/definitions"), 1);
}
