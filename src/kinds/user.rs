//! The user kind: a CIC user → a Genesys Cloud user (display name, business email, phones). Its
//! parsing is in [`crate::cic`], its mapping in [`crate::mapping`], its diff in [`crate::diff`]
//! and its Genesys Cloud steps in `worker/users.rs` and [`crate::user_sync`].

use super::Kind;
use crate::cic::CicUser;
use crate::mapping::DesiredUser;
use crate::object::GcsyncObjectKind;
use crate::queue::Priority;
use crate::result::Failure;
use crate::settings::Settings;
use crate::user_sync::Known;
use serde::{Deserialize, Serialize};

/// The user kind.
pub struct UserKind;

/// What gcsync last applied to a user: the desired user it wrote (or verified), what Genesys
/// returned then (the version and the contacts gcsync leaves alone), so that the next update is
/// one PATCH with no read first, and the skill and language assignments gcsync made (by Genesys
/// id; README "Effective skills"). Stored as one JSON object: the desired user's fields, plus
/// `known`, `skills`, `languages` and `adding` when there are any (rows written before them read with
/// none: their next update reads the user first), and `external_id`, the authority under which
/// the CIC id is recorded on the Genesys user once that is done (README "Ownership in the
/// org": one call per created or adopted user, never repeated, so it is remembered here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "AppliedUserRow")]
pub struct AppliedUser {
    /// The desired user last written.
    #[serde(flatten)]
    pub desired: DesiredUser,
    /// Genesys' version and kept contacts after that write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<Known>,
    /// The assignments gcsync made.
    #[serde(flatten)]
    pub routing: crate::assignments::Routing,
    /// The assignments gcsync is about to add, change (with the new stars) or remove (with the
    /// stars owned), recorded durably before the write (README "Crash-consistent
    /// assignments"): after a crash before the outcome's commit, the next step reads the user;
    /// those it holds are gcsync's, the others not. Cleared with the outcome.
    #[serde(default, skip_serializing_if = "crate::assignments::Routing::is_empty")]
    pub adding: crate::assignments::Routing,
    /// The authority under which the CIC id is recorded on this Genesys user as its external
    /// identifier (`None`: not recorded, or not known to be).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// [`AppliedUser`]'s stored JSON read field by field: the same object `#[serde(flatten)]`
/// writes, without the buffering a flattened read does (a copy of every key and value before
/// the fields are matched: it was a fifth of `gcsync_init`'s time with 10 000 stored users).
/// Unknown keys are ignored, as the flattened read ignored them.
#[derive(Deserialize)]
struct AppliedUserRow {
    name: String,
    email: String,
    phones: std::collections::BTreeMap<String, crate::mapping::Phone>,
    #[serde(default)]
    known: Option<Known>,
    #[serde(default)]
    skills: std::collections::BTreeMap<String, u8>,
    #[serde(default)]
    languages: std::collections::BTreeMap<String, u8>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    adding: crate::assignments::Routing,
}

impl From<AppliedUserRow> for AppliedUser {
    fn from(r: AppliedUserRow) -> AppliedUser {
        AppliedUser {
            desired: DesiredUser {
                name: r.name,
                email: r.email,
                phones: r.phones,
            },
            known: r.known,
            routing: crate::assignments::Routing {
                skills: r.skills,
                languages: r.languages,
            },
            adding: r.adding,
            external_id: r.external_id,
        }
    }
}

/// The name the skills code knows it by.
pub type UserApplied = AppliedUser;

impl From<DesiredUser> for AppliedUser {
    fn from(desired: DesiredUser) -> AppliedUser {
        AppliedUser {
            desired,
            known: None,
            routing: Default::default(),
            adding: Default::default(),
            external_id: None,
        }
    }
}

impl Kind for UserKind {
    const KIND: GcsyncObjectKind = GcsyncObjectKind::User;
    const PRIORITY: Priority = Priority::Normal;
    type Cic = CicUser;
    type Applied = AppliedUser;

    fn parse(json: &str) -> Result<CicUser, Failure> {
        crate::cic::parse_user(json)
    }

    fn id(c: &CicUser) -> &str {
        &c.id
    }

    fn disabled(s: &Settings) -> Option<&'static str> {
        (!s.sync_user_objects).then_some("Sync User Objects is turned off")
    }

    fn audited(a: &AppliedUser) -> serde_json::Value {
        // Fields and assignments, not the version bookkeeping.
        let mut v = serde_json::to_value(a).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.remove("known");
            m.remove("external_id");
            m.remove("adding");
        }
        v
    }

    fn removal_disabled(s: &Settings) -> Option<&'static str> {
        (!s.sync_user_objects)
            .then_some("Sync User Objects is turned off; the removal applies when it is turned on")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Phone;

    #[test]
    fn the_stored_applied_user_reads_back_as_written_and_older_rows_still_read() {
        let full = AppliedUser {
            desired: DesiredUser {
                name: "Jane Doe".into(),
                email: "jane@example.com".into(),
                phones: [
                    ("WORK".to_string(), Phone::number("+13175550100")),
                    (
                        "MOBILE".to_string(),
                        Phone {
                            address: Some("+13175550101".into()),
                            extension: Some("12".into()),
                        },
                    ),
                ]
                .into(),
            },
            known: Some(Known {
                version: 4,
                kept: vec![],
                unsure: false,
            }),
            routing: crate::assignments::Routing {
                skills: [("s-1".to_string(), 3)].into(),
                languages: [("l-1".to_string(), 5)].into(),
            },
            adding: crate::assignments::Routing {
                skills: [("s-2".to_string(), 1)].into(),
                languages: Default::default(),
            },
            external_id: Some("gcsync".into()),
        };
        let json = serde_json::to_string(&full).unwrap();
        assert!(
            json.contains("\"skills\"")
                && json.contains("\"known\"")
                && json.contains("\"external_id\"")
                && json.contains("\"adding\":{\"skills\":{\"s-2\":1}}"),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<AppliedUser>(&json).unwrap(), full);
        // A row written before `known` and the assignments, with a key this version ignores.
        let old = r#"{"name":"Jo","email":"jo@example.com","phones":{},"later":1}"#;
        let read: AppliedUser = serde_json::from_str(old).unwrap();
        assert_eq!(read.desired.name, "Jo");
        assert_eq!((read.known, read.routing.is_empty()), (None, true));
        assert_eq!(read.external_id, None);
        assert!(read.adding.is_empty());
        assert!(serde_json::from_str::<AppliedUser>(r#"{"name":"Jo"}"#).is_err());
    }
}
