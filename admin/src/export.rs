//! The CSV export (`export --csv`): the objects, the audit trail or the month's API usage, one
//! row a line, every field quoted so that a spreadsheet never reads one as a formula.

use crate::db::{AuditFilter, Db, Fail};
use crate::text::all_objects;
use crate::{Args, Exit};
use gcsync::clock::format_utc;
use gcsync::usage::month_of;
use std::io::Write;

/// One CSV field (RFC 4180 quoting). A text starting with `=`, `+`, `-`, `@`, tab or CR gets a
/// leading `'` so a spreadsheet never runs it as a formula.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_line(fields: &[String]) -> String {
    let cells: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    cells.join(",") + "\r\n"
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn when(t: Option<i64>) -> String {
    t.map(|t| format_utc(t.max(0) as u64)).unwrap_or_default()
}

pub fn export(db: &Db, a: &Args) -> Result<(), Fail> {
    let mut out = String::new();
    match a.table.as_deref().unwrap_or("objects") {
        "objects" => {
            out += &csv_line(
                &[
                    "kind",
                    "id",
                    "state",
                    "removed",
                    "pending",
                    "last_synchronized",
                    "genesys_id",
                    "origin",
                    "reason",
                ]
                .map(String::from),
            );
            for o in all_objects(db, a.kind.as_deref())? {
                out += &csv_line(&[
                    o.kind.clone(),
                    o.id.clone(),
                    o.state.clone(),
                    o.removed.to_string(),
                    o.pending.is_some().to_string(),
                    when(o.last_synced),
                    opt(&o.genesys_id),
                    opt(&o.origin),
                    opt(&o.reason),
                ]);
            }
        }
        "audit" => {
            out += &csv_line(
                &[
                    "time",
                    "kind",
                    "id",
                    "operation",
                    "fields",
                    "result",
                    "reason",
                    "genesys_id",
                    "correlation_id",
                    "calls",
                ]
                .map(String::from),
            );
            let rows = db.audit(&AuditFilter {
                kind: a.kind.clone(),
                id: a.id.clone(),
                removals_only: a.deleted,
                since: a.since.map(|s| gcsync::clock::unix_now() as i64 - s),
                limit: a.limit,
            })?;
            for r in rows {
                out += &csv_line(&[
                    when(Some(r.at)),
                    r.kind,
                    r.id,
                    r.op,
                    opt(&r.fields),
                    r.result,
                    opt(&r.reason),
                    opt(&r.genesys_id),
                    opt(&r.correlation_id),
                    r.calls.to_string(),
                ]);
            }
        }
        "usage" => {
            out +=
                &csv_line(&["month", "method", "route", "calls", "rate_limited"].map(String::from));
            let month = month_of(gcsync::clock::unix_now());
            for u in db.usage(&month)? {
                out += &csv_line(&[
                    month.clone(),
                    u.method,
                    u.route,
                    u.calls.to_string(),
                    u.limited.to_string(),
                ]);
            }
        }
        other => {
            return Err(crate::usage(format!(
                "--table {other:?}: one of objects, audit, usage"
            )))
        }
    }
    match &a.output {
        Some(path) => std::fs::write(path, out).map_err(|e| {
            Fail(
                Exit::Output,
                format!("cannot write {}: {e}", path.display()),
            )
        }),
        None => std::io::stdout()
            .write_all(out.as_bytes())
            .map_err(|e| Fail(Exit::Output, format!("cannot write to stdout: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("@x,y"), "\"'@x,y\"");
        assert_eq!(csv_line(&["a".into(), "".into()]), "a,\r\n");
    }
}
