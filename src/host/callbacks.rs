//! [`Host`]: a thread-safe copy of the host struct with safe wrappers around its callbacks
//! (settings, status changes, snapshot requests, log lines), each call marked by [`call_host`].

use super::{call_host, GcsyncHost, GcsyncLogLevel};
use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use crate::settings::KEYS;
use std::collections::HashMap;
use std::ffi::{CStr, CString};

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
            let n = call_host("get_setting", || unsafe {
                get(
                    self.0.userdata,
                    ckey.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            });
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
            call_host("status_changed", || unsafe {
                cb(self.0.userdata, kind, c.as_ptr(), c.as_bytes().len())
            });
        }
    }

    /// Asks the host for a snapshot; false when it has no `request_snapshot` callback.
    pub fn request_snapshot(&self, reason: u32) -> bool {
        let Some(cb) = self.0.request_snapshot else {
            return false;
        };
        // SAFETY: the host's callback with its own userdata.
        call_host("request_snapshot", || unsafe {
            cb(self.0.userdata, reason)
        });
        true
    }

    /// Hands one log line to the host's log callback (if any).
    pub fn log(&self, level: GcsyncLogLevel, line: &CStr) {
        if let Some(cb) = self.0.log {
            // SAFETY: line is NUL-terminated and lives across the call.
            call_host("log", || unsafe {
                cb(self.0.userdata, level, line.as_ptr(), line.to_bytes().len())
            });
        }
    }
}
