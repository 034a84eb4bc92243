//! The skill kind: a CIC skill → a Genesys Cloud ACD skill, or a language when "Treat as
//! Language" is set (README "Skills and languages"). Its Genesys steps are in
//! `worker/skills.rs`; what a user should hold is worked out here from the object table
//! ([`desired_routing`]) and planned in [`crate::assignments`].

use super::{CicObject, Kind};
use crate::assignments::{effective, stars, Routing};
use crate::cic::CicUser;
use crate::engine::Shared;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::payloads::{parse_strict, CicSkill, SkillRef};
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
}

/// The skills every object of the table gives `user` (workgroups it is a member of).
fn inherited(shared: &Shared, user: &str) -> Vec<Vec<SkillRef>> {
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
            SkillState::Ready(gid, true) => {
                out.routing.languages.insert(gid, n);
            }
            SkillState::Ready(gid, false) => {
                out.routing.skills.insert(gid, n);
            }
            SkillState::Pending => out.pending.push(ObjectKey::skill(id)),
            SkillState::Unavailable => out.unavailable.push(ObjectKey::skill(id)),
        }
    }
    out
}

/// [`routing_for`] a CIC user, with the workgroups and skills of the object table.
pub fn desired_routing(shared: &Shared, user: &CicUser, s: &Settings) -> DesiredRouting {
    let from_groups = inherited(shared, &user.id);
    let refs: Vec<&[SkillRef]> = from_groups.iter().map(Vec::as_slice).collect();
    routing_for(&user.skills, &refs, &s.proficiency_bands, &|id| {
        skill_state(shared, id)
    })
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
        if let Err(f) = shared.queue.requeue(key, r.wanted_change(), priority) {
            log::warn!(
                "could not queue user {id} to recompute its skills: {}",
                f.message
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{Change, WorkQueue};
    use std::sync::Arc;

    fn shared() -> Shared {
        let get = |k: &str| {
            Some(match k {
                "api_base_url" | "login_base_url" => "http://127.0.0.1:9".to_string(),
                "client_id" | "client_secret" => "x".into(),
                "data_dir" => "/nonexistent/gcsync".into(),
                _ => return None,
            })
        };
        let host = crate::host::Host(crate::host::GcsyncHost {
            abi_version: crate::host::GCSYNC_ABI_VERSION,
            struct_size: std::mem::size_of::<crate::host::GcsyncHost>() as u32,
            userdata: std::ptr::null_mut(),
            get_setting: None,
            log: None,
            status_changed: None,
            request_snapshot: None,
        });
        let (tx, _rx) = crossbeam_channel::unbounded();
        Shared::new(
            WorkQueue::new(100, 0),
            Default::default(),
            Default::default(),
            host,
            Settings::load(&get).unwrap(),
            tx,
        )
    }

    #[test]
    fn requeue_users_for_skills_queues_known_users_again_even_when_unchanged() {
        let sh = shared();
        let user = crate::cic::parse_user(r#"{"id":"a","business_email":"a@example.com"}"#);
        let object = CicObject::User(user.unwrap());
        let a = ObjectKey::user("a");
        sh.objects
            .update(&a, |r| r.source = Some(Arc::new(object.clone())));
        sh.objects
            .update(&ObjectKey::user("gone"), |r| r.source = None);
        // The same change was accepted and processed already: a plain enqueue would drop it.
        let change = Change::Upsert {
            object,
            force: false,
        };
        sh.queue
            .enqueue(a.clone(), change.clone(), Priority::Normal)
            .unwrap();
        let (k, _) = sh.queue.next(0, std::time::Duration::from_secs(1)).unwrap();
        sh.queue.finish(&k, true);
        assert!(!sh
            .queue
            .enqueue(a.clone(), change, Priority::Normal)
            .unwrap());
        assert!(!sh.queue.is_pending(&a));
        let ids = ["a", "gone", "unknown"].map(String::from);
        requeue_users_for_skills(&sh, &ids);
        assert!(sh.queue.is_pending(&a));
        assert!(!sh.queue.is_pending(&ObjectKey::user("gone")));
        assert!(!sh.queue.is_pending(&ObjectKey::user("unknown")));
    }

    fn sr(id: &str, p: i64) -> SkillRef {
        SkillRef {
            id: id.into(),
            proficiency: Some(p),
        }
    }

    #[test]
    fn inherited_and_direct_skills_become_assignments_by_state() {
        let direct = [sr("French", 15), sr("Billing", 250)];
        let sales = [sr("French", 95), sr("Tier2", 45), sr("Soon", 10)];
        let support = [sr("Tier2", 85), sr("Broken", 50)];
        let state = |id: &str| match id {
            "French" => SkillState::Ready("g-fr".into(), true),
            "Billing" => SkillState::Ready("g-bi".into(), false),
            "Tier2" => SkillState::Ready("g-t2".into(), false),
            "Soon" => SkillState::Pending,
            _ => SkillState::Unavailable,
        };
        let d = routing_for(
            &direct,
            &[&sales, &support],
            &crate::assignments::DEFAULT_BANDS,
            &state,
        );
        // Direct 15 beats the inherited 95; the highest inherited Tier2 (85) wins; 250 clamps.
        assert_eq!(d.routing.languages, [("g-fr".to_string(), 1)].into());
        assert_eq!(
            d.routing.skills,
            [("g-bi".to_string(), 5), ("g-t2".to_string(), 5)].into()
        );
        assert_eq!(d.pending, [ObjectKey::skill("Soon")]);
        assert_eq!(d.unavailable, [ObjectKey::skill("Broken")]);
        assert_eq!(d.warnings.len(), 1);
        assert!(d.warnings[0].contains("Billing") && d.warnings[0].contains("250"));
    }
}
