//! The host interface: the struct the host passes to `gcsync_init`, the rule by which gcsync
//! reads it (`abi_version`, then `struct_size`, never a byte past what the host declared), and
//! safe wrappers around its callbacks ([`Host`], `host/callbacks.rs`). Every call into the host
//! goes through [`call_host`], which marks the thread as "inside a callback" so that re-entrant
//! calls can be refused ([`refuse_in_callback`], `host/reentry.rs`).

use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use std::ffi::{c_char, c_void};
use std::mem::{align_of, offset_of, size_of};

/// The ABI version this library speaks; the host puts it in `gcsync_host.abi_version`.
/// Version 2 added `gcsync_host.struct_size`.
pub const GCSYNC_ABI_VERSION: u32 = 2;

/// Log levels passed to the host's log callback.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcsyncLogLevel {
    /// Something failed.
    Error = 1,
    /// Something unexpected that gcsync handled.
    Warn = 2,
    /// Normal operation (objects created, adopted, removed).
    Info = 3,
    /// Detail for troubleshooting.
    Debug = 4,
    /// Very detailed tracing.
    Trace = 5,
}

/// Settings lookup. Write the value of `key` (NUL-terminated) into `value_buf` (capacity
/// `value_buf_len`; NUL-terminate when it fits) and return its length in bytes without the NUL,
/// or -1 when the key is not set. When the returned length is >= `value_buf_len`, gcsync calls
/// again with a larger buffer. Called only on the thread that calls `gcsync_init` or
/// `gcsync_on_settings_changed`, and only during those calls. `key` is valid during the call only.
/// Like every callback it may call only the query and message functions (see `gcsync_host`).
pub type GcsyncGetSettingCallback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        key: *const c_char,
        value_buf: *mut c_char,
        value_buf_len: usize,
    ) -> i64,
>;

/// Log line callback. `message` is NUL-terminated, `message_len` bytes long without the NUL,
/// and valid during the call only. May be called from any thread, including gcsync's worker,
/// concurrently; never after `gcsync_shutdown` returns. It may call only the query and message
/// functions (see `gcsync_host`); the others return `GCSYNC_RESULT_CALLED_FROM_CALLBACK`.
pub type GcsyncLogCallback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: GcsyncLogLevel,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// Optional notification that an object's sync status changed, so the host UI can refresh.
/// Called on gcsync's worker thread; `object_id` (UTF-8) is valid during the call only. It may
/// call the query functions (`gcsync_object_status`, `gcsync_overview`, `gcsync_list_status`) and
/// the message functions; the others return `GCSYNC_RESULT_CALLED_FROM_CALLBACK`.
pub type GcsyncStatusChangedCallback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        kind: GcsyncObjectKind,
        object_id: *const c_char,
        object_id_len: usize,
    ),
>;

/// Optional (appended after the version-2 fields, read only when `struct_size` covers it):
/// gcsync asks the host for a Force Complete Sync snapshot. `reason`:
/// `GCSYNC_SNAPSHOT_REASON_UNCLEAN_STOP` (1, the previous run ended without a clean stop) or
/// `GCSYNC_SNAPSHOT_REASON_PERIOD` (2, `full_sync_period_hours` passed since the last full sync)
/// or `GCSYNC_SNAPSHOT_REASON_TAKEOVER` (3, a standby became active). Called on a
/// gcsync thread; the host must send the snapshot (`gcsync_force_sync_begin` / `_add` /
/// `_commit`) from a thread of its own after returning, since those functions are refused
/// inside a callback. Without it, the overview's `full_sync.recommended` turns `true` instead.
pub type GcsyncRequestSnapshotCallback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, reason: u32)>;

/// What the host gives `gcsync_init`. Set `abi_version = GCSYNC_ABI_VERSION` and
/// `struct_size = sizeof(gcsync_host)`; zero the struct first (`= {0}` or `memset`) so that an
/// unused callback is NULL.
///
/// Compatibility rule: fields are only ever added at the end, each optional (NULL = not
/// provided). gcsync reads `abi_version`, then `struct_size`, and copies only
/// `min(struct_size, its own sizeof(gcsync_host))` bytes: a field beyond what an older host
/// declared reads as NULL, and the extra fields of a newer host are ignored. A `struct_size`
/// smaller than the version-2 struct (these six fields) is refused with
/// `GCSYNC_RESULT_ABI_VERSION_MISMATCH`.
///
/// gcsync copies the struct during `gcsync_init`; the host keeps ownership of `userdata`, which
/// must stay valid until `gcsync_shutdown` returns. The callbacks must be safe to call from the
/// threads their documentation names. From inside any callback only the query functions
/// (`gcsync_object_status`, `gcsync_list_status`, `gcsync_overview` and their UTF-16 forms),
/// `gcsync_result_message`, `gcsync_last_error_message` and `gcsync_abi_version` may be called;
/// every other function returns `GCSYNC_RESULT_CALLED_FROM_CALLBACK` and does nothing.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct GcsyncHost {
    /// Must be `GCSYNC_ABI_VERSION`.
    pub abi_version: u32,
    /// `sizeof(gcsync_host)` as the host compiled it.
    pub struct_size: u32,
    /// Passed back as the first argument of every callback.
    pub userdata: *mut c_void,
    /// Required: settings lookup.
    pub get_setting: GcsyncGetSettingCallback,
    /// Optional: log sink (NULL drops log lines).
    pub log: GcsyncLogCallback,
    /// Optional: status-change notification.
    pub status_changed: GcsyncStatusChangedCallback,
    /// Optional, appended after version 2's six fields: snapshot request (see
    /// [`GcsyncRequestSnapshotCallback`]).
    pub request_snapshot: GcsyncRequestSnapshotCallback,
}

/// Size of the version-2 struct: the smallest `struct_size` accepted. It stays this value when
/// later fields are appended (they come after `status_changed`).
pub const HOST_V2_SIZE: usize =
    offset_of!(GcsyncHost, status_changed) + size_of::<GcsyncStatusChangedCallback>();

impl GcsyncHost {
    /// Everything NULL: the value a field takes when the host's struct does not cover it.
    const EMPTY: GcsyncHost = GcsyncHost {
        abi_version: 0,
        struct_size: 0,
        userdata: std::ptr::null_mut(),
        get_setting: None,
        log: None,
        status_changed: None,
        request_snapshot: None,
    };

    /// Copies the host's struct without reading a byte past what it declares: `abi_version`
    /// first (4 bytes), then `struct_size` (4 more) only for version 2, then
    /// `min(struct_size, sizeof(GcsyncHost))` bytes. In the copy, `struct_size` is the number of
    /// bytes actually read.
    ///
    /// # Safety
    /// `ptr` must be NULL or readable for 4 bytes, for 8 bytes when `abi_version` is 2, and for
    /// `struct_size` bytes when `struct_size` passes the check.
    pub unsafe fn read(ptr: *const GcsyncHost) -> Result<GcsyncHost, Failure> {
        if ptr.is_null() {
            return Err(Failure::new(
                GcsyncResult::NullParameter,
                "host must not be NULL",
            ));
        }
        let words = ptr.cast::<u32>();
        // SAFETY: the caller guarantees 4 readable bytes.
        let abi = unsafe { words.read_unaligned() };
        if abi != GCSYNC_ABI_VERSION {
            return Err(Failure::new(
                GcsyncResult::AbiVersionMismatch,
                format!(
                    "gcsync_host.abi_version is {abi}; this library speaks \
                     {GCSYNC_ABI_VERSION} (rebuild the host with this library's gcsync.h)"
                ),
            ));
        }
        // SAFETY: a version-2 host struct starts with abi_version and struct_size.
        let declared = unsafe { words.add(1).read_unaligned() } as usize;
        if declared < HOST_V2_SIZE {
            return Err(Failure::new(
                GcsyncResult::AbiVersionMismatch,
                format!(
                    "gcsync_host.struct_size is {declared}; a version-{GCSYNC_ABI_VERSION} \
                     gcsync_host has at least {HOST_V2_SIZE} bytes \
                     (set struct_size = sizeof(gcsync_host))"
                ),
            ));
        }
        let mut host = GcsyncHost::EMPTY;
        // SAFETY: the caller guarantees `declared` readable bytes.
        let n = unsafe { copy_prefix(ptr, &mut host, declared) };
        host.struct_size = n as u32;
        Ok(host)
    }
}

/// Copies the first `min(declared, size_of::<T>())` bytes of `*src` over `dst`, rounded down
/// to `T`'s alignment so that no pointer field is copied in part; the rest of `dst` keeps its
/// value (NULL). Returns the number of bytes copied.
///
/// # Safety
/// `src` must be readable for `min(declared, size_of::<T>())` bytes, and any bit pattern of
/// those bytes must be valid for the fields they cover (true of integers, raw pointers and
/// `Option` of function pointers).
unsafe fn copy_prefix<T: Copy>(src: *const T, dst: &mut T, declared: usize) -> usize {
    let n = declared.min(size_of::<T>()) / align_of::<T>() * align_of::<T>();
    // SAFETY: n <= size_of::<T>() bytes of src are readable (caller) and dst is a whole T.
    unsafe {
        std::ptr::copy_nonoverlapping(src.cast::<u8>(), (dst as *mut T).cast::<u8>(), n);
    }
    n
}

mod callbacks;
mod reentry;

pub use callbacks::Host;
pub use reentry::{call_host, current_callback, refuse_in_callback};

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(struct_size: u32) -> GcsyncHost {
        GcsyncHost {
            abi_version: GCSYNC_ABI_VERSION,
            struct_size,
            userdata: 8 as *mut c_void,
            ..GcsyncHost::EMPTY
        }
    }

    #[test]
    fn the_v2_struct_is_six_fields_without_padding() {
        assert_eq!(
            HOST_V2_SIZE + size_of::<GcsyncRequestSnapshotCallback>(),
            size_of::<GcsyncHost>()
        );
        assert_eq!(HOST_V2_SIZE, 8 + 4 * size_of::<usize>());
    }

    #[test]
    fn a_short_or_old_struct_is_refused_and_an_exact_one_read() {
        let short = v2(HOST_V2_SIZE as u32 - 8);
        // SAFETY: a whole struct is readable.
        let f = unsafe { GcsyncHost::read(&short) }.err().unwrap();
        assert_eq!(f.code, GcsyncResult::AbiVersionMismatch);
        assert!(f.message.contains("struct_size"), "{}", f.message);
        let old = GcsyncHost {
            abi_version: 1,
            ..v2(0)
        };
        // SAFETY: as above.
        let f = unsafe { GcsyncHost::read(&old) }.err().unwrap();
        assert!(f.message.contains("abi_version is 1"), "{}", f.message);
        // SAFETY: as above.
        let h = unsafe { GcsyncHost::read(&v2(HOST_V2_SIZE as u32)) }.unwrap();
        assert_eq!(h.userdata as usize, 8);
        assert_eq!(h.struct_size as usize, HOST_V2_SIZE);
    }

    /// A host built against a later header with one more callback at the end.
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Later {
        base: GcsyncHost,
        added: Option<unsafe extern "C" fn(*mut c_void)>,
    }

    unsafe extern "C" fn added(_: *mut c_void) {}

    #[test]
    fn fields_beyond_the_declared_size_read_as_null() {
        let src = Later {
            base: v2(0),
            added: Some(added),
        };
        let empty = Later {
            base: GcsyncHost::EMPTY,
            added: None,
        };
        for (declared, copied, has_added) in [
            (HOST_V2_SIZE, HOST_V2_SIZE, false),
            (HOST_V2_SIZE + 4, HOST_V2_SIZE, false), // half a pointer is not read
            (size_of::<Later>(), size_of::<Later>(), true),
            (size_of::<Later>() + 64, size_of::<Later>(), true),
        ] {
            let mut dst = empty;
            // SAFETY: src is a whole Later; copy_prefix reads at most size_of::<Later>().
            let n = unsafe { copy_prefix(&src, &mut dst, declared) };
            assert_eq!(n, copied, "declared {declared}");
            assert_eq!(dst.added.is_some(), has_added, "declared {declared}");
            assert_eq!(dst.base.userdata as usize, 8);
        }
    }

    #[test]
    fn a_newer_hosts_larger_struct_is_accepted_and_its_tail_ignored() {
        let newer = Later {
            base: v2(size_of::<Later>() as u32),
            added: Some(added),
        };
        // SAFETY: the whole Later is readable, as declared.
        let h = unsafe { GcsyncHost::read(&newer.base) }.unwrap();
        assert_eq!(h.struct_size as usize, size_of::<GcsyncHost>());
    }
}
