//! The worker survives a panic while syncing one object (the panic is injected under cfg(test)).

use crate::host::{GcsyncHost, GCSYNC_ABI_VERSION};
use crate::object::GcsyncObjectKind;
use crate::runtime;
use serde_json::Value;
use std::ffi::{c_char, c_void, CStr};
use std::sync::Mutex;
use std::time::Duration;

pub(super) static PANIC_FOR: Mutex<Option<String>> = Mutex::new(None);
static DATA_DIR: Mutex<String> = Mutex::new(String::new());

unsafe extern "C" fn get_setting(
    _: *mut c_void,
    key: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> i64 {
    // SAFETY: gcsync passes a NUL-terminated key.
    let key = unsafe { CStr::from_ptr(key) }.to_str().unwrap();
    let value = match key {
        "api_base_url" | "login_base_url" => "http://127.0.0.1:9".to_string(),
        "client_id" => "id".into(),
        "client_secret" => "secret".into(),
        "data_dir" => DATA_DIR.lock().unwrap().clone(),
        _ => return -1,
    };
    if value.len() < len {
        // SAFETY: buf holds len bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(value.as_ptr(), buf.cast::<u8>(), value.len());
            *buf.add(value.len()) = 0;
        }
    }
    value.len() as i64
}

fn status(id: &str) -> Value {
    serde_json::from_str(&runtime::object_status(GcsyncObjectKind::User, id).unwrap()).unwrap()
}

#[test]
fn worker_survives_a_panic_and_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    *DATA_DIR.lock().unwrap() = dir.path().to_str().unwrap().to_string();
    let host = GcsyncHost {
        abi_version: GCSYNC_ABI_VERSION,
        struct_size: std::mem::size_of::<GcsyncHost>() as u32,
        userdata: std::ptr::null_mut(),
        get_setting: Some(get_setting),
        log: None,
        status_changed: None,
        request_snapshot: None,
    };
    runtime::init(&host).unwrap();
    *PANIC_FOR.lock().unwrap() = Some("boom".into());
    runtime::object_changed(crate::object::GcsyncObjectKind::User, r#"{"id":"boom"}"#).unwrap();
    runtime::wait_idle(Duration::from_secs(10)).unwrap();
    let s = status("boom");
    assert_eq!(s["state"], "Error");
    assert!(
        s["reason"].as_str().unwrap().contains("internal error"),
        "{s}"
    );
    assert_eq!(s["pending"], true, "retried later");
    *PANIC_FOR.lock().unwrap() = None;
    runtime::object_changed(crate::object::GcsyncObjectKind::User, r#"{"id":"after"}"#).unwrap();
    runtime::wait_idle(Duration::from_secs(10)).unwrap();
    assert_eq!(status("after")["reason"], "business email required");
    let o: Value = serde_json::from_str(&runtime::overview().unwrap()).unwrap();
    assert_eq!(o["worker_panics"], 1);
    assert_eq!(o["worker_alive"], true);
    runtime::shutdown(Duration::from_secs(1)).unwrap_err();
}
