//! The stream of every kind that the storm (`tests/storm.rs`) and the kill -9 tests
//! (`tests/crash_stream.rs`) send, without faults or kills, from the in-process test host: the
//! org must equal what CIC holds. A failure here is a bug of the ordinary path, not of the
//! fault handling. `GCSYNC_STREAM_SEED` replays a run (each run prints its seed).

mod common;
mod stream_support;

use common::*;
use gcsync::object::GcsyncObjectKind as G;
use gcsync::result::GcsyncResult;
use serde_json::Value;
use std::collections::BTreeMap;
use stream_support::*;

fn kind_of(k: Kind) -> G {
    match k {
        Kind::User => G::User,
        Kind::Workgroup => G::Workgroup,
        Kind::Skill => G::Skill,
        Kind::WrapupCode => G::WrapupCode,
        Kind::AgentStatus => G::AgentStatus,
    }
}

#[test]
fn a_stream_of_every_kind_without_faults_leaves_the_org_exactly_as_cic() {
    let seed = seed("GCSYNC_STREAM_SEED");
    let size = Size {
        users: 8,
        churn_users: 3,
        changes: 200,
        threads: 1,
        skill_churn: stream_support::plan::skill_churn(),
    };
    let ops = plan("sq", size, seed);
    let w = fast_world();
    set("sync_advanced_platform_objects", "true");
    set("requests_per_minute", "100000");
    set("log_level", "debug");
    w.start();
    for (i, op) in ops.iter().enumerate() {
        let r = match &op.act {
            Act::Upsert(v) => object_changed(kind_of(op.kind), &v.to_string()),
            Act::Delete => object_deleted(kind_of(op.kind), &op.id),
            Act::Status(v) => agent_status_changed(&op.id, &v.to_string()),
        };
        assert_eq!(r, GcsyncResult::Ok, "op {i}: {}", last_error());
        if i % 3 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    assert_eq!(gcsync::ffi::gcsync_wait_settled(60_000), GcsyncResult::Ok);
    let desired = Desired::of(&ops);
    let mut statuses: BTreeMap<(u32, String), Value> = BTreeMap::new();
    for op in &ops {
        let st = status_of(kind_of(op.kind), &op.id);
        statuses.insert((op.kind as u32, op.id.clone()), st);
    }
    let mut problems = compare(&w.emu, &desired);
    problems.extend(check_statuses(
        &desired,
        &statuses,
        Some(&user_links(&w.emu, &desired)),
    ));
    if !problems.is_empty() {
        for l in logs().iter().filter(|l| !l.contains("ureq")) {
            eprintln!("log: {l}");
        }
        for op in &ops {
            eprintln!("op: {}", op.line());
        }
    }
    assert_none(
        &format!("stream of {} ops (seed {seed})", ops.len()),
        &problems,
    );
}
