//! gcsync-admin on a database written by a real run: the plugin (through its C API) syncs a
//! small CIC dataset into the emulator, with errors (no email, an email another CIC user has), removals by both policies, a user already
//! gone in Genesys Cloud, a retried 429 and a long 429 left waiting; then every subcommand runs
//! against the data directory, while gcsync runs and after it stopped, and its output is
//! compared with what the database holds (read independently with SQL). The HTML report is
//! checked in headless Chromium (`report_in_browser.py`).

#[path = "../../tests/common/mod.rs"]
mod common;

use common::*;
use gc_emulator::{InjectedFault, RetryAfter};
use gcsync::ffi::*;
use gcsync::genesys::{users, Client, ClientConfig};
use gcsync::metrics::Metrics;
use gcsync::result::GcsyncResult;
use rusqlite::{Connection, OpenFlags};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

fn admin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gcsync-admin"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("GCSYNC_data_dir")
        .output()
        .expect("gcsync-admin runs")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = admin(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fault(method: &str, route: &str, status: u16, retry_after: RetryAfter) -> InjectedFault {
    InjectedFault {
        method: method.into(),
        route: route.into(),
        status,
        code: String::new(),
        retry_after,
        ..InjectedFault::default()
    }
}

fn user(id: &str, email: Option<&str>, phone: Option<&str>) -> String {
    json!({"id": id, "display_name": format!("User {id}"), "business_email": email,
           "mobile_phone": phone})
    .to_string()
}

/// Runs the dataset; gcsync is left running.
fn scenario(w: &World) {
    set("monthly_api_allowance", "30");
    w.start();
    // gcsync's panic hook sends panics to the host's log while it runs: show test failures.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    for i in 1..=5 {
        let id = format!("ok{i}");
        let email = format!("{id}@example.com");
        assert_eq!(
            user_changed(&user(&id, Some(&email), Some("+1 317 555 0100"))),
            GcsyncResult::Ok
        );
    }
    for (id, email) in [
        ("del1", "del1@example.com"),
        ("del2", "del2@example.com"),
        ("gone", "gone@example.com"),
    ] {
        assert_eq!(user_changed(&user(id, Some(email), None)), GcsyncResult::Ok);
    }
    assert_eq!(user_changed(&user("noemail", None, None)), GcsyncResult::Ok);
    // The same email as ok2: an Error that waits for the admin.
    assert_eq!(
        user_changed(&user("dupe", Some("ok2@example.com"), None)),
        GcsyncResult::Ok
    );
    wait_idle();
    // A short 429 (retried inside the call) and an update.
    w.emu.inject(fault(
        "GET",
        "/api/v2/users/{userId}",
        429,
        RetryAfter::Seconds(1),
    ));
    assert_eq!(
        user_changed(&user(
            "ok1",
            Some("ok1@example.com"),
            Some("+1 317 555 0199")
        )),
        GcsyncResult::Ok
    );
    wait_idle();
    // Removals: deactivate, delete, and one already gone in Genesys Cloud.
    assert_eq!(user_deleted("del1"), GcsyncResult::Ok);
    wait_idle();
    set("user_removal_policy", "delete");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    assert_eq!(user_deleted("del2"), GcsyncResult::Ok);
    wait_idle();
    let gone = status("gone")["genesys_id"].as_str().unwrap().to_string();
    let cfg = ClientConfig {
        api_base_url: w.emu.base_url(),
        login_base_url: w.emu.base_url(),
        client_id: CLIENT_ID.into(),
        client_secret: gcsync::secret::Secret::new(CLIENT_SECRET.to_string()),
        ..ClientConfig::default()
    };
    let outside = Client::new(cfg, Arc::new(Metrics::default())).unwrap();
    users::delete(&outside, &gone).unwrap();
    assert_eq!(user_deleted("gone"), GcsyncResult::Ok);
    wait_idle();
    // A long 429: the user waits for a retry time, its change stays pending in the database.
    w.emu.inject(fault(
        "POST",
        "/api/v2/users",
        429,
        RetryAfter::Seconds(900),
    ));
    assert_eq!(
        user_changed(&user("later", Some("later@example.com"), None)),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("later")["pending"], true);
    assert_eq!(flush(), GcsyncResult::Ok);
}

fn db(dir: &Path) -> Connection {
    Connection::open_with_flags(dir.join("gcsync.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn one(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Figures straight from the database.
struct Held {
    synced: i64,
    error: i64,
    not_synced: i64,
    removed: i64,
    pending: i64,
    removals: i64,
    calls: i64,
    limited: i64,
}

fn held(dir: &Path) -> Held {
    let c = db(dir);
    let state = |s: &str| {
        one(
            &c,
            &format!("SELECT count(*) FROM objects WHERE removed = 0 AND state = '{s}'"),
        )
    };
    Held {
        synced: state("Synced"),
        error: state("Error"),
        not_synced: state("Not synced"),
        removed: one(&c, "SELECT count(*) FROM objects WHERE removed = 1"),
        pending: one(&c, "SELECT count(*) FROM objects WHERE change IS NOT NULL"),
        removals: one(
            &c,
            "SELECT count(*) FROM audit WHERE operation IN ('deactivated','deleted','removed')",
        ),
        calls: one(&c, "SELECT coalesce(sum(calls),0) FROM api_usage"),
        limited: one(&c, "SELECT coalesce(sum(rate_limited),0) FROM api_usage"),
    }
}

fn check_text_commands(w: &World) {
    let dir = w.dir.path();
    let h = held(dir);
    assert_eq!((h.synced, h.error, h.removed, h.pending), (5, 3, 3, 1));
    assert_eq!(h.removals, 3);
    // Every answered call of gcsync's counted: all the emulator saw but the outside client's
    // token request and DELETE.
    assert_eq!(
        h.calls as usize,
        w.emu.requests().len() - 2,
        "every answered call counted"
    );
    assert_eq!(h.limited, 2);

    let s = ok(dir, &["status"]);
    let row = s
        .lines()
        .find(|l| l.starts_with("user "))
        .expect("a user row");
    let nums: Vec<i64> = row
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(
        nums,
        [h.synced, h.error, h.not_synced, h.removed, h.pending],
        "{s}"
    );
    assert!(s.contains("errors: 3"), "{s}");
    assert!(s.contains("user noemail: business email required"), "{s}");
    assert!(
        s.contains(&format!("calls, {} answered 429", h.limited)),
        "{s}"
    );
    assert!(s.contains(&format!(": {} calls,", h.calls)), "{s}");
    assert!(s.contains("full sync progress: not recorded yet"), "{s}");
    let pct = h.calls as f64 * 100.0 / 30.0;
    let state = if h.calls > 30 {
        "over"
    } else if pct >= 80.0 {
        "warning"
    } else {
        "ok"
    };
    assert!(
        s.contains(&format!(
            "of monthly_api_allowance 30 ({pct:.1} %, {state})"
        )),
        "{s}"
    );

    let all = ok(dir, &["list"]);
    assert_eq!(all.lines().count(), 1 + 11, "{all}");
    let errors = ok(dir, &["list", "--kind", "user", "--state", "Error"]);
    let ids: Vec<&str> = errors
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(ids, ["dupe", "later", "noemail"]);
    let pending = ok(dir, &["list", "--state", "pending"]);
    assert_eq!(pending.lines().skip(1).count(), 1);
    assert!(pending.contains("later"));
    let removed = ok(dir, &["list", "--state", "removed"]);
    assert_eq!(removed.lines().skip(1).count(), 3);
    assert_eq!(
        ok(dir, &["list", "--state", "not-synced"]).lines().count(),
        1
    );

    let show = ok(dir, &["show", "user", "ok1"]);
    let gid = status("ok1")["genesys_id"].as_str().unwrap().to_string();
    assert!(
        show.contains(&format!("genesys id:        {gid}")),
        "{show}"
    );
    assert!(show.contains("state:             Synced"));
    assert!(show.contains("recent history (2):"), "{show}");
    assert!(
        show.contains("updated") && show.contains("fields=phones.MOBILE"),
        "{show}"
    );
    assert!(show.contains("created"));
    let later = ok(dir, &["show", "user", "later"]);
    assert!(later.contains("pending change:    upsert"), "{later}");
    assert!(later.contains("rate limit"), "{later}");

    let hist = ok(dir, &["history", "--deleted", "--since", "7d"]);
    assert!(
        hist.ends_with(&format!("({} entries)\n", h.removals)),
        "{hist}"
    );
    for (id, op) in [
        ("del1", "deactivated"),
        ("del2", "deleted"),
        ("gone", "removed"),
    ] {
        let line = hist
            .lines()
            .find(|l| l.contains(&format!(" {id} ")))
            .unwrap_or_else(|| panic!("{id}: {hist}"));
        assert!(line.contains(op), "{line}");
    }
    assert!(hist.contains("no longer exists"), "{hist}");
    let everything = ok(dir, &["history"]);
    let audit_rows = one(&db(dir), "SELECT count(*) FROM audit");
    assert!(everything.ends_with(&format!("({audit_rows} entries)\n")));
    assert_eq!(
        ok(dir, &["history", "--since", "1s", "--id", "ok2"])
            .lines()
            .count(),
        2
    );

    let csv = ok(dir, &["export", "--csv"]);
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("kind,id,state,removed,pending,last_synchronized,genesys_id,origin,reason")
    );
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 12);
    assert!(csv.contains("user,ok1,Synced,false,false,"), "{csv}");
    assert!(
        csv.contains("user,noemail,Error,false,false,,,,business email required"),
        "{csv}"
    );
    let audit_csv = ok(dir, &["export", "--csv", "--table", "audit"]);
    assert_eq!(
        audit_csv.split("\r\n").filter(|l| !l.is_empty()).count() as i64,
        1 + audit_rows
    );
    let usage_csv = ok(dir, &["export", "--csv", "--table", "usage"]);
    let total: i64 = usage_csv
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').nth(3).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, h.calls);
    let file = w.dir.path().join("export.csv");
    ok(
        dir,
        &["export", "--csv", "--output", file.to_str().unwrap()],
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
}

#[test]
fn every_subcommand_reads_a_real_database_while_gcsync_runs_and_after() {
    let w = World::new();
    scenario(&w);
    check_text_commands(&w);
    // Reading did not disturb gcsync: it still takes and records changes.
    assert_eq!(
        user_changed(&user("ok6", Some("ok6@example.com"), None)),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("ok6")["state"], "Synced");
    assert_eq!(user_deleted("ok6"), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(flush(), GcsyncResult::Ok);
    let hist = ok(w.dir.path(), &["history", "--deleted"]);
    assert!(
        hist.contains(" ok6 ") && hist.contains("(4 entries)"),
        "{hist}"
    );
    // After shutdown (no -wal, no -shm left) the database still reads.
    let _ = gcsync_shutdown(5_000);
    assert_eq!(
        ok(w.dir.path(), &["list", "--state", "removed"])
            .lines()
            .count(),
        1 + 4
    );
    let report = w.dir.path().join("after.html");
    ok(
        w.dir.path(),
        &["report", "--html", report.to_str().unwrap()],
    );
    assert!(std::fs::read_to_string(report)
        .unwrap()
        .contains("id=\"total-removed\">4<"));
}

#[test]
fn exit_codes_name_what_is_wrong() {
    let w = World::new();
    scenario(&w);
    let code = |dir: &Path, args: &[&str]| {
        let out = admin(dir, args);
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let dir = w.dir.path();
    let (c, e) = code(&dir.join("nope"), &["status"]);
    assert_eq!(c, 3, "{e}");
    assert!(e.contains("does not exist"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let (c, e) = code(empty.path(), &["status"]);
    assert_eq!(c, 3);
    assert!(e.contains("no gcsync database"), "{e}");
    assert_eq!(code(dir, &[]).0, 2);
    assert_eq!(code(dir, &["frobnicate"]).0, 2);
    assert_eq!(code(dir, &["list", "--colour"]).0, 2);
    assert_eq!(code(dir, &["list", "--state", "happy"]).0, 2);
    assert_eq!(code(dir, &["show", "user"]).0, 2);
    assert_eq!(code(dir, &["export"]).0, 2);
    let (c, e) = code(dir, &["show", "user", "nobody"]);
    assert_eq!(c, 4, "{e}");
    let (c, _) = code(dir, &["report", "--html", "/proc/gcsync-admin/report.html"]);
    assert_eq!(c, 7);
    let no_dir = Command::new(env!("CARGO_BIN_EXE_gcsync-admin"))
        .arg("status")
        .env_remove("GCSYNC_data_dir")
        .output()
        .unwrap();
    assert_eq!(no_dir.status.code(), Some(2));
    let via_env = Command::new(env!("CARGO_BIN_EXE_gcsync-admin"))
        .arg("status")
        .env("GCSYNC_data_dir", dir)
        .output()
        .unwrap();
    assert_eq!(via_env.status.code(), Some(0));

    // Locked: another process holds the database in exclusive locking mode.
    let _ = gcsync_shutdown(5_000);
    let locker = Connection::open(dir.join("gcsync.db")).unwrap();
    locker
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE meta SET value = value;",
        )
        .unwrap();
    let started = std::time::Instant::now();
    let (c, e) = code(dir, &["status"]);
    assert_eq!(c, 5, "{e}");
    assert!(e.contains("locked"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(locker);
    assert_eq!(code(dir, &["status"]).0, 0, "readable again once released");

    // A newer schema, and a damaged file.
    let newer = tempfile::tempdir().unwrap();
    std::fs::copy(dir.join("gcsync.db"), newer.path().join("gcsync.db")).unwrap();
    Connection::open(newer.path().join("gcsync.db"))
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let (c, e) = code(newer.path(), &["status"]);
    assert_eq!(c, 6, "{e}");
    assert!(e.contains("newer gcsync"), "{e}");
    let damaged = tempfile::tempdir().unwrap();
    std::fs::write(damaged.path().join("gcsync.db"), vec![0x5a; 8192]).unwrap();
    let (c, e) = code(damaged.path(), &["list"]);
    assert_eq!(c, 6, "{e}");
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GCSYNC_CHROMIUM") {
        return Some(p.into());
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

#[test]
fn the_html_report_shows_the_database_figures_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Debian's chromium (.ci/run does)"
        );
        eprintln!("SKIPPED: no chromium on PATH (install Debian's chromium; CI always runs this)");
        return;
    };
    let w = World::new();
    scenario(&w);
    let dir = w.dir.path();
    let report = dir.join("report.html");
    ok(dir, &["report", "--html", report.to_str().unwrap()]);
    if let Some(keep) = std::env::var_os("GCSYNC_KEEP_REPORT") {
        std::fs::copy(&report, keep).unwrap();
    }
    let h = held(dir);
    let c = db(dir);
    let hourly = one(&c, "SELECT coalesce(sum(calls),0) FROM api_hourly");
    let hourly_429 = one(&c, "SELECT coalesce(sum(rate_limited),0) FROM api_hourly");
    let endpoints = one(&c, "SELECT count(*) FROM api_usage");
    let hours = one(&c, "SELECT count(*) FROM api_hourly WHERE calls > 0");
    let month = gcsync::usage::month_of(gcsync::clock::unix_now());
    let expect = json!({
        "#total-synced": h.synced,
        "#total-error": h.error,
        "#total-removed": h.removed,
        "#total-pending": h.pending,
        "#count-user-synced": h.synced,
        "#count-user-error": h.error,
        "#count-user-not-synced": h.not_synced,
        "#count-user-removed": h.removed,
        "#count-user-pending": h.pending,
        "#error-count": h.error,
        "@tr.error-row": h.error,
        "#usage-month": month,
        "#usage-calls": h.calls,
        "#usage-429": h.limited,
        "@tr.usage-row": endpoints,
        "svg@data-total-calls": hourly,
        "svg@data-total-429": hourly_429,
        "@#calls-chart rect.calls": hours,
        "#removal-count": h.removals,
        "#usage-allowance": 30,
        "#usage-percent": format!("{:.1}", h.calls as f64 * 100.0 / 30.0),
    });
    assert_eq!(hourly, h.calls);
    let expect_file = dir.join("expect.json");
    std::fs::write(&expect_file, expect.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/report_in_browser.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&browser)
        .arg(&report)
        .arg(&expect_file)
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout);
    println!("{said}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("all checks passed"));
}
