//! The workgroup kind: a CIC workgroup → a Genesys Cloud queue with its members (the members'
//! users) and wrap-up codes. Its planning is in [`crate::plan::workgroup`], its Genesys Cloud
//! steps in `worker/workgroups.rs`.

pub mod plan;

use super::{advanced_disabled, advanced_removal_disabled, Kind};
use crate::object::GcsyncObjectKind;
use crate::payloads::{parse_strict, CicWorkgroup};
use crate::queue::Priority;
use crate::result::Failure;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The workgroup kind.
pub struct WorkgroupKind;

/// What gcsync last made true of a workgroup's queue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppliedQueue {
    /// The queue's name.
    pub name: String,
    /// Genesys user ids of the members the queue was last brought to hold (ready members).
    pub members: BTreeSet<String>,
    /// Of those and earlier ones, the members gcsync added itself (the only ones it removes).
    pub owned_members: BTreeSet<String>,
    /// Genesys ids of the wrap-up codes the queue was last brought to hold.
    pub wrapup_codes: BTreeSet<String>,
    /// The codes gcsync added to the queue itself (the only ones it removes).
    pub owned_wrapup_codes: BTreeSet<String>,
}

impl Kind for WorkgroupKind {
    const KIND: GcsyncObjectKind = GcsyncObjectKind::Workgroup;
    const PRIORITY: Priority = Priority::Normal;
    type Cic = CicWorkgroup;
    type Applied = AppliedQueue;

    fn parse(json: &str) -> Result<CicWorkgroup, Failure> {
        parse_strict(json)
    }

    fn id(c: &CicWorkgroup) -> &str {
        &c.id
    }

    fn disabled(s: &Settings) -> Option<&'static str> {
        advanced_disabled(s)
    }

    fn removal_disabled(s: &Settings) -> Option<&'static str> {
        advanced_removal_disabled(s)
    }

    fn skill_grants(c: &CicWorkgroup) -> Option<(&[String], &[crate::payloads::SkillRef])> {
        Some((&c.members, &c.skills))
    }
}
