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
        force: bool,
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
                let moved = match self.unassign_everywhere(&gid, old) {
                    Ok(u) => u,
                    Err(e) => return self.failed(key, e, pending),
                };
                // They get the new one the moment it is synced, even if that takes retries.
                for user in &moved {
                    self.shared
                        .waiting
                        .wait(&ObjectKey::user(user.as_str()), std::slice::from_ref(key));
                }
                if let Err(e) = self.with_ctx(|ctx| Ok(api::delete(ctx.client, old, &gid)?)) {
                    return self.failed(key, e, pending);
                }
                log::info!(
                    "CIC skill {} is now a {}: deleted Genesys {} {gid}",
                    key.id,
                    cat.name(),
                    old.name()
                );
                self.requeue_users_of(&key.id);
                self.update(key, |r| {
                    r.status.genesys_id = None;
                    r.applied = None;
                    r.origin = None;
                });
            }
        }
        if let Some(other) = self.duplicate_of(key, skill) {
            return self.skill_error(key, Self::duplicate_reason(cat, &skill.id, &other), pending);
        }
        self.link_skill(key, skill, cat, pending)
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

    /// Removes the assignment of Genesys skill (language) `gid` from every user gcsync gave it
    /// to, recording each in the user's applied state. Returns those users' CIC ids.
    fn unassign_everywhere(&mut self, gid: &str, cat: Category) -> Result<Vec<String>, SyncError> {
        let holders = self
            .shared
            .objects
            .select_kind(GcsyncObjectKind::User, |r| match &r.applied {
                Some(Applied::User(a)) => match cat {
                    Category::Skill => a.routing.skills.contains_key(gid),
                    Category::Language => a.routing.languages.contains_key(gid),
                },
                _ => false,
            });
        let mut done = Vec::new();
        for (user_key, r) in holders {
            // A removed (deactivated) user keeps its assignments in Genesys Cloud, and gcsync
            // what it assigned (a soft-deleted one has none known): unassigned too.
            if let Some(user_gid) = r.status.genesys_id.as_deref() {
                self.with_ctx(|ctx| Ok(api::unassign(ctx.client, cat, user_gid, gid)?))?;
            }
            let after = self.update(&user_key, |u| {
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

    /// Queues again every user whose CIC data gives it `skill` (directly or through a
    /// workgroup): after the skill's Genesys object went (deleted, or moved by the toggle), a
    /// user a worker was assigning it to at that very moment holds the old object, which
    /// [`Self::unassign_everywhere`] could not see yet; processed again, it drops the old one
    /// and takes the new one (or waits for it). A user whose assignments come out the same
    /// costs no call.
    fn requeue_users_of(&self, skill: &str) {
        let gives = |list: &[crate::payloads::SkillRef]| list.iter().any(|s| s.id == skill);
        let mut users: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for (_, r) in self.shared.objects.select(|r| {
            matches!(r.source.as_deref(), Some(CicObject::User(u)) if gives(&u.skills))
                || matches!(r.source.as_deref(), Some(CicObject::Workgroup(w)) if gives(&w.skills))
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

    pub(super) fn remove_skill(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        pending: &Pending,
    ) -> Outcome {
        let linked = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed);
        let owned = matches!(record.origin, Some(Origin::Created | Origin::Adopted));
        let language = matches!(&record.applied, Some(Applied::Skill(a)) if a.language);
        if let (Some(gid), true) = (linked, owned) {
            let cat = Category::of(language);
            let moved = match self.unassign_everywhere(&gid, cat) {
                Ok(u) => u,
                Err(e) => return self.failed(key, e, pending),
            };
            // Users that still list it get it back the moment CIC adds it again (no polling).
            for user in &moved {
                self.shared
                    .waiting
                    .wait(&ObjectKey::user(user.as_str()), std::slice::from_ref(key));
            }
            match self.with_ctx(|ctx| Ok(api::delete(ctx.client, cat, &gid)?)) {
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
        self.requeue_users_of(&key.id);
        Outcome::Done(true)
    }
}
