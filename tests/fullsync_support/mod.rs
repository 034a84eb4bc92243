//! Helpers of the full sync tests: a snapshot sent in parts through the C API, the plan read in
//! pages, and the request log sorted into reads and writes.
#![allow(dead_code)]

use crate::common::*;
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::ffi::c_char;

/// A CIC user `u{i}` named `User {i}` with email `u{i}@example.com`.
pub fn user(i: usize) -> Value {
    json!({"id": format!("u{i}"), "display_name": format!("User {i}"),
           "business_email": format!("u{i}@example.com")})
}

pub fn users(range: std::ops::Range<usize>) -> Vec<Value> {
    range.map(user).collect()
}

/// Sends `users` as one snapshot in chunks of `chunk` users; `commit_flags` None: not committed.
pub fn send(users: &[Value], chunk: usize, commit_flags: Option<u32>) {
    send_kinds(
        &[(GcsyncObjectKind::User, users.to_vec())],
        chunk,
        commit_flags,
    );
}

/// Sends one snapshot of several kinds (each part in chunks of `chunk`); `commit_flags` None:
/// not committed.
pub fn send_kinds(
    parts: &[(GcsyncObjectKind, Vec<Value>)],
    chunk: usize,
    commit_flags: Option<u32>,
) {
    let mut id = 0u64;
    assert_eq!(
        unsafe { gcsync_force_sync_begin(0, &mut id) },
        GcsyncResult::Ok
    );
    assert!(id > 0);
    for (kind, objects) in parts {
        let chunks: Vec<&[Value]> = match objects.is_empty() {
            true => vec![&[]],
            false => objects.chunks(chunk.max(1)).collect(),
        };
        for part in chunks {
            let text = Value::Array(part.to_vec()).to_string();
            let r =
                unsafe { gcsync_force_sync_add(*kind as u32, text.as_ptr().cast(), text.len()) };
            assert_eq!(r, GcsyncResult::Ok, "add {kind:?}: {}", last_error());
        }
    }
    if let Some(flags) = commit_flags {
        assert_eq!(
            gcsync_force_sync_commit(flags),
            GcsyncResult::Ok,
            "{}",
            last_error()
        );
    }
}

/// A full sync of several kinds (committed, waited for, applied).
pub fn full_sync_kinds(parts: &[(GcsyncObjectKind, Vec<Value>)]) {
    send_kinds(parts, 250, Some(0));
    settle();
}

/// Waits for the run and for the worker to apply what it queued.
pub fn settle() {
    settle_within(120_000);
}

/// [`settle`] with a longer wait (large figures runs).
pub fn settle_within(ms: u32) {
    assert_eq!(gcsync_force_sync_wait(ms), GcsyncResult::Ok);
    assert_eq!(
        gcsync_wait_settled(ms),
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
}

/// A full sync of `users` (committed, waited for, applied).
pub fn full_sync(users: &[Value]) {
    send(users, 250, Some(0));
    settle();
}

/// Every page of the last plan's items, and the first page's header.
pub fn plan() -> (Value, Vec<Value>) {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    let mut first = None;
    loop {
        let a = after.clone().unwrap_or_default();
        let (p, l) = if after.is_some() {
            (a.as_ptr(), a.len())
        } else {
            (std::ptr::null(), 0)
        };
        let page = read(|b, n, o| unsafe { gcsync_force_sync_plan(p.cast(), l, 100, b, n, o) });
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        after = page["next_after"].as_str().map(str::to_string);
        first.get_or_insert(page);
        if after.is_none() {
            return (first.unwrap(), items);
        }
    }
}

fn read(f: impl Fn(*mut c_char, usize, *mut usize) -> GcsyncResult) -> Value {
    match read_text(f) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(r) => panic!("{r:?} {}", last_error()),
    }
}

/// (reads, writes, tokens) in the request log.
pub fn counts(emu: &gc_emulator::Emulator) -> (usize, usize, usize) {
    let log = emu.requests();
    let tokens = log.iter().filter(|r| r.path == "/oauth/token").count();
    let reads = log
        .iter()
        .filter(|r| r.path != "/oauth/token" && r.method == "GET")
        .count();
    (reads, log.len() - reads - tokens, tokens)
}

/// The writes in the request log, as "METHOD route".
pub fn writes(emu: &gc_emulator::Emulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| r.path != "/oauth/token" && r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.route))
        .collect()
}

/// The Genesys id gcsync linked to CIC user `id`.
pub fn gid(id: &str) -> String {
    status(id)["genesys_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{id} not linked"))
        .to_string()
}

/// A test world whose failed assertions are printed (gcsync's panic hook sends panics to the
/// host log while it runs).
pub struct FsWorld(pub World);

impl std::ops::Deref for FsWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.0
    }
}

impl Drop for FsWorld {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for l in logs()
                .iter()
                .filter(|l| l.contains("panic") || l.contains("full sync") || l.contains("u3"))
            {
                eprintln!("{l}");
            }
        }
    }
}

/// A world with a budget that does not slow the tests.
pub fn world() -> FsWorld {
    let w = World::with_emulator(gc_emulator::EmulatorConfig {
        rate_limit_per_minute: 1_000_000,
        ..emulator_config()
    });
    set("requests_per_minute", "100000");
    FsWorld(w)
}

pub fn pages(n: usize, size: usize) -> usize {
    n.div_ceil(size).max(1)
}

/// The no-op floor of a full sync of every kind, from what the emulator holds:
/// ⌈U/500⌉ + ⌈Q/500⌉ + Σq (⌊m_q/100⌋ + 1) + Σq' ⌈c_q/100⌉ + ⌈S/500⌉ + ⌈L/100⌉ + ⌈W/100⌉, each
/// list at least one page; q over the snapshot's queues with members (m_q members), q' over
/// those with wrap-up codes (c_q codes): a queue whose workgroup lists none of a part, and
/// where gcsync added none, has nothing of it to compare.
pub fn floor(w: &World, snapshot_queues: &[&str]) -> usize {
    let count = |kind: &str| {
        let all = w.emu.dump(kind);
        all.as_array()
            .unwrap()
            .iter()
            .filter(|o| o["state"] != "deleted")
            .count()
    };
    let queues = w.emu.dump("queues");
    let per_queue: usize = queues
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| snapshot_queues.contains(&q["name"].as_str().unwrap()))
        .map(|q| {
            let m = q["members"].as_array().unwrap().len();
            let c = q["wrapupCodes"].as_array().unwrap().len();
            let members = if m > 0 { m / 100 + 1 } else { 0 };
            members + if c > 0 { pages(c, 100) } else { 0 }
        })
        .sum();
    pages(w.emu.users().len(), 500)
        + pages(count("queues"), 500)
        + per_queue
        + pages(count("skills"), 500)
        + pages(count("languages"), 100)
        + pages(count("wrapupcodes"), 100)
}
