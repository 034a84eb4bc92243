//! The staged Force Complete Sync exports in any order with any arguments: `begin` (flags,
//! NULL or not), `add` and `add_utf16` (any kind number, chunks of every kind from the table in
//! `kinds.rs`, random texts, cut or huge lengths), `commit`, `abort`, `wait`, `release_held`
//! and `plan` (cursors from earlier pages or random, any `max_items`, odd buffers). Each call
//! answers a documented code, and the staging follows its documented life: `commit` and
//! `abort` succeed exactly when a snapshot is staged, `begin` numbers snapshots upwards, `add`
//! never succeeds without one or for agent statuses, a plan page holds at most `max_items`.
//!
//! Commits are dry runs (or refused flags): a real commit of a random snapshot removes every
//! object it lacks, tracked ones included, once `release_held` lets the guard's removals go.
//! Real commits of random snapshots are fuzzed by `force_sync_in_both_encodings`.

use crate::common::*;
use crate::inputs::*;
use crate::kind_hooks::{id_text, kind_number};
use crate::kinds::*;
use crate::run::*;
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind::*;
use gcsync::result::GcsyncResult::{self, *};
use proptest::prelude::*;
use std::cell::RefCell;

#[derive(Debug, Clone)]
enum Op {
    /// flags, `out_snapshot_id` NULL
    Begin(u32, bool),
    Add(u32, Vec<u8>, Len),
    Add16(u32, Vec<u16>, Len),
    Commit(u32),
    Abort,
    Wait(u32),
    Release,
    /// cursor (None: the last page's `next_after`), its length, max_items, buf_len, NULL buf
    Plan(Option<Vec<u8>>, Len, u32, usize, bool),
}

fn chunk_text() -> impl Strategy<Value = (u32, Vec<u8>)> {
    let own = any_spec().prop_flat_map(|s| (Just(s.kind as u32), text(chunk(s))));
    let any_kind = (kind_number(), any_spec().prop_flat_map(|s| text(chunk(s))));
    prop_oneof![4 => own, 1 => any_kind]
}

pub fn max_items() -> impl Strategy<Value = u32> {
    prop_oneof![6 => 1u32..50, 1 => Just(0u32), 1 => Just(10_001u32), 1 => any::<u32>()]
}

fn op() -> impl Strategy<Value = Op> {
    let cursor = prop_oneof![
        2 => Just(None),
        1 => id_text().prop_map(Some),
        1 => (any_spec(), good_id()).prop_map(|(s, id)| Some(format!("{}/{id}", s.kind.name()).into_bytes())),
    ];
    prop_oneof![
        3 => (prop_oneof![4 => Just(0u32), 1 => any::<u32>()], prop::bool::weighted(0.2))
            .prop_map(|(f, null)| Op::Begin(f, null)),
        4 => (chunk_text(), len()).prop_map(|((k, t), how)| Op::Add(k, t, how)),
        3 => (chunk_text(), len()).prop_map(|((k, t), how)| {
            Op::Add16(k, String::from_utf8_lossy(&t).encode_utf16().collect(), how)
        }),
        2 => prop_oneof![3 => Just(1u32), 1 => any::<u32>().prop_map(|f| f | 2)].prop_map(Op::Commit),
        1 => Just(Op::Abort),
        1 => prop_oneof![0u32..20, Just(60_000)].prop_map(Op::Wait),
        1 => Just(Op::Release),
        2 => (cursor, len(), max_items(), prop_oneof![0usize..400, 400usize..20_000], prop::bool::weighted(0.05))
            .prop_map(|(c, how, m, b, null)| Op::Plan(c, how, m, b, null)),
    ]
}

/// What the test knows of gcsync's staging.
struct Model {
    staging: bool,
    last_id: u64,
    cursor: Option<String>,
}

fn step(run: &Run, m: &mut Model, op: Op) -> Result<(), TestCaseError> {
    let add_codes: Vec<GcsyncResult> = HOOK_CODES
        .iter()
        .copied()
        .chain([InvalidArgument, UnknownObjectKind])
        .collect();
    match op {
        Op::Begin(flags, null) => {
            let mut id = 0u64;
            let out = if null {
                std::ptr::null_mut()
            } else {
                &mut id as *mut u64
            };
            let r = unsafe { gcsync_force_sync_begin(flags, out) };
            run.check("force_sync_begin", r, &[Ok, InvalidArgument])?;
            prop_assert_eq!(r == Ok, flags == 0, "begin({}): {:?}", flags, r);
            if r == Ok {
                m.staging = true;
                if !null {
                    prop_assert!(id > m.last_id, "snapshot {} after {}", id, m.last_id);
                    m.last_id = id;
                }
            }
        }
        Op::Add(kind, t, how) => {
            let r = call(&t, &how, |p, n| unsafe {
                gcsync_force_sync_add(kind, p.cast(), n)
            });
            run.check("force_sync_add", r, &add_codes)?;
            prop_assert!(
                r != Ok || (m.staging && kind != AgentStatus as u32),
                "add: OK"
            );
        }
        Op::Add16(kind, t, how) => {
            let r = call(&t, &how, |p, n| unsafe {
                gcsync_force_sync_add_utf16(kind, p, n)
            });
            run.check("force_sync_add_utf16", r, &add_codes)?;
            prop_assert!(
                r != Ok || (m.staging && kind != AgentStatus as u32),
                "add16: OK"
            );
        }
        Op::Commit(flags) => {
            let r = gcsync_force_sync_commit(flags);
            run.check("force_sync_commit", r, &[Ok, InvalidArgument])?;
            let valid = flags == 1;
            prop_assert_eq!(r == Ok, valid && m.staging, "commit({}): {:?}", flags, r);
            if r == Ok {
                m.staging = false;
            }
        }
        Op::Abort => {
            let r = gcsync_force_sync_abort();
            run.check("force_sync_abort", r, &[Ok, InvalidArgument])?;
            prop_assert_eq!(r == Ok, m.staging, "abort: {:?}", r);
            m.staging = false;
        }
        Op::Wait(t) => {
            let r = gcsync_force_sync_wait(t);
            run.check("force_sync_wait", r, &[Ok, Timeout])?;
        }
        Op::Release => {
            let r = gcsync_force_sync_release_held();
            run.check("force_sync_release_held", r, &[Ok])?;
        }
        Op::Plan(after, how, max, blen, null) => {
            let after = after.or_else(|| m.cursor.clone().map(String::into_bytes));
            let mut need = usize::MAX;
            let mut o = Out::new(blen, null);
            let r = match &after {
                None => unsafe {
                    gcsync_force_sync_plan(std::ptr::null(), 0, max, o.ptr(), blen, &mut need)
                },
                Some(a) => call(a, &how, |p, n| unsafe {
                    gcsync_force_sync_plan(p.cast(), n, max, o.ptr(), blen, &mut need)
                }),
            };
            let codes: Vec<GcsyncResult> = QUERY_CODES
                .iter()
                .copied()
                .chain([InvalidArgument])
                .collect();
            run.check("force_sync_plan", r, &codes)?;
            o.check(r, need, true)?;
            if r == Ok {
                prop_assert!(
                    (1..=10_000).contains(&max),
                    "plan with max_items {}: OK",
                    max
                );
            }
            if let Some(v) = o.json(r, need) {
                let items = v["items"].as_array().map_or(0, Vec::len);
                prop_assert!(items <= max as usize, "{} items > {}", items, max);
                m.cursor = v["next_after"].as_str().map(str::to_string);
            }
        }
    }
    Result::Ok(())
}

#[test]
fn staged_full_sync_calls_in_any_order() {
    let run = Run::tracking(&[User, Workgroup, Skill, WrapupCode]);
    let model = RefCell::new(Model {
        staging: false,
        last_id: 0,
        cursor: None,
    });
    let strat = prop::collection::vec(op(), 1..8);
    runner()
        .run(&strat, |ops| {
            for op in ops {
                step(&run, &mut model.borrow_mut(), op)?;
            }
            run.tracked_change();
            Result::Ok(())
        })
        .unwrap();
    assert_eq!(gcsync_force_sync_wait(120_000), Ok, "{}", last_error());
    run.finish();
}
