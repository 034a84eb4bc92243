//! The host side of the C API: the callbacks gcsync calls (settings, log, status events) and
//! the statics behind them (the plugin is process-global).

use super::secrets;
use gcsync::host::{GcsyncHost, GcsyncLogLevel, GCSYNC_ABI_VERSION};
use gcsync::object::GcsyncObjectKind;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub const CLIENT_ID: &str = "gcsync-test";
pub const CLIENT_SECRET: &str = "test-secret-7f3a9c";

pub(super) static SETTINGS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
pub(super) static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());
pub(super) static SERIAL: Mutex<()> = Mutex::new(());
pub static STATUS_EVENTS: AtomicUsize = AtomicUsize::new(0);

pub unsafe extern "C" fn get_setting(
    _: *mut c_void,
    key: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> i64 {
    let key = unsafe { CStr::from_ptr(key) }.to_str().unwrap().to_string();
    let g = SETTINGS.lock().unwrap();
    let Some(v) = g.as_ref().and_then(|m| m.get(&key)) else {
        return -1;
    };
    let bytes = v.as_bytes();
    if bytes.len() < len {
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len());
            *buf.add(bytes.len()) = 0;
        }
    }
    bytes.len() as i64
}

pub unsafe extern "C" fn log_line(
    _: *mut c_void,
    _level: GcsyncLogLevel,
    msg: *const c_char,
    len: usize,
) {
    let bytes = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len) };
    let line = String::from_utf8_lossy(bytes).into_owned();
    // gcsync's panic hook sends every panic of the process to the host's log while connected,
    // a failing assertion of the test included: show those on stderr as the test harness would.
    if line.contains("caught panic") {
        eprintln!("{line}");
    }
    // The crash tests' children are killed with their captured log: `GCSYNC_CRASH_KEEP=1` has
    // them append it to `child.log` in their data directory as it comes (crash_support).
    if let Ok(path) = std::env::var("GCSYNC_CRASH_CHILD_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
    LOGS.lock().unwrap().push(line);
}

pub unsafe extern "C" fn status_changed(
    _: *mut c_void,
    _: GcsyncObjectKind,
    _: *const c_char,
    _: usize,
) {
    STATUS_EVENTS.fetch_add(1, Ordering::SeqCst);
}

pub fn host() -> GcsyncHost {
    GcsyncHost {
        abi_version: GCSYNC_ABI_VERSION,
        struct_size: std::mem::size_of::<GcsyncHost>() as u32,
        userdata: std::ptr::null_mut(),
        get_setting: Some(get_setting),
        log: Some(log_line),
        status_changed: Some(status_changed),
        request_snapshot: None,
    }
}

pub fn set(key: &str, value: &str) {
    if key == "client_secret" {
        secrets::record_secret(value);
    }
    SETTINGS
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .insert(key.into(), value.into());
}

/// The settings the host hands gcsync now.
pub fn settings_snapshot() -> HashMap<String, String> {
    SETTINGS.lock().unwrap().clone().unwrap_or_default()
}

/// Replaces every setting with `map`.
pub fn restore_settings(map: &HashMap<String, String>) {
    *SETTINGS.lock().unwrap() = Some(map.clone());
}

pub fn unset(key: &str) {
    if let Some(m) = SETTINGS.lock().unwrap().as_mut() {
        m.remove(key);
    }
}

/// Captures a log line as [`log_line`] does (for tests with a log callback of their own).
pub fn push_log(line: String) {
    LOGS.lock().unwrap().push(line);
}

pub fn logs() -> Vec<String> {
    LOGS.lock().unwrap().clone()
}
