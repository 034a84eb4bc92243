//! The skill kind: a CIC skill → a Genesys Cloud ACD skill, or a language when "Treat as
//! Language" is set (README "Skills and languages"). Its Genesys steps are in
//! `worker/skills.rs`; what a user should hold is worked out here from the object table
//! ([`desired_routing`]) and planned in [`crate::assignments`].

use super::{CicObject, Kind};
use crate::assignments::{effective, stars, Routing};
use crate::cic::CicUser;
use crate::engine::Shared;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::payloads::{parse_strict, CicSkill};
use crate::queue::Priority;
use crate::result::Failure;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};

/// The skill kind.
pub struct SkillKind;

/// What a CIC skill became in Genesys Cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillApplied {
    /// A language (`true`) or an ACD skill.
    pub language: bool,
}

/// Why advanced objects are not synced under `s` (`None`: they are).
pub fn advanced_disabled(s: &Settings) -> Option<&'static str> {
    (!s.sync_user_objects || !s.sync_advanced_platform_objects)
        .then_some("Sync Advanced Platform Objects is turned off")
}

impl Kind for SkillKind {
    const KIND: GcsyncObjectKind = GcsyncObjectKind::Skill;
    const PRIORITY: Priority = Priority::Normal;
    type Cic = CicSkill;
    type Applied = SkillApplied;

    fn parse(json: &str) -> Result<CicSkill, Failure> {
        parse_strict(json)
    }

    fn id(c: &CicSkill) -> &str {
        &c.id
    }

    fn disabled(s: &Settings) -> Option<&'static str> {
        advanced_disabled(s)
    }

    fn removal_disabled(s: &Settings) -> Option<&'static str> {
        advanced_disabled(s).map(|_| {
            "Sync Advanced Platform Objects is turned off; the removal applies when it is turned on"
        })
    }
}

/// The Genesys id and category of a CIC skill that is synced (`None`: not ready).
pub fn synced_skill(shared: &Shared, id: &str) -> Option<(String, bool)> {
    let key = ObjectKey::skill(id);
    if !shared.is_ready(&key) {
        return None;
    }
    let r = shared.objects.get(&key)?;
    match (r.status.genesys_id, r.applied) {
        (Some(gid), Some(super::Applied::Skill(a))) => Some((gid, a.language)),
        _ => None,
    }
}

/// What a user should hold in Genesys Cloud, and what it cannot hold yet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DesiredRouting {
    /// Assignments to skills and languages that are synced.
    pub routing: Routing,
    /// Skills the user has in CIC that are not synced yet (Not synced, Error, or removed).
    pub missing: Vec<ObjectKey>,
    /// Out-of-range proficiencies that were clamped, one line each.
    pub warnings: Vec<String>,
}

/// The skills every object of the table gives `user` (workgroups it is a member of).
fn inherited(shared: &Shared, user: &str) -> Vec<Vec<crate::payloads::SkillRef>> {
    shared
        .objects
        .select(|r| {
            r.source
                .as_deref()
                .and_then(CicObject::skill_grants)
                .is_some_and(|(members, skills)| {
                    !skills.is_empty() && members.iter().any(|m| m == user)
                })
        })
        .into_iter()
        .filter_map(|(_, r)| {
            let src = r.source?;
            src.skill_grants().map(|(_, s)| s.to_vec())
        })
        .collect()
}

/// Works out a user's effective skills (direct + inherited: [`effective`]) as Genesys
/// assignments, by the `proficiency_bands` of `s`.
pub fn desired_routing(shared: &Shared, user: &CicUser, s: &Settings) -> DesiredRouting {
    let from_groups = inherited(shared, &user.id);
    let refs: Vec<&[crate::payloads::SkillRef]> = from_groups.iter().map(Vec::as_slice).collect();
    let mut out = DesiredRouting::default();
    for (id, p) in effective(&user.skills, &refs) {
        let (n, clamped) = stars(Some(p), &s.proficiency_bands);
        if clamped {
            out.warnings.push(format!(
                "skill {id}: proficiency {p} is outside 1-100; clamped to {}",
                p.clamp(1, 100)
            ));
        }
        match synced_skill(shared, &id) {
            Some((gid, true)) => {
                out.routing.languages.insert(gid, n);
            }
            Some((gid, false)) => {
                out.routing.skills.insert(gid, n);
            }
            None => out.missing.push(ObjectKey::skill(id)),
        }
    }
    out
}

/// Queues `users` (CIC user ids) again so their effective skills are worked out anew: for a
/// workgroup whose members or skills changed (called by the workgroup kind with the members
/// before and after the change), or a skill that moved. A user that is not known, or was deleted
/// in CIC, is skipped; one whose assignments come out the same costs no API call.
pub fn requeue_users_for_skills(shared: &Shared, users: &[String]) {
    for id in users {
        let key = ObjectKey::user(id.as_str());
        let Some(r) = shared.objects.get(&key) else {
            continue;
        };
        if r.source.is_none() {
            continue;
        }
        shared.queue.forget_accepted(&key);
        let priority = super::priority(key.kind);
        if let Err(f) = shared.queue.enqueue(key, r.wanted_change(), priority) {
            log::warn!(
                "could not queue user {id} to recompute its skills: {}",
                f.message
            );
        }
    }
}
