//! The audit trail and API usage, end to end: rows in gcsync.db (read as a support engineer
//! would, read-only, while gcsync runs), their correlation ids against the emulator's log,
//! retention by age and size through the settings, and the month's usage against the allowance.

use crate::common::*;
use crate::{lines_at, start_leveled};
use gcsync::ffi::*;
use gcsync::host::GcsyncLogLevel as L;
use gcsync::result::GcsyncResult;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
struct Row {
    at: i64,
    id: String,
    op: String,
    fields: Option<String>,
    result: String,
    reason: Option<String>,
    genesys_id: Option<String>,
    correlation_id: Option<String>,
    calls: i64,
}

fn read_only(dir: &Path) -> Connection {
    Connection::open_with_flags(dir.join("gcsync.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn audit(dir: &Path) -> Vec<Row> {
    assert_eq!(flush(), GcsyncResult::Ok);
    let conn = read_only(dir);
    let mut stmt = conn
        .prepare(
            "SELECT at, cic_id, operation, fields, result, reason, genesys_id, correlation_id, \
             calls FROM audit ORDER BY id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(Row {
                at: r.get(0)?,
                id: r.get(1)?,
                op: r.get(2)?,
                fields: r.get(3)?,
                result: r.get(4)?,
                reason: r.get(5)?,
                genesys_id: r.get(6)?,
                correlation_id: r.get(7)?,
                calls: r.get(8)?,
            })
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn of(rows: &[Row], id: &str) -> Vec<Row> {
    rows.iter().filter(|r| r.id == id).cloned().collect()
}

#[test]
fn a_removal_is_recorded_with_the_correlation_id_of_its_call() {
    let w = World::new();
    w.start();
    let u = cic_user("rm", "Rm", Some("rm@example.com"));
    assert_eq!(user_changed(&u), GcsyncResult::Ok);
    wait_idle();
    let gid = status("rm")["genesys_id"].as_str().unwrap().to_string();
    w.emu.clear_requests();
    assert_eq!(user_deleted("rm"), GcsyncResult::Ok);
    wait_idle();
    let rows = of(&audit(w.dir.path()), "rm");
    assert_eq!(
        rows.iter().map(|r| r.op.as_str()).collect::<Vec<_>>(),
        ["created", "deactivated"]
    );
    let rm = &rows[1];
    let patch = w
        .emu
        .requests()
        .into_iter()
        .rfind(|r| r.method == "PATCH" && r.path == format!("/api/v2/users/{gid}"))
        .expect("the deactivation PATCH");
    assert_eq!(patch.body.as_ref().unwrap()["state"], "inactive");
    assert_eq!(
        rm.correlation_id.as_deref(),
        Some(patch.correlation_id.as_str())
    );
    assert_eq!(rm.fields.as_deref(), Some("state"));
    assert_eq!(rm.result, "Synced");
    assert_eq!(rm.genesys_id.as_deref(), Some(gid.as_str()));
    assert_eq!(
        rm.calls,
        w.emu.requests().len() as i64,
        "GET + PATCH (+ token)"
    );
    let now = gcsync::clock::unix_now() as i64;
    assert!((now - 60..=now).contains(&rm.at));
    // The create before it carries the POST's correlation id and names fields, not values.
    assert_eq!(rows[0].fields.as_deref(), Some("email,name"));
    assert!(rows[0].correlation_id.is_some());
}

#[test]
fn updates_name_fields_and_holds_their_reason_once() {
    let w = World::new();
    w.start();
    let u =
        serde_json::json!({"id": "up", "display_name": "Up", "business_email": "up@example.com"});
    assert_eq!(user_changed(&u.to_string()), GcsyncResult::Ok);
    wait_idle();
    let changed = serde_json::json!({"id": "up", "display_name": "Secret Name 42",
        "business_email": "up@example.com", "mobile_phone": "+1 317 555 0199"});
    assert_eq!(user_changed(&changed.to_string()), GcsyncResult::Ok);
    wait_idle();
    for _ in 0..3 {
        assert_eq!(user_changed(&cic_user("ho", "Ho", None)), GcsyncResult::Ok);
        wait_idle();
    }
    let rows = audit(w.dir.path());
    let up = of(&rows, "up");
    assert_eq!(up[1].op, "updated");
    assert_eq!(up[1].fields.as_deref(), Some("name,phones.MOBILE"));
    let all = format!("{rows:?}");
    assert!(
        !all.contains("Secret Name 42") && !all.contains("5550199"),
        "values stored: {all}"
    );
    let ho = of(&rows, "ho");
    assert_eq!(ho.len(), 1, "{ho:?}");
    assert_eq!(ho[0].op, "held");
    assert_eq!(ho[0].result, "Error");
    assert_eq!(ho[0].reason.as_deref(), Some("business email required"));
    assert_eq!(ho[0].calls, 0);
}

fn put(conn: &Connection, at: i64, id: &str, op: &str) {
    conn.execute(
        "INSERT INTO audit (at, kind, cic_id, operation, result) VALUES (?1, 'user', ?2, ?3, 'Synced')",
        rusqlite::params![at, id, op],
    )
    .unwrap();
}

#[test]
fn retention_trims_by_age_and_size_keeping_removals_for_the_period() {
    let w = World::new();
    w.start();
    assert_eq!(gcsync_shutdown(5_000), GcsyncResult::Ok);
    let now = gcsync::clock::unix_now() as i64;
    let day = 86_400;
    {
        let conn = Connection::open(w.dir.path().join("gcsync.db")).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        put(&conn, now - 40 * day, "aged-removal", "deactivated");
        put(&conn, now - 40 * day, "aged-update", "updated");
        for i in 0..50 {
            put(
                &conn,
                now - 10 * day,
                &format!("kept-removal-{i}"),
                "deleted",
            );
        }
        for i in 0..1_100 {
            put(&conn, now - 5 * day, &format!("filler-{i}"), "updated");
        }
        conn.execute_batch("COMMIT").unwrap();
    }
    set("audit_retention_days", "30");
    set("audit_max_rows", "1000");
    w.start();
    assert_eq!(
        user_changed(&cic_user("tr", "Tr", Some("tr@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let rows = audit(w.dir.path());
    assert!(rows.len() <= 1000, "{} rows kept", rows.len());
    assert!(
        rows.iter().all(|r| !r.id.starts_with("aged")),
        "aged rows kept"
    );
    let removals = rows.iter().filter(|r| r.op == "deleted").count();
    assert_eq!(
        removals, 50,
        "removals within the period are kept whatever the size"
    );
    assert!(
        rows.iter().any(|r| r.id == "filler-1099"),
        "the newest filler stays"
    );
    assert!(
        !rows.iter().any(|r| r.id == "filler-0"),
        "the oldest filler goes first"
    );
    assert_eq!(of(&rows, "tr")[0].op, "created");
}

#[test]
fn api_usage_is_counted_per_endpoint_persisted_and_held_against_the_allowance() {
    let w = World::new();
    set("monthly_api_allowance", "4");
    // One worker: the calls then cross 80 % and 100 % one at a time, each logged once.
    set("max_concurrent_requests", "1");
    start_leveled();
    for i in 0..4 {
        let id = format!("au{i}");
        assert_eq!(
            user_changed(&cic_user(&id, &id, Some(&format!("{id}@example.com")))),
            GcsyncResult::Ok
        );
    }
    wait_idle();
    // One token, then per user a lookup by external id, a create and the external id
    // recorded: 13 calls, past 80 % at the fourth call.
    let sent = w.emu.requests().len() as u64;
    assert_eq!(sent, 13);
    let usage = overview()["api_usage"].clone();
    assert_eq!(usage["calls"], sent, "{usage}");
    assert_eq!(usage["allowance"], 4);
    assert_eq!(usage["state"], "over");
    assert!(usage["percent"].as_f64().unwrap() > 100.0);
    assert_eq!(
        lines_at(L::Warn, "is past monthly_api_allowance (4)").len(),
        1,
        "warned once"
    );
    assert_eq!(
        lines_at(L::Warn, "has reached 80 % of monthly_api_allowance").len(),
        1
    );
    // Persisted per endpoint, equal to what the emulator saw.
    assert_eq!(flush(), GcsyncResult::Ok);
    let conn = read_only(w.dir.path());
    let stored: i64 = conn
        .query_row(
            "SELECT calls FROM api_usage WHERE method = 'POST' AND route = '/api/v2/users'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored as usize, w.emu.call_count("POST", "/api/v2/users"));
    drop(conn);
    // After a restart the month's count goes on from what was stored.
    assert_eq!(gcsync_shutdown(5_000), GcsyncResult::Ok);
    unset("monthly_api_allowance");
    w.start();
    let usage = overview()["api_usage"].clone();
    assert_eq!(usage["calls"], sent);
    assert_eq!(usage["state"], "not_set");
    assert!(usage["allowance"].is_null() && usage["percent"].is_null());
}
