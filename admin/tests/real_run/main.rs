//! gcsync-admin on a database written by a real run: the plugin (through its C API) syncs a
//! small CIC dataset into the emulator, with errors (no email, an email another CIC user has),
//! removals by both policies, a user already gone in Genesys Cloud, a retried 429 and a long 429
//! left waiting; then every subcommand runs against the data directory, while gcsync runs and
//! after it stopped, and its output is compared with what the database holds (read
//! independently with SQL). The HTML report is checked in headless Chromium
//! (`report_in_browser.py`).

#[path = "../../../tests/common/mod.rs"]
mod common;

mod database;
mod exit_codes;
mod html_report;
mod scenario;
mod text_commands;

use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

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

fn user(id: &str, email: Option<&str>, phone: Option<&str>) -> String {
    json!({"id": id, "display_name": format!("User {id}"), "business_email": email,
           "mobile_phone": phone})
    .to_string()
}
