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
use serde::{Deserialize, Serialize};

/// What gcsync last applied to a Genesys user: its fields, and the skill and language
/// assignments it made (by Genesys id; README "Effective skills"). Stored as one JSON object:
/// the user's fields as before, plus `skills` / `languages` when there are any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserApplied {
    /// The user's fields.
    #[serde(flatten)]
    pub user: DesiredUser,
    /// The assignments gcsync made.
    #[serde(flatten)]
    pub routing: crate::assignments::Routing,
}

impl From<DesiredUser> for UserApplied {
    fn from(user: DesiredUser) -> UserApplied {
        UserApplied {
            user,
            routing: Default::default(),
        }
    }
}

/// The user kind.
pub struct UserKind;

impl Kind for UserKind {
    const KIND: GcsyncObjectKind = GcsyncObjectKind::User;
    const PRIORITY: Priority = Priority::Normal;
    type Cic = CicUser;
    type Applied = UserApplied;

    fn parse(json: &str) -> Result<CicUser, Failure> {
        crate::cic::parse_user(json)
    }

    fn id(c: &CicUser) -> &str {
        &c.id
    }

    fn disabled(s: &Settings) -> Option<&'static str> {
        (!s.sync_user_objects).then_some("Sync User Objects is turned off")
    }

    fn removal_disabled(s: &Settings) -> Option<&'static str> {
        (!s.sync_user_objects)
            .then_some("Sync User Objects is turned off; the removal applies when it is turned on")
    }
}
