//! The hooks and queries of the C API as a CIC host calls them, their JSON read back.

use super::secrets;
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::Value;
use std::ffi::c_char;

/// Waits (up to 60 s) until every accepted change reached a final state; fails the test if not.
pub fn assert_settled() {
    assert_eq!(gcsync_wait_settled(60_000), GcsyncResult::Ok, "settled");
}

pub fn user_changed(json: &str) -> GcsyncResult {
    unsafe { gcsync_on_user_changed(json.as_ptr().cast(), json.len()) }
}

pub fn user_deleted(id: &str) -> GcsyncResult {
    unsafe { gcsync_on_user_deleted(id.as_ptr().cast(), id.len()) }
}

pub fn force_sync(json: &str) -> GcsyncResult {
    unsafe { gcsync_on_force_sync(json.as_ptr().cast(), json.len()) }
}

pub fn wait_idle() {
    assert_eq!(
        gcsync_wait_idle(30_000),
        GcsyncResult::Ok,
        "queue did not drain"
    );
}

pub(super) fn read_json(f: impl Fn(*mut c_char, usize, *mut usize) -> GcsyncResult) -> Value {
    match try_read_json(f) {
        Ok(v) => v,
        Err(r) => panic!("query failed: {r:?}"),
    }
}

/// A query's JSON (recorded for the secret scan), or the code it failed with.
pub(super) fn try_read_json(
    f: impl Fn(*mut c_char, usize, *mut usize) -> GcsyncResult,
) -> Result<Value, GcsyncResult> {
    let text = read_text(f)?;
    secrets::record_output(&text);
    Ok(serde_json::from_str(&text).unwrap())
}

/// A snprintf-style query's text, read the way a host must: ask for the length, then read
/// with room for it, and ask again (a few times) when the answer grew in between, as a status
/// does when its object moves on (seen in CI: Pending, then an Error with a long reason).
pub fn read_text(
    f: impl Fn(*mut c_char, usize, *mut usize) -> GcsyncResult,
) -> Result<String, GcsyncResult> {
    let mut need = 0usize;
    let mut r = f(std::ptr::null_mut(), 0, &mut need);
    if !matches!(r, GcsyncResult::BufferTooSmall | GcsyncResult::Ok) {
        return Err(r);
    }
    for _ in 0..8 {
        let mut buf = vec![0u8; need + 1];
        r = f(buf.as_mut_ptr().cast(), buf.len(), &mut need);
        if r == GcsyncResult::Ok {
            buf.truncate(need);
            return Ok(String::from_utf8(buf).expect("query output is UTF-8"));
        }
        if r != GcsyncResult::BufferTooSmall {
            break;
        }
    }
    Err(r)
}

pub fn status(id: &str) -> Value {
    read_json(|b, l, o| unsafe {
        gcsync_object_status(
            GcsyncObjectKind::User as u32,
            id.as_ptr().cast(),
            id.len(),
            b,
            l,
            o,
        )
    })
}

pub fn overview() -> Value {
    read_json(|b, l, o| unsafe { gcsync_overview(b, l, o) })
}

pub fn list_status() -> Value {
    read_json(|b, l, o| unsafe { gcsync_list_status(GcsyncObjectKind::User as u32, b, l, o) })
}

/// `gcsync_flush` with a generous timeout.
pub fn flush() -> GcsyncResult {
    gcsync_flush(10_000)
}

/// `gcsync_on_object_changed` for any kind.
pub fn object_changed(kind: GcsyncObjectKind, json: &str) -> GcsyncResult {
    unsafe { gcsync_on_object_changed(kind as u32, json.as_ptr().cast(), json.len()) }
}

/// `gcsync_on_object_deleted` for any kind.
pub fn object_deleted(kind: GcsyncObjectKind, id: &str) -> GcsyncResult {
    unsafe { gcsync_on_object_deleted(kind as u32, id.as_ptr().cast(), id.len()) }
}

/// The status JSON of an object of any kind.
pub fn status_of(kind: GcsyncObjectKind, id: &str) -> Value {
    read_json(|b, l, o| unsafe {
        gcsync_object_status(kind as u32, id.as_ptr().cast(), id.len(), b, l, o)
    })
}

/// `gcsync_on_status_changed` (the status JSON without `id`).
pub fn agent_status_changed(user_id: &str, json: &str) -> GcsyncResult {
    unsafe {
        gcsync_on_status_changed(
            user_id.as_ptr().cast(),
            user_id.len(),
            json.as_ptr().cast(),
            json.len(),
        )
    }
}
