//! What a full sync compares for each named kind ([`Reconcile`]): a queue's members and
//! wrap-up codes, a skill's category (skill or language), a wrap-up code's name. Pure; the org
//! objects come from [`super::read_named`].

use super::named::{LocalNamed, Reconcile};
use crate::genesys::queues::{Member, Named};
use crate::kinds::skill::{SkillApplied, SkillKind};
use crate::kinds::workgroup::plan::{plan_set, resolve};
use crate::kinds::workgroup::{AppliedQueue, WorkgroupKind};
use crate::kinds::wrapup_code::{genesys_name, AppliedWrapupCode, WrapupCodeKind};
use crate::kinds::Applied;
use crate::object::GcsyncObjectKind;
use crate::payloads::{CicSkill, CicWorkgroup, CicWrapupCode};
use std::collections::{BTreeSet, HashMap};

/// A queue of the org, with its members and wrap-up codes when they were read (only for queues
/// gcsync owns or would adopt that the snapshot holds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrgQueue {
    /// Genesys id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Every member (direct and through a group), when read.
    pub members: Option<Vec<Member>>,
    /// The ids of its wrap-up codes, when read.
    pub codes: Option<BTreeSet<String>>,
}

/// A skill or language of the org (active).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSkill {
    /// Genesys id.
    pub id: String,
    /// Name.
    pub name: String,
    /// A language (else an ACD skill).
    pub language: bool,
}

/// Workgroups → queues. `users` and `codes` give the Genesys id of each CIC user and wrap-up
/// code that is (or, by this plan, will be without a write) linked; the others are waited for.
pub struct Queues<'a> {
    /// CIC user id → Genesys user id.
    pub users: &'a HashMap<String, String>,
    /// CIC wrap-up code id → Genesys code id.
    pub codes: &'a HashMap<String, String>,
}

/// One of a queue's sets as the plan sees it.
struct SetView {
    /// What the queue holds (direct and fixed).
    held: BTreeSet<String>,
    /// What CIC wants (ready ids).
    want: BTreeSet<String>,
    /// What gcsync owns of what the queue holds.
    owned: BTreeSet<String>,
    /// Whether anything must be added or removed.
    drift: bool,
    /// Whether gcsync owned none of the set before.
    none_owned: bool,
}

fn view(
    want: BTreeSet<String>,
    direct: BTreeSet<String>,
    fixed: BTreeSet<String>,
    owned_before: &BTreeSet<String>,
    created: bool,
) -> SetView {
    let p = plan_set(&want, &direct, &fixed, owned_before, created);
    let mut owned: BTreeSet<String> = owned_before.intersection(&direct).cloned().collect();
    if created {
        owned.extend(want.intersection(&direct).cloned());
    }
    SetView {
        held: direct.union(&fixed).cloned().collect(),
        want,
        owned,
        drift: !p.add.is_empty() || !p.remove.is_empty(),
        none_owned: owned_before.is_empty(),
    }
}

impl SetView {
    /// What to record as applied: what the queue holds of what CIC wants or gcsync owns.
    fn applied(&self) -> BTreeSet<String> {
        self.held
            .iter()
            .filter(|id| self.want.contains(*id) || self.owned.contains(*id))
            .cloned()
            .collect()
    }
}

impl Queues<'_> {
    /// The members' and codes' views, and the CIC references not linked yet.
    fn views(
        &self,
        w: &CicWorkgroup,
        h: &OrgQueue,
        l: Option<&LocalNamed>,
    ) -> (SetView, SetView, Vec<String>) {
        let before = match l.and_then(|l| l.applied.as_ref()) {
            Some(Applied::Workgroup(a)) => a.clone(),
            _ => AppliedQueue::default(),
        };
        let created = l.is_some_and(|l| l.created);
        let m = resolve(GcsyncObjectKind::User, &w.members, |k| {
            self.users.get(&k.id).cloned()
        });
        let c = resolve(GcsyncObjectKind::WrapupCode, &w.wrapup_codes, |k| {
            self.codes.get(&k.id).cloned()
        });
        let members = h.members.as_deref().unwrap_or_default();
        let pick = |group: bool| -> BTreeSet<String> {
            members
                .iter()
                .filter(|m| m.by_group() == group)
                .map(|m| m.id.clone())
                .collect()
        };
        let mv = view(
            m.ids(),
            pick(false),
            pick(true),
            &before.claimed_members(),
            created,
        );
        let codes = h.codes.clone().unwrap_or_default();
        let cv = view(
            c.ids(),
            codes,
            BTreeSet::new(),
            &before.claimed_wrapup_codes(),
            created,
        );
        let waiting = m.waiting.iter().chain(&c.waiting);
        let waiting = waiting
            .map(|k| format!("{} {}", k.kind.name(), k.id))
            .collect();
        (mv, cv, waiting)
    }
}

impl Reconcile for Queues<'_> {
    type Kind = WorkgroupKind;
    type Want = CicWorkgroup;
    type Have = OrgQueue;

    fn name(w: &CicWorkgroup) -> &str {
        &w.id
    }

    fn have_id(h: &OrgQueue) -> &str {
        &h.id
    }

    fn have_name(h: &OrgQueue) -> &str {
        &h.name
    }

    fn drift(&self, w: &CicWorkgroup, h: &OrgQueue, l: Option<&LocalNamed>) -> Vec<String> {
        let (m, c, waiting) = self.views(w, h, l);
        // A part not read is one the snapshot wants none of and gcsync owns none of (nothing
        // can differ), unless the queue was not read at all.
        let unread = |read: bool, v: &SetView| !(read || v.want.is_empty() && v.none_owned);
        let mut out = Vec::new();
        if m.drift || unread(h.members.is_some(), &m) {
            out.push("members".to_string());
        }
        if c.drift || unread(h.codes.is_some(), &c) {
            out.push("wrapup_codes".to_string());
        }
        out.extend(waiting.into_iter().map(|w| format!("waiting for {w}")));
        out
    }

    fn applied(&self, w: &CicWorkgroup, h: &OrgQueue, l: Option<&LocalNamed>) -> Applied {
        let (m, c, _) = self.views(w, h, l);
        Applied::Workgroup(AppliedQueue {
            name: w.id.clone(),
            members: m.applied(),
            owned_members: m.owned,
            wrapup_codes: c.applied(),
            owned_wrapup_codes: c.owned,
            ..AppliedQueue::default()
        })
    }
}

/// Skills → ACD skills or languages.
pub struct Skills;

impl Reconcile for Skills {
    type Kind = SkillKind;
    type Want = CicSkill;
    type Have = OrgSkill;

    fn name(w: &CicSkill) -> &str {
        &w.id
    }

    fn have_id(h: &OrgSkill) -> &str {
        &h.id
    }

    fn have_name(h: &OrgSkill) -> &str {
        &h.name
    }

    fn fits(w: &CicSkill, h: &OrgSkill) -> bool {
        w.treat_as_language == h.language
    }

    fn drift(&self, w: &CicSkill, h: &OrgSkill, _l: Option<&LocalNamed>) -> Vec<String> {
        if w.treat_as_language == h.language {
            Vec::new()
        } else {
            vec!["treat_as_language".into()]
        }
    }

    fn applied(&self, _w: &CicSkill, h: &OrgSkill, _l: Option<&LocalNamed>) -> Applied {
        Applied::Skill(SkillApplied {
            language: h.language,
        })
    }
}

/// Wrap-up codes, by name.
pub struct Codes;

impl Reconcile for Codes {
    type Kind = WrapupCodeKind;
    type Want = CicWrapupCode;
    type Have = Named;

    fn name(w: &CicWrapupCode) -> &str {
        genesys_name(w)
    }

    fn have_id(h: &Named) -> &str {
        &h.id
    }

    fn have_name(h: &Named) -> &str {
        &h.name
    }

    fn drift(&self, w: &CicWrapupCode, h: &Named, _l: Option<&LocalNamed>) -> Vec<String> {
        if h.name == genesys_name(w) {
            Vec::new()
        } else {
            vec!["name".into()]
        }
    }

    fn applied(&self, _w: &CicWrapupCode, h: &Named, _l: Option<&LocalNamed>) -> Applied {
        Applied::WrapupCode(AppliedWrapupCode {
            name: h.name.clone(),
        })
    }
}

#[cfg(test)]
#[path = "named_tests.rs"]
mod tests;
