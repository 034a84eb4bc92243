//! Object kinds and keys shared by the queue, the store and the C API.

use serde::{Deserialize, Serialize};

/// The kinds of PureConnect object gcsync syncs. Later versions add workgroups, skills and
/// wrap-up codes; numbers are never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GcsyncObjectKind {
    /// A CIC user → Genesys Cloud user.
    User = 1,
    /// A CIC skill → Genesys Cloud ACD skill, or language when "Treat as Language" is set.
    Skill = 3,
}

impl GcsyncObjectKind {
    /// Every kind, in number order.
    pub const ALL: [GcsyncObjectKind; 2] = [GcsyncObjectKind::User, GcsyncObjectKind::Skill];

    /// The kind's position in [`GcsyncObjectKind::ALL`] (for per-kind tables; numbers need not
    /// be contiguous).
    pub fn index(self) -> usize {
        GcsyncObjectKind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or(0)
    }

    /// Maps a number from the host; `None` when unknown.
    pub fn from_u32(v: u32) -> Option<GcsyncObjectKind> {
        match v {
            1 => Some(GcsyncObjectKind::User),
            3 => Some(GcsyncObjectKind::Skill),
            _ => None,
        }
    }

    /// Maps a lower-case name (as in JSON and the database) back to a kind.
    pub fn from_name(name: &str) -> Option<GcsyncObjectKind> {
        match name {
            "user" => Some(GcsyncObjectKind::User),
            "skill" => Some(GcsyncObjectKind::Skill),
            _ => None,
        }
    }

    /// The lower-case name used in JSON (`"user"`).
    pub fn name(self) -> &'static str {
        match self {
            GcsyncObjectKind::User => "user",
            GcsyncObjectKind::Skill => "skill",
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
    /// A skill key.
    pub fn skill(id: impl Into<String>) -> ObjectKey {
        ObjectKey {
            kind: GcsyncObjectKind::Skill,
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
