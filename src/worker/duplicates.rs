//! Duplicate names, released. Two CIC objects that map to one Genesys name: the later ends in
//! Error (a duplicate-name reason) and nothing is overwritten. When the object holding the name
//! gives it up (it is deleted, a skill moves to the other category, a wrap-up code is renamed),
//! the objects refused for that name are queued again at once, so the admin does not have to
//! touch them: one of them takes the name, the others are refused again (without a call: the
//! duplicate checks run before any request). One rule for every named kind, applied by
//! [`Worker::report`](super::Worker) after each processed change.

use super::Worker;
use crate::kinds::{Applied, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::Record;
use crate::status::SyncState;

/// The Genesys name an object of a named kind syncs to (`None` for other kinds).
pub(super) fn genesys_name(o: &CicObject) -> Option<&str> {
    match o {
        CicObject::Workgroup(w) => Some(&w.id),
        CicObject::Skill(s) => Some(&s.id),
        CicObject::WrapupCode(c) => Some(crate::kinds::wrapup_code::genesys_name(c)),
        _ => None,
    }
}

/// The name (lower case) and category a linked object holds in Genesys Cloud.
fn held_name(r: &Record) -> Option<(String, bool)> {
    if r.status.removed || r.status.genesys_id.is_none() {
        return None;
    }
    let source = r.source.as_deref()?;
    let name = match (&r.applied, source) {
        (Some(Applied::WrapupCode(a)), _) => a.name.as_str(),
        _ => genesys_name(source)?,
    };
    let language = matches!(source, CicObject::Skill(s) if s.treat_as_language);
    Some((name.to_lowercase(), language))
}

impl Worker {
    /// After `key` was processed: when it held a name before and holds another (or none) now,
    /// the objects of its kind refused for that name are queued again.
    pub(super) fn release_duplicates(&self, key: &ObjectKey, before: Option<&Record>) {
        let Some((name, _)) = before.and_then(held_name).filter(|held| {
            self.shared.objects.get(key).as_ref().and_then(held_name) != Some(held.clone())
        }) else {
            return;
        };
        self.requeue_same_name(key.kind, &name);
    }

    /// Queues objects of `kind` in Error whose Genesys name equals `name` (ignoring case): the
    /// object that held the name gave it up.
    pub(super) fn requeue_same_name(&self, kind: GcsyncObjectKind, name: &str) {
        let lower = name.to_lowercase();
        let found = self.shared.objects.select_kind(kind, |r| {
            r.status.state == SyncState::Error
                && r.source.as_deref().is_some_and(|s| {
                    s.kind() == kind && genesys_name(s).is_some_and(|n| n.to_lowercase() == lower)
                })
        });
        for (k, _) in found {
            log::info!(
                "{} {}: the name {name:?} is free again; trying again",
                k.kind.name(),
                k.id
            );
            self.requeue(&k, false);
        }
    }
}
