//! The audit trail: what gcsync did (or held back) for each object and why. One entry per
//! processed change that did something, derived generically from the object's record before and
//! after the change and from the calls made for it: the operation, the names of the fields
//! changed (never their values), the result, the reason and the Genesys correlation id of the
//! last call. The writer stores it in the `audit` table in the same transaction as the outcome.

use crate::clock::unix_now;
use crate::engine::Shared;
use crate::object::ObjectKey;
use crate::objects::{Origin, Record};
use crate::settings::{RemovalPolicy, Settings};
use crate::status::SyncState;
use crate::usage::{ItemCalls, UsageState};
use serde_json::Value;
use std::collections::BTreeSet;

/// What gcsync did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Created it in Genesys Cloud.
    Created,
    /// Linked an existing Genesys object with the same email and took it over.
    Adopted,
    /// Restored a soft-deleted Genesys object, or reactivated one removed earlier.
    Restored,
    /// Linked an object gcsync had created before a restart (no new call changed it).
    Linked,
    /// Changed fields of the linked Genesys object.
    Updated,
    /// Found the object as it should be after an earlier failure: nothing to change.
    Verified,
    /// Deactivated it (removal policy `deactivate`).
    Deactivated,
    /// Soft-deleted it (removal policy `delete`).
    Deleted,
    /// A CIC deletion that needed nothing in Genesys Cloud (never linked, already gone or
    /// inactive).
    Removed,
    /// Did not sync it: the object shows Error or Not synced, `reason` says why.
    Held,
}

impl Op {
    /// The name stored in the database.
    pub fn name(self) -> &'static str {
        match self {
            Op::Created => "created",
            Op::Adopted => "adopted",
            Op::Restored => "restored",
            Op::Linked => "linked",
            Op::Updated => "updated",
            Op::Verified => "verified",
            Op::Deactivated => "deactivated",
            Op::Deleted => "deleted",
            Op::Removed => "removed",
            Op::Held => "held",
        }
    }

    /// Removal records: kept for the whole retention period, whatever `audit_max_rows` says.
    pub const KEPT: [Op; 3] = [Op::Deactivated, Op::Deleted, Op::Removed];
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: u64,
    /// The object.
    pub key: ObjectKey,
    /// What was done.
    pub op: Op,
    /// Names of the fields changed (e.g. `name`, `phones.WORK`, `state`), sorted.
    pub fields: Vec<String>,
    /// The object's state afterwards.
    pub result: SyncState,
    /// Why it is held, or what a removal found.
    pub reason: Option<String>,
    /// The Genesys id afterwards.
    pub genesys_id: Option<String>,
    /// `ININ-Correlation-Id` of the last call made for the change.
    pub correlation_id: Option<String>,
    /// API calls made for the change (token requests included).
    pub calls: u32,
}

/// Field names (never values) that differ between two serialised values: top-level keys, and
/// one level down inside objects (`phones.WORK`).
fn changed_fields(before: &Value, after: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    changed_into(before, after, "", &mut out);
    out
}

/// [`changed_fields`] below `prefix` (`""` or `name.`), into `out`; nothing is copied but the
/// names.
fn changed_into(before: &Value, after: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    for k in b.keys().chain(a.keys()) {
        let (x, y) = (b.get(k), a.get(k));
        if x == y {
            continue;
        }
        match (x.and_then(Value::as_object), y.and_then(Value::as_object)) {
            (Some(_), _) | (_, Some(_)) => {
                let (x, y) = (x.unwrap_or(&Value::Null), y.unwrap_or(&Value::Null));
                changed_into(x, y, &format!("{prefix}{k}."), out);
            }
            _ => {
                out.insert(format!("{prefix}{k}"));
            }
        }
    }
}

fn applied_json(r: &Record) -> Value {
    r.applied
        .as_ref()
        .map_or(Value::Null, crate::kinds::Applied::audited)
}

/// The reason without the time of the next attempt, so a repeated transient failure is one
/// entry, not one per attempt.
fn steady(reason: Option<&str>) -> Option<&str> {
    reason.map(|r| {
        r.split_once("; next attempt at ")
            .map_or(r, |(head, _)| head)
    })
}

/// Derives the entry for one processed change, or `None` when nothing worth recording happened
/// (an unchanged object, the same hold as before, an interrupted attempt that changed nothing).
pub fn derive(
    key: &ObjectKey,
    before: Option<&Record>,
    after: Option<&Record>,
    calls: &ItemCalls,
    policy: RemovalPolicy,
    now: u64,
) -> Option<AuditEntry> {
    let a = after?;
    let none = Record::default();
    let b = before.unwrap_or(&none);
    let (sa, sb) = (&a.status, &b.status);
    let written: Vec<String> = calls.fields.iter().cloned().collect();
    let entry = |op: Op, fields: Vec<String>, reason: Option<String>| AuditEntry {
        at: now,
        key: key.clone(),
        op,
        fields,
        result: sa.state,
        reason,
        genesys_id: sa.genesys_id.clone(),
        correlation_id: calls.correlation_id.clone(),
        calls: calls.calls,
    };
    if sa.removed && !sb.removed {
        let linked = sb.genesys_id.is_some() || sa.genesys_id.is_some();
        return Some(if calls.writes > 0 {
            let op = match policy {
                RemovalPolicy::Deactivate => Op::Deactivated,
                RemovalPolicy::Delete => Op::Deleted,
            };
            entry(op, written, None)
        } else if !linked {
            let why = "never linked to a Genesys Cloud object; nothing to change";
            entry(Op::Removed, Vec::new(), Some(why.into()))
        } else {
            let why = match calls.last_status {
                Some(404) => "the Genesys Cloud object no longer exists; nothing to change",
                _ => "the Genesys Cloud object was already in the removed state; nothing to change",
            };
            entry(Op::Removed, Vec::new(), Some(why.into()))
        });
    }
    if sa.state != SyncState::Synced {
        let same = sa.state == sb.state
            && steady(sa.reason.as_deref()) == steady(sb.reason.as_deref())
            && sa.removed == sb.removed;
        return (!same).then(|| entry(Op::Held, written, sa.reason.clone()));
    }
    let mut fields: Vec<String> = changed_fields(&applied_json(b), &applied_json(a))
        .into_iter()
        .collect();
    if fields.is_empty() {
        fields = written;
    }
    let op = if sa.genesys_id.is_some() && sa.genesys_id != sb.genesys_id {
        match a.origin {
            Some(Origin::Created) if calls.writes == 0 => Op::Linked,
            Some(Origin::Created) | None => Op::Created,
            Some(Origin::Adopted) => Op::Adopted,
            Some(Origin::Restored) => Op::Restored,
        }
    } else if (a.origin == Some(Origin::Restored) && b.origin != Some(Origin::Restored))
        || (sb.removed && !sa.removed)
    {
        Op::Restored
    } else if !fields.is_empty() || calls.writes > 0 {
        Op::Updated
    } else if sb.state != SyncState::Synced {
        Op::Verified
    } else {
        return None;
    };
    Some(entry(op, fields, None))
}

/// Called by the worker once per processed change, with the object's record before and after:
/// takes the calls made for it, logs what was decided (debug), clears the overview's last error
/// when the object synced, warns once when the month's API usage passes 80 % or 100 % of
/// `monthly_api_allowance`, and returns the audit entry to store with the outcome.
pub fn outcome(
    shared: &Shared,
    key: &ObjectKey,
    before: Option<&Record>,
    after: Option<&Record>,
    settings: &Settings,
) -> Option<AuditEntry> {
    let calls = shared.metrics.usage.take_item();
    let synced = after.is_some_and(|r| r.status.state == SyncState::Synced);
    if synced {
        shared.metrics.clear_last_error_of(key);
    }
    let entry = derive(
        key,
        before,
        after,
        &calls,
        // Only users have a removal policy; every other kind's removal is a delete.
        match key.kind {
            crate::object::GcsyncObjectKind::User => settings.user_removal_policy,
            _ => RemovalPolicy::Delete,
        },
        unix_now(),
    );
    match &entry {
        Some(e) => log::debug!(
            "{} {}: {}{}; {} API call(s); {}{}",
            key.kind.name(),
            key.id,
            e.op.name(),
            if e.fields.is_empty() {
                String::new()
            } else {
                format!(" ({})", e.fields.join(", "))
            },
            e.calls,
            e.result.label(),
            e.reason
                .as_deref()
                .map_or(String::new(), |r| format!(": {r}")),
        ),
        None if calls.calls > 0 => log::debug!(
            "{} {}: nothing to change; {} API call(s)",
            key.kind.name(),
            key.id,
            calls.calls
        ),
        None => {}
    }
    if let Some((state, used)) = shared
        .metrics
        .usage
        .newly_reached(settings.monthly_api_allowance)
    {
        let allowance = settings.monthly_api_allowance.unwrap_or(0);
        let what = match state {
            UsageState::Over => "is past",
            _ => "has reached 80 % of",
        };
        log::warn!(
            "gcsync's Genesys Cloud API usage this month ({used} calls) {what} \
             monthly_api_allowance ({allowance}); calls over the org's allowance are billed"
        );
    }
    entry
}

#[cfg(test)]
mod tests;
