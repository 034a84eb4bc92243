//! The host interface at the boundary: how `gcsync_init` reads `gcsync_host` (abi_version, then
//! struct_size, never a byte past what the host declared), and what a callback may call back
//! into (only the query and message functions; everything else is CALLED_FROM_CALLBACK).

mod common;

use common::*;
use gcsync::ffi::*;
use gcsync::host::{GcsyncHost, GcsyncLogLevel, GCSYNC_ABI_VERSION, HOST_V2_SIZE};
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

// ---- gcsync_host: abi_version and struct_size -------------------------------------------------

/// Copies `bytes` to the very end of a readable page followed by an inaccessible one, so that
/// reading one byte past them crashes the test. Leaked on purpose (tests are short processes).
#[cfg(unix)]
fn at_page_end(bytes: &[u8]) -> *const GcsyncHost {
    // SAFETY: plain anonymous mappings; every pointer stays inside the first page.
    unsafe {
        let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
        let base = libc::mmap(
            std::ptr::null_mut(),
            2 * page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(base, libc::MAP_FAILED);
        let base = base.cast::<u8>();
        assert_eq!(
            libc::mprotect(base.add(page).cast(), page, libc::PROT_NONE),
            0
        );
        let start = base.add(page - bytes.len());
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), start, bytes.len());
        start.cast()
    }
}

fn host_bytes(h: &GcsyncHost) -> Vec<u8> {
    // SAFETY: GcsyncHost is plain data without padding (checked in host.rs's unit tests).
    unsafe {
        std::slice::from_raw_parts((h as *const GcsyncHost).cast::<u8>(), HOST_V2_SIZE).to_vec()
    }
}

#[cfg(unix)]
#[test]
fn an_old_or_short_host_struct_is_refused_without_reading_past_what_it_declares() {
    let w = World::new();
    // A version-1 host: gcsync may read abi_version (4 bytes) and nothing more.
    let v1 = at_page_end(&1u32.to_ne_bytes());
    assert_eq!(unsafe { gcsync_init(v1) }, GcsyncResult::AbiVersionMismatch);
    assert!(
        last_error().contains("abi_version is 1"),
        "{}",
        last_error()
    );
    for declared in [0u32, 8, HOST_V2_SIZE as u32 - 8] {
        let mut bytes = host_bytes(&host());
        bytes[4..8].copy_from_slice(&declared.to_ne_bytes());
        bytes.truncate((declared as usize).max(8));
        let short = at_page_end(&bytes);
        assert_eq!(
            unsafe { gcsync_init(short) },
            GcsyncResult::AbiVersionMismatch,
            "struct_size {declared}"
        );
        let msg = last_error();
        assert!(msg.contains(&format!("struct_size is {declared}")), "{msg}");
        assert!(msg.contains("sizeof(gcsync_host)"), "{msg}");
    }
    assert_eq!(
        user_changed(&cic_user("a", "A", None)),
        GcsyncResult::NotInitialized
    );
    // Exactly the version-2 struct, nothing after it (a host built before `request_snapshot`
    // was appended): accepted, and the appended field reads as NULL.
    let mut v2 = host();
    v2.struct_size = HOST_V2_SIZE as u32;
    let exact = at_page_end(&host_bytes(&v2));
    assert_eq!(
        unsafe { gcsync_init(exact) },
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    assert_eq!(
        user_changed(&cic_user("a", "A", Some("a@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("a")["state"], "Synced");
    drop(w);
}

static LATER_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn later_callback(_: *mut c_void) {
    LATER_CALLS.fetch_add(1, Ordering::SeqCst);
}

/// A host built against a later header with two more fields at the end.
#[repr(C)]
struct Newer {
    base: GcsyncHost,
    later: Option<unsafe extern "C" fn(*mut c_void)>,
    flags: u64,
}

#[test]
fn a_newer_hosts_larger_struct_is_accepted_and_its_tail_ignored() {
    let w = World::new();
    let mut newer = Newer {
        base: host(),
        later: Some(later_callback),
        flags: u64::MAX,
    };
    newer.base.struct_size = std::mem::size_of::<Newer>() as u32;
    assert!(newer.base.struct_size as usize > HOST_V2_SIZE);
    assert_eq!(
        unsafe { gcsync_init(&newer.base) },
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    let before = STATUS_EVENTS.load(Ordering::SeqCst);
    assert_eq!(
        user_changed(&cic_user("n", "N", Some("n@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("n")["state"], "Synced");
    // The v2 callbacks were read from the right offsets and are used.
    assert!(STATUS_EVENTS.load(Ordering::SeqCst) > before);
    assert!(
        logs().iter().any(|l| l.contains("started")),
        "log callback used"
    );
    assert_eq!(LATER_CALLS.load(Ordering::SeqCst), 0);
    drop(w);
}

// ---- calls from inside a callback ------------------------------------------------------------

/// One call made from inside a callback.
#[derive(Debug)]
struct Probe {
    callback: &'static str,
    thread: String,
    function: &'static str,
    guarded: bool,
    rc: GcsyncResult,
    message: String,
}

static PROBES: Mutex<Vec<Probe>> = Mutex::new(Vec::new());
/// Which callback probes, and the threads it has probed on already (once per thread).
static PROBE_IN: Mutex<Option<&'static str>> = Mutex::new(None);
static PROBED: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// The threads get_setting ran on.
static SETTING_THREADS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_string()
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// Calls every export from inside `callback` (once per thread and `phase`) and records what
/// each returned.
fn probe(callback: &'static str, phase: &str) {
    if *PROBE_IN.lock().unwrap() != Some(callback) {
        return;
    }
    let thread = thread_name();
    {
        let mut probed = PROBED.lock().unwrap();
        let key = format!("{thread}/{phase}");
        if probed.contains(&key) {
            return;
        }
        probed.push(key);
    }
    let h = host();
    let user = cic_user("probe", "Probe", Some("probe@example.com"));
    let snap = format!(r#"{{"users":[{user}]}}"#);
    let (user16, snap16, id16) = (utf16(&user), utf16(&snap), utf16("probe"));
    let mut buf = vec![0u8; 8192];
    let mut out = 0usize;
    let (b, l, o) = (
        buf.as_mut_ptr().cast::<c_char>(),
        buf.len(),
        &mut out as *mut usize,
    );
    let kind = GcsyncObjectKind::User as u32;
    let record = |function, guarded, rc| {
        PROBES.lock().unwrap().push(Probe {
            callback,
            thread: thread.clone(),
            function,
            guarded,
            rc,
            message: last_error(),
        });
    };
    unsafe {
        record("gcsync_init", true, gcsync_init(&h));
        record("gcsync_shutdown", true, gcsync_shutdown(0));
        record(
            "gcsync_on_settings_changed",
            true,
            gcsync_on_settings_changed(),
        );
        record("gcsync_wait_idle", true, gcsync_wait_idle(0));
        record("gcsync_wait_settled", true, gcsync_wait_settled(0));
        record("gcsync_flush", true, gcsync_flush(0));
        record("gcsync_on_user_changed", true, user_changed(&user));
        let rc = gcsync_on_user_changed_utf16(user16.as_ptr(), user16.len());
        record("gcsync_on_user_changed_utf16", true, rc);
        record("gcsync_on_user_deleted", true, user_deleted("probe"));
        let rc = gcsync_on_user_deleted_utf16(id16.as_ptr(), id16.len());
        record("gcsync_on_user_deleted_utf16", true, rc);
        record("gcsync_on_force_sync", true, force_sync(&snap));
        let rc = gcsync_on_force_sync_utf16(snap16.as_ptr(), snap16.len());
        record("gcsync_on_force_sync_utf16", true, rc);
        let rc = gcsync_object_status(kind, "probe".as_ptr().cast(), 5, b, l, o);
        record("gcsync_object_status", false, rc);
        let rc = gcsync_object_status_utf16(kind, id16.as_ptr(), id16.len(), b, l, o);
        record("gcsync_object_status_utf16", false, rc);
        record(
            "gcsync_list_status",
            false,
            gcsync_list_status(kind, b, l, o),
        );
        record("gcsync_overview", false, gcsync_overview(b, l, o));
        let n = gcsync_result_message(GcsyncResult::CalledFromCallback as u32, b, l);
        let ok = n > 0 && n == libc::strlen(b);
        record(
            "gcsync_result_message",
            false,
            if ok {
                GcsyncResult::Ok
            } else {
                GcsyncResult::Unknown
            },
        );
        let ok = gcsync_last_error_message(std::ptr::null_mut(), 0) < l;
        record(
            "gcsync_last_error_message",
            false,
            if ok {
                GcsyncResult::Ok
            } else {
                GcsyncResult::Unknown
            },
        );
        let ok = gcsync_abi_version() == GCSYNC_ABI_VERSION;
        record(
            "gcsync_abi_version",
            false,
            if ok {
                GcsyncResult::Ok
            } else {
                GcsyncResult::Unknown
            },
        );
    }
}

unsafe extern "C" fn probing_get_setting(
    ud: *mut c_void,
    key: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> i64 {
    SETTING_THREADS.lock().unwrap().push(thread_name());
    // client_id is read once per settings load: probe once at init, once per reload.
    if unsafe { std::ffi::CStr::from_ptr(key) }.to_bytes() == b"client_id" {
        let phase = format!("load{}", SETTING_THREADS.lock().unwrap().len());
        probe("get_setting", &phase);
    }
    unsafe { get_setting(ud, key, buf, len) }
}

unsafe extern "C" fn probing_log(
    ud: *mut c_void,
    level: GcsyncLogLevel,
    msg: *const c_char,
    n: usize,
) {
    unsafe { log_line(ud, level, msg, n) };
    probe("log", "line");
}

unsafe extern "C" fn probing_status(
    ud: *mut c_void,
    k: GcsyncObjectKind,
    id: *const c_char,
    n: usize,
) {
    unsafe { status_changed(ud, k, id, n) };
    probe("status_changed", "event");
}

fn probing_host() -> GcsyncHost {
    GcsyncHost {
        get_setting: Some(probing_get_setting),
        log: Some(probing_log),
        status_changed: Some(probing_status),
        request_snapshot: None,
        ..host()
    }
}

/// Runs a small life (init, a user synced, a settings reload, a force sync) with `callback`
/// probing, then checks every probe: the guarded functions refused with their code and a
/// message naming the callback, the others answered, nothing deadlocked, get_setting never ran
/// off the host thread, and gcsync still works once the callback returned.
fn check_probes_from(callback: &'static str) -> Vec<Probe> {
    let w = World::new();
    *PROBE_IN.lock().unwrap() = Some(callback);
    let h = probing_host();
    assert_eq!(
        unsafe { gcsync_init(&h) },
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    assert_eq!(
        user_changed(&cic_user("u1", "U One", Some("u1@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(
        gcsync_on_settings_changed(),
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    assert_eq!(
        force_sync(
            r#"{"users":[{"id":"u1","display_name":"U 1","business_email":"u1@example.com"}]}"#
        ),
        GcsyncResult::Ok
    );
    wait_idle();
    *PROBE_IN.lock().unwrap() = None;
    let s = status("u1");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(gc_user(&w.emu, "u1@example.com")["name"], "U 1");
    // Nothing a probe tried got through: no "probe" user was queued or synced.
    assert!(w.emu.user_by_email("probe@example.com").is_none());
    assert_eq!(status("probe")["state"], "Not synced");
    let me = thread_name();
    let threads = SETTING_THREADS.lock().unwrap().clone();
    assert!(
        threads.iter().all(|t| *t == me),
        "get_setting ran on {threads:?}"
    );
    drop(w);
    let probes = std::mem::take(&mut *PROBES.lock().unwrap());
    assert!(!probes.is_empty(), "the {callback} callback never probed");
    for p in &probes {
        assert_eq!(p.callback, callback);
        if p.guarded {
            assert_eq!(p.rc, GcsyncResult::CalledFromCallback, "{p:?}");
            assert!(p.message.contains(&format!("{callback} callback")), "{p:?}");
        } else {
            assert_ne!(p.rc, GcsyncResult::CalledFromCallback, "{p:?}");
            assert!(
                matches!(
                    p.rc,
                    GcsyncResult::Ok | GcsyncResult::BufferTooSmall | GcsyncResult::NotInitialized
                ),
                "{p:?}"
            );
        }
    }
    probes
}

#[test]
fn get_setting_may_only_query_during_init_and_reload() {
    let probes = check_probes_from("get_setting");
    // Probed at init (not running yet: queries say NOT_INITIALIZED) and at the reload (they
    // answer).
    let status_rcs: Vec<GcsyncResult> = probes
        .iter()
        .filter(|p| p.function == "gcsync_object_status")
        .map(|p| p.rc)
        .collect();
    assert_eq!(status_rcs, [GcsyncResult::NotInitialized, GcsyncResult::Ok]);
}

#[test]
fn log_may_only_query_on_host_threads_and_on_the_worker() {
    let probes = check_probes_from("log");
    let threads: Vec<&str> = probes.iter().map(|p| p.thread.as_str()).collect();
    assert!(
        threads.iter().any(|t| t.starts_with("gcsync-worker-")),
        "{threads:?}"
    );
    assert!(
        threads.iter().any(|t| !t.starts_with("gcsync-")),
        "{threads:?}"
    );
    let on_worker = probes
        .iter()
        .find(|p| p.thread.starts_with("gcsync-worker-") && p.function == "gcsync_object_status")
        .unwrap();
    assert_eq!(on_worker.rc, GcsyncResult::Ok);
}

#[test]
fn status_changed_may_only_query() {
    let probes = check_probes_from("status_changed");
    assert!(probes
        .iter()
        .all(|p| p.thread.starts_with("gcsync-worker-")));
    assert!(probes
        .iter()
        .filter(|p| !p.guarded)
        .all(|p| p.rc == GcsyncResult::Ok));
}
