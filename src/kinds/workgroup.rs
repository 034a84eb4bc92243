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
    /// Members gcsync is adding to the queue: recorded durably (with the queue's link, in the
    /// same row) before the POST that adds them, cleared with the outcome. After a crash
    /// between the POST and that outcome, or a POST that failed or went unanswered, those the
    /// queue holds are gcsync's ([`AppliedQueue::claimed_members`]). Absent in rows written
    /// before it existed (empty).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub adding_members: BTreeSet<String>,
    /// The same for wrap-up codes.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub adding_wrapup_codes: BTreeSet<String>,
}

impl AppliedQueue {
    /// The members that are gcsync's if the queue holds them: those it added and those it was
    /// adding when its outcome was last recorded.
    pub fn claimed_members(&self) -> BTreeSet<String> {
        self.owned_members
            .union(&self.adding_members)
            .cloned()
            .collect()
    }

    /// The same for wrap-up codes.
    pub fn claimed_wrapup_codes(&self) -> BTreeSet<String> {
        self.owned_wrapup_codes
            .union(&self.adding_wrapup_codes)
            .cloned()
            .collect()
    }

    /// Whether additions whose outcome is unknown wait to be settled (the queue must be read
    /// again before anything is taken as unchanged).
    pub fn adding(&self) -> bool {
        !self.adding_members.is_empty() || !self.adding_wrapup_codes.is_empty()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn additions_in_flight_are_stored_and_rows_without_them_still_read() {
        // A row written before the additions were recorded reads with none pending.
        let old = r#"{"name":"Q","members":["a"],"owned_members":["a"],"wrapup_codes":[],"owned_wrapup_codes":[]}"#;
        let a: AppliedQueue = serde_json::from_str(old).unwrap();
        assert!(!a.adding());
        assert_eq!(a.claimed_members(), set(&["a"]));
        // Nothing pending writes nothing new (the same JSON as before).
        assert_eq!(serde_json::to_string(&a).unwrap(), old);
        let b = AppliedQueue {
            adding_members: set(&["b"]),
            adding_wrapup_codes: set(&["c"]),
            ..a
        };
        let back: AppliedQueue = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        assert_eq!(back, b);
        assert!(back.adding());
        assert_eq!(back.claimed_members(), set(&["a", "b"]));
        assert_eq!(back.claimed_wrapup_codes(), set(&["c"]));
    }
}
