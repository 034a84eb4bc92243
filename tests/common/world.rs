//! One test's world (an emulator, a data directory, settings), gcsync's start, and waiting for
//! what it does.

use super::host::{host, set, LOGS, SERIAL, SETTINGS};
use super::{logs, secrets, try_read_json, CLIENT_ID, CLIENT_SECRET};
use gc_emulator::{Emulator, EmulatorConfig};
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use std::collections::HashMap;
use std::sync::MutexGuard;
use std::time::Duration;

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

/// A world whose emulator does not rate-limit (for tests of hundreds of users).
pub fn fast_world() -> World {
    World::with_emulator(EmulatorConfig {
        rate_limit_per_minute: 1_000_000,
        ..emulator_config()
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

/// Points gcsync at a closed port, with no retry for an hour: nothing reaches Genesys Cloud,
/// every change stays pending (set before `World::start`).
pub fn cloud_down() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    set("api_base_url", &dead_url);
    set("login_base_url", &dead_url);
    set("max_retries", "0");
    set("retry_later_s", "3600");
}
