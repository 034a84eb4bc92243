//! The wrap-up code kind: a CIC wrap-up code → a Genesys Cloud wrap-up code, by name only (CIC's
//! label and category are accepted and ignored). Its Genesys Cloud steps are in
//! `worker/wrapup_codes.rs`.

use super::{advanced_disabled, advanced_removal_disabled, Kind};
use crate::object::GcsyncObjectKind;
use crate::payloads::{parse_strict, CicWrapupCode};
use crate::queue::Priority;
use crate::result::Failure;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};

/// The wrap-up code kind.
pub struct WrapupCodeKind;

/// What gcsync last made true of a wrap-up code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppliedWrapupCode {
    /// The code's name in Genesys Cloud.
    pub name: String,
}

/// The Genesys Cloud name of a CIC wrap-up code: its `name`, else its id.
pub fn genesys_name(c: &CicWrapupCode) -> &str {
    c.name.as_deref().unwrap_or(&c.id)
}

impl Kind for WrapupCodeKind {
    const KIND: GcsyncObjectKind = GcsyncObjectKind::WrapupCode;
    const PRIORITY: Priority = Priority::Normal;
    type Cic = CicWrapupCode;
    type Applied = AppliedWrapupCode;

    fn parse(json: &str) -> Result<CicWrapupCode, Failure> {
        let c: CicWrapupCode = parse_strict(json)?;
        if c.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Failure::new(
                crate::result::GcsyncResult::InvalidField,
                "name: must not be blank (leave it out to use the id)",
            ));
        }
        Ok(c)
    }

    fn id(c: &CicWrapupCode) -> &str {
        &c.id
    }

    fn disabled(s: &Settings) -> Option<&'static str> {
        advanced_disabled(s)
    }

    fn removal_disabled(s: &Settings) -> Option<&'static str> {
        advanced_removal_disabled(s)
    }
}
