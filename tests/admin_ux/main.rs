//! The admin experience through the real C API against the emulator: settings checked at init,
//! messages and logs an admin can act on, and the overview's fields.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod docs;
mod messages;
mod overview;
mod settings;

use common::*;
use gcsync::ffi::*;
use gcsync::host::{GcsyncHost, GcsyncLogLevel, GCSYNC_ABI_VERSION};
use std::ffi::{c_char, c_void};
use std::sync::Mutex;

/// Log lines with their level, captured by [`leveled_host`].
pub static LEVELED: Mutex<Vec<(GcsyncLogLevel, String)>> = Mutex::new(Vec::new());

unsafe extern "C" fn leveled_log(
    _: *mut c_void,
    level: GcsyncLogLevel,
    msg: *const c_char,
    len: usize,
) {
    let bytes = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len) };
    let line = String::from_utf8_lossy(bytes).into_owned();
    push_log(line.clone()); // for the secret scan at the end of each test
    LEVELED.lock().unwrap().push((level, line));
}

/// Starts gcsync with the shared settings but a log callback that keeps each line's level.
pub fn start_leveled() {
    LEVELED.lock().unwrap().clear();
    let h = GcsyncHost {
        abi_version: GCSYNC_ABI_VERSION,
        struct_size: std::mem::size_of::<GcsyncHost>() as u32,
        userdata: std::ptr::null_mut(),
        get_setting: Some(get_setting),
        log: Some(leveled_log),
        status_changed: Some(status_changed),
        request_snapshot: None,
    };
    let rc = unsafe { gcsync_init(&h) };
    assert_eq!(
        rc,
        gcsync::result::GcsyncResult::Ok,
        "init: {}",
        last_error()
    );
}

/// Captured lines at `level` that contain `needle`.
pub fn lines_at(level: GcsyncLogLevel, needle: &str) -> Vec<String> {
    LEVELED
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, t)| *l == level && t.contains(needle))
        .map(|(_, t)| t.clone())
        .collect()
}

/// Every captured line containing `needle`, any level.
pub fn lines(needle: &str) -> Vec<String> {
    LEVELED
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, t)| t.contains(needle))
        .map(|(_, t)| t.clone())
        .collect()
}
