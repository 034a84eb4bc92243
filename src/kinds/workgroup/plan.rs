//! The workgroup's planning, pure: which CIC references are ready (and their Genesys ids),
//! which members and wrap-up codes to add to or remove from the queue given what Genesys
//! holds, and which users' inherited skills a workgroup change affects. No I/O here.

use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::payloads::{CicWorkgroup, SkillRef};
use std::collections::{BTreeMap, BTreeSet};

/// CIC references resolved to Genesys ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// Genesys id → CIC id, for the references that are synced.
    pub ready: BTreeMap<String, String>,
    /// The references not synced yet (what the workgroup waits for), in CIC order, once each.
    pub waiting: Vec<ObjectKey>,
}

impl Resolved {
    /// The Genesys ids of the ready references.
    pub fn ids(&self) -> BTreeSet<String> {
        self.ready.keys().cloned().collect()
    }
}

/// Resolves CIC ids of `kind` with `genesys_id` (the Genesys id of a synced object, `None`
/// while it is not synced).
pub fn resolve(
    kind: GcsyncObjectKind,
    ids: &[String],
    genesys_id: impl Fn(&ObjectKey) -> Option<String>,
) -> Resolved {
    let mut out = Resolved::default();
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id.as_str()) {
            continue;
        }
        let key = ObjectKey {
            kind,
            id: id.clone(),
        };
        match genesys_id(&key) {
            Some(gid) => {
                out.ready.insert(gid, id.clone());
            }
            None => out.waiting.push(key),
        }
    }
    out
}

/// What to change in one of a queue's sets (members or wrap-up codes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetPlan {
    /// Ids to add.
    pub add: Vec<String>,
    /// Ids to remove (only ones gcsync added).
    pub remove: Vec<String>,
    /// What gcsync owns once the plan is applied in full (its additions still present).
    pub owned: BTreeSet<String>,
}

/// Plans one of a queue's sets. `desired`: the ready Genesys ids CIC wants; `direct`: what the
/// queue holds that can be changed directly; `fixed`: what it holds that cannot (members
/// through a group: never added nor removed directly); `owned`: what gcsync added before;
/// `created`: gcsync created the queue, so whatever it holds directly that CIC wants is
/// gcsync's too (an addition whose answer was lost before it was recorded).
pub fn plan_set(
    desired: &BTreeSet<String>,
    direct: &BTreeSet<String>,
    fixed: &BTreeSet<String>,
    owned: &BTreeSet<String>,
    created: bool,
) -> SetPlan {
    let mut owned: BTreeSet<String> = owned.intersection(direct).cloned().collect();
    if created {
        owned.extend(desired.intersection(direct).cloned());
    }
    let add: Vec<String> = desired
        .iter()
        .filter(|id| !direct.contains(*id) && !fixed.contains(*id))
        .cloned()
        .collect();
    let remove: Vec<String> = owned.difference(desired).cloned().collect();
    let mut after: BTreeSet<String> = owned.intersection(desired).cloned().collect();
    after.extend(add.iter().cloned());
    SetPlan {
        add,
        remove,
        owned: after,
    }
}

/// The users whose skills inherited from this workgroup differ between `old` and `new` (CIC
/// ids, sorted, once each): when the skills change, every member before or after; otherwise
/// those who joined or left, and only if the workgroup gives skills at all.
pub fn affected_users(old: &CicWorkgroup, new: &CicWorkgroup) -> Vec<String> {
    let given = |w: &CicWorkgroup| -> BTreeMap<String, Option<i64>> {
        w.skills
            .iter()
            .map(|SkillRef { id, proficiency }| (id.clone(), *proficiency))
            .collect()
    };
    let (old_skills, new_skills) = (given(old), given(new));
    let old_members: BTreeSet<&String> = old.members.iter().collect();
    let new_members: BTreeSet<&String> = new.members.iter().collect();
    let out: BTreeSet<&String> = if old_skills != new_skills {
        old_members.union(&new_members).copied().collect()
    } else if old_skills.is_empty() {
        BTreeSet::new()
    } else {
        old_members
            .symmetric_difference(&new_members)
            .copied()
            .collect()
    };
    out.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn wg(members: &[&str], skills: &[(&str, i64)]) -> CicWorkgroup {
        CicWorkgroup {
            id: "Sales".into(),
            members: members.iter().map(|s| s.to_string()).collect(),
            skills: skills
                .iter()
                .map(|(id, p)| SkillRef {
                    id: id.to_string(),
                    proficiency: Some(*p),
                })
                .collect(),
            wrapup_codes: vec![],
        }
    }

    #[test]
    fn resolve_splits_ready_from_waiting_once_each() {
        let ids: Vec<String> = ["a", "b", "a", "c"].iter().map(|s| s.to_string()).collect();
        let r = resolve(GcsyncObjectKind::User, &ids, |k| {
            (k.id != "b").then(|| format!("g-{}", k.id))
        });
        assert_eq!(r.ids(), set(&["g-a", "g-c"]));
        assert_eq!(r.ready["g-a"], "a");
        assert_eq!(r.waiting, vec![ObjectKey::user("b")]);
    }

    #[test]
    fn members_are_added_and_only_gcsyncs_own_removed() {
        // Queue holds u1 (gcsync's), u2 (someone else's), u3 (through a group).
        let p = plan_set(
            &set(&["u3", "u4"]),
            &set(&["u1", "u2"]),
            &set(&["u3"]),
            &set(&["u1", "u9"]),
            false,
        );
        assert_eq!(p.add, ["u4"], "the group member is not added directly");
        assert_eq!(p.remove, ["u1"], "u2 is not gcsync's; u9 is gone already");
        assert_eq!(p.owned, set(&["u4"]));
    }

    #[test]
    fn nothing_changes_when_the_queue_holds_what_cic_wants() {
        let p = plan_set(
            &set(&["a", "b"]),
            &set(&["a", "b"]),
            &set(&[]),
            &set(&["a", "b"]),
            false,
        );
        assert_eq!(
            p,
            SetPlan {
                add: vec![],
                remove: vec![],
                owned: set(&["a", "b"])
            }
        );
    }

    #[test]
    fn in_a_queue_gcsync_created_present_wanted_members_are_its_own() {
        let p = plan_set(&set(&["a"]), &set(&["a"]), &set(&[]), &set(&[]), true);
        assert_eq!(p.owned, set(&["a"]));
        let adopted = plan_set(&set(&["a"]), &set(&["a"]), &set(&[]), &set(&[]), false);
        assert!(adopted.owned.is_empty());
        // A member gcsync added that Genesys dropped (a restored user) is added again.
        let p = plan_set(
            &set(&["a", "b"]),
            &set(&["a"]),
            &set(&[]),
            &set(&["a", "b"]),
            false,
        );
        assert_eq!((p.add, p.owned), (vec!["b".to_string()], set(&["a", "b"])));
    }

    #[test]
    fn affected_users_follow_skills_and_membership() {
        let old = wg(&["a", "b"], &[("French", 50)]);
        // Same skills: only who joined or left.
        assert_eq!(
            affected_users(&old, &wg(&["b", "c"], &[("French", 50)])),
            ["a", "c"]
        );
        // Skills changed (here the proficiency): everyone before or after.
        assert_eq!(
            affected_users(&old, &wg(&["b", "c"], &[("French", 60)])),
            ["a", "b", "c"]
        );
        // No skills before or after: membership changes affect no one's skills.
        assert!(affected_users(&wg(&["a"], &[]), &wg(&["b"], &[])).is_empty());
        // Unchanged: no one.
        assert!(affected_users(&old, &old.clone()).is_empty());
        // Deleted (an empty workgroup): every former member of a workgroup with skills.
        assert_eq!(affected_users(&old, &wg(&[], &[])), ["a", "b"]);
    }
}
