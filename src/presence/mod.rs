//! Agent presence, planned apart from I/O: the mapping of a CIC status ([`map`]), the settings
//! that shape it, and the pure plan from what is wanted and what was last applied to the calls
//! to make ([`plan`]). The worker's presence steps (`worker/presence.rs`) do the I/O.

pub mod map;

use serde::{Deserialize, Serialize};

/// The name of the presence source gcsync owns in the org (created once, adopted if present).
pub const SOURCE_NAME: &str = "PureConnect";

/// Presence settings (README "Settings": `wem_org`, `presence_map`, `presence_bulk_max`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceSettings {
    /// A Workforce Engagement org: out-of-office and routing status are written too.
    pub wem_org: bool,
    /// The admin's overrides of the default table.
    pub overrides: map::Overrides,
    /// Most presences per bulk call (UNCONFIRMED in the facts; default 50).
    pub bulk_max: usize,
}

impl Default for PresenceSettings {
    fn default() -> PresenceSettings {
        PresenceSettings {
            wem_org: false,
            overrides: map::Overrides::default(),
            bulk_max: 50,
        }
    }
}

/// What gcsync last applied for an agent's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedPresence {
    /// The CIC status it came from.
    pub status: String,
    /// The presence written, as mapped (`Meal`, `secondary:Lunch`).
    pub presence: String,
    /// The org's definition id written.
    pub definition_id: String,
    /// gcsync's presence source it was written to.
    pub source_id: String,
    /// Whether that source is the user's primary source (gcsync made it so, or found it).
    pub primary: bool,
    /// WEM: the out-of-office state last written (`None`: never written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ooo: Option<bool>,
    /// WEM: on queue (`true`) or off queue as last set (`None`: never set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_queue: Option<bool>,
}

/// What is wanted for one agent now, resolved to the org's ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// The CIC status.
    pub status: String,
    /// The presence, as mapped.
    pub presence: String,
    /// Its definition id in the org.
    pub definition_id: String,
    /// gcsync's source id.
    pub source_id: String,
    /// WEM only: on queue or not.
    pub on_queue: Option<bool>,
    /// WEM only: out-of-office active or not.
    pub ooo: Option<bool>,
}

/// The calls one agent's change needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Write the presence (with `primary: true` when `take_primary`).
    pub presence: bool,
    /// Make gcsync's source the user's primary in the same write.
    pub take_primary: bool,
    /// Set out-of-office active (`true`, open-ended) or clear it.
    pub ooo: Option<bool>,
    /// Put this routing status (`OFF_QUEUE`, or `IDLE` after not answering).
    pub routing: Option<&'static str>,
}

impl Plan {
    /// Nothing to call.
    pub fn is_empty(&self) -> bool {
        !self.presence && self.ooo.is_none() && self.routing.is_none()
    }
}

/// Whether gcsync must look at the user's primary source before writing: it has not seen its
/// own source as the primary one (or the source changed since).
pub fn needs_primary_check(want: &Want, applied: Option<&AppliedPresence>) -> bool {
    applied.is_none_or(|a| !a.primary || a.source_id != want.source_id)
}

/// The calls that bring Genesys Cloud from `applied` to `want`. `take_primary`: gcsync's source
/// is to become the user's primary (the user's primary is the Genesys-native source). An
/// unchanged presence costs nothing; out-of-office is cleared only if gcsync set it; going on
/// queue is the `OnQueue` presence (the routing-status PUT cannot do it), going off queue is
/// also written as routing status, and leaving "not answering" puts `IDLE` back.
pub fn plan(want: &Want, applied: Option<&AppliedPresence>, take_primary: bool) -> Plan {
    let presence = take_primary
        || applied
            .is_none_or(|a| a.definition_id != want.definition_id || a.source_id != want.source_id);
    let last_ooo = applied.and_then(|a| a.ooo);
    let ooo = want
        .ooo
        .filter(|w| last_ooo != Some(*w) && (last_ooo.is_some() || *w));
    let routing = match want.on_queue {
        Some(false) if applied.and_then(|a| a.on_queue) != Some(false) => Some("OFF_QUEUE"),
        Some(true)
            if applied.is_some_and(|a| a.status == map::NOT_ANSWERING)
                && want.status != map::NOT_ANSWERING =>
        {
            Some("IDLE")
        }
        _ => None,
    };
    Plan {
        presence,
        take_primary,
        ooo,
        routing,
    }
}

/// What is applied after `plan` succeeded in full (`primary`: the source is the user's primary
/// now).
pub fn applied_after(
    want: &Want,
    before: Option<&AppliedPresence>,
    primary: bool,
) -> AppliedPresence {
    AppliedPresence {
        status: want.status.clone(),
        presence: want.presence.clone(),
        definition_id: want.definition_id.clone(),
        source_id: want.source_id.clone(),
        primary,
        ooo: want.ooo.or(before.and_then(|a| a.ooo)),
        on_queue: want.on_queue.or(before.and_then(|a| a.on_queue)),
    }
}

#[cfg(test)]
mod tests;
