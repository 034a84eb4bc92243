//! Property tests of every export that takes input (issue 12 item 4), UTF-8 and UTF-16 forms:
//! random bytes, random JSON of valid and wrong shapes, unknown fields, huge numbers, deep
//! nesting, invalid UTF-16 surrogates, lengths that cut the text anywhere (mid character, mid
//! surrogate pair) and lengths far above the payload limit (refused before anything is read),
//! NULL pointers, odd output buffers. Each call must return a code the header documents for it
//! (never `PANIC`), output buffers are NUL-terminated and never written past `buf_len`, no
//! panic is caught anywhere (the worker's panic counter stays 0, no "caught panic" line), and a
//! valid change accepted between the random ones is never lost: it reaches the emulator.
//!
//! Property tests (proptest) rather than cargo-fuzz: they run on the stable toolchain, inside
//! the ordinary test suite and CI, against the real C API and emulator; cargo-fuzz needs
//! nightly and a separate harness. Cases per property: `GCSYNC_FUZZ_CASES` (CI default 256;
//! the long run: `GCSYNC_FUZZ_CASES=1000000 cargo nextest run --release --test fuzz_exports`,
//! about a million inputs per export). A failure prints the shrunk input.

mod common;
#[path = "fuzz_support/inputs.rs"]
mod inputs;

use common::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult::{self, *};
use inputs::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::RefCell;
use std::collections::HashMap;

/// What a hook may answer (README, API conventions).
const HOOK_CODES: [GcsyncResult; 9] = [
    Ok,
    NullParameter,
    InvalidUtf8,
    InvalidUtf16,
    PayloadTooLarge,
    MalformedJson,
    UnknownField,
    MissingField,
    InvalidField,
];

fn cases() -> u32 {
    std::env::var("GCSYNC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    })
}

// ---------------------------------------------------------------------------------------------
// The run: random calls interleaved with tracked valid changes.

struct Run {
    world: World,
    /// The tracked users' last accepted names.
    tracked: RefCell<HashMap<String, String>>,
    calls: RefCell<HashMap<String, usize>>,
    n: RefCell<usize>,
}

impl Run {
    fn new() -> Run {
        let world = World::with_emulator(gc_emulator::EmulatorConfig {
            rate_limit_per_minute: 1_000_000,
            ..emulator_config()
        });
        set("requests_per_minute", "100000");
        set("log_level", "debug");
        world.start();
        Run {
            world,
            tracked: RefCell::new(HashMap::new()),
            calls: RefCell::new(HashMap::new()),
            n: RefCell::new(0),
        }
    }

    /// Records a random call's code; fails the case on an undocumented one.
    fn check(
        &self,
        what: &str,
        r: GcsyncResult,
        allowed: &[GcsyncResult],
    ) -> Result<(), TestCaseError> {
        *self
            .calls
            .borrow_mut()
            .entry(format!("{what} {r:?}"))
            .or_default() += 1;
        prop_assert!(
            allowed.contains(&r),
            "{what} returned {r:?}: {}",
            last_error()
        );
        Result::Ok(())
    }

    /// A valid change of one of 40 tracked users, which must be accepted and must reach the
    /// emulator (checked by [`Run::finish`]).
    fn tracked_change(&self) {
        let mut n = self.n.borrow_mut();
        *n += 1;
        let id = format!("fz-{}", *n % 40);
        let name = format!("Tracked {}", *n);
        let json = cic_user(&id, &name, Some(&format!("{id}@tracked.example")));
        assert_eq!(user_changed(&json), Ok, "{}", last_error());
        self.tracked.borrow_mut().insert(id, name);
    }

    fn finish(self) {
        assert_eq!(gcsync_wait_settled(300_000), Ok, "{}", last_error());
        let tracked = self.tracked.borrow();
        assert!(!tracked.is_empty());
        for (id, name) in tracked.iter() {
            let s = status(id);
            assert_eq!(s["state"], "Synced", "{s}");
            let u = gc_user(&self.world.emu, &format!("{id}@tracked.example"));
            assert_eq!(
                u["name"],
                name.as_str(),
                "the last accepted change of {id} was lost"
            );
        }
        let o = overview();
        assert_eq!(o["worker_panics"], 0, "{o}");
        assert!(
            logs().iter().all(|l| !l.contains("caught panic")),
            "a panic was caught"
        );
        let mut calls: Vec<_> = self
            .calls
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        calls.sort();
        eprintln!(
            "{} cases; codes: {calls:?}; emulator users: {}",
            cases(),
            self.world.emu.users().len()
        );
    }
}

#[test]
fn user_changed_in_both_encodings() {
    let run = Run::new();
    let strat = (
        text(user().boxed()),
        len(),
        utf16(text(user().boxed())),
        len(),
    );
    runner()
        .run(&strat, |(t8, how8, t16, how16)| {
            let r = call(&t8, &how8, |p, n| unsafe {
                gcsync_on_user_changed(p.cast(), n)
            });
            run.check("user_changed", r, &HOOK_CODES)?;
            let r = call(&t16, &how16, |p, n| unsafe {
                gcsync_on_user_changed_utf16(p, n)
            });
            run.check("user_changed_utf16", r, &HOOK_CODES)?;
            run.tracked_change();
            Result::Ok(())
        })
        .unwrap();
    run.finish();
}

#[test]
fn user_deleted_in_both_encodings() {
    let run = Run::new();
    let id = prop_oneof![
        fuzz_id().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..300)
    ];
    let strat = (id.clone(), len(), utf16(id), len());
    runner()
        .run(&strat, |(t8, how8, t16, how16)| {
            let r = call(&t8, &how8, |p, n| unsafe {
                gcsync_on_user_deleted(p.cast(), n)
            });
            run.check("user_deleted", r, &HOOK_CODES)?;
            let r = call(&t16, &how16, |p, n| unsafe {
                gcsync_on_user_deleted_utf16(p, n)
            });
            run.check("user_deleted_utf16", r, &HOOK_CODES)?;
            run.tracked_change();
            Result::Ok(())
        })
        .unwrap();
    run.finish();
}

#[test]
fn force_sync_in_both_encodings() {
    let run = Run::new();
    let strat = (
        text(snapshot().boxed()),
        len(),
        utf16(text(snapshot().boxed())),
        len(),
    );
    runner()
        .run(&strat, |(t8, how8, t16, how16)| {
            let r = call(&t8, &how8, |p, n| unsafe {
                gcsync_on_force_sync(p.cast(), n)
            });
            run.check("force_sync", r, &HOOK_CODES)?;
            let r = call(&t16, &how16, |p, n| unsafe {
                gcsync_on_force_sync_utf16(p, n)
            });
            run.check("force_sync_utf16", r, &HOOK_CODES)?;
            run.tracked_change();
            Result::Ok(())
        })
        .unwrap();
    run.finish();
}

/// An output buffer: `len` usable bytes followed by 16 canary bytes; or NULL.
struct Out {
    buf: Vec<u8>,
    len: usize,
    null: bool,
}

const CANARY: u8 = 0xA5;

impl Out {
    fn new(len: usize, null: bool) -> Out {
        Out {
            buf: vec![CANARY; len + 16],
            len,
            null,
        }
    }
    fn ptr(&mut self) -> *mut std::ffi::c_char {
        if self.null {
            std::ptr::null_mut()
        } else {
            self.buf.as_mut_ptr().cast()
        }
    }
    /// snprintf rules: nothing past `len`; NUL-terminated when `len > 0`; on OK the whole text
    /// (`n` bytes) is there and is JSON when `json`.
    fn check(&self, r: GcsyncResult, n: usize, json: bool) -> Result<(), TestCaseError> {
        prop_assert!(
            self.buf[self.len..].iter().all(|b| *b == CANARY),
            "written past buf_len"
        );
        if self.null || self.len == 0 {
            return Result::Ok(());
        }
        if r == Ok {
            prop_assert!(
                n < self.len && self.buf[n] == 0,
                "OK but {n} >= {}",
                self.len
            );
            if json {
                let v: Result<serde_json::Value, _> = serde_json::from_slice(&self.buf[..n]);
                prop_assert!(
                    v.is_ok(),
                    "not JSON: {:?}",
                    String::from_utf8_lossy(&self.buf[..n])
                );
            }
        } else if r == BufferTooSmall {
            prop_assert!(self.buf[..self.len].contains(&0), "not NUL-terminated");
        } else {
            // A refused call leaves the buffer alone (no partial output) or terminates it.
            let untouched = self.buf[..self.len].iter().all(|b| *b == CANARY);
            prop_assert!(
                untouched || self.buf[..self.len].contains(&0),
                "garbage left in buf"
            );
        }
        Result::Ok(())
    }
}

#[test]
fn queries_and_messages_with_any_arguments() {
    let run = Run::new();
    let kind = prop_oneof![3 => Just(1u32), 1 => any::<u32>()];
    let id = prop_oneof![
        3 => (0usize..40).prop_map(|i| format!("fz-{i}").into_bytes()),
        2 => fuzz_id().prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ];
    let size = prop_oneof![3 => 0usize..600, 1 => 600usize..40_000]; // lists need the larger
    let out = (size, prop::bool::weighted(0.05));
    let strat = (
        kind,
        id.clone(),
        len(),
        utf16(id),
        len(),
        out,
        any::<u32>(),
        any::<bool>(),
    );
    const QUERY: [GcsyncResult; 8] = [
        Ok,
        NullParameter,
        InvalidUtf8,
        InvalidUtf16,
        PayloadTooLarge,
        MissingField,
        InvalidField,
        UnknownObjectKind,
    ];
    runner()
        .run(
            &strat,
            |(kind, t8, how8, t16, how16, (blen, null), code, null_out)| {
                let allowed: Vec<GcsyncResult> =
                    QUERY.iter().copied().chain([BufferTooSmall]).collect();
                let mut need = usize::MAX;
                let out_len = |need: &mut usize| {
                    if null_out {
                        std::ptr::null_mut()
                    } else {
                        need as *mut usize
                    }
                };
                let mut o = Out::new(blen, null);
                let r = call(&t8, &how8, |p, n| unsafe {
                    gcsync_object_status(kind, p.cast(), n, o.ptr(), blen, out_len(&mut need))
                });
                run.check("object_status", r, &allowed)?;
                o.check(r, need, true)?;
                let mut o = Out::new(blen, null);
                let r = call(&t16, &how16, |p, n| unsafe {
                    gcsync_object_status_utf16(kind, p, n, o.ptr(), blen, out_len(&mut need))
                });
                run.check("object_status_utf16", r, &allowed)?;
                o.check(r, need, true)?;
                let mut o = Out::new(blen, null);
                let r = unsafe { gcsync_list_status(kind, o.ptr(), blen, out_len(&mut need)) };
                run.check("list_status", r, &allowed)?;
                o.check(r, need, true)?;
                let mut o = Out::new(blen, null);
                let r = unsafe { gcsync_overview(o.ptr(), blen, out_len(&mut need)) };
                run.check("overview", r, &allowed)?;
                o.check(r, need, true)?;
                // The two message functions return a length, never fail.
                let mut o = Out::new(blen, null);
                let n = unsafe { gcsync_result_message(code, o.ptr(), blen) };
                prop_assert!(n > 0);
                o.check(if n < blen { Ok } else { BufferTooSmall }, n, false)?;
                let mut o = Out::new(blen, null);
                let n = unsafe { gcsync_last_error_message(o.ptr(), blen) };
                o.check(if n < blen { Ok } else { BufferTooSmall }, n, false)?;
                run.tracked_change();
                Result::Ok(())
            },
        )
        .unwrap();
    run.finish();
}
