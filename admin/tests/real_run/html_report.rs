//! The HTML report checked in headless Chromium (`report_in_browser.py`) against the database's
//! figures.

use crate::common::*;
use crate::database::{db, held, one};
use crate::ok;
use crate::scenario::scenario;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;

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
