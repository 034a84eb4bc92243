//! The full sync's settings (README, "Settings"): the external-id authority, the deletion
//! guard and the period of the snapshot requests.

use crate::result::{Failure, GcsyncResult};
use crate::settings::{boolean, number, text, Lookup};

/// The settings of the full sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullSyncSettings {
    /// Authority name of the external identifier gcsync records on the users it owns (the key is
    /// the CIC id); `None` (`external_id_authority=off`) records and looks up none.
    pub external_id_authority: Option<String>,
    /// Whether mass removals are held (`deletion_guard=on`, the default).
    pub deletion_guard: bool,
    /// A run removing more than this percentage of a kind's owned objects is held.
    pub deletion_guard_percent: u32,
    /// A run removing more than this many objects of a kind is held.
    pub deletion_guard_max: u64,
    /// Hours between snapshot requests to the host (0: never).
    pub full_sync_period_hours: u32,
    /// `role=standby`: accept hooks, make no Genesys Cloud call (a switchover pair's passive
    /// server); `active` (the default) syncs.
    pub standby: bool,
    /// `full_sync_expand_empty_is_missing`: an empty `skills` or `languages` list in the
    /// users listing's expansion is read again from the user's own endpoint, as an absent one
    /// always is (default off: an empty list means the user holds none).
    pub expand_empty_is_missing: bool,
}

impl Default for FullSyncSettings {
    fn default() -> FullSyncSettings {
        FullSyncSettings {
            external_id_authority: Some("gcsync".into()),
            deletion_guard: true,
            deletion_guard_percent: 20,
            deletion_guard_max: 500,
            full_sync_period_hours: 24,
            standby: false,
            expand_empty_is_missing: false,
        }
    }
}

/// Reads and validates the full sync's settings.
pub fn load(get: Lookup) -> Result<FullSyncSettings, Failure> {
    let authority = match text(get, "external_id_authority") {
        None => Some("gcsync".to_string()),
        Some(a) if a.eq_ignore_ascii_case("off") => None,
        Some(a) if a.len() <= 100 && !a.contains(['/', '?', '#', '%']) => Some(a),
        Some(a) => {
            return Err(Failure::new(
                GcsyncResult::InvalidSetting,
                format!(
                    "setting external_id_authority={a:?} is invalid: expected a name of at most \
                     100 characters without / ? # %, or off"
                ),
            ))
        }
    };
    Ok(FullSyncSettings {
        external_id_authority: authority,
        deletion_guard: boolean(get, "deletion_guard", true)?,
        deletion_guard_percent: number(get, "deletion_guard_percent", 20, 0, 100)? as u32,
        deletion_guard_max: number(get, "deletion_guard_max", 500, 0, 10_000_000)?,
        full_sync_period_hours: number(get, "full_sync_period_hours", 24, 0, 8760)? as u32,
        standby: crate::settings::choice(
            get,
            "role",
            &[("active", false), ("standby", true)],
            "active or standby",
        )?
        .unwrap_or(false),
        expand_empty_is_missing: boolean(get, "full_sync_expand_empty_is_missing", false)?,
    })
}
