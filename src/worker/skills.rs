//! The skill steps of the worker: a CIC skill → a Genesys skill or language (create, adopt by
//! exact name, move when "Treat as Language" is toggled, delete after removing the assignments
//! gcsync made).

use super::{Outcome, Worker};
use crate::clock::unix_now;
use crate::genesys::skills::{self as api, Category};
use crate::kinds::skill::SkillApplied;
use crate::kinds::{Applied, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{Origin, Record};
use crate::payloads::CicSkill;
use crate::queue::Pending;
use crate::status::{ObjectStatus, SyncState};
use crate::store::RowWrite;
use crate::user_sync::SyncError;

/// What looking for a skill's Genesys object found.
enum Found {
    /// gcsync created it.
    Created(api::GcRouting),
    /// One of exactly that name exists: adopted.
    Existing(api::GcRouting),
    /// One whose name differs only in case holds the name.
    CaseTwin(api::GcRouting),
    /// Genesys says the name is taken but does not list it yet.
    NotListed,
}

/// Names compared as Genesys compares them for uniqueness (case-insensitively).
fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

impl Worker {
    fn skill_error(&mut self, key: &ObjectKey, text: String, pending: &Pending) -> Outcome {
        self.failed(key, SyncError::NeedsAdmin(text), pending)
    }

    /// Another CIC skill of the same category already synced under the same Genesys name.
    fn duplicate_of(&self, key: &ObjectKey, skill: &CicSkill) -> Option<String> {
        let name = fold(&skill.id);
        self.shared
            .objects
            .linked_where(GcsyncObjectKind::Skill, |o| {
                matches!(o, CicObject::Skill(s)
                    if s.treat_as_language == skill.treat_as_language && fold(&s.id) == name)
            })
            .into_iter()
            .find(|k| k != key)
            .map(|k| k.id)
    }

    fn duplicate_reason(cat: Category, name: &str, other: &str) -> String {
        format!(
            "duplicate name: CIC skill {other} already syncs to the Genesys {} named {name:?} \
             (Genesys names are unique regardless of case); rename one of them in CIC",
            cat.name()
        )
    }

    pub(super) fn upsert_skill(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        skill: &CicSkill,
        (previous, force): (Option<&CicObject>, bool),
        pending: &Pending,
    ) -> Outcome {
        let cat = Category::of(skill.treat_as_language);
        let linked = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed);
        let applied = match &record.applied {
            Some(Applied::Skill(a)) => Some(a.language),
            _ => None,
        };
        if let (Some(gid), Some(was_language)) = (linked, applied) {
            if was_language == skill.treat_as_language {
                if !force && record.status.state == SyncState::Synced {
                    log::debug!("skill {}: unchanged; no API call", key.id);
                    return Outcome::Done(true);
                }
                match self.with_ctx(|ctx| Ok(api::get(ctx.client, cat, &gid)?)) {
                    Ok(Some(_)) => {
                        self.skill_linked(key, gid, record.origin.unwrap_or(Origin::Adopted), cat);
                        return Outcome::Done(true);
                    }
                    Ok(None) => log::warn!(
                        "Genesys {} {gid} linked to CIC skill {} no longer exists; creating it again",
                        cat.name(),
                        key.id
                    ),
                    Err(e) => return self.failed(key, e, pending),
                }
            } else {
                // "Treat as Language" toggled: the old object goes, with the assignments gcsync
                // made; the users get the new one with the same proficiency once it exists.
                let old = Category::of(was_language);
                let why = format!("moving to a Genesys {}", cat.name());
                if let Err(e) = self.retire(key, &gid, old, why) {
                    return self.failed(key, e, pending);
                }
                log::info!(
                    "CIC skill {} is now a {}: deleted Genesys {} {gid}",
                    key.id,
                    cat.name(),
                    old.name()
                );
                self.update(key, |r| {
                    r.status.genesys_id = None;
                    r.applied = None;
                    r.origin = None;
                });
            }
        }
        if let Some(CicObject::Skill(p)) = previous.filter(|_| record.status.genesys_id.is_none()) {
            if p.treat_as_language != skill.treat_as_language {
                if let Err(e) = self.retire_unrecorded(key, p.treat_as_language) {
                    return self.failed(key, e, pending);
                }
            }
        }
        if let Some(other) = self.duplicate_of(key, skill) {
            return self.skill_error(key, Self::duplicate_reason(cat, &skill.id, &other), pending);
        }
        self.link_skill(key, skill, cat, pending)
    }

    /// "Treat as Language" toggled after an upsert that did not link the skill: its create (of
    /// the other category) may have been applied with its answer lost before the step failed.
    /// The object of that name and category, unless another CIC skill holds it, is deleted
    /// (what the toggle deletes when the skill is linked; issue 12).
    fn retire_unrecorded(&mut self, key: &ObjectKey, language: bool) -> Result<(), SyncError> {
        let shared = self.shared.clone();
        let owner = move |g: &str| shared.objects.owner_of(GcsyncObjectKind::Skill, g);
        let found = self.with_ctx(|ctx| created_skill(ctx, &key.id, language, &owner))?;
        if let Some(gid) = found {
            let old = Category::of(language);
            let why = "its create's answer was lost before a toggle".to_string();
            self.retire(key, &gid, old, why)?;
            log::info!(
                "skill {}: Genesys {} {gid} was created by a step that did not record it; deleted",
                key.id,
                old.name()
            );
        }
        Ok(())
    }

    /// Creates the Genesys skill (language), or adopts the existing one of exactly this name.
    /// Skills are POSTed first and looked up only on a conflict (one call per new skill: Genesys
    /// answers 409 for a taken skill name, SPEC2018; a 400 `duplicate.name` counts too,
    /// [`crate::genesys::ApiError::is_name_conflict`]); languages, whose conflict answer is not
    /// confirmed, are looked up first so a duplicate is never created.
    fn link_skill(
        &mut self,
        key: &ObjectKey,
        skill: &CicSkill,
        cat: Category,
        pending: &Pending,
    ) -> Outcome {
        let name = skill.id.as_str();
        let found = self.with_ctx(|ctx| {
            let lookup = |ctx: &mut crate::user_sync::Ctx| -> Result<Found, SyncError> {
                let listed = api::list_named(ctx.client, cat, name)?;
                Ok(match listed.iter().find(|g| g.name == name) {
                    Some(g) => Found::Existing(g.clone()),
                    None => match listed.into_iter().find(|g| fold(&g.name) == fold(name)) {
                        Some(g) => Found::CaseTwin(g),
                        None => Found::NotListed,
                    },
                })
            };
            if cat == Category::Language {
                let first = lookup(ctx)?;
                if !matches!(first, Found::NotListed) {
                    return Ok(first);
                }
            }
            match api::create(ctx.client, cat, name) {
                Ok(g) => Ok(Found::Created(g)),
                Err(e) if e.is_name_conflict() => lookup(ctx),
                Err(e) => Err(e.into()),
            }
        });
        let (g, origin) = match found {
            Ok(Found::Created(g)) => (g, Origin::Created),
            Ok(Found::Existing(g)) => (g, Origin::Adopted),
            Ok(Found::CaseTwin(g)) => {
                let owner = self.shared.objects.owner_of(GcsyncObjectKind::Skill, &g.id);
                let reason = match owner.filter(|o| *o != key.id) {
                    Some(other) => Self::duplicate_reason(cat, name, &other),
                    None => format!(
                        "a Genesys {} named {:?} exists (the names differ only in case, and \
                         Genesys names are unique regardless of case); rename one of them",
                        cat.name(),
                        g.name
                    ),
                };
                return self.skill_error(key, reason, pending);
            }
            Ok(Found::NotListed) => {
                return self.failed(
                    key,
                    SyncError::Transient(format!(
                        "Genesys Cloud says a {} named {name:?} exists but does not list it yet; \
                         will retry",
                        cat.name()
                    )),
                    pending,
                )
            }
            Err(e) => return self.failed(key, e, pending),
        };
        let owner = self.shared.objects.owner_of(GcsyncObjectKind::Skill, &g.id);
        if let Some(other) = owner.filter(|o| *o != key.id) {
            return self.skill_error(key, Self::duplicate_reason(cat, name, &other), pending);
        }
        match origin {
            Origin::Created => {
                log::info!(
                    "created Genesys {} {} for CIC skill {name}",
                    cat.name(),
                    g.id
                )
            }
            _ => log::info!(
                "adopted existing Genesys {} {} for CIC skill {name}",
                cat.name(),
                g.id
            ),
        }
        self.skill_linked(key, g.id, origin, cat);
        Outcome::Done(true)
    }

    fn skill_linked(&self, key: &ObjectKey, gid: String, origin: Origin, cat: Category) {
        self.update(key, |r| {
            r.applied = Some(Applied::Skill(SkillApplied {
                language: cat == Category::Language,
            }));
            r.origin = Some(origin);
            r.status = ObjectStatus {
                state: SyncState::Synced,
                last_synchronized: Some(unix_now()),
                reason: None,
                genesys_id: Some(gid),
                removed: false,
                warnings: Vec::new(),
            };
        });
    }

    /// Takes Genesys skill (language) `gid` of CIC skill `key` out of use and deletes it (a
    /// deletion in CIC, or the toggle moving it). First the skill is marked on its way (not
    /// Synced): a user step that starts from then on waits for it instead of assigning `gid`,
    /// and one that started before sees the mark once it has recorded what it wrote and is
    /// processed again (`worker/user_routing.rs`). Then the assignments gcsync made of it are
    /// removed ([`Self::unassign_everywhere`]), those users wait for the skill (they get it back
    /// the moment it is synced again), and the object is deleted. Returns whether it still
    /// existed. The skill's waiters are queued again once its step is over (`report`).
    fn retire(
        &mut self,
        key: &ObjectKey,
        gid: &str,
        cat: Category,
        why: String,
    ) -> Result<bool, SyncError> {
        self.update(key, |r| {
            r.status.state = SyncState::NotSynced;
            r.status.reason = Some(why);
        });
        for user in self.unassign_everywhere(gid, cat)? {
            self.shared
                .waiting
                .wait(&ObjectKey::user(user.as_str()), std::slice::from_ref(key));
        }
        self.requeue_users_of(&key.id);
        self.with_ctx(|ctx| Ok(api::delete(ctx.client, cat, gid)?))
    }

    /// Queues again every user whose CIC data gives it `skill` (directly or through a
    /// workgroup), durably (the queue's intake is saved no later than the skill's outcome): the
    /// waits [`Self::retire`] records are in memory, so after a kill between the removal of a
    /// user's assignment and the end of the move the user would never be looked at again (the
    /// step run again after the restart finds no holder left). Processed while the skill is on
    /// its way, a user waits for it; afterwards it takes the new object or drops the old one. A
    /// user whose assignments come out the same costs no call.
    fn requeue_users_of(&self, skill: &str) {
        let gives = |list: &[crate::payloads::SkillRef]| list.iter().any(|s| s.id == skill);
        let mut users = std::collections::BTreeSet::new();
        for (_, r) in self.shared.objects.select(|r| match r.source.as_deref() {
            Some(CicObject::User(u)) => gives(&u.skills),
            Some(CicObject::Workgroup(w)) => gives(&w.skills),
            _ => false,
        }) {
            match r.source.as_deref() {
                Some(CicObject::User(u)) => {
                    users.insert(u.id.clone());
                }
                Some(CicObject::Workgroup(w)) => users.extend(w.members.iter().cloned()),
                _ => {}
            }
        }
        let users: Vec<String> = users.into_iter().collect();
        crate::kinds::skill::requeue_users_for_skills(&self.shared, &users);
    }

    /// Removes the assignment of Genesys skill (language) `gid` from every user gcsync gave it
    /// to, recording each in the user's applied state, each under the user's assignment lock
    /// (a worker syncing that user's assignments at the same time would otherwise record them
    /// over this removal, or write `gid` back after it). Returns those users' CIC ids.
    fn unassign_everywhere(&mut self, gid: &str, cat: Category) -> Result<Vec<String>, SyncError> {
        let holds = move |r: &Record| match &r.applied {
            Some(Applied::User(a)) => match cat {
                Category::Skill => a.routing.skills.contains_key(gid),
                Category::Language => a.routing.languages.contains_key(gid),
            },
            _ => false,
        };
        let mut done = Vec::new();
        for (user_key, _) in self
            .shared
            .objects
            .select_kind(GcsyncObjectKind::User, holds)
        {
            let shared = self.shared.clone();
            let _assigning = shared.routing_locks.lock(&user_key.id);
            // Read again under the lock: the user's own step may have changed it meanwhile.
            let Some(r) = self.shared.objects.get(&user_key).filter(holds) else {
                continue;
            };
            // A removed (deactivated) user keeps its assignments in Genesys Cloud, and gcsync
            // what it assigned (a soft-deleted one has none known): unassigned too.
            if let Some(user_gid) = r.status.genesys_id.as_deref() {
                self.with_ctx(|ctx| Ok(api::unassign(ctx.client, cat, user_gid, gid)?))?;
            }
            let after = self.update_get(&user_key, |u| {
                if let Some(Applied::User(a)) = &mut u.applied {
                    a.routing.skills.remove(gid);
                    a.routing.languages.remove(gid);
                }
            });
            self.shared.persist(RowWrite {
                key: user_key.clone(),
                record: Some(after),
                done_seq: None,
            });
            done.push(user_key.id);
        }
        Ok(done)
    }

    pub(super) fn remove_skill(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        previous: Option<&CicObject>,
        pending: &Pending,
    ) -> Outcome {
        let mut linked = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed);
        let mut owned = matches!(record.origin, Some(Origin::Created | Origin::Adopted));
        let mut language = matches!(&record.applied, Some(Applied::Skill(a)) if a.language);
        if let (None, Some(CicObject::Skill(s))) = (&linked, previous) {
            // The last change processed was an upsert that did not link the skill: its create
            // may have been applied with its answer lost before the step failed (issue 12's
            // storm). The object of its name and category, unless another CIC skill holds it,
            // is the one to delete (what the upsert would have created or adopted).
            let shared = self.shared.clone();
            let owner = move |g: &str| shared.objects.owner_of(GcsyncObjectKind::Skill, g);
            match self.with_ctx(|ctx| created_skill(ctx, &key.id, s.treat_as_language, &owner)) {
                Ok(Some(found)) => {
                    log::info!(
                        "skill {}: Genesys {found} was created by a step that did not record it",
                        key.id
                    );
                    self.update(key, |r| r.status.genesys_id = Some(found.clone()));
                    (linked, owned, language) = (Some(found), true, s.treat_as_language);
                }
                Ok(None) => {}
                Err(e) => return self.failed(key, e, pending),
            }
        }
        if let (Some(gid), true) = (linked, owned) {
            let cat = Category::of(language);
            match self.retire(key, &gid, cat, "being deleted".into()) {
                Ok(existed) => log::info!(
                    "CIC skill {} was deleted; Genesys {} {gid} {}",
                    key.id,
                    cat.name(),
                    if existed {
                        "deleted"
                    } else {
                        "was gone already"
                    }
                ),
                Err(e) => return self.failed(key, e, pending),
            }
        }
        self.update(key, |r| {
            r.status.state = SyncState::Synced;
            r.status.removed = true;
            r.status.reason = None;
            r.status.last_synchronized = Some(unix_now());
            r.applied = None;
        });
        Outcome::Done(true)
    }
}

/// The Genesys skill (language, when `language`) named exactly `name` that no CIC skill holds:
/// what a create whose answer was lost made (one listed late is not found: then there is none
/// to delete).
fn created_skill(
    ctx: &mut crate::user_sync::Ctx,
    name: &str,
    language: bool,
    owner_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, SyncError> {
    let listed = api::list_named(ctx.client, Category::of(language), name)?;
    Ok(listed
        .into_iter()
        .find(|g| g.name == name && owner_of(&g.id).is_none())
        .map(|g| g.id))
}
