//! Settings as init sees them: the data directory's mode, a relative data_dir, the case rule,
//! a base URL with a path, division_id.

use crate::common::*;
use gcsync::result::GcsyncResult;

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn an_existing_open_data_dir_is_tightened_to_0700_at_init() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    let dir = w.dir.path().join("open");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(mode(&dir), 0o755);
    set("data_dir", dir.to_str().unwrap());
    w.start();
    assert_eq!(mode(&dir), 0o700, "data_dir left open to other users");
    assert_eq!(mode(&dir.join("gcsync.db")), 0o600);
    assert_eq!(mode(&dir.join("gcsync.lock")), 0o600);
}

#[test]
fn a_relative_data_dir_is_refused_at_init() {
    let _w = World::new();
    set("data_dir", "gcsync-data");
    assert_eq!(init(), GcsyncResult::InvalidSetting);
    let why = last_error();
    assert!(
        why.contains("data_dir") && why.contains("absolute path"),
        "{why}"
    );
    assert!(
        !std::path::Path::new("gcsync-data").exists(),
        "nothing created"
    );
}

#[test]
fn word_settings_are_case_insensitive_end_to_end() {
    let w = World::new();
    set("user_removal_policy", "Delete");
    set("log_level", "DEBUG");
    set("sync_user_objects", "True");
    w.start();
    assert_eq!(
        user_changed(&cic_user("cd", "Cd", Some("cd@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let gid = status("cd")["genesys_id"].as_str().unwrap().to_string();
    assert_eq!(user_deleted("cd"), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(w.emu.user(&gid).unwrap()["state"], "deleted");
}

#[test]
fn a_base_url_with_a_path_is_refused_at_init_with_the_url_to_use() {
    let w = World::new();
    set("api_base_url", &format!("{}/api/v2", w.emu.base_url()));
    assert_eq!(init(), GcsyncResult::InvalidSetting);
    let why = last_error();
    assert!(why.contains("api_base_url"), "{why}");
    assert!(why.contains("without a path (got /api/v2)"), "{why}");
    assert!(why.contains(&format!("use {}", w.emu.base_url())), "{why}");
    assert!(w.emu.requests().is_empty(), "no call made");
}

#[test]
fn a_malformed_division_id_is_refused_at_init() {
    let _w = World::new();
    set("division_id", "Home");
    assert_eq!(init(), GcsyncResult::InvalidSetting);
    assert!(last_error().contains("division_id"), "{}", last_error());
}

#[test]
fn an_unknown_division_is_an_error_naming_the_setting_at_the_first_create() {
    let w = World::new();
    let unknown = "00000000-0000-4000-8000-000000000001";
    set("division_id", unknown);
    w.start();
    for id in ["dv1", "dv2"] {
        let user = cic_user(id, id, Some(&format!("{id}@example.com")));
        assert_eq!(user_changed(&user), GcsyncResult::Ok);
    }
    wait_idle();
    for id in ["dv1", "dv2"] {
        let s = status(id);
        assert_eq!(s["state"], "Error");
        let reason = s["reason"].as_str().unwrap();
        assert!(
            reason.starts_with(&format!("setting division_id={unknown} is not a division")),
            "{reason}"
        );
        assert_eq!(s["pending"], false, "waits for the admin, not retried");
    }
    assert!(w.emu.users().is_empty());
    // Fixing the setting retries them at once.
    set("division_id", &w.emu.config().home_division_id);
    assert_eq!(gcsync::ffi::gcsync_on_settings_changed(), GcsyncResult::Ok);
    eventually("both retried with the fixed setting", || {
        status("dv1")["state"] == "Synced" && status("dv2")["state"] == "Synced"
    });
}
