//! Object kinds and keys shared by the queue, the store and the C API.

use serde::{Deserialize, Serialize};

/// The kinds of PureConnect object gcsync syncs. Later versions add workgroups, skills and
/// wrap-up codes; numbers are never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GcsyncObjectKind {
    /// A CIC user → Genesys Cloud user.
    User = 1,
    /// A CIC agent status → the user's Genesys Cloud presence (and, in WEM orgs, out-of-office
    /// and routing status). The object id is the CIC user id.
    AgentStatus = 5,
}

impl GcsyncObjectKind {
    /// Every kind, in number order.
    pub const ALL: [GcsyncObjectKind; 2] = [GcsyncObjectKind::User, GcsyncObjectKind::AgentStatus];

    /// The kind's position in [`GcsyncObjectKind::ALL`] (for per-kind tables).
    pub fn index(self) -> usize {
        // By position, not by number: numbers may have gaps while kinds are added.
        GcsyncObjectKind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or(0)
    }

    /// Maps a number from the host; `None` when unknown.
    pub fn from_u32(v: u32) -> Option<GcsyncObjectKind> {
        match v {
            1 => Some(GcsyncObjectKind::User),
            5 => Some(GcsyncObjectKind::AgentStatus),
            _ => None,
        }
    }

    /// Maps a lower-case name (as in JSON and the database) back to a kind.
    pub fn from_name(name: &str) -> Option<GcsyncObjectKind> {
        match name {
            "user" => Some(GcsyncObjectKind::User),
            "agent_status" => Some(GcsyncObjectKind::AgentStatus),
            _ => None,
        }
    }

    /// The lower-case name used in JSON (`"user"`).
    pub fn name(self) -> &'static str {
        match self {
            GcsyncObjectKind::User => "user",
            GcsyncObjectKind::AgentStatus => "agent_status",
        }
    }
}

/// One object: its kind and CIC id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectKey {
    /// Kind of object.
    pub kind: GcsyncObjectKind,
    /// CIC id (user name, workgroup name, ...).
    pub id: String,
}

impl ObjectKey {
    /// A user key.
    pub fn user(id: impl Into<String>) -> ObjectKey {
        ObjectKey {
            kind: GcsyncObjectKind::User,
            id: id.into(),
        }
    }
}
