//! The text commands: status, list, show and history (the CSV export is in `export.rs`).

use crate::db::{AuditFilter, Db, Fail, Object};
use crate::{Args, Exit};
use gcsync::clock::format_utc;
use gcsync::usage::{month_of, UsageState};
use std::collections::BTreeMap;

/// Counts per state of one kind, as `status` and the report show them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub synced: u64,
    pub error: u64,
    pub not_synced: u64,
    pub removed: u64,
    pub pending: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.synced + self.error + self.not_synced + self.removed
    }
}

/// Objects (and accepted changes for objects never processed) per kind.
pub fn counts(objects: &[Object]) -> BTreeMap<String, Counts> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for o in objects {
        let c = out.entry(o.kind.clone()).or_default();
        match o.shown_state() {
            "removed" => c.removed += 1,
            "Synced" => c.synced += 1,
            "Error" => c.error += 1,
            _ => c.not_synced += 1,
        }
        c.pending += u64::from(o.pending.is_some());
    }
    out
}

/// Every object the database knows, processed or only accepted.
pub fn all_objects(db: &Db, kind: Option<&str>) -> Result<Vec<Object>, Fail> {
    let mut objects = db.objects(kind)?;
    let mut waiting = db.pending_only()?;
    waiting.retain(|o| kind.is_none_or(|k| o.kind == k));
    objects.extend(waiting);
    objects.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
    Ok(objects)
}

fn time(t: Option<i64>) -> String {
    t.map_or_else(|| "-".into(), |t| format_utc(t.max(0) as u64))
}

fn dash(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

/// The month's usage: `(month, calls, 429s, allowance, state)`.
pub fn month_usage(db: &Db, now: i64) -> Result<(String, i64, i64, Option<u64>, UsageState), Fail> {
    let month = month_of(now as u64);
    let rows = db.usage(&month)?;
    let calls: i64 = rows.iter().map(|u| u.calls).sum();
    let limited: i64 = rows.iter().map(|u| u.limited).sum();
    let allowance = db.allowance()?;
    let state = UsageState::of(calls as u64, allowance);
    Ok((month, calls, limited, allowance, state))
}

pub fn status(db: &Db, now: i64) -> Result<(), Fail> {
    let objects = all_objects(db, None)?;
    let per_kind = counts(&objects);
    println!(
        "gcsync database {} (schema {})",
        db.path.display(),
        db.schema
    );
    println!("(what the database holds; the live queue is in gcsync_overview)");
    println!();
    println!(
        "{:<10} {:>8} {:>8} {:>11} {:>8} {:>8}",
        "objects", "synced", "error", "not synced", "removed", "pending"
    );
    if per_kind.is_empty() {
        println!("(none yet)");
    }
    for (kind, c) in &per_kind {
        println!(
            "{kind:<10} {:>8} {:>8} {:>11} {:>8} {:>8}",
            c.synced, c.error, c.not_synced, c.removed, c.pending
        );
    }
    let last_sync = objects.iter().filter_map(|o| o.last_synced).max();
    println!();
    println!("last synchronized: {}", time(last_sync));
    let errors: Vec<&Object> = objects
        .iter()
        .filter(|o| o.shown_state() == "Error")
        .collect();
    println!("errors: {}", errors.len());
    for o in errors.iter().take(10) {
        println!("  {} {}: {}", o.kind, o.id, dash(&o.reason));
    }
    if errors.len() > 10 {
        println!(
            "  ... and {} more (gcsync-admin list --state error)",
            errors.len() - 10
        );
    }
    println!(
        "full sync progress: not recorded yet (Force Complete Sync progress comes with issue 10)"
    );
    if !db.has_journal() {
        println!("audit trail and API usage: none (schema {}; a current gcsync adds them at its next start)", db.schema);
        return Ok(());
    }
    let (month, calls, limited, allowance, state) = month_usage(db, now)?;
    let against = match allowance {
        Some(a) => format!(
            " of monthly_api_allowance {a} ({:.1} %, {})",
            calls as f64 * 100.0 / a as f64,
            state.name()
        ),
        None => " (no monthly_api_allowance set)".into(),
    };
    println!("API usage {month}: {calls} calls, {limited} answered 429{against}");
    let day: Vec<(i64, i64, i64)> = db.hours(now / 3600 - 23)?;
    let (c, l) = day.iter().fold((0, 0), |(c, l), h| (c + h.1, l + h.2));
    println!("last 24 h: {c} calls, {l} answered 429");
    let recent = db.audit(&AuditFilter {
        limit: Some(1),
        ..AuditFilter::default()
    })?;
    if let Some(r) = recent.first() {
        println!(
            "last operation: {} {} {} {} ({})",
            time(Some(r.at)),
            r.kind,
            r.id,
            r.op,
            r.result
        );
    }
    Ok(())
}

fn state_word(s: &str) -> String {
    gcsync::settings::enum_word(s).replace(' ', "_")
}

pub fn list(db: &Db, a: &Args) -> Result<(), Fail> {
    let want = a.state.as_deref().map(state_word);
    const STATES: [&str; 5] = ["synced", "error", "not_synced", "removed", "pending"];
    if let Some(w) = &want {
        if !STATES.contains(&w.as_str()) {
            return Err(crate::usage(format!(
                "--state {w:?}: one of synced, error, not-synced, removed, pending"
            )));
        }
    }
    let objects = all_objects(db, a.kind.as_deref())?;
    println!(
        "{:<6} {:<24} {:<10} {:<7} {:<20} {:<36} reason",
        "kind", "id", "state", "pending", "last synchronized", "genesys id"
    );
    for o in objects.iter().filter(|o| match want.as_deref() {
        None => true,
        Some("pending") => o.pending.is_some(),
        Some(w) => state_word(o.shown_state()) == w,
    }) {
        println!(
            "{:<6} {:<24} {:<10} {:<7} {:<20} {:<36} {}",
            o.kind,
            o.id,
            o.shown_state(),
            if o.pending.is_some() { "yes" } else { "no" },
            time(o.last_synced),
            dash(&o.genesys_id),
            dash(&o.reason)
        );
    }
    Ok(())
}

/// The name of a pending change from its stored JSON: `upsert`, `upsert (forced)` or `remove`
/// (databases of schema version 2 stored `{"UpsertUser":{..}}` / `"RemoveUser"`).
fn change_name(v: &serde_json::Value) -> String {
    let forced = |m: &serde_json::Value| m["force"] == serde_json::Value::Bool(true);
    match v {
        serde_json::Value::String(s) if s == "remove" || s == "RemoveUser" => "remove".into(),
        serde_json::Value::Object(m) if m.contains_key("upsert") => match forced(v) {
            true => "upsert (forced)".into(),
            false => "upsert".into(),
        },
        serde_json::Value::Object(m) if m.contains_key("UpsertUser") => {
            match forced(&m["UpsertUser"]) {
                true => "upsert (forced)".into(),
                false => "upsert".into(),
            }
        }
        other => other.to_string(),
    }
}

pub fn show(db: &Db, kind: &str, id: &str) -> Result<(), Fail> {
    let kind = kind.to_ascii_lowercase();
    let found = all_objects(db, Some(&kind))?
        .into_iter()
        .find(|o| o.id == id)
        .ok_or_else(|| {
            Fail(
                Exit::NotFound,
                format!("no {kind} {id:?} in {}", db.path.display()),
            )
        })?;
    let o = &found;
    println!("{} {}", o.kind, o.id);
    println!("  state:             {}", o.state);
    println!(
        "  removed in CIC:    {}",
        if o.removed { "yes" } else { "no" }
    );
    println!("  last synchronized: {}", time(o.last_synced));
    println!("  genesys id:        {}", dash(&o.genesys_id));
    println!("  linked as:         {}", dash(&o.origin));
    println!("  reason:            {}", dash(&o.reason));
    match &o.pending {
        Some(c) => println!(
            "  pending change:    {} (accepted, not applied yet)",
            change_name(c)
        ),
        None => println!("  pending change:    none"),
    }
    if let Some(i) = &o.intent {
        println!("  create in flight:  {i}");
    }
    if let Some(s) = &o.source {
        println!("  CIC data:          {s}");
    }
    if let Some(s) = &o.applied {
        println!("  last applied:      {s}");
    }
    let history = db.audit(&AuditFilter {
        kind: Some(kind.clone()),
        id: Some(id.to_string()),
        limit: Some(20),
        ..AuditFilter::default()
    })?;
    println!("  recent history ({}):", history.len());
    for r in &history {
        println!(
            "    {}  {:<11} {:<10} fields={} correlation={} calls={}{}",
            time(Some(r.at)),
            r.op,
            r.result,
            dash(&r.fields),
            dash(&r.correlation_id),
            r.calls,
            r.reason
                .as_deref()
                .map_or(String::new(), |x| format!("  {x}"))
        );
    }
    Ok(())
}

pub fn history(db: &Db, a: &Args, now: i64) -> Result<(), Fail> {
    if !db.has_journal() {
        println!(
            "no audit trail in schema {} (a current gcsync adds it at its next start)",
            db.schema
        );
        return Ok(());
    }
    let rows = db.audit(&AuditFilter {
        since: a.since.map(|s| now - s),
        removals_only: a.deleted,
        kind: a.kind.clone(),
        id: a.id.clone(),
        limit: a.limit,
    })?;
    println!(
        "{:<20} {:<6} {:<24} {:<11} {:<10} {:<36} {:<36} fields / reason",
        "time", "kind", "id", "operation", "result", "genesys id", "correlation id"
    );
    for r in &rows {
        let detail = match (&r.fields, &r.reason) {
            (Some(f), Some(why)) => format!("{f} / {why}"),
            (Some(f), None) => f.clone(),
            (None, Some(why)) => why.clone(),
            (None, None) => "-".into(),
        };
        println!(
            "{:<20} {:<6} {:<24} {:<11} {:<10} {:<36} {:<36} {detail}",
            time(Some(r.at)),
            r.kind,
            r.id,
            r.op,
            r.result,
            dash(&r.genesys_id),
            dash(&r.correlation_id)
        );
    }
    println!("({} entries)", rows.len());
    Ok(())
}
