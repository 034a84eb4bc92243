//! The exit codes name what is wrong: bad usage, a missing directory or database, a locked one,
//! a newer schema, a damaged file.

use crate::admin;
use crate::common::*;
use crate::scenario::scenario;
use gcsync::ffi::*;
use rusqlite::Connection;
use std::path::Path;
use std::process::Command;

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
