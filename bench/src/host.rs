//! The benchmark's CIC host: settings, a log sink that keeps only a count and the last warnings,
//! and thin wrappers over gcsync's exported C functions (the same ones a real host calls).

use gcsync::ffi::*;
use gcsync::host::{GcsyncHost, GcsyncLogLevel, GCSYNC_ABI_VERSION};
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The OAuth client the benchmark's emulator accepts.
pub const CLIENT_ID: &str = "gcsync-bench";
/// Its secret.
pub const CLIENT_SECRET: &str = "bench-secret-5c1d";

static SETTINGS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
static LOG_LINES: AtomicU64 = AtomicU64::new(0);
static WARNINGS: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

unsafe extern "C" fn get_setting(
    _: *mut c_void,
    key: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> i64 {
    // SAFETY: gcsync passes a NUL-terminated key.
    let key = unsafe { CStr::from_ptr(key) }.to_string_lossy();
    let g = SETTINGS.lock().unwrap();
    let Some(v) = g.as_ref().and_then(|m| m.get(key.as_ref())) else {
        return -1;
    };
    if v.len() < len {
        // SAFETY: buf is writable for len bytes and v.len() < len.
        unsafe {
            std::ptr::copy_nonoverlapping(v.as_ptr(), buf.cast::<u8>(), v.len());
            *buf.add(v.len()) = 0;
        }
    }
    v.len() as i64
}

unsafe extern "C" fn log_line(
    _: *mut c_void,
    level: GcsyncLogLevel,
    msg: *const c_char,
    len: usize,
) {
    LOG_LINES.fetch_add(1, Ordering::Relaxed);
    if matches!(level, GcsyncLogLevel::Error | GcsyncLogLevel::Warn) {
        // SAFETY: gcsync passes len readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len) };
        let mut w = WARNINGS.lock().unwrap();
        if w.len() == 20 {
            w.pop_front();
        }
        w.push_back(String::from_utf8_lossy(bytes).into_owned());
    }
}

/// The host struct handed to `gcsync_init`. The only place the benchmark builds one.
pub fn host() -> GcsyncHost {
    GcsyncHost {
        abi_version: GCSYNC_ABI_VERSION,
        struct_size: std::mem::size_of::<GcsyncHost>() as u32,
        userdata: std::ptr::null_mut(),
        get_setting: Some(get_setting),
        log: Some(log_line),
        status_changed: None,
        request_snapshot: None,
    }
}

/// Settings for an instance syncing to the emulator at `url`, keeping its state in `data_dir`:
/// the largest request budget gcsync accepts and short retry delays (so an outage's recovery is
/// not a wait for a back-off), everything else at its default.
pub fn configure(url: &str, data_dir: &str) {
    let mut m = HashMap::new();
    for (k, v) in [
        ("api_base_url", url),
        ("login_base_url", url),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("data_dir", data_dir),
        ("requests_per_minute", "100000"),
        ("retry_base_ms", "50"),
        ("retry_later_s", "1"),
        ("log_level", "info"),
    ] {
        m.insert(k.to_string(), v.to_string());
    }
    *SETTINGS.lock().unwrap() = Some(m);
}

/// Sets one more setting (after [`configure`]).
pub fn set(key: &str, value: &str) {
    if let Some(m) = SETTINGS.lock().unwrap().as_mut() {
        m.insert(key.to_string(), value.to_string());
    }
}

/// `gcsync_on_object_changed` for any kind.
pub fn object_changed(kind: gcsync::object::GcsyncObjectKind, json: &str) -> GcsyncResult {
    // SAFETY: json is readable for its length.
    unsafe { gcsync::ffi::gcsync_on_object_changed(kind as u32, json.as_ptr().cast(), json.len()) }
}

/// The last warning and error lines gcsync logged.
pub fn warnings() -> Vec<String> {
    WARNINGS.lock().unwrap().iter().cloned().collect()
}

/// The calling thread's last error message.
pub fn last_error() -> String {
    let mut buf = vec![0u8; 1024];
    // SAFETY: buf is writable for its length.
    let n = unsafe { gcsync_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
    String::from_utf8_lossy(&buf[..n.min(buf.len() - 1)]).into_owned()
}

/// `gcsync_init` with [`host`]; panics with gcsync's message if it fails.
pub fn init() {
    let h = host();
    // SAFETY: h is a valid host struct.
    let r = unsafe { gcsync_init(&h) };
    assert_eq!(r, GcsyncResult::Ok, "gcsync_init: {}", last_error());
}

/// `gcsync_shutdown`.
pub fn shutdown(timeout: Duration) -> GcsyncResult {
    gcsync_shutdown(timeout.as_millis() as u32)
}

/// `gcsync_on_user_changed`.
pub fn user_changed(json: &str) -> GcsyncResult {
    // SAFETY: json is readable for its length.
    unsafe { gcsync_on_user_changed(json.as_ptr().cast(), json.len()) }
}

/// `gcsync_object_status` for a user into `buf` (no allocation by the caller per call).
pub fn user_status_into(id: &str, buf: &mut [u8]) -> GcsyncResult {
    let mut n = 0usize;
    // SAFETY: id readable, buf writable for their lengths; n writable.
    unsafe {
        gcsync_object_status(
            GcsyncObjectKind::User as u32,
            id.as_ptr().cast(),
            id.len(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut n,
        )
    }
}

/// `gcsync_overview` into `buf`.
pub fn overview_into(buf: &mut [u8]) -> GcsyncResult {
    let mut n = 0usize;
    // SAFETY: buf writable for its length; n writable.
    unsafe { gcsync_overview(buf.as_mut_ptr().cast(), buf.len(), &mut n) }
}

/// One walk over every user's status with `gcsync_list_status_page`, `max` a page, into `buf`
/// (grown when a page needs more): the number of pages and of items. Items are counted only
/// when `count` (parsing the pages is not part of a timed walk).
pub fn walk_user_statuses(max: u32, buf: &mut Vec<u8>, count: bool) -> (usize, usize) {
    let (mut after, mut pages, mut items) = (None::<String>, 0, 0);
    loop {
        let mut n = 0usize;
        let (p, l) = after
            .as_deref()
            .map_or((std::ptr::null(), 0), |a| (a.as_ptr().cast(), a.len()));
        // SAFETY: the cursor is readable for its length (or NULL with 0), buf writable for its
        // length, n writable.
        let r = unsafe {
            gcsync_list_status_page(
                GcsyncObjectKind::User as u32,
                p,
                l,
                max,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut n,
            )
        };
        if r == GcsyncResult::BufferTooSmall {
            buf.resize(n + 1, 0);
            continue;
        }
        assert_eq!(r, GcsyncResult::Ok, "{}", last_error());
        pages += 1;
        let text = &buf[..n];
        if count {
            let v: Value = serde_json::from_slice(text).expect("a status page is JSON");
            items += v["items"].as_array().map_or(0, Vec::len);
        }
        // The page ends with `"next_after":<id or null>}`.
        let key = b"\"next_after\":";
        let at = text
            .windows(key.len())
            .rposition(|w| w == key)
            .expect("a page names its next cursor");
        let next: Value = serde_json::from_slice(&text[at + key.len()..n - 1]).expect("cursor");
        match next.as_str() {
            Some(a) => after = Some(a.to_string()),
            None => return (pages, items),
        }
    }
}

/// The overview, parsed.
pub fn overview() -> Value {
    let mut buf = vec![0u8; 64 * 1024];
    assert_eq!(
        overview_into(&mut buf),
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    serde_json::from_slice(&buf[..end]).expect("overview is JSON")
}

/// `gcsync_wait_settled`: true once everything accepted so far reached a final state (Synced,
/// or an Error that waits for an admin) within `timeout`.
pub fn settle(timeout: Duration) -> bool {
    gcsync_wait_settled(timeout.as_millis().min(u32::MAX as u128) as u32) == GcsyncResult::Ok
}

/// `gcsync_flush`: returns once everything accepted before the call is durable.
pub fn flush() {
    let r = gcsync_flush(60_000);
    assert_eq!(r, GcsyncResult::Ok, "gcsync_flush: {}", last_error());
}

/// Commits a Force Complete Sync of `users` (CIC user JSON values): [`force_sync_commit`] with
/// the users' part only.
pub fn force_sync_commit_users(users: &[Value]) {
    force_sync_commit(&[(GcsyncObjectKind::User, users.to_vec())]);
}

/// Commits a Force Complete Sync of every part (a kind and its objects as its hook takes them),
/// each sent in chunks of 500 through `gcsync_force_sync_begin` / `_add` / `_commit`; returns
/// at once (the run goes on).
pub fn force_sync_commit(parts: &[(GcsyncObjectKind, Vec<Value>)]) {
    let mut id = 0u64;
    // SAFETY: id is writable.
    let r = unsafe { gcsync_force_sync_begin(0, &mut id) };
    assert_eq!(r, GcsyncResult::Ok, "force_sync_begin: {}", last_error());
    for (kind, objects) in parts {
        for part in objects.chunks(500) {
            let text = Value::Array(part.to_vec()).to_string();
            // SAFETY: text is readable for its length.
            let r =
                unsafe { gcsync_force_sync_add(*kind as u32, text.as_ptr().cast(), text.len()) };
            assert_eq!(r, GcsyncResult::Ok, "force_sync_add: {}", last_error());
        }
    }
    let r = gcsync_force_sync_commit(0);
    assert_eq!(r, GcsyncResult::Ok, "force_sync_commit: {}", last_error());
}

/// Waits for the full sync to end and for everything it queued to settle (false on a timeout).
pub fn force_sync_settle(timeout: Duration) -> bool {
    let ms = timeout.as_millis().min(u32::MAX as u128) as u32;
    gcsync_force_sync_wait(ms) == GcsyncResult::Ok && settle(timeout)
}

/// [`force_sync_commit`], then [`force_sync_settle`].
pub fn force_sync(parts: &[(GcsyncObjectKind, Vec<Value>)], timeout: Duration) -> bool {
    force_sync_commit(parts);
    force_sync_settle(timeout)
}
