//! The skill kind: a CIC skill → a Genesys Cloud ACD skill, or a language when "Treat as
//! Language" is set (README "Skills and languages"). Its Genesys steps are in
//! `worker/skills.rs`; what a user should hold is worked out here from the object table
//! ([`desired_routing`]) and planned in [`crate::assignments`]; the skills users inherit from
//! workgroups, as CIC last sent them, are tracked in `skill/grants.rs`.

use super::Kind;
use crate::assignments::{effective, stars, Routing};
use crate::cic::CicUser;
use crate::engine::Shared;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::payloads::{parse_strict, CicSkill, SkillRef};
use crate::queue::Priority;
use crate::result::Failure;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};

mod grants;
#[cfg(test)]
use grants::inherited;
use grants::inherited_noting;
pub use grants::{
    grants_accepted, grants_given_up, grants_processed, grants_skills, grants_step_ended,
    inherited_note, noted_processed, take_superseded_grantees, taking,
};

/// The skill kind.
pub struct SkillKind;

/// What a CIC skill became in Genesys Cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillApplied {
    /// A language (`true`) or an ACD skill.
    pub language: bool,
}

/// The rule skills share with the other advanced kinds (also used for user assignments).
pub use super::advanced_disabled;
use super::advanced_removal_disabled;

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
        advanced_removal_disabled(s)
    }
}

/// Where a CIC skill stands, as far as a user's assignments care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkillState {
    /// Synced: its Genesys id, and whether it is a language.
    Ready(String, bool),
    /// Sent by CIC and on its way (queued, in flight, or retried later): the user's assignments
    /// wait for it.
    Pending,
    /// Unknown to gcsync, in Error or deleted: the user gets the rest without it.
    Unavailable,
}

/// Where CIC skill `id` stands: Ready when synced; Pending while a change of it is queued, in
/// flight or waiting for a retry; otherwise Unavailable.
pub fn skill_state(shared: &Shared, id: &str) -> SkillState {
    let key = ObjectKey::skill(id);
    let ready = shared
        .objects
        .get(&key)
        .and_then(|r| match (r.source, r.status, r.applied) {
            (Some(_), s, Some(super::Applied::Skill(a)))
                if s.state == crate::status::SyncState::Synced && !s.removed =>
            {
                s.genesys_id.map(|g| (g, a.language))
            }
            _ => None,
        });
    match ready {
        Some((gid, language)) => SkillState::Ready(gid, language),
        None if shared.queue.is_pending(&key) => SkillState::Pending,
        None => SkillState::Unavailable,
    }
}

/// What a user should hold in Genesys Cloud, and what it cannot hold yet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DesiredRouting {
    /// Assignments to skills and languages that are synced.
    pub routing: Routing,
    /// Skills on their way: the assignments are written once none is left.
    pub pending: Vec<ObjectKey>,
    /// Skills that cannot be assigned now (unknown, Error, deleted): the rest is written.
    pub unavailable: Vec<ObjectKey>,
    /// Out-of-range proficiencies that were clamped, one line each.
    pub warnings: Vec<String>,
    /// The skills behind `routing`: CIC skill id, its Genesys id and whether it is a language.
    pub ready: Vec<(String, String, bool)>,
    /// The workgroups (CIC ids) whose accepted, not processed change gives other skills than
    /// their processed version: the user step notes them in the user's warnings
    /// ([`crate::objects::INHERITED_NOT_SYNCED`]). Empty from [`routing_for`].
    pub unprocessed: Vec<String>,
}

impl DesiredRouting {
    /// Whether a skill this was worked out from is no longer synced to the same Genesys object
    /// (being moved or deleted, moved, deleted): what was written from it must be looked at
    /// again (`worker/user_routing.rs`).
    pub fn outdated(&self, shared: &Shared) -> bool {
        self.ready
            .iter()
            .any(|(id, gid, l)| skill_state(shared, id) != SkillState::Ready(gid.clone(), *l))
    }
}

/// A user's effective skills (direct + `inherited`: [`effective`]) as Genesys assignments by
/// `bands`, given where each skill stands (`state`). Pure.
pub fn routing_for(
    direct: &[SkillRef],
    inherited: &[&[SkillRef]],
    bands: &[i64; 4],
    state: &dyn Fn(&str) -> SkillState,
) -> DesiredRouting {
    let mut out = DesiredRouting::default();
    for (id, p) in effective(direct, inherited) {
        let (n, clamped) = stars(Some(p), bands);
        if clamped {
            out.warnings.push(format!(
                "skill {id}: proficiency {p} is outside 1-100; clamped to {}",
                p.clamp(1, 100)
            ));
        }
        match state(&id) {
            SkillState::Ready(gid, language) => {
                let cat = match language {
                    true => &mut out.routing.languages,
                    false => &mut out.routing.skills,
                };
                cat.insert(gid.clone(), n);
                out.ready.push((id, gid, language));
            }
            SkillState::Pending => out.pending.push(ObjectKey::skill(id)),
            SkillState::Unavailable => out.unavailable.push(ObjectKey::skill(id)),
        }
    }
    out
}

/// [`routing_for`] a CIC user, with the workgroups and skills of the object table.
pub fn desired_routing(shared: &Shared, user: &CicUser, s: &Settings) -> DesiredRouting {
    let (from_groups, unprocessed) = inherited_noting(shared, &user.id);
    let refs: Vec<&[SkillRef]> = from_groups.iter().map(Vec::as_slice).collect();
    let mut out = routing_for(&user.skills, &refs, &s.proficiency_bands, &|id| {
        skill_state(shared, id)
    });
    out.unprocessed = unprocessed;
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
        let priority = super::priority(key.kind);
        if let Err(f) = shared
            .queue
            .requeue(key, r.wanted_change(), priority, false)
        {
            log::warn!(
                "could not queue user {id} to recompute its skills: {}",
                f.message
            );
        }
    }
}

#[cfg(test)]
mod tests;
