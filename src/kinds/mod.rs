//! The kinds of object gcsync syncs. Each kind is described once, by a type implementing
//! [`Kind`] in its own module (`user.rs`, ...); the [`kinds!`] table below turns the list of kinds
//! into the enums that carry any kind's data through the queue ([`CicObject`]), the object table
//! and the store ([`Applied`]), and into the dispatch functions the kind-agnostic code calls.
//! Adding a kind is one module and one line in the table.

pub mod agent_status;
pub mod skill;
pub mod user;
pub mod workgroup;
pub mod wrapup_code;

use crate::object::GcsyncObjectKind;
use crate::queue::Priority;
use crate::result::Failure;
use crate::settings::Settings;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

/// What gcsync knows about one kind of object, apart from how it is written to Genesys Cloud
/// (the worker's per-kind steps). Implemented by a zero-sized type per kind.
pub trait Kind {
    /// The kind's number and name.
    const KIND: GcsyncObjectKind;
    /// Queue priority of its changes (presence goes ahead of configuration work).
    const PRIORITY: Priority;
    /// The object as the host sends it (validated).
    type Cic: Clone + Eq + Debug + Serialize + DeserializeOwned + Into<CicObject>;
    /// What gcsync last wrote to (or verified in) Genesys Cloud for it.
    type Applied: Clone + Eq + Debug + Serialize + DeserializeOwned;
    /// Parses and validates the host's JSON strictly (codes and messages as in the README).
    fn parse(json: &str) -> Result<Self::Cic, Failure>;
    /// The object's CIC id.
    fn id(c: &Self::Cic) -> &str;
    /// Why objects of this kind are not synced under `s` (`None`: they are).
    fn disabled(s: &Settings) -> Option<&'static str>;
    /// The same, for a removal waiting on the setting.
    fn removal_disabled(s: &Settings) -> Option<&'static str>;
    /// What the audit compares of `applied` (default: all of it). A kind that keeps bookkeeping
    /// beside what it wrote (a version) leaves that out, so the audit names real changes only.
    fn audited(a: &Self::Applied) -> serde_json::Value {
        serde_json::to_value(a).unwrap_or_default()
    }

    /// The members of the object and the skills it gives them (a workgroup's members inherit
    /// its skills: README "Effective skills"); `None` for kinds that give none.
    fn skill_grants(_c: &Self::Cic) -> Option<(&[String], &[crate::payloads::SkillRef])> {
        None
    }
}

/// Why the advanced platform objects (workgroups, skills, wrap-up codes, agent statuses) are not
/// synced under `s` (`None`: they are): Sync Advanced Platform Objects needs Sync User Objects.
pub fn advanced_disabled(s: &Settings) -> Option<&'static str> {
    (!s.sync_user_objects || !s.sync_advanced_platform_objects)
        .then_some("Sync Advanced Platform Objects is turned off")
}

/// [`advanced_disabled`] for a removal: it waits for the option, nothing is deleted meanwhile.
fn advanced_removal_disabled(s: &Settings) -> Option<&'static str> {
    advanced_disabled(s).map(|_| {
        "Sync Advanced Platform Objects is turned off; the removal applies when it is turned on"
    })
}

/// Decodes a value the store wrote with serde.
fn decode<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

/// A writer that checks what is written against the rest of a text, failing at the first
/// difference (for [`CicObject::encodes_as`]).
struct SameAs<'a>(&'a [u8]);

impl std::io::Write for SameAs<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.strip_prefix(buf) {
            Some(rest) => {
                self.0 = rest;
                Ok(buf.len())
            }
            None => Err(std::io::ErrorKind::InvalidData.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

macro_rules! kinds {
    ($($variant:ident => $k:ty),* $(,)?) => {
        /// A CIC object of any kind, as the host sent it (validated).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum CicObject {
            $(
                #[doc = concat!("A `", stringify!($variant), "`.")]
                $variant(<$k as Kind>::Cic),
            )*
        }

        /// What gcsync last applied in Genesys Cloud, for an object of any kind.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Applied {
            $(
                #[doc = concat!("Of a `", stringify!($variant), "`.")]
                $variant(<$k as Kind>::Applied),
            )*
        }

        $(
            impl From<<$k as Kind>::Cic> for CicObject {
                fn from(c: <$k as Kind>::Cic) -> CicObject {
                    CicObject::$variant(c)
                }
            }
        )*

        impl CicObject {
            /// The object's kind.
            pub fn kind(&self) -> GcsyncObjectKind {
                match self {
                    $(CicObject::$variant(_) => <$k as Kind>::KIND,)*
                }
            }

            /// The object's CIC id.
            pub fn id(&self) -> &str {
                match self {
                    $(CicObject::$variant(c) => <$k as Kind>::id(c),)*
                }
            }

            /// The members this object gives skills to, and the skills (see [`Kind::skill_grants`]).
            pub fn skill_grants(&self) -> Option<(&[String], &[crate::payloads::SkillRef])> {
                match self {
                    $(CicObject::$variant(c) => <$k as Kind>::skill_grants(c),)*
                }
            }

            /// Parses the host's JSON for an object of `kind`.
            pub fn parse(kind: GcsyncObjectKind, json: &str) -> Result<CicObject, Failure> {
                match kind {
                    $(GcsyncObjectKind::$variant => <$k as Kind>::parse(json).map(CicObject::$variant),)*
                }
            }

            /// The JSON the store keeps (the kind is stored beside it).
            pub fn encode(&self) -> serde_json::Result<String> {
                match self {
                    $(CicObject::$variant(c) => serde_json::to_string(c),)*
                }
            }

            /// [`CicObject::encode`] appended to `out` (no allocation of its own).
            pub fn encode_into(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
                match self {
                    $(CicObject::$variant(c) => serde_json::to_writer(out, c),)*
                }
            }

            /// Whether [`CicObject::encode`] writes exactly `text`: compared while it is
            /// written, allocating nothing, and stopping at the first difference.
            pub fn encodes_as(&self, text: &[u8]) -> bool {
                let mut w = SameAs(text);
                let written = match self {
                    $(CicObject::$variant(c) => serde_json::to_writer(&mut w, c),)*
                };
                written.is_ok() && w.0.is_empty()
            }

            /// Reads what [`CicObject::encode`] wrote for an object of `kind`.
            pub fn decode(kind: GcsyncObjectKind, json: &str) -> Result<CicObject, String> {
                match kind {
                    $(GcsyncObjectKind::$variant => decode(json).map(CicObject::$variant),)*
                }
            }
        }

        impl Applied {
            /// The JSON the store keeps.
            pub fn encode(&self) -> serde_json::Result<String> {
                match self {
                    $(Applied::$variant(a) => serde_json::to_string(a),)*
                }
            }

            /// What the audit compares (see [`Kind::audited`]).
            pub fn audited(&self) -> serde_json::Value {
                match self {
                    $(Applied::$variant(a) => <$k as Kind>::audited(a),)*
                }
            }

            /// Reads what [`Applied::encode`] wrote for an object of `kind`.
            pub fn decode(kind: GcsyncObjectKind, json: &str) -> Result<Applied, String> {
                match kind {
                    $(GcsyncObjectKind::$variant => decode(json).map(Applied::$variant),)*
                }
            }
        }

        /// Queue priority of a kind's changes.
        pub fn priority(kind: GcsyncObjectKind) -> Priority {
            match kind {
                $(GcsyncObjectKind::$variant => <$k as Kind>::PRIORITY,)*
            }
        }

        /// Why objects of `kind` are not synced under `s` (`removal`: for a removal).
        pub fn disabled(kind: GcsyncObjectKind, s: &Settings, removal: bool) -> Option<&'static str> {
            match (kind, removal) {
                $(
                    (GcsyncObjectKind::$variant, false) => <$k as Kind>::disabled(s),
                    (GcsyncObjectKind::$variant, true) => <$k as Kind>::removal_disabled(s),
                )*
            }
        }
    };
}

kinds! {
    User => user::UserKind,
    Workgroup => workgroup::WorkgroupKind,
    Skill => skill::SkillKind,
    WrapupCode => wrapup_code::WrapupCodeKind,
    AgentStatus => agent_status::AgentStatusKind,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::GcsyncResult;

    #[test]
    fn an_object_round_trips_through_the_store_encoding() {
        let c = CicObject::parse(
            GcsyncObjectKind::User,
            r#"{"id":"jdoe","business_email":"j@example.com"}"#,
        )
        .unwrap();
        assert_eq!(c.kind(), GcsyncObjectKind::User);
        assert_eq!(c.id(), "jdoe");
        let text = c.encode().unwrap();
        assert_eq!(
            CicObject::decode(GcsyncObjectKind::User, &text),
            Ok(c.clone())
        );
        assert!(c.encodes_as(text.as_bytes()));
        assert!(
            !c.encodes_as(&text.as_bytes()[..text.len() - 1]),
            "a prefix"
        );
        assert!(!c.encodes_as(format!("{text} ").as_bytes()), "longer");
        assert!(
            !c.encodes_as(text.replace("jdoe", "jdoF").as_bytes()),
            "one byte differs"
        );
    }

    #[test]
    fn parse_keeps_the_kinds_strict_rules() {
        let e = CicObject::parse(GcsyncObjectKind::User, r#"["a","b"]"#).unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidField);
    }
}
