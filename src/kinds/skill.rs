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
use std::collections::HashMap;
use std::sync::{Arc, RwLockWriteGuard};

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

/// The skills every skill-granting object (workgroup) gives `user`: as CIC last sent it when
/// that change is accepted and not processed yet ([`Shared::accepted_grants`]), else as
/// processed (the object table).
fn inherited(shared: &Shared, user: &str) -> Vec<Vec<SkillRef>> {
    let grants = |o: &CicObject| -> Option<Vec<SkillRef>> {
        o.skill_grants()
            .filter(|(members, skills)| !skills.is_empty() && members.iter().any(|m| m == user))
            .map(|(_, skills)| skills.to_vec())
    };
    // A copy (a few Arcs), so a workgroup hook never waits for the table scan below.
    let accepted = shared
        .accepted_grants
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let mut out: Vec<Vec<SkillRef>> = accepted
        .values()
        .filter_map(|o| o.as_deref().and_then(grants))
        .collect();
    let processed = shared
        .objects
        // Only workgroups give skills: the users (kept as text) are not decoded for this.
        .select_kind(GcsyncObjectKind::Workgroup, |r| {
            r.source.as_deref().and_then(grants).is_some()
        });
    out.extend(
        processed
            .into_iter()
            .filter(|(k, _)| !accepted.contains_key(k))
            .filter_map(|(_, r)| r.source.as_deref().and_then(grants)),
    );
    out
}

/// Accepted grants not processed yet, keyed by object; locked for writing when `key` is of a
/// skill-granting kind (workgroup), `None` for any other kind.
type Grants = HashMap<ObjectKey, Option<Arc<CicObject>>>;
fn grants_of<'a>(shared: &'a Shared, key: &ObjectKey) -> Option<RwLockWriteGuard<'a, Grants>> {
    (key.kind == GcsyncObjectKind::Workgroup).then(|| {
        shared
            .accepted_grants
            .write()
            .unwrap_or_else(|p| p.into_inner())
    })
}

/// Notes an accepted change of a skill-granting object (`object`: its new CIC data, `None`: its
/// deletion) for [`inherited`], until the worker processes it ([`grants_processed`]). Called
/// by the hooks after the change is queued; other kinds are ignored.
pub fn grants_accepted(shared: &Shared, key: &ObjectKey, object: Option<&CicObject>) {
    let replaced = match grants_of(shared, key) {
        Some(mut g) => g.insert(key.clone(), object.map(|o| Arc::new(o.clone()))),
        None => return,
    };
    // A version no worker processed, whose skills users may have been given meanwhile: its
    // members are queued again when the object is processed (`take_superseded_grantees`).
    if let Some(Some(prev)) = replaced {
        // A note left behind by a version the worker already processed (its hook noted it
        // after the worker took it) is not one: the object table holds that version.
        let processed = shared
            .objects
            .with_record(key, |r| r.and_then(|r| r.source.as_ref()) == Some(&prev));
        if processed {
            return;
        }
        if let Some((members, skills)) = prev.skill_grants() {
            if !skills.is_empty() && !members.is_empty() {
                shared
                    .superseded_grantees
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(key.clone())
                    .or_default()
                    .extend(members.iter().cloned());
            }
        }
    }
}

/// The members of `key`'s versions that were accepted and replaced before being processed
/// (see [`grants_accepted`]), taken: the worker queues them again with the object's own.
pub fn take_superseded_grantees(shared: &Shared, key: &ObjectKey) -> Vec<String> {
    shared
        .superseded_grantees
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(key)
        .map(|s| s.into_iter().collect())
        .unwrap_or_default()
}

/// The worker processes `source` for `key`: the accepted grants are the object table's now,
/// unless a newer change waits (its hook notes it). An entry noted after its change was
/// processed (a hook racing the worker), or a change that came another way, goes too.
pub fn grants_processed(shared: &Shared, key: &ObjectKey, source: Option<&CicObject>) {
    if let Some(mut g) = grants_of(shared, key) {
        let same = |a: &Option<Arc<CicObject>>| a.as_deref() == source;
        if g.get(key)
            .is_some_and(|a| same(a) || !shared.queue.has_waiting(key))
        {
            g.remove(key);
        }
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

    #[test]
    fn accepted_grants_win_until_processed_and_a_stale_note_goes() {
        let sh = shared();
        let wg = |skill: &str| {
            let json = format!(
                r#"{{"id":"W","members":["ann"],"skills":[{{"id":"{skill}","proficiency":50}}]}}"#
            );
            CicObject::parse(GcsyncObjectKind::Workgroup, &json).unwrap()
        };
        let w = ObjectKey {
            kind: GcsyncObjectKind::Workgroup,
            id: "W".into(),
        };
        let (a, b) = (wg("A"), wg("B"));
        let table = |o: &CicObject| {
            sh.objects
                .update(&w, |r| r.source = Some(Arc::new(o.clone())))
        };
        table(&a);
        assert_eq!(inherited(&sh, "ann"), vec![vec![sr("A", 50)]]);
        assert_eq!(inherited(&sh, "bob"), Vec::<Vec<SkillRef>>::new());
        // B accepted, not processed: it wins over the table's A.
        let change = Change::Upsert {
            object: b.clone(),
            force: false,
        };
        sh.queue
            .enqueue(w.clone(), change, Priority::Normal)
            .unwrap();
        grants_accepted(&sh, &w, Some(&b));
        assert_eq!(inherited(&sh, "ann"), vec![vec![sr("B", 50)]]);
        // An older change processed while B waits: B's note stays.
        grants_processed(&sh, &w, Some(&a));
        assert_eq!(inherited(&sh, "ann"), vec![vec![sr("B", 50)]]);
        // B taken and processed: the table holds it and the note goes.
        let (k, _) = sh.queue.next(0, std::time::Duration::from_secs(1)).unwrap();
        table(&b);
        grants_processed(&sh, &k, Some(&b));
        assert!(sh.accepted_grants.read().unwrap().is_empty());
        // A deletion accepted: W gives nothing any more.
        grants_accepted(&sh, &w, None);
        assert_eq!(inherited(&sh, "ann"), Vec::<Vec<SkillRef>>::new());
        // A note left by a hook that raced the worker goes with the next change processed
        // while nothing of W waits, whatever it holds.
        grants_accepted(&sh, &w, Some(&a));
        grants_processed(&sh, &w, Some(&b));
        assert!(sh.accepted_grants.read().unwrap().is_empty());
    }

    #[test]
    fn members_of_a_version_replaced_before_it_was_processed_are_handed_to_the_worker() {
        let sh = shared();
        let wg = |members: &str, skills: &str| {
            let json = format!(r#"{{"id":"W","members":[{members}],"skills":[{skills}]}}"#);
            CicObject::parse(GcsyncObjectKind::Workgroup, &json).unwrap()
        };
        let w = ObjectKey {
            kind: GcsyncObjectKind::Workgroup,
            id: "W".into(),
        };
        let k = r#"{"id":"K","proficiency":50}"#;
        // v1 (ann, bob with K) accepted: a user may be given K from it before W is processed.
        grants_accepted(&sh, &w, Some(&wg(r#""ann","bob""#, k)));
        assert!(
            take_superseded_grantees(&sh, &w).is_empty(),
            "nothing replaced yet"
        );
        // v2 (cat, no skills) replaces it unprocessed: ann and bob must be looked at again.
        grants_accepted(&sh, &w, Some(&wg(r#""cat""#, "")));
        // v3 replaces v2, which granted nothing: nobody more.
        grants_accepted(&sh, &w, Some(&wg(r#""dan""#, "")));
        assert_eq!(take_superseded_grantees(&sh, &w), ["ann", "bob"]);
        assert!(take_superseded_grantees(&sh, &w).is_empty(), "taken once");
        // A note left by a version the worker had processed already (the hook noted it after
        // the worker took it) is not a replaced version: nobody is handed over.
        let v4 = wg(r#""eve""#, k);
        sh.objects
            .update(&w, |r| r.source = Some(Arc::new(v4.clone())));
        grants_accepted(&sh, &w, Some(&v4));
        grants_accepted(&sh, &w, Some(&wg(r#""fay""#, "")));
        assert!(take_superseded_grantees(&sh, &w).is_empty());
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
