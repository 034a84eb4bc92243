//! `report --html FILE`: one self-contained page (inline CSS and SVG, no script, no external
//! asset; a Content-Security-Policy forbids loading anything). Figures carry `id`s and `data-`
//! attributes so a test (and a script) can read them back.

use crate::db::{AuditFilter, Db, Fail};
use crate::text::{all_objects, counts, month_usage};
use crate::Exit;
use gcsync::clock::format_utc;
use std::fmt::Write as _;
use std::path::Path;

/// Most error rows shown (the rest are counted).
const MAX_ERRORS: usize = 500;

/// HTML-escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn time(t: i64) -> String {
    format_utc(t.max(0) as u64)
}

const STYLE: &str = "
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dee6;padding-bottom:4px}
.meta{color:#5b6877;font-size:12px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #d8dee6;border-radius:6px;padding:10px 14px;min-width:110px}
.card b{display:block;font-size:22px} .card span{color:#5b6877;font-size:12px}
table{border-collapse:collapse;margin:6px 0} th,td{border:1px solid #d8dee6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8} td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1b7f3b} .warning{color:#a15c00} .over{color:#b3261e} .not_set{color:#5b6877}
.bar{width:320px;height:12px;background:#eef1f5;border-radius:6px;overflow:hidden;display:inline-block;vertical-align:middle}
.bar i{display:block;height:100%;background:#2f6fdb} .bar.warning i{background:#e08a00} .bar.over i{background:#d93025}
svg .grid{stroke:#e3e7ec} svg .axis{font-size:11px;fill:#5b6877} svg .calls{fill:#2f6fdb} svg .limited{fill:#d93025}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px} .note{color:#5b6877}
";

/// Writes the report for the database's content at `now`.
pub fn write(db: &Db, file: &Path, now: i64) -> Result<(), Fail> {
    let page = render(db, now)?;
    std::fs::write(file, page).map_err(|e| {
        Fail(
            Exit::Output,
            format!("cannot write {}: {e}", file.display()),
        )
    })?;
    println!("wrote {}", file.display());
    Ok(())
}

/// The page.
pub fn render(db: &Db, now: i64) -> Result<String, Fail> {
    let objects = all_objects(db, None)?;
    let per_kind = counts(&objects);
    let mut h = String::new();
    let w = &mut h;
    let _ = write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\"><title>gcsync report</title><style>{STYLE}</style>\
         </head><body>\n<h1>gcsync report</h1>\n<p class=\"meta\">Generated {} from \
         <code>{}</code> (schema {}) by gcsync-admin {}. It shows what the database holds; the \
         live queue is in <code>gcsync_overview</code>.</p>\n",
        time(now),
        esc(&db.path.display().to_string()),
        db.schema,
        env!("CARGO_PKG_VERSION")
    );
    // Totals.
    let total = per_kind
        .values()
        .fold(crate::text::Counts::default(), |mut t, c| {
            t.synced += c.synced;
            t.error += c.error;
            t.not_synced += c.not_synced;
            t.removed += c.removed;
            t.pending += c.pending;
            t
        });
    let _ = write!(w, "<div class=\"cards\">");
    for (id, label, n) in [
        ("total-objects", "objects", total.total()),
        ("total-synced", "synced", total.synced),
        ("total-error", "error", total.error),
        ("total-not-synced", "not synced", total.not_synced),
        ("total-removed", "removed", total.removed),
        ("total-pending", "pending changes", total.pending),
    ] {
        let _ = write!(
            w,
            "<div class=\"card\"><b id=\"{id}\">{n}</b><span>{label}</span></div>"
        );
    }
    let _ = writeln!(w, "</div>");
    // Counts per kind and state.
    let _ = writeln!(
        w,
        "<h2>Objects per kind and state</h2>\n<table id=\"counts\"><tr><th>kind</th>\
         <th>synced</th><th>error</th><th>not synced</th><th>removed</th><th>pending</th>\
         <th>total</th></tr>"
    );
    if per_kind.is_empty() {
        let _ = writeln!(
            w,
            "<tr><td colspan=\"7\" class=\"note\">no objects yet</td></tr>"
        );
    }
    for (kind, c) in &per_kind {
        let k = esc(kind);
        let _ = writeln!(
            w,
            "<tr><td>{k}</td><td class=\"n\" id=\"count-{k}-synced\">{}</td>\
             <td class=\"n\" id=\"count-{k}-error\">{}</td>\
             <td class=\"n\" id=\"count-{k}-not-synced\">{}</td>\
             <td class=\"n\" id=\"count-{k}-removed\">{}</td>\
             <td class=\"n\" id=\"count-{k}-pending\">{}</td><td class=\"n\">{}</td></tr>",
            c.synced,
            c.error,
            c.not_synced,
            c.removed,
            c.pending,
            c.total()
        );
    }
    let _ = writeln!(w, "</table>");
    // Errors.
    let errors: Vec<_> = objects
        .iter()
        .filter(|o| o.shown_state() == "Error")
        .collect();
    let _ = writeln!(
        w,
        "<h2>Errors (<span id=\"error-count\">{}</span>)</h2>",
        errors.len()
    );
    if errors.is_empty() {
        let _ = writeln!(w, "<p class=\"note\">None.</p>");
    } else {
        let _ = writeln!(
            w,
            "<table id=\"errors\"><tr><th>kind</th><th>id</th><th>reason</th>\
             <th>genesys id</th><th>last synchronized</th></tr>"
        );
        for o in errors.iter().take(MAX_ERRORS) {
            let _ = writeln!(
                w,
                "<tr class=\"error-row\" data-id=\"{}\"><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                esc(&o.id),
                esc(&o.kind),
                esc(&o.id),
                esc(o.reason.as_deref().unwrap_or("")),
                esc(o.genesys_id.as_deref().unwrap_or("-")),
                o.last_synced.map_or("-".into(), time)
            );
        }
        let _ = writeln!(w, "</table>");
        if errors.len() > MAX_ERRORS {
            let _ = writeln!(
                w,
                "<p class=\"note\">… and {} more: <code>gcsync-admin list --state error</code></p>",
                errors.len() - MAX_ERRORS
            );
        }
    }
    // Full sync progress.
    let _ = writeln!(
        w,
        "<h2>Full sync progress</h2>\n<p id=\"full-sync\" class=\"note\">Not recorded yet: \
         Force Complete Sync progress is tracked from issue 10 on. Objects synced now: {} of {}.</p>",
        total.synced,
        total.total()
    );
    if !db.has_journal() {
        let _ = writeln!(
            w,
            "<h2>API usage</h2><p class=\"note\">None recorded (schema {}; a current gcsync adds \
             it at its next start).</p></body></html>",
            db.schema
        );
        return Ok(h);
    }
    // Calls per hour.
    let now_hour = now / 3600;
    let hours = db.hours(now_hour - crate::svg::HOURS + 1)?;
    let _ = writeln!(
        w,
        "<h2>API calls per hour, last 7 days (UTC)</h2>\n<p class=\"legend\">\
         <i style=\"background:#2f6fdb\"></i>calls<i style=\"background:#d93025\"></i>answered \
         429 (rate limited)</p>\n{}",
        crate::svg::chart(&hours, now_hour)
    );
    // API usage of the month.
    let (month, calls, limited, allowance, state) = month_usage(db, now)?;
    let _ = writeln!(
        w,
        "<h2>API usage of <span id=\"usage-month\">{}</span></h2>",
        esc(&month)
    );
    let pct = allowance.map(|a| calls as f64 * 100.0 / a as f64);
    let _ = write!(
        w,
        "<p><b id=\"usage-calls\">{calls}</b> calls (<span id=\"usage-429\">{limited}</span> \
         answered 429)"
    );
    match (allowance, pct) {
        (Some(a), Some(p)) => {
            let _ = write!(
                w,
                " of monthly_api_allowance <span id=\"usage-allowance\">{a}</span>: \
                 <span id=\"usage-percent\">{p:.1}</span> % <span class=\"bar {s}\"><i \
                 style=\"width:{:.1}%\"></i></span> <b id=\"usage-state\" class=\"{s}\">{s}</b>",
                p.min(100.0),
                s = state.name()
            );
        }
        _ => {
            let _ = write!(
                w,
                " <span id=\"usage-state\" class=\"not_set\">(no monthly_api_allowance \
                 set)</span>"
            );
        }
    }
    let _ = writeln!(w, "</p>");
    let _ = writeln!(
        w,
        "<table id=\"usage\"><tr><th>method</th><th>route</th><th>calls</th><th>429</th></tr>"
    );
    for u in db.usage(&month)? {
        let _ = writeln!(
            w,
            "<tr class=\"usage-row\"><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            esc(&u.method),
            esc(&u.route),
            u.calls,
            u.limited
        );
    }
    let _ = writeln!(w, "</table>");
    // Recent removals.
    let removals = db.audit(&AuditFilter {
        since: Some(now - 7 * 86_400),
        removals_only: true,
        limit: Some(200),
        ..AuditFilter::default()
    })?;
    let _ = writeln!(
        w,
        "<h2>Deactivations and deletions, last 7 days (<span id=\"removal-count\">{}</span>)</h2>",
        removals.len()
    );
    if !removals.is_empty() {
        let _ = writeln!(
            w,
            "<table id=\"removals\"><tr><th>time</th><th>kind</th><th>id</th><th>operation</th>\
             <th>genesys id</th><th>correlation id</th><th>reason</th></tr>"
        );
        for r in &removals {
            let _ = writeln!(
                w,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(r.at),
                esc(&r.kind),
                esc(&r.id),
                esc(&r.op),
                esc(r.genesys_id.as_deref().unwrap_or("-")),
                esc(r.correlation_id.as_deref().unwrap_or("-")),
                esc(r.reason.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(w, "</table>");
    }
    let _ = writeln!(w, "</body></html>");
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
