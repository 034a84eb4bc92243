//! Property tests of every export that takes input (issue 12 item 4), UTF-8 and UTF-16 forms:
//! random bytes, random JSON of valid and wrong shapes, unknown fields, huge numbers, deep
//! nesting, invalid UTF-16 surrogates, lengths that cut the text anywhere (mid character, mid
//! surrogate pair) and lengths far above the payload limit (refused before anything is read),
//! NULL pointers, odd output buffers. Each call must return a code the header documents for it
//! (never `PANIC`), output buffers are NUL-terminated and never written past `buf_len`, no
//! panic is caught anywhere (the worker's panic counter stays 0, no "caught panic" line), and a
//! valid change accepted between the random ones is never lost: it reaches the emulator.
//!
//! Here: the user hooks, the force sync hook and the queries. `fuzz_support/`: the inputs
//! (`inputs.rs`), every kind's payloads from one table of its fields (`kinds.rs`), the run and
//! its tracked changes of every kind (`run.rs`), the other kinds' hooks and the generic ones
//! (`kind_hooks.rs`), the staged full sync (`staged.rs`), settings, role, waits and status
//! pages (`controls.rs`).
//!
//! Property tests (proptest) rather than cargo-fuzz: they run on the stable toolchain, inside
//! the ordinary test suite and CI, against the real C API and emulator; cargo-fuzz needs
//! nightly and a separate harness. Cases per property: `GCSYNC_FUZZ_CASES` (CI default 256;
//! the long run: `GCSYNC_FUZZ_CASES=100000 cargo nextest run --release -p gcsync --test
//! fuzz_exports`, figures in BENCHMARKS.md). A failure prints the shrunk input.

mod common;
#[path = "fuzz_support/controls.rs"]
mod controls;
#[path = "fuzz_support/inputs.rs"]
mod inputs;
#[path = "fuzz_support/kind_hooks.rs"]
mod kind_hooks;
#[path = "fuzz_support/kinds.rs"]
mod kinds;
#[path = "fuzz_support/run.rs"]
mod run;
#[path = "fuzz_support/staged.rs"]
mod staged;

use gcsync::ffi::*;
use gcsync::result::GcsyncResult::{self, *};
use inputs::*;
use proptest::prelude::*;
use run::*;

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
    runner()
        .run(
            &strat,
            |(kind, t8, how8, t16, how16, (blen, null), code, null_out)| {
                let allowed = QUERY_CODES;
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
                // Its code's fixed text (an unknown number gets UNKNOWN's), cut to fit.
                let text = GcsyncResult::from_u32(code).message();
                prop_assert_eq!(n, text.len());
                if let Some(got) = o.text(n.min(blen.saturating_sub(1))) {
                    prop_assert_eq!(got, &text.as_bytes()[..got.len()]);
                }
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
