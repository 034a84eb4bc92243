//! Object kinds and keys shared by the queue, the store and the C API.

use serde::{Deserialize, Serialize};

/// The kinds of PureConnect object gcsync syncs. Later versions add workgroups, skills and
/// wrap-up codes; numbers are never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GcsyncObjectKind {
    /// A CIC user → Genesys Cloud user.
    User = 1,
    /// A CIC workgroup → Genesys Cloud queue, with its members and wrap-up codes.
    Workgroup = 2,
    /// A CIC skill → Genesys Cloud ACD skill, or language when "Treat as Language" is set.
    Skill = 3,
    /// A CIC wrap-up code → Genesys Cloud wrap-up code (name only).
    WrapupCode = 4,
    /// A CIC agent status → the user's Genesys Cloud presence (and, in WEM orgs, out-of-office
    /// and routing status). The object id is the CIC user id.
    AgentStatus = 5,
}

impl GcsyncObjectKind {
    /// Every kind, in number order.
    pub const ALL: [GcsyncObjectKind; 5] = [
        GcsyncObjectKind::User,
        GcsyncObjectKind::Workgroup,
        GcsyncObjectKind::Skill,
        GcsyncObjectKind::WrapupCode,
        GcsyncObjectKind::AgentStatus,
    ];

    /// The kind's position in [`GcsyncObjectKind::ALL`] (for per-kind tables).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// Maps a number from the host; `None` when unknown.
    pub fn from_u32(v: u32) -> Option<GcsyncObjectKind> {
        match v {
            1 => Some(GcsyncObjectKind::User),
            2 => Some(GcsyncObjectKind::Workgroup),
            3 => Some(GcsyncObjectKind::Skill),
            4 => Some(GcsyncObjectKind::WrapupCode),
            5 => Some(GcsyncObjectKind::AgentStatus),
            _ => None,
        }
    }

    /// Maps a lower-case name (as in JSON and the database) back to a kind.
    pub fn from_name(name: &str) -> Option<GcsyncObjectKind> {
        match name {
            "user" => Some(GcsyncObjectKind::User),
            "workgroup" => Some(GcsyncObjectKind::Workgroup),
            "skill" => Some(GcsyncObjectKind::Skill),
            "wrapup_code" => Some(GcsyncObjectKind::WrapupCode),
            "agent_status" => Some(GcsyncObjectKind::AgentStatus),
            _ => None,
        }
    }

    /// The lower-case name used in JSON (`"user"`).
    pub fn name(self) -> &'static str {
        match self {
            GcsyncObjectKind::User => "user",
            GcsyncObjectKind::Workgroup => "workgroup",
            GcsyncObjectKind::Skill => "skill",
            GcsyncObjectKind::WrapupCode => "wrapup_code",
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
    /// A workgroup key.
    pub fn workgroup(id: impl Into<String>) -> ObjectKey {
        ObjectKey {
            kind: GcsyncObjectKind::Workgroup,
            id: id.into(),
        }
    }

    /// A skill key.
    pub fn skill(id: impl Into<String>) -> ObjectKey {
        ObjectKey {
            kind: GcsyncObjectKind::Skill,
            id: id.into(),
        }
    }

    /// A wrap-up code key.
    pub fn wrapup_code(id: impl Into<String>) -> ObjectKey {
        ObjectKey {
            kind: GcsyncObjectKind::WrapupCode,
            id: id.into(),
        }
    }

    /// A user key.
    pub fn user(id: impl Into<String>) -> ObjectKey {
        ObjectKey {
            kind: GcsyncObjectKind::User,
            id: id.into(),
        }
    }
}
