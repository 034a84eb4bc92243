//! The skills users inherit from skill-granting objects (workgroups), as CIC last sent them:
//! an accepted change counts before the worker processes it ([`grants_accepted`],
//! [`grants_processed`]), and the members of a version replaced unprocessed, or given up by its
//! step ([`grants_given_up`]), are handed to the worker ([`take_superseded_grantees`]); a
//! version a step took counts as not processed until the step ends ([`taking`]).

use crate::engine::Shared;
use crate::kinds::CicObject;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::payloads::SkillRef;
use std::collections::HashMap;
use std::sync::{Arc, RwLockWriteGuard};

/// The skills every skill-granting object (workgroup) gives `user`: as CIC last sent it when
/// that change is accepted and not processed yet ([`Shared::accepted_grants`]), else as
/// processed (the object table).
#[cfg(test)]
pub(super) fn inherited(shared: &Shared, user: &str) -> Vec<Vec<SkillRef>> {
    inherited_noting(shared, user).0
}

/// [`inherited`], and the CIC ids (sorted) of the workgroups whose accepted, not processed
/// change gives `user` other skills than their processed version does. Such a change may be
/// replaced before it is processed, and who inherited it is then noted in memory only
/// ([`take_superseded_grantees`]): the user step records these ids durably, in the user's
/// warnings, so a restart looks at the user again (`Record::assignments_wait`).
pub(super) fn inherited_noting(shared: &Shared, user: &str) -> (Vec<Vec<SkillRef>>, Vec<String>) {
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
    // The table and the versions taken, read under the map's lock: a step takes its version
    // and puts it in the table under that lock ([`taking`]), and ends it under it, so a
    // version the table holds was either ended before this read or is among `taken`.
    let (processed, taken) = {
        let taken = lock_taken(shared);
        let processed: HashMap<ObjectKey, Vec<SkillRef>> = shared
            .objects
            // Only workgroups give skills: the users (kept as text) are not decoded for this.
            .select_kind(GcsyncObjectKind::Workgroup, |r| {
                r.source.as_deref().and_then(grants).is_some()
            })
            .into_iter()
            .filter_map(|(k, r)| r.source.as_deref().and_then(grants).map(|g| (k, g)))
            .collect();
        (processed, taken.clone())
    };
    let mut out = Vec::new();
    let mut unprocessed = Vec::new();
    for (key, g) in &processed {
        let versions = taken.get(key).into_iter().flatten();
        if versions.filter_map(|v| grants(v)).any(|t| &t == g) {
            unprocessed.push(key.id.clone());
        }
    }
    for (key, object) in &accepted {
        if let Some(g) = object.as_deref().and_then(grants) {
            if processed.get(key) != Some(&g) {
                unprocessed.push(key.id.clone());
            }
            out.push(g);
        }
    }
    out.extend(
        processed
            .into_iter()
            .filter(|(k, _)| !accepted.contains_key(k))
            .map(|(_, g)| g),
    );
    unprocessed.sort_unstable();
    unprocessed.dedup();
    (out, unprocessed)
}

/// Accepted grants not processed yet, keyed by object; locked for writing when `key` is of a
/// skill-granting kind (workgroup), `None` for any other kind.
type Grants = HashMap<ObjectKey, Option<Arc<CicObject>>>;
/// Whether objects of `kind` grant skills to their members (their hooks note each accepted
/// change: [`grants_accepted`]).
pub fn grants_skills(kind: GcsyncObjectKind) -> bool {
    kind == GcsyncObjectKind::Workgroup
}

fn grants_of<'a>(shared: &'a Shared, key: &ObjectKey) -> Option<RwLockWriteGuard<'a, Grants>> {
    grants_skills(key.kind).then(|| {
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
        hand_over_grantees(shared, key, &prev);
    }
}

/// Notes the members of `version` (when it grants skills) for the next step of `key`
/// ([`take_superseded_grantees`]).
fn hand_over_grantees(shared: &Shared, key: &ObjectKey, version: &CicObject) {
    if let Some((members, skills)) = version.skill_grants() {
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

/// A step took `version` of `key` and gave it up for a newer change (`worker/give_up.rs`):
/// the object table held it meanwhile, so users may have inherited its skills, yet neither the
/// version the record goes back to nor the newer one need name them (the hook of the newer
/// change found it processed: [`grants_accepted`]). Its members are handed to the next step as
/// a replaced version's are.
pub fn grants_given_up(shared: &Shared, key: &ObjectKey, version: &CicObject) {
    if key.kind == GcsyncObjectKind::Workgroup {
        hand_over_grantees(shared, key, version);
    }
}

type Taken = HashMap<ObjectKey, Vec<Arc<CicObject>>>;
fn lock_taken(shared: &Shared) -> std::sync::MutexGuard<'_, Taken> {
    shared
        .taken_grants
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A worker's step takes `source` of `key`, and `put` puts it in the object table, both under
/// the lock of [`Shared::taken_grants`] (a user step reads the table under it too:
/// [`inherited_noting`]): until the step ends ([`grants_step_ended`]), a user given its skills
/// is warned as for an accepted version, since a step given up leaves who inherited it in
/// memory only ([`grants_given_up`]). For other kinds `put` runs alone.
pub fn taking<R>(
    shared: &Shared,
    key: &ObjectKey,
    source: Option<&Arc<CicObject>>,
    put: impl FnOnce() -> R,
) -> R {
    match (key.kind, source) {
        (GcsyncObjectKind::Workgroup, Some(s)) => {
            let mut t = lock_taken(shared);
            t.entry(key.clone()).or_default().push(s.clone());
            put()
        }
        _ => put(),
    }
}

/// The note a user step records in the user's warnings for workgroup `w` (CIC id) whose change
/// (accepted or taken, not processed) gives the user other skills than its processed version.
pub fn inherited_note(w: &str) -> String {
    format!("workgroup {w}: {}", crate::objects::INHERITED_NOT_SYNCED)
}

/// The step of `key` ended: the versions taken are processed (the writer persists the record
/// with the queue item), unless the step gave its version up (`given_up`), which stays taken
/// until the next step (of the newer version, that queues its members again) ends. The
/// members of the versions ended whose warnings name `key` (their step ran while this one did)
/// are queued again, so the note goes now; nothing else changed for them, so that step costs
/// no call. A member whose step records the note after this look sees the version ended
/// itself ([`noted_processed`]).
pub fn grants_step_ended(shared: &Shared, key: &ObjectKey, given_up: bool) {
    if key.kind != GcsyncObjectKind::Workgroup || given_up {
        return;
    }
    let Some(ended) = lock_taken(shared).remove(key) else {
        return;
    };
    let note = inherited_note(&key.id);
    let mut members: Vec<&String> = ended
        .iter()
        .filter_map(|v| v.skill_grants())
        .flat_map(|(members, _)| members)
        .collect();
    members.sort_unstable();
    members.dedup();
    let noted: Vec<String> = members
        .into_iter()
        .filter(|m| {
            let key = ObjectKey::user(m.as_str());
            (shared.objects).with_status(&key, |s| s.is_some_and(|s| s.warnings.contains(&note)))
        })
        .cloned()
        .collect();
    super::requeue_users_for_skills(shared, &noted);
}

/// Whether a workgroup among `noted` (those a step of `user` named, as [`inherited_noting`]
/// gave them) is no longer unprocessed for it: called once the step recorded its warnings, so
/// a workgroup step that ended after the user's read, and looked at the user's warnings
/// before they were recorded ([`grants_step_ended`]), is not missed.
pub fn noted_processed(shared: &Shared, user: &str, noted: &[String]) -> bool {
    if noted.is_empty() {
        return false;
    }
    let now = inherited_noting(shared, user).1;
    noted.iter().any(|w| !now.contains(w))
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
