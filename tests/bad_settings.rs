//! Bad host settings (issue 12 item 8), table-driven: every setting of `src/settings.rs` with a
//! wrong type, an out-of-range value or a bad combination gets its documented code and a message
//! naming the setting, both at `gcsync_init` and at `gcsync_on_settings_changed`; a refused
//! change keeps the last good configuration running, shown by a user change after each refusal
//! that still syncs (while the refused set also carried a wrong client secret, so any part of it
//! applied would have failed the login).

mod common;

use common::*;
use gcsync::ffi::gcsync_on_settings_changed;
use gcsync::result::GcsyncResult;
use gcsync::result::GcsyncResult::{ConflictingSettings, InvalidSetting, MissingSetting};

struct Row {
    /// Settings changed (None: unset) on top of the good ones.
    change: Vec<(&'static str, Option<String>)>,
    code: GcsyncResult,
    /// The message must hold each of these (the first is the setting's key)...
    names: Vec<String>,
    /// ... and none of these (credentials typed into a URL).
    hides: Vec<&'static str>,
    /// Also tried at init (false: only a running gcsync can see it, e.g. data_dir moving).
    at_init: bool,
}

fn row(change: &[(&'static str, Option<&str>)], code: GcsyncResult, names: &[&str]) -> Row {
    Row {
        change: change
            .iter()
            .map(|(k, v)| (*k, v.map(str::to_string)))
            .collect(),
        code,
        names: names.iter().map(|s| s.to_string()).collect(),
        hides: Vec::new(),
        at_init: true,
    }
}

fn one(key: &'static str, value: &str, code: GcsyncResult) -> Row {
    row(&[(key, Some(value))], code, &[key])
}

/// Every numeric setting with its range (README's settings table).
const NUMBERS: [(&str, u64, u64); 14] = [
    ("requests_per_minute", 1, 100_000),
    ("connect_timeout_ms", 100, 300_000),
    ("request_timeout_ms", 100, 600_000),
    ("max_retries", 0, 20),
    ("retry_base_ms", 1, 60_000),
    ("max_retry_after_s", 0, 86_400),
    ("version_conflict_retries", 1, 50),
    ("conflict_backoff_ms", 0, 60_000),
    ("retry_later_s", 1, 3600),
    ("max_payload_bytes", 1024, 67_108_864),
    ("max_pending_objects", 1, 100_000_000),
    ("audit_retention_days", 1, 3650),
    ("audit_max_rows", 1000, 100_000_000),
    ("monthly_api_allowance", 1, 1_000_000_000_000),
];

fn rows(dir: &std::path::Path) -> Vec<Row> {
    let mut rows = Vec::new();
    for (key, min, max) in NUMBERS {
        let mut bad = vec![
            (max + 1).to_string(),
            "abc".into(),
            "-1".into(),
            "1.5".into(),
            "1e3".into(),
            "18446744073709551616".into(),
            "0x10".into(),
        ];
        if min > 0 {
            bad.push((min - 1).to_string());
        }
        for v in bad {
            rows.push(one(key, &v, InvalidSetting));
        }
    }
    for key in ["sync_user_objects", "sync_advanced_platform_objects"] {
        for v in ["maybe", "2", "truee"] {
            rows.push(one(key, v, InvalidSetting));
        }
    }
    for (key, v) in [
        ("region", "mars_north_1"),
        ("user_removal_policy", "purge"),
        ("log_level", "verbose"),
        ("background_priority", "high"),
        ("background_priority", "idle"),
        ("division_id", "not-a-guid"),
        ("division_id", "5f4ae2b8-1d3c-4e7a-9b60-0c8d2e1f3a4"),
        ("default_country_code", "0"),
        ("default_country_code", "1234"),
        ("default_country_code", "abc"),
        ("data_dir", "relative/gcsync"),
        ("api_base_url", "https://api.mypurecloud.com/api/v2"),
        ("api_base_url", "http://api.mypurecloud.com"),
        ("api_base_url", "http://10.0.0.1:8080"),
        ("api_base_url", "https://api.mypurecloud.com/?x=1"),
        ("api_base_url", "not a url"),
        ("login_base_url", "ftp://127.0.0.1:21"),
        (
            "login_base_url",
            "https://login.mypurecloud.com/oauth/token",
        ),
        ("http_proxy", "ftp://proxy:21"),
        ("http_proxy", "http://proxy host:3128"),
        ("http_proxy", "proxy:3128"),
        ("ca_bundle", "/nonexistent/gcsync-ca.pem"),
    ] {
        rows.push(one(key, v, InvalidSetting));
    }
    // Credentials typed into URLs are refused without being shown.
    for key in ["http_proxy", "api_base_url", "login_base_url"] {
        let mut r = one(
            key,
            "https://user:hunter2pw@host.example:3128/x",
            InvalidSetting,
        );
        r.hides.push("hunter2pw");
        rows.push(r);
    }
    let mut r = one(
        "http_proxy",
        "gopher://user:hunter2pw@proxy:70",
        InvalidSetting,
    );
    r.hides.push("hunter2pw");
    rows.push(r);
    // A CA bundle that is not a certificate, an empty one, a directory.
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    for p in [&garbage, &empty, &dir.to_path_buf()] {
        let path = p.to_str().unwrap();
        let mut r = one("ca_bundle", path, InvalidSetting);
        r.names.push(path.to_string());
        rows.push(r);
    }
    // Missing required settings (an empty value means "not set").
    for key in ["client_id", "client_secret", "data_dir"] {
        rows.push(row(&[(key, None)], MissingSetting, &[key]));
        rows.push(row(&[(key, Some(""))], MissingSetting, &[key]));
    }
    rows.push(row(
        &[("client_id", Some("   "))],
        MissingSetting,
        &["client_id"],
    ));
    // Combinations.
    rows.push(row(
        &[("login_base_url", None)],
        MissingSetting,
        &["region", "login_base_url"],
    ));
    rows.push(row(
        &[("api_base_url", None), ("login_base_url", None)],
        MissingSetting,
        &["region"],
    ));
    rows.push(row(
        &[
            ("sync_user_objects", Some("false")),
            ("sync_advanced_platform_objects", Some("true")),
        ],
        ConflictingSettings,
        &["sync_advanced_platform_objects", "sync_user_objects"],
    ));
    rows.push(row(
        &[
            ("region", Some("us_east_1")),
            ("api_base_url", Some("https://api.mypurecloud.ie")),
        ],
        ConflictingSettings,
        &["api_base_url", "eu_west_1", "region"],
    ));
    rows.push(row(
        &[
            ("region", Some("eu-central-1")),
            ("login_base_url", Some("https://login.mypurecloud.com")),
        ],
        ConflictingSettings,
        &["login_base_url", "us_east_1", "region"],
    ));
    // Only a running gcsync can refuse these.
    let mut r = one(
        "data_dir",
        dir.join("elsewhere").to_str().unwrap(),
        InvalidSetting,
    );
    r.at_init = false;
    rows.push(r);
    rows
}

fn apply(r: &Row) {
    for (k, v) in &r.change {
        match v {
            Some(v) => set(k, v),
            None => unset(k),
        }
    }
}

fn check_message(r: &Row, when: &str) {
    let why = last_error();
    for name in &r.names {
        assert!(
            why.contains(name.as_str()),
            "{when} {:?}: {why:?} lacks {name:?}",
            r.change
        );
    }
    for h in &r.hides {
        assert!(
            !why.contains(h),
            "{when} {:?}: {why:?} shows {h:?}",
            r.change
        );
    }
}

#[test]
fn every_bad_setting_is_refused_at_init_with_its_code_and_key() {
    let w = World::new();
    set("requests_per_minute", "100000");
    let good = settings_snapshot();
    let rows = rows(w.dir.path());
    let mut tried = 0;
    for r in rows.iter().filter(|r| r.at_init) {
        restore_settings(&good);
        apply(r);
        assert_eq!(init(), r.code, "init with {:?}: {}", r.change, last_error());
        check_message(r, "init");
        tried += 1;
    }
    assert!(tried > 150, "only {tried} rows");
    restore_settings(&good);
    w.start();
}

#[test]
fn a_refused_change_keeps_the_last_good_configuration_running() {
    // One user per row: more calls a minute than Genesys' 300 per token.
    let w = World::with_emulator(gc_emulator::EmulatorConfig {
        rate_limit_per_minute: 100_000,
        ..emulator_config()
    });
    set("requests_per_minute", "100000");
    let good = settings_snapshot();
    w.start();
    let rows = rows(w.dir.path());
    for (i, r) in rows.iter().enumerate() {
        restore_settings(&good);
        // A wrong secret rides along: had any part of the set been applied, the next login
        // (a new client is made for new credentials) would fail.
        if !r.change.iter().any(|(k, _)| *k == "client_secret") {
            set("client_secret", "refused-along-with-the-rest");
        }
        apply(r);
        assert_eq!(
            gcsync_on_settings_changed(),
            r.code,
            "settings change {:?}: {}",
            r.change,
            last_error()
        );
        check_message(r, "on_settings_changed");
        let id = format!("kept{i}");
        let json = cic_user(&id, &id, Some(&format!("{id}@example.com")));
        assert_eq!(user_changed(&json), GcsyncResult::Ok, "{}", last_error());
        wait_idle();
        assert_eq!(
            status(&id)["state"],
            "Synced",
            "after {:?}: {}",
            r.change,
            status(&id)
        );
    }
    assert_eq!(w.emu.users().len(), rows.len());
    assert_eq!(overview()["objects"]["error"], 0);
    restore_settings(&good);
    set("user_removal_policy", "delete");
    assert_eq!(
        gcsync_on_settings_changed(),
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    assert_eq!(user_deleted("kept0"), GcsyncResult::Ok);
    wait_idle();
    let gid = status("kept0")["genesys_id"].as_str().unwrap().to_string();
    assert_eq!(
        w.emu.user(&gid).unwrap()["state"],
        "deleted",
        "the good change applies"
    );
}

/// The key the odd host below misbehaves for, and how: 0 = fine, 1 = bytes that are not
/// UTF-8, 2 = a length that never fits the buffer gcsync offers (a host that lies).
static ODD: std::sync::Mutex<(&str, u8)> = std::sync::Mutex::new(("", 0));

unsafe extern "C" fn odd_get_setting(
    ud: *mut std::ffi::c_void,
    key: *const std::ffi::c_char,
    buf: *mut std::ffi::c_char,
    len: usize,
) -> i64 {
    let k = unsafe { std::ffi::CStr::from_ptr(key) }.to_str().unwrap();
    let (odd_key, how) = *ODD.lock().unwrap();
    if k != odd_key || how == 0 {
        return unsafe { get_setting(ud, key, buf, len) };
    }
    if how == 1 {
        let bytes = b"ab\xff\xfecd";
        if bytes.len() < len {
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast(), bytes.len()) };
        }
        return bytes.len() as i64;
    }
    len as i64 + 10
}

#[test]
fn a_host_handing_bad_bytes_or_lying_lengths_is_refused_naming_the_key() {
    let w = World::new();
    let mut h = host();
    h.get_setting = Some(odd_get_setting);
    let start = |h: &gcsync::host::GcsyncHost| unsafe { gcsync::ffi::gcsync_init(h) };
    let cases = [
        ("client_id", 1, GcsyncResult::InvalidUtf8),
        ("log_level", 1, GcsyncResult::InvalidUtf8),
        ("data_dir", 2, InvalidSetting),
        ("http_proxy", 2, InvalidSetting),
    ];
    for (key, how, code) in cases {
        *ODD.lock().unwrap() = (key, how);
        assert_eq!(start(&h), code, "{key}: {}", last_error());
        assert!(last_error().contains(key), "{}", last_error());
    }
    *ODD.lock().unwrap() = ("", 0);
    assert_eq!(start(&h), GcsyncResult::Ok, "{}", last_error());
    for (key, how, code) in cases {
        *ODD.lock().unwrap() = (key, how);
        assert_eq!(gcsync_on_settings_changed(), code, "{key}");
        assert!(last_error().contains(key), "{}", last_error());
    }
    *ODD.lock().unwrap() = ("", 0);
    assert_eq!(
        user_changed(&cic_user("odd", "Odd", Some("odd@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("odd")["state"], "Synced");
    drop(w);
}
