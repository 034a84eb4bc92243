//! Per-object sync status as the admin sees it (Synced / Error / Not synced).

#[cfg(test)]
use crate::clock::format_utc;
use crate::json_out::JsonOut;
use crate::object::ObjectKey;
use serde::{Deserialize, Serialize};
#[cfg(test)]
use serde_json::{json, Value};

/// The three states Interaction Administrator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SyncState {
    /// The object reached Genesys Cloud as it is now in CIC.
    Synced,
    /// The last attempt failed; `reason` says why.
    Error,
    /// No successful attempt yet.
    #[default]
    #[serde(rename = "Not synced")]
    NotSynced,
}

impl SyncState {
    /// The admin-facing label.
    pub fn label(self) -> &'static str {
        match self {
            SyncState::Synced => "Synced",
            SyncState::Error => "Error",
            SyncState::NotSynced => "Not synced",
        }
    }
}

/// The status fields of one object, persisted with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ObjectStatus {
    /// Current state.
    pub state: SyncState,
    /// Unix seconds of the last successful sync.
    pub last_synchronized: Option<u64>,
    /// Why the last attempt failed or why the object is not synced.
    pub reason: Option<String>,
    /// Genesys Cloud id, once known.
    pub genesys_id: Option<String>,
    /// Whether the object was removed in CIC (and the removal applied in Genesys Cloud).
    #[serde(default)]
    pub removed: bool,
    /// What the mapping had to leave out or change while the rest synced (e.g. a phone that
    /// cannot be made E.164), one sentence each.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Writes one object's status as the JSON the C API returns: `{"genesys_id","id","kind",
/// "last_synchronized","pending","reason","removed","state","warnings"}` (sorted, as serde_json
/// prints a map); an unknown object (`None`) reads as Not synced.
pub fn write_status(
    out: &mut JsonOut,
    key: &ObjectKey,
    status: Option<&ObjectStatus>,
    pending: bool,
) {
    let default = ObjectStatus::default();
    let s = status.unwrap_or(&default);
    out.raw("{\"genesys_id\":");
    out.opt_str(s.genesys_id.as_deref());
    out.raw(",\"id\":");
    out.str(&key.id);
    out.raw(",\"kind\":");
    out.str(key.kind.name());
    out.raw(",\"last_synchronized\":");
    out.opt_utc(s.last_synchronized);
    out.raw(",\"pending\":");
    out.bool(pending);
    out.raw(",\"reason\":");
    out.opt_str(s.reason.as_deref());
    out.raw(",\"removed\":");
    out.bool(s.removed);
    out.raw(",\"state\":");
    out.str(s.state.label());
    out.raw(",\"warnings\":");
    out.str_array(s.warnings.iter().map(String::as_str));
    out.raw("}");
}

/// [`write_status`] as a `Value` tree (the reference the tests hold it to).
#[cfg(test)]
pub fn status_json(key: &ObjectKey, status: Option<&ObjectStatus>, pending: bool) -> Value {
    let default = ObjectStatus::default();
    let s = status.unwrap_or(&default);
    json!({
        "kind": key.kind.name(),
        "id": key.id,
        "state": s.state.label(),
        "pending": pending,
        "last_synchronized": s.last_synchronized.map(format_utc),
        "genesys_id": s.genesys_id,
        "reason": s.reason,
        "removed": s.removed,
        "warnings": s.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_object_reads_as_not_synced() {
        let v = status_json(&ObjectKey::user("x"), None, true);
        assert_eq!(v["state"], "Not synced");
        assert_eq!(v["pending"], true);
        assert!(v["last_synchronized"].is_null());
    }

    #[test]
    fn synced_object_shows_time_and_id() {
        let s = ObjectStatus {
            state: SyncState::Synced,
            last_synchronized: Some(0),
            reason: None,
            genesys_id: Some("g".into()),
            removed: false,
            warnings: Vec::new(),
        };
        let v = status_json(&ObjectKey::user("x"), Some(&s), false);
        assert_eq!(v["state"], "Synced");
        assert_eq!(v["last_synchronized"], "1970-01-01T00:00:00Z");
        assert_eq!(v["genesys_id"], "g");
        assert_eq!(
            serde_json::to_value(SyncState::NotSynced).unwrap(),
            "Not synced"
        );
    }

    #[test]
    fn the_written_status_is_the_value_serde_json_prints() {
        let written = |key: &ObjectKey, s: Option<&ObjectStatus>, pending: bool| {
            let mut o = JsonOut::default();
            write_status(&mut o, key, s, pending);
            o.into_string()
        };
        let error = ObjectStatus {
            state: SyncState::Error,
            last_synchronized: Some(1_795_620_645),
            reason: Some("business email \"x\" required\n".into()),
            genesys_id: Some("g-1".into()),
            removed: true,
            warnings: vec![
                "home phone \"12\" cannot be made E.164; left out".into(),
                "2\n".into(),
            ],
        };
        for (key, s, pending) in [
            (ObjectKey::user("x"), None, true),
            (ObjectKey::user("nguyễn \\ \"q\""), Some(&error), false),
            (ObjectKey::user("y"), Some(&ObjectStatus::default()), false),
        ] {
            assert_eq!(
                written(&key, s, pending),
                status_json(&key, s, pending).to_string()
            );
        }
    }
}
