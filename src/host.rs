//! The host interface: the struct the host passes to `gcsync_init` and safe wrappers around its
//! callbacks.

use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use crate::settings::KEYS;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};

/// The ABI version this library speaks; the host puts it in `gcsync_host.abi_version`.
pub const GCSYNC_ABI_VERSION: u32 = 1;

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
/// concurrently; never after `gcsync_shutdown` returns. It must not call back into gcsync.
pub type GcsyncLogCallback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: GcsyncLogLevel,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// Optional notification that an object's sync status changed, so the host UI can refresh.
/// Called on gcsync's worker thread; `object_id` is valid during the call only. It may call the
/// query functions (`gcsync_object_status`, `gcsync_overview`, `gcsync_list_status`) but no other
/// gcsync function.
pub type GcsyncStatusChangedCallback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        kind: GcsyncObjectKind,
        object_id: *const c_char,
        object_id_len: usize,
    ),
>;

/// What the host gives `gcsync_init`. gcsync copies the struct; the host keeps ownership of
/// `userdata`, which must stay valid until `gcsync_shutdown` returns. The callbacks must be safe
/// to call from the threads their documentation names.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct GcsyncHost {
    /// Must be `GCSYNC_ABI_VERSION`.
    pub abi_version: u32,
    /// Passed back as the first argument of every callback.
    pub userdata: *mut c_void,
    /// Required: settings lookup.
    pub get_setting: GcsyncGetSettingCallback,
    /// Optional: log sink (NULL drops log lines).
    pub log: GcsyncLogCallback,
    /// Optional: status-change notification.
    pub status_changed: GcsyncStatusChangedCallback,
}

/// A copy of the host struct that may move between threads: the host promises its callbacks are
/// thread-safe as documented.
#[derive(Clone, Copy)]
pub struct Host(pub GcsyncHost);

// SAFETY: the host interface contract (README, header) requires userdata and the callbacks to be
// usable from the threads gcsync documents; gcsync never dereferences userdata itself.
unsafe impl Send for Host {}
// SAFETY: as above.
unsafe impl Sync for Host {}

impl Host {
    /// Reads one setting through the host callback.
    fn setting(&self, key: &str) -> Result<Option<String>, Failure> {
        let Some(get) = self.0.get_setting else {
            return Ok(None);
        };
        let ckey = CString::new(key).expect("setting keys have no NUL");
        let mut buf = vec![0u8; 256];
        for _ in 0..4 {
            // SAFETY: buf is writable for buf.len() bytes; ckey is NUL-terminated.
            let n = unsafe {
                get(
                    self.0.userdata,
                    ckey.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            };
            if n < 0 {
                return Ok(None);
            }
            let n = n as usize;
            if n < buf.len() {
                buf.truncate(n);
                return String::from_utf8(buf).map(Some).map_err(|_| {
                    Failure::new(
                        GcsyncResult::InvalidUtf8,
                        format!("setting {key} is not valid UTF-8"),
                    )
                });
            }
            if n > 1 << 20 {
                break;
            }
            buf = vec![0u8; n + 1];
        }
        Err(Failure::new(
            GcsyncResult::InvalidSetting,
            format!("setting {key}: the host returned an inconsistent or over-long (>1 MiB) value"),
        ))
    }

    /// Reads every known setting into a map.
    pub fn read_settings(&self) -> Result<HashMap<String, String>, Failure> {
        if self.0.get_setting.is_none() {
            return Err(Failure::new(
                GcsyncResult::NullParameter,
                "gcsync_host.get_setting must not be NULL",
            ));
        }
        let mut out = HashMap::new();
        for key in KEYS {
            if let Some(v) = self.setting(key)? {
                out.insert(key.to_string(), v);
            }
        }
        Ok(out)
    }

    /// Tells the host an object's status changed.
    pub fn status_changed(&self, kind: GcsyncObjectKind, id: &str) {
        if let Some(cb) = self.0.status_changed {
            let c = CString::new(id.replace('\0', "")).unwrap_or_default();
            // SAFETY: c is NUL-terminated and lives across the call.
            unsafe { cb(self.0.userdata, kind, c.as_ptr(), c.as_bytes().len()) };
        }
    }
}
