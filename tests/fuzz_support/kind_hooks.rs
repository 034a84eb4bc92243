//! The hooks of every kind besides users (whose named hooks `tests/fuzz_exports.rs` fuzzes
//! itself): the named workgroup, skill and wrap-up code hooks, the generic object hooks with any
//! kind number, and the agent-status hook, each in both encodings, with the kind's payloads
//! from the table in `kinds.rs`. Every call answers a documented code; an object of the kind's
//! valid shape is accepted (OK) in both encodings; tracked changes of the kind reach the
//! emulator.

use crate::common::*;
use crate::inputs::*;
use crate::kinds::*;
use crate::run::*;
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind::{self, *};
use gcsync::result::GcsyncResult::{self, *};
use proptest::prelude::*;
use serde_json::Value;
use std::ffi::c_char;

type Hook8 = unsafe extern "C" fn(*const c_char, usize) -> GcsyncResult;
type Hook16 = unsafe extern "C" fn(*const u16, usize) -> GcsyncResult;

/// A kind's named hooks: changed and deleted, UTF-8 and UTF-16.
struct Named {
    spec: &'static Spec,
    changed: (Hook8, Hook16),
    deleted: (Hook8, Hook16),
}

/// A text for a delete hook or a query: a valid id, a random one, or random bytes.
pub fn id_text() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        2 => good_id().prop_map(String::into_bytes),
        2 => fuzz_id().prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ]
}

fn utf16_of(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// A valid object must be accepted (OK) in both encodings.
fn accepted(
    what: &str,
    ok: &str,
    f8: impl Fn(&str) -> GcsyncResult,
    f16: impl Fn(&[u16]) -> GcsyncResult,
) -> Result<(), TestCaseError> {
    let r = f8(ok);
    prop_assert_eq!(r, Ok, "valid {} refused: {}: {}", what, ok, last_error());
    let r = f16(&utf16_of(ok));
    prop_assert_eq!(
        r,
        Ok,
        "valid {} refused (UTF-16): {}: {}",
        what,
        ok,
        last_error()
    );
    Result::Ok(())
}

/// Random changes and deletions through a kind's named hooks, a valid object of the kind
/// between them (which must be accepted in both encodings), then a tracked change.
fn named_hooks(h: Named, tracked: &[GcsyncObjectKind]) {
    let run = Run::tracking(tracked);
    let name = h.spec.kind.name();
    let obj = || text(object_of(h.spec));
    let strat = (
        (obj(), len(), utf16(obj()), len()),
        (id_text(), len(), utf16(id_text()), len()),
        valid(h.spec),
    );
    runner()
        .run(
            &strat,
            |((c8, hc8, c16, hc16), (d8, hd8, d16, hd16), ok)| {
                let r = call(&c8, &hc8, |p, n| unsafe { (h.changed.0)(p.cast(), n) });
                run.check(&format!("{name}_changed"), r, &HOOK_CODES)?;
                let r = call(&c16, &hc16, |p, n| unsafe { (h.changed.1)(p, n) });
                run.check(&format!("{name}_changed_utf16"), r, &HOOK_CODES)?;
                let r = call(&d8, &hd8, |p, n| unsafe { (h.deleted.0)(p.cast(), n) });
                run.check(&format!("{name}_deleted"), r, &HOOK_CODES)?;
                let r = call(&d16, &hd16, |p, n| unsafe { (h.deleted.1)(p, n) });
                run.check(&format!("{name}_deleted_utf16"), r, &HOOK_CODES)?;
                let ok = Value::Object(ok).to_string();
                accepted(
                    name,
                    &ok,
                    |t| unsafe { (h.changed.0)(t.as_ptr().cast(), t.len()) },
                    |u| unsafe { (h.changed.1)(u.as_ptr(), u.len()) },
                )?;
                run.tracked_change();
                Result::Ok(())
            },
        )
        .unwrap();
    run.finish();
}

#[test]
fn workgroup_hooks_in_both_encodings() {
    let h = Named {
        spec: &WORKGROUP,
        changed: (
            gcsync_on_workgroup_changed,
            gcsync_on_workgroup_changed_utf16,
        ),
        deleted: (
            gcsync_on_workgroup_deleted,
            gcsync_on_workgroup_deleted_utf16,
        ),
    };
    named_hooks(h, &[Workgroup, User]);
}

#[test]
fn skill_hooks_in_both_encodings() {
    let h = Named {
        spec: &SKILL,
        changed: (gcsync_on_skill_changed, gcsync_on_skill_changed_utf16),
        deleted: (gcsync_on_skill_deleted, gcsync_on_skill_deleted_utf16),
    };
    named_hooks(h, &[Skill]);
}

#[test]
fn wrapup_code_hooks_in_both_encodings() {
    let h = Named {
        spec: &WRAPUP_CODE,
        changed: (
            gcsync_on_wrapup_code_changed,
            gcsync_on_wrapup_code_changed_utf16,
        ),
        deleted: (
            gcsync_on_wrapup_code_deleted,
            gcsync_on_wrapup_code_deleted_utf16,
        ),
    };
    named_hooks(h, &[WrapupCode]);
}

/// A kind number: mostly a known kind, sometimes any.
pub fn kind_number() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 1u32..=5, 1 => any::<u32>()]
}

/// The generic hooks with any kind number and any kind's payload; a valid object of a random
/// kind through the generic hook with its own kind number is accepted.
#[test]
fn object_hooks_with_any_kind_in_both_encodings() {
    let run = Run::tracking(&[User, Workgroup, Skill, WrapupCode, AgentStatus]);
    let obj = || any_spec().prop_flat_map(|s| text(object_of(s)));
    let strat = (
        (kind_number(), obj(), len(), utf16(obj()), len()),
        (kind_number(), id_text(), len(), utf16(id_text()), len()),
        any_spec().prop_flat_map(|s| (Just(s.kind as u32), valid(s))),
    );
    let allowed: Vec<GcsyncResult> = HOOK_CODES
        .iter()
        .copied()
        .chain([UnknownObjectKind])
        .collect();
    runner()
        .run(
            &strat,
            |((k, c8, hc8, c16, hc16), (kd, d8, hd8, d16, hd16), (vk, ok))| {
                let r = call(&c8, &hc8, |p, n| unsafe {
                    gcsync_on_object_changed(k, p.cast(), n)
                });
                run.check("object_changed", r, &allowed)?;
                let r = call(&c16, &hc16, |p, n| unsafe {
                    gcsync_on_object_changed_utf16(k, p, n)
                });
                run.check("object_changed_utf16", r, &allowed)?;
                let r = call(&d8, &hd8, |p, n| unsafe {
                    gcsync_on_object_deleted(kd, p.cast(), n)
                });
                run.check("object_deleted", r, &allowed)?;
                let r = call(&d16, &hd16, |p, n| unsafe {
                    gcsync_on_object_deleted_utf16(kd, p, n)
                });
                run.check("object_deleted_utf16", r, &allowed)?;
                let ok = Value::Object(ok).to_string();
                accepted(
                    &format!("kind {vk}"),
                    &ok,
                    |t| unsafe { gcsync_on_object_changed(vk, t.as_ptr().cast(), t.len()) },
                    |u| unsafe { gcsync_on_object_changed_utf16(vk, u.as_ptr(), u.len()) },
                )?;
                run.tracked_change();
                Result::Ok(())
            },
        )
        .unwrap();
    run.finish();
}

/// An agent status for `gcsync_on_status_changed`: without `id` when valid, any shape else
/// (an `id` in it is a duplicate field).
fn status_json() -> impl Strategy<Value = Vec<u8>> {
    let no_id = valid(&AGENT_STATUS).prop_map(|mut m| {
        m.remove("id");
        Value::Object(m).to_string()
    });
    text(prop_oneof![no_id, object_of(&AGENT_STATUS)].boxed())
}

#[test]
fn status_hook_in_both_encodings() {
    let run = Run::tracking(&[AgentStatus, User]);
    let strat = (
        (id_text(), len(), status_json(), len()),
        (utf16(id_text()), len(), utf16(status_json()), len()),
        (good_id(), valid(&AGENT_STATUS)),
    );
    runner()
        .run(
            &strat,
            |((i8, hi8, s8, hs8), (i16, hi16, s16, hs16), (id, mut ok))| {
                let r = call(&i8, &hi8, |ip, il| {
                    call(&s8, &hs8, |sp, sl| unsafe {
                        gcsync_on_status_changed(ip.cast(), il, sp.cast(), sl)
                    })
                });
                run.check("status_changed", r, &HOOK_CODES)?;
                let r = call(&i16, &hi16, |ip, il| {
                    call(&s16, &hs16, |sp, sl| unsafe {
                        gcsync_on_status_changed_utf16(ip, il, sp, sl)
                    })
                });
                run.check("status_changed_utf16", r, &HOOK_CODES)?;
                ok.remove("id");
                let ok = Value::Object(ok).to_string();
                let i = utf16_of(&id);
                accepted(
                    &format!("status of {id}"),
                    &ok,
                    |t| agent_status_changed(&id, t),
                    |u| unsafe {
                        gcsync_on_status_changed_utf16(i.as_ptr(), i.len(), u.as_ptr(), u.len())
                    },
                )?;
                run.tracked_change();
                Result::Ok(())
            },
        )
        .unwrap();
    run.finish();
}
