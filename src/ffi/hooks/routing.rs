//! The named hooks of the routing objects (skills, workgroups, wrap-up codes): each is the
//! generic `gcsync_on_object_changed` / `_deleted` with its kind fixed.

use super::{
    gcsync_on_object_changed, gcsync_on_object_changed_utf16, gcsync_on_object_deleted,
    gcsync_on_object_deleted_utf16, object_changed, object_deleted,
};
use crate::ffi::args::Text;
use crate::object::GcsyncObjectKind;
use crate::result::GcsyncResult;
use std::ffi::c_char;

/// Hook: a CIC skill was created or changed. `skill_json` is a UTF-8 JSON object of
/// `skill_json_len` bytes: `{"id": name, "treat_as_language": bool}` (README, "Object kinds and
/// the generic hooks"). `gcsync_on_object_changed` with `GCSYNC_OBJECT_KIND_SKILL`: same
/// validation and codes. Thread-safe; no network or disk I/O.
///
/// # Safety
/// `skill_json` must be NULL or readable for `skill_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_changed(
    skill_json: *const c_char,
    skill_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_changed(GcsyncObjectKind::Skill as u32, Text::Utf8(skill_json, skill_json_len)) })
}

/// `gcsync_on_skill_changed` with the JSON in UTF-16 (`skill_json_units` code units).
///
/// # Safety
/// `skill_json` must be NULL or readable for `skill_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_changed_utf16(
    skill_json: *const u16,
    skill_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_changed(GcsyncObjectKind::Skill as u32, Text::Utf16(skill_json, skill_json_units)) })
}

/// Hook: a CIC skill was deleted (`skill_id`: its name, UTF-8, `skill_id_len` bytes). The
/// Genesys skill or language gcsync created or adopted is deleted after the assignments gcsync
/// made are removed. `gcsync_on_object_deleted` with `GCSYNC_OBJECT_KIND_SKILL`. Thread-safe.
///
/// # Safety
/// `skill_id` must be NULL or readable for `skill_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_deleted(
    skill_id: *const c_char,
    skill_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_deleted(GcsyncObjectKind::Skill as u32, Text::Utf8(skill_id, skill_id_len)) })
}

/// `gcsync_on_skill_deleted` with the id in UTF-16 (`skill_id_units` code units).
///
/// # Safety
/// `skill_id` must be NULL or readable for `skill_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_deleted_utf16(
    skill_id: *const u16,
    skill_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_deleted(GcsyncObjectKind::Skill as u32, Text::Utf16(skill_id, skill_id_units)) })
}

/// Hook: a CIC workgroup was created or changed: `gcsync_on_object_changed` with kind
/// `GCSYNC_OBJECT_KIND_WORKGROUP` (README "Object kinds and the generic hooks" gives the JSON).
///
/// # Safety
/// `workgroup_json` must be NULL or readable for `workgroup_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_changed(
    workgroup_json: *const c_char,
    workgroup_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_json,
            workgroup_json_len,
        )
    }
}

/// `gcsync_on_workgroup_changed` with the JSON in UTF-16 (`workgroup_json_units` code units).
///
/// # Safety
/// `workgroup_json` must be NULL or readable for `workgroup_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_changed_utf16(
    workgroup_json: *const u16,
    workgroup_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed_utf16(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_json,
            workgroup_json_units,
        )
    }
}

/// Hook: a CIC workgroup was deleted (its queue is deleted): `gcsync_on_object_deleted` with
/// kind `GCSYNC_OBJECT_KIND_WORKGROUP`.
///
/// # Safety
/// `workgroup_id` must be NULL or readable for `workgroup_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_deleted(
    workgroup_id: *const c_char,
    workgroup_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_id,
            workgroup_id_len,
        )
    }
}

/// `gcsync_on_workgroup_deleted` with the id in UTF-16 (`workgroup_id_units` code units).
///
/// # Safety
/// `workgroup_id` must be NULL or readable for `workgroup_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_deleted_utf16(
    workgroup_id: *const u16,
    workgroup_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted_utf16(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_id,
            workgroup_id_units,
        )
    }
}

/// Hook: a CIC wrap-up code was created or changed: `gcsync_on_object_changed` with kind
/// `GCSYNC_OBJECT_KIND_WRAPUP_CODE`.
///
/// # Safety
/// `wrapup_code_json` must be NULL or readable for `wrapup_code_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_changed(
    wrapup_code_json: *const c_char,
    wrapup_code_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_json,
            wrapup_code_json_len,
        )
    }
}

/// `gcsync_on_wrapup_code_changed` with the JSON in UTF-16 (`wrapup_code_json_units` code
/// units).
///
/// # Safety
/// `wrapup_code_json` must be NULL or readable for `wrapup_code_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_changed_utf16(
    wrapup_code_json: *const u16,
    wrapup_code_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed_utf16(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_json,
            wrapup_code_json_units,
        )
    }
}

/// Hook: a CIC wrap-up code was deleted (its uses on gcsync's queues are removed, then the
/// code): `gcsync_on_object_deleted` with kind `GCSYNC_OBJECT_KIND_WRAPUP_CODE`.
///
/// # Safety
/// `wrapup_code_id` must be NULL or readable for `wrapup_code_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_deleted(
    wrapup_code_id: *const c_char,
    wrapup_code_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_id,
            wrapup_code_id_len,
        )
    }
}

/// `gcsync_on_wrapup_code_deleted` with the id in UTF-16 (`wrapup_code_id_units` code units).
///
/// # Safety
/// `wrapup_code_id` must be NULL or readable for `wrapup_code_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_deleted_utf16(
    wrapup_code_id: *const u16,
    wrapup_code_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted_utf16(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_id,
            wrapup_code_id_units,
        )
    }
}
