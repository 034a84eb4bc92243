//! CIC agent status → what the agent should show in Genesys Cloud: one table (FACTS §2's
//! proposed mapping), an attribute-based fallback for site-defined statuses, and the admin's
//! overrides (`presence_map`). Pure: no I/O, no definition ids (those are the org's, resolved by
//! the worker from the cached definitions).

use crate::payloads::CicAgentStatus;
use crate::result::{Failure, GcsyncResult};

/// The Genesys presence to show, before it is resolved to one of the org's definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceRef {
    /// A system presence by its `systemPresence` name (`Available`, `Meal`, `OnQueue`, ...).
    System(&'static str),
    /// An org-defined (secondary) presence, by its label.
    Secondary(String),
}

impl PresenceRef {
    /// How the status JSON and the log name it (`Meal`, `secondary:Lunch`).
    pub fn describe(&self) -> String {
        match self {
            PresenceRef::System(s) => (*s).to_string(),
            PresenceRef::Secondary(l) => format!("secondary:{l}"),
        }
    }
}

/// When a status keeps a WEM agent on queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    /// Off queue.
    Off,
    /// On queue when the status allows ACD calls.
    IfAcd,
    /// On queue (after call work, not answering: the agent stays routed).
    Stay,
}

/// What a CIC status means in Genesys Cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The presence in every org (a WEM org shows `OnQueue` instead while `on_queue`).
    pub presence: PresenceRef,
    /// WEM: whether the agent is on queue.
    pub on_queue: bool,
    /// WEM: whether out-of-office is active.
    pub ooo: bool,
}

/// The system presences an override may name (API-FACTS §6, `systemPresence` spelling).
pub const SYSTEM_PRESENCES: [&str; 10] = [
    "Available",
    "Away",
    "Busy",
    "Offline",
    "Idle",
    "OnQueue",
    "Meal",
    "Training",
    "Meeting",
    "Break",
];

struct Row {
    names: &'static [&'static str],
    presence: &'static str,
    queue: Queue,
    ooo: bool,
}

const fn row(names: &'static [&'static str], presence: &'static str, queue: Queue) -> Row {
    Row {
        names,
        presence,
        queue,
        ooo: false,
    }
}

/// The default table for the stock CIC statuses (FACTS §2). "Out of Office" is not a presence
/// definition in Genesys Cloud (API-FACTS §6): the OOO statuses show `Away` and, in WEM orgs,
/// set out-of-office.
const TABLE: &[Row] = &[
    row(&["Available"], "Available", Queue::IfAcd),
    row(
        &[
            "Available, No ACD",
            "Available, Follow-Me",
            "Available, Forward",
            "Available, Remote",
        ],
        "Available",
        Queue::Off,
    ),
    row(&["Away from Desk"], "Away", Queue::Off),
    row(&["At Lunch"], "Meal", Queue::Off),
    row(&["At Play"], "Break", Queue::Off),
    row(&["At a Training Session"], "Training", Queue::Off),
    row(&["In a Meeting"], "Meeting", Queue::Off),
    row(&["Do Not Disturb"], "Busy", Queue::Off),
    row(&["Follow Up", "After Call Work"], "Busy", Queue::Stay),
    row(&["ACD - Agent Not Answering"], "Busy", Queue::Stay),
    row(&["Working at Home"], "Available", Queue::Off),
    row(&["Gone Home"], "Offline", Queue::Off),
    Row {
        names: &["On Vacation", "Out of the Office", "Out of Town"],
        presence: "Away",
        queue: Queue::Off,
        ooo: true,
    },
];

/// The CIC status that means "not answering": leaving it restores a WEM agent to `IDLE`.
pub const NOT_ANSWERING: &str = "ACD - Agent Not Answering";

fn lookup(status: &str) -> Option<&'static Row> {
    TABLE.iter().find(|r| {
        r.names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(status.trim()))
    })
}

/// The admin's overrides: CIC status name → presence (setting `presence_map`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Overrides(Vec<(String, PresenceRef)>);

impl Overrides {
    /// Parses `Status Name=Away;Gone Fishing=secondary:Lunch`: entries separated by `;`, each a
    /// CIC status name, `=`, and a system presence (any case; `On Queue` = `OnQueue`) or
    /// `secondary:` and the label of an org-defined presence. Blank entries are ignored.
    pub fn parse(text: &str) -> Result<Overrides, Failure> {
        let mut out = Vec::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = |why: &str| {
                Failure::new(
                    GcsyncResult::InvalidSetting,
                    format!("setting presence_map: entry {entry:?}: {why}"),
                )
            };
            let (name, target) = entry
                .split_once('=')
                .ok_or_else(|| bad("expected `CIC status=presence`"))?;
            let (name, target) = (name.trim(), target.trim());
            if name.is_empty() {
                return Err(bad("the CIC status name is empty"));
            }
            let presence = match target.split_once(':') {
                Some((p, label)) if p.trim().eq_ignore_ascii_case("secondary") => {
                    let label = label.trim();
                    if label.is_empty() {
                        return Err(bad("secondary: needs the presence's label"));
                    }
                    PresenceRef::Secondary(label.to_string())
                }
                _ => {
                    let squashed: String = target.split_whitespace().collect();
                    let sys = SYSTEM_PRESENCES
                        .iter()
                        .find(|s| s.eq_ignore_ascii_case(&squashed))
                        .ok_or_else(|| {
                            bad(
                                "expected a system presence (Available, Away, Busy, Offline, \
                                 Idle, OnQueue, Meal, Training, Meeting, Break) or secondary:LABEL",
                            )
                        })?;
                    PresenceRef::System(sys)
                }
            };
            out.push((name.to_string(), presence));
        }
        Ok(Overrides(out))
    }

    fn get(&self, status: &str) -> Option<&PresenceRef> {
        let status = status.trim();
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(status))
            .map(|(_, p)| p)
    }
}

/// Maps one agent status: an override names the presence; otherwise the table, otherwise the
/// attributes (Do Not Disturb → Busy; after call work → Busy, staying on queue; ACD calls
/// allowed → Available, on queue; anything else → Away). A logged-out agent is Offline and off
/// queue whatever the status; out-of-office follows the status.
pub fn map_status(s: &CicAgentStatus, overrides: &Overrides) -> Target {
    let (presence, queue, ooo) = match lookup(&s.status) {
        Some(r) if r.names[0] == "Working at Home" && s.do_not_disturb => ("Busy", r.queue, r.ooo),
        Some(r) => (r.presence, r.queue, r.ooo),
        None if s.do_not_disturb => ("Busy", Queue::Off, false),
        None if s.after_call_work => ("Busy", Queue::Stay, false),
        None if s.acd_allowed => ("Available", Queue::IfAcd, false),
        None => ("Away", Queue::Off, false),
    };
    let presence = overrides
        .get(&s.status)
        .cloned()
        .unwrap_or(PresenceRef::System(presence));
    let on_queue = match queue {
        Queue::Off => false,
        Queue::IfAcd => s.acd_allowed,
        Queue::Stay => true,
    } || s.on_acd_interaction;
    if !s.logged_in {
        return Target {
            presence: PresenceRef::System("Offline"),
            on_queue: false,
            ooo,
        };
    }
    Target {
        presence,
        on_queue,
        ooo,
    }
}

#[cfg(test)]
mod tests;
