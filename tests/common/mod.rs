//! Shared test host: plays the CIC server through gcsync's real C API (the rlib exports), against
//! an in-process Genesys Cloud emulator. Settings and captured log lines live in statics because
//! the plugin is process-global; a mutex serialises tests that share one process (plain
//! `cargo test`), while nextest gives each test its own process.
#![allow(dead_code)]

pub mod holds;
pub mod proxy;
pub mod rng;
pub mod routing;
pub mod secrets;
pub mod skills;

use gc_emulator::{Emulator, EmulatorConfig};
use gcsync::ffi::*;
use gcsync::host::{GcsyncHost, GcsyncLogLevel, GCSYNC_ABI_VERSION};
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::Value;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub const CLIENT_ID: &str = "gcsync-test";
pub const CLIENT_SECRET: &str = "test-secret-7f3a9c";

static SETTINGS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static SERIAL: Mutex<()> = Mutex::new(());
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

/// One test's world: emulator, data dir, settings. Shuts gcsync down and checks the captured
/// log lines for secrets when dropped.
pub struct World {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
    _serial: MutexGuard<'static, ()>,
}

pub fn emulator_config() -> EmulatorConfig {
    EmulatorConfig {
        clients: vec![(CLIENT_ID.into(), CLIENT_SECRET.into())],
        ..EmulatorConfig::default()
    }
}

impl World {
    /// Starts an emulator and writes settings pointing at it (gcsync not started yet).
    pub fn new() -> World {
        Self::with_emulator(emulator_config())
    }

    pub fn with_emulator(cfg: EmulatorConfig) -> World {
        let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let emu = Emulator::start(cfg).expect("emulator starts");
        let dir = tempfile::tempdir().unwrap();
        *SETTINGS.lock().unwrap() = Some(HashMap::new());
        LOGS.lock().unwrap().clear();
        secrets::reset_outputs();
        set("api_base_url", &emu.base_url());
        set("login_base_url", &emu.base_url());
        set("client_id", CLIENT_ID);
        set("client_secret", CLIENT_SECRET);
        set("data_dir", dir.path().to_str().unwrap());
        set("retry_base_ms", "5");
        set("conflict_backoff_ms", "5");
        set("retry_later_s", "1");
        set("request_timeout_ms", "5000");
        set("log_level", "trace");
        World {
            emu,
            dir,
            _serial: serial,
        }
    }

    pub fn start(&self) {
        assert_eq!(init(), GcsyncResult::Ok, "init: {}", last_error());
    }
}

impl Drop for World {
    /// Reads the overview and every status one last time, shuts gcsync down and runs the
    /// secret scan over everything the test produced ([`World::assert_no_secrets`]). A test
    /// that already panicked only shuts down.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = gcsync_shutdown(5_000);
            // While gcsync runs its panic hook sends panics (the test's own too) to the log.
            for line in logs().iter().filter(|l| l.contains("caught panic")) {
                eprintln!("{line}");
            }
            return;
        }
        let _ = try_read_json(|b, l, o| unsafe { gcsync_overview(b, l, o) });
        let _ = try_read_json(|b, l, o| unsafe {
            gcsync_list_status(GcsyncObjectKind::User as u32, b, l, o)
        });
        let _ = gcsync_shutdown(5_000);
        self.assert_no_secrets();
    }
}

impl World {
    /// The secret scan (see [`secrets`]): every client secret set, its Basic form and every
    /// token the emulator issued, searched for in the captured log lines, every query output
    /// and error message read, and every row and raw byte of the database. Zero hits.
    pub fn assert_no_secrets(&self) {
        secrets::assert_no_secrets_in(
            &logs(),
            Some(self.dir.path()),
            &[CLIENT_ID],
            &self.emu.issued_tokens(),
        );
    }
}

/// Fails if any captured log line, query output or error message holds a client secret set
/// through [`set`], its Basic form, or an Authorization header or token marker (for hosts
/// without an emulator at hand; [`World`] scans more).
pub fn assert_no_secrets() {
    secrets::record_secret(CLIENT_SECRET);
    secrets::assert_no_secrets_in(&logs(), None, &[CLIENT_ID], &[]);
}

pub fn init() -> GcsyncResult {
    let h = host();
    unsafe { gcsync_init(&h) }
}

pub fn last_error() -> String {
    let mut buf = vec![0u8; 1024];
    let n = unsafe { gcsync_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
    let text = String::from_utf8_lossy(&buf[..n.min(1023)]).into_owned();
    secrets::record_output(&text);
    text
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

fn read_json(f: impl Fn(*mut c_char, usize, *mut usize) -> GcsyncResult) -> Value {
    match try_read_json(f) {
        Ok(v) => v,
        Err(r) => panic!("query failed: {r:?}"),
    }
}

/// A query's JSON (recorded for the secret scan), or the code it failed with.
fn try_read_json(
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

/// A CIC user JSON with the given id, display name and email (None → no email).
pub fn cic_user(id: &str, name: &str, email: Option<&str>) -> String {
    serde_json::json!({"id": id, "display_name": name, "business_email": email}).to_string()
}

/// The emulator's user with this email (any state).
pub fn gc_user(emu: &Emulator, email: &str) -> Value {
    emu.user_by_email(email)
        .unwrap_or_else(|| panic!("no Genesys user with email {email}"))
}

/// The phone address of one type on a Genesys user JSON.
pub fn phone(user: &Value, kind: &str) -> Option<String> {
    user["addresses"].as_array()?.iter().find_map(|c| {
        (c["mediaType"] == "PHONE" && c["type"] == kind)
            .then(|| c["address"].as_str().unwrap().to_string())
    })
}

/// Polls until `f` is true or 60 s pass (it returns as soon as `f` holds).
pub fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..1200 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

/// The accepted-but-unapplied changes in the data directory's database (JSON texts), read as
/// a support engineer would with the sqlite3 shell, while gcsync may be running.
pub fn pending_in_db(dir: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("gcsync.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT change FROM objects WHERE change IS NOT NULL ORDER BY change_seq")
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
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

/// API calls logged by the emulator for `method` on routes whose template contains `part`.
pub fn calls_on(emu: &Emulator, method: &str, part: &str) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.method == method && r.route.contains(part))
        .count()
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

/// The status JSON of a stock or custom CIC status; `acd` sets "Status Allow ACD Calls".
pub fn cic_status(status: &str, acd: bool) -> String {
    serde_json::json!({"status": status, "acd_allowed": acd}).to_string()
}

/// The agent-status record's status JSON.
pub fn presence_status(user_id: &str) -> Value {
    status_of(GcsyncObjectKind::AgentStatus, user_id)
}

/// Starts gcsync with presence sync on (Sync Advanced Platform Objects) and a budget that
/// never paces the test, and syncs `n` users `{prefix}{i}`; returns their Genesys ids.
pub fn presence_world(w: &World, prefix: &str, n: usize) -> Vec<String> {
    set("sync_advanced_platform_objects", "true");
    set("requests_per_minute", "100000");
    w.start();
    for i in 0..n {
        let id = format!("{prefix}{i}");
        let email = format!("{id}@example.com");
        assert_eq!(
            user_changed(&cic_user(&id, &id, Some(&email))),
            GcsyncResult::Ok
        );
    }
    wait_idle();
    (0..n)
        .map(|i| {
            let email = format!("{prefix}{i}@example.com");
            gc_user(&w.emu, &email)["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The system presence a user shows in their primary source.
pub fn shown(emu: &Emulator, gid: &str) -> String {
    emu.user_presence(gid)["presenceDefinition"]["systemPresence"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A world whose emulator does not rate-limit (for tests of hundreds of users).
pub fn fast_world() -> World {
    World::with_emulator(EmulatorConfig {
        rate_limit_per_minute: 1_000_000,
        ..emulator_config()
    })
}
