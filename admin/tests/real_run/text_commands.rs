//! Every text subcommand against the real database, while gcsync runs and after it stopped,
//! compared with what the database holds.

use crate::common::*;
use crate::database::{db, held, one};
use crate::scenario::scenario;
use crate::{ok, user};
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;

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
