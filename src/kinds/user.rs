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

/// The user kind.
pub struct UserKind;

impl Kind for UserKind {
    const KIND: GcsyncObjectKind = GcsyncObjectKind::User;
    const PRIORITY: Priority = Priority::Normal;
    type Cic = CicUser;
    type Applied = DesiredUser;

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
