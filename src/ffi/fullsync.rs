//! Force Complete Sync in parts (README, "Force Complete Sync"): begin, add chunks, commit (or
//! abort), read the plan, release held removals, wait for the run.

use super::args::{kind_arg, timeout, write_page, Cursor, Text};
use crate::result::{Failure, GcsyncResult};
use crate::runtime::full;
use std::ffi::c_char;

/// `request_snapshot` reason: the previous run ended without a clean stop (a crash).
pub const GCSYNC_SNAPSHOT_REASON_UNCLEAN_STOP: u32 = 1;
/// `request_snapshot` reason: `full_sync_period_hours` passed since the last full sync.
pub const GCSYNC_SNAPSHOT_REASON_PERIOD: u32 = 2;

/// `request_snapshot` reason: this instance became active (`gcsync_set_role`).
pub const GCSYNC_SNAPSHOT_REASON_TAKEOVER: u32 = 3;

/// `gcsync_set_role` role: this instance syncs (the default).
pub const GCSYNC_ROLE_ACTIVE: u32 = 1;
/// `gcsync_set_role` role: this instance accepts and saves hooks and makes no Genesys Cloud call.
pub const GCSYNC_ROLE_STANDBY: u32 = 2;

/// Sets this instance's role over the `role` setting (a CIC switchover pair runs gcsync on both
/// servers; only the active one may call Genesys Cloud). `GCSYNC_ROLE_STANDBY`: hooks are still
/// accepted and saved, the worker and the full sync make no call. `GCSYNC_ROLE_ACTIVE`: the
/// saved work resumes and, when the instance was standby, the host is asked for a snapshot
/// (`request_snapshot` with `GCSYNC_SNAPSHOT_REASON_TAKEOVER`, or `full_sync.recommended`).
/// Other values are `GCSYNC_RESULT_INVALID_ARGUMENT`. Thread-safe; never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_set_role(role: u32) -> GcsyncResult {
    ffi_boundary!(guarded: {
        let standby = match role {
            GCSYNC_ROLE_ACTIVE => false,
            GCSYNC_ROLE_STANDBY => true,
            _ => {
                return Err(Failure::new(
                    GcsyncResult::InvalidArgument,
                    format!("role is {role}; use GCSYNC_ROLE_ACTIVE (1) or GCSYNC_ROLE_STANDBY (2)"),
                ))
            }
        };
        full::set_role(standby)
    })
}

/// `gcsync_force_sync_commit` flag: compute and publish the plan, apply nothing.
pub const GCSYNC_FORCE_SYNC_DRY_RUN: u32 = 1;

/// Starts staging a Force Complete Sync snapshot (in memory; nothing is applied before
/// `gcsync_force_sync_commit`). `flags` must be 0. Writes the snapshot's number to
/// `out_snapshot_id` when it is not NULL. A snapshot staged and not committed is dropped.
/// Thread-safe; never from a callback.
///
/// # Safety
/// `out_snapshot_id` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn gcsync_force_sync_begin(
    flags: u32,
    out_snapshot_id: *mut u64,
) -> GcsyncResult {
    ffi_boundary!(guarded: {
        if flags != 0 {
            return Err(Failure::new(
                GcsyncResult::InvalidArgument,
                format!("flags is {flags}; gcsync_force_sync_begin takes 0"),
            ));
        }
        let id = full::begin()?;
        if !out_snapshot_id.is_null() {
            // SAFETY: caller guarantee (non-NULL and writable).
            unsafe { out_snapshot_id.write_unaligned(id) };
        }
        Ok(())
    })
}

/// # Safety
/// As for [`Text::read`].
unsafe fn add(kind: u32, json: Text) -> Result<(), Failure> {
    let kind = kind_arg(kind)?;
    // SAFETY: forwarded caller guarantee.
    let json = unsafe { json.payload("chunk_json") }?;
    full::add(kind, &json).map(|_| ())
}

/// Adds one chunk to the staged snapshot: a JSON array of objects of `kind` (users,
/// workgroups, skills or wrap-up codes, each as its object hook takes it), at most
/// `max_payload_bytes`. Call any number of times; an id sent twice for one kind in one snapshot
/// is `GCSYNC_RESULT_INVALID_FIELD` and a refused chunk adds nothing. Agent statuses are a live
/// state, not configuration: `GCSYNC_OBJECT_KIND_AGENT_STATUS` is
/// `GCSYNC_RESULT_INVALID_ARGUMENT`. Thread-safe; never from a callback.
///
/// # Safety
/// `chunk_json` NULL or readable for `chunk_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_force_sync_add(
    kind: u32,
    chunk_json: *const c_char,
    chunk_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { add(kind, Text::Utf8(chunk_json, chunk_json_len)) })
}

/// `gcsync_force_sync_add` with the chunk in UTF-16 (`chunk_json_units` code units).
///
/// # Safety
/// `chunk_json` NULL or readable for `chunk_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_force_sync_add_utf16(
    kind: u32,
    chunk_json: *const u16,
    chunk_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { add(kind, Text::Utf16(chunk_json, chunk_json_units)) })
}

/// Commits the staged snapshot: the reconcile runs on its own thread (read the org, plan,
/// apply through the queue); progress is in the overview's `full_sync`. With
/// `GCSYNC_FORCE_SYNC_DRY_RUN` the plan is computed and published (`gcsync_force_sync_plan`)
/// and nothing is applied. While a run is going, the snapshot waits behind it and replaces any
/// other waiting one (coalesced). Returns at once. Thread-safe; never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_force_sync_commit(flags: u32) -> GcsyncResult {
    ffi_boundary!(guarded: {
        if flags & !GCSYNC_FORCE_SYNC_DRY_RUN != 0 {
            return Err(Failure::new(
                GcsyncResult::InvalidArgument,
                format!("flags is {flags}; only GCSYNC_FORCE_SYNC_DRY_RUN (1) is defined"),
            ));
        }
        full::commit(flags)
    })
}

/// Drops the staged snapshot; nothing was applied. Thread-safe; never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_force_sync_abort() -> GcsyncResult {
    ffi_boundary!(guarded: full::abort())
}

/// Applies the removals the deletion guard held, every kind (listed per kind in the overview's
/// `full_sync.held`).
/// Thread-safe; never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_force_sync_release_held() -> GcsyncResult {
    ffi_boundary!(guarded: full::release_held().map(|_| ()))
}

/// Blocks until no full sync runs or waits, or `timeout_ms` passes (`GCSYNC_RESULT_TIMEOUT`).
/// The changes a run queued are then accepted; `gcsync_wait_settled` waits for them.
/// Thread-safe; never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_force_sync_wait(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(guarded: {
        if full::wait(timeout(timeout_ms))? {
            Ok(())
        } else {
            Err(Failure::new(
                GcsyncResult::Timeout,
                "a full sync is still running after the timeout",
            ))
        }
    })
}

/// Writes one page of the last full sync's plan (dry run or real) into `buf`, snprintf-style:
/// `{"counts":{"user":{"create":n,...},"workgroup":{...},...},"dry_run":b,"held":n,"items":
/// [{"detail":[...],"genesys_id":id|null,"id":cic_id,"kind":"user|workgroup|skill|wrapup_code",
/// "op":"create|update|restore|link|remove|invalid","writes":b},...],"next_after":cursor|null}`,
/// items in kind order then by CIC id, paged like `gcsync_list_status_page`: `after_id` NULL
/// with length 0 for the first page, else the `next_after` cursor as given (`kind/id`);
/// `max_items` 1 to 10 000.
///
/// # Safety
/// As for `gcsync_list_status_page`.
#[no_mangle]
pub unsafe extern "C" fn gcsync_force_sync_plan(
    after_id: *const c_char,
    after_id_len: usize,
    max_items: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> GcsyncResult {
    ffi_boundary!({
        let after = Text::Utf8(after_id, after_id_len);
        let page = |after: Option<&str>| full::plan_page(after, max_items);
        // SAFETY: forwarded caller guarantee.
        unsafe { write_page(after, Cursor::Text, page, buf, buf_len, out_len) }
    })
}
