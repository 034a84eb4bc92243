//! The wrap-up code steps of the worker: a CIC wrap-up code → a Genesys Cloud wrap-up code by
//! name (created, adopted when one of exactly that name exists, renamed with PUT, deleted after
//! its uses on gcsync's queues are removed).

use super::queue_intents::record_code_intent;
use super::workgroups::{claim_name, live_link};
use super::{Outcome, Worker};
use crate::clock::unix_now;
use crate::genesys::queues::Named;
use crate::genesys::{queues, wrapup_codes};
use crate::kinds::wrapup_code::{genesys_name, AppliedWrapupCode};
use crate::kinds::{Applied, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{Origin, Record};
use crate::payloads::CicWrapupCode;
use crate::queue::Pending;
use crate::status::SyncState;
use crate::store::RowWrite;
use crate::user_sync::{Ctx, SyncError};
use std::sync::Arc;

impl Worker {
    pub(super) fn upsert_wrapup_code(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        code: &CicWrapupCode,
        (previous, force): (Option<&CicObject>, bool),
        pending: &Pending,
    ) -> Outcome {
        let name = genesys_name(code).to_string();
        let before = match &record.applied {
            Some(Applied::WrapupCode(a)) => Some(a.name.clone()),
            _ => None,
        };
        let link = live_link(record);
        if !force
            && link.is_some()
            && record.status.state == SyncState::Synced
            && before.as_deref() == Some(name.as_str())
        {
            log::debug!(
                "wrap-up code {}: matches what was last applied; no API call",
                key.id
            );
            return Outcome::Done(true);
        }
        if let Some(other) = self.same_name_code(key, &name) {
            return self.duplicate_name(
                key,
                &format!(
                    "duplicate name: wrap-up code {other} already syncs to the Genesys Cloud \
                     wrap-up code named '{name}' (only names sync; names are unique regardless \
                     of case); give the codes distinct names in CIC"
                ),
            );
        }
        let _claim = match claim_name(key, &name) {
            Ok(c) => c,
            Err(e) => return self.failed(key, e, pending),
        };
        let shared = self.shared.clone();
        let owner_of = move |gid: &str| shared.objects.owner_of(GcsyncObjectKind::WrapupCode, gid);
        let last = before.clone();
        // After a step that did not end synced (a rename applied with its answer lost, then a
        // failure), the name last applied is not sure: the code is read, not trusted.
        let check = force || record.status.state != SyncState::Synced;
        // A create recorded (its intent) but never linked may have made a code of that name.
        let doubt = record.intent.as_ref().map(|i| i.email.clone());
        let doubt = doubt.filter(|d| link.is_none() && *d != name);
        let (shared, prior) = (self.shared.clone(), previous.cloned().map(Arc::new));
        let before_create = move |n: &str| record_code_intent(&shared, key, prior.clone(), n);
        let result = self.with_ctx(|ctx| {
            let doubt = doubt.as_deref();
            let step = Step {
                last: last.as_deref(),
                check,
                doubt,
                owner_of: &owner_of,
                before_create: &before_create,
            };
            sync_code(ctx, &name, link, &step)
        });
        match result {
            Ok((gid, origin)) => {
                self.update(key, |r| {
                    r.intent = None;
                    r.applied = Some(Applied::WrapupCode(AppliedWrapupCode {
                        name: name.clone(),
                    }));
                    r.origin = Some(origin);
                    r.status.genesys_id = Some(gid);
                    r.status.state = SyncState::Synced;
                    r.status.reason = None;
                    r.status.removed = false;
                    r.status.last_synchronized = Some(unix_now());
                });
                Outcome::Done(true)
            }
            Err(e) => self.failed(key, e, pending),
        }
    }

    /// Another linked wrap-up code whose Genesys name equals `name` ignoring case.
    fn same_name_code(&self, key: &ObjectKey, name: &str) -> Option<String> {
        let lower = name.to_lowercase();
        let mine = key.id.as_str();
        let found = self
            .shared
            .objects
            .linked_where(GcsyncObjectKind::WrapupCode, |o| {
                matches!(o, CicObject::WrapupCode(c)
                if c.id != mine && genesys_name(c).to_lowercase() == lower)
            });
        found.into_iter().map(|k| k.id).min()
    }

    pub(super) fn remove_wrapup_code(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        previous: Option<&CicObject>,
        pending: &Pending,
    ) -> Outcome {
        let mut gid = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed);
        // The name of a create that may have been sent and was never linked: the create
        // intent's, else (a record from before intents were kept for codes) the name of the
        // last change processed, when it was an upsert that did not link the code.
        let doubt = match (&record.intent, previous) {
            (Some(i), _) => Some(i.email.clone()),
            (None, Some(CicObject::WrapupCode(c))) => Some(genesys_name(c).to_string()),
            _ => None,
        };
        if let (None, Some(name)) = (&gid, doubt) {
            // Its create may have been applied with its answer lost before the step failed
            // (issue 12's storm). The code of its name, unless another CIC code holds it, is
            // the one to delete (what the upsert would have linked).
            let shared = self.shared.clone();
            let owner = move |g: &str| shared.objects.owner_of(GcsyncObjectKind::WrapupCode, g);
            match self.with_ctx(|ctx| created_code(ctx, &name, &owner)) {
                Ok(Some(found)) => {
                    log::info!(
                        "wrap-up code {}: Genesys code {found} ({name}) was created by a step \
                         that did not record it",
                        key.id
                    );
                    self.update(key, |r| r.status.genesys_id = Some(found.clone()));
                    gid = Some(found);
                }
                Ok(None) => {}
                Err(e) => return self.failed(key, e, pending),
            }
        }
        let mut users = Vec::new();
        if let Some(gid) = &gid {
            // The queues gcsync manages that hold the code: the uses go first.
            let uses: Vec<(ObjectKey, String)> = self
                .shared
                .objects
                .select_kind(GcsyncObjectKind::Workgroup, |r| {
                    !r.status.removed
                        && matches!(&r.applied, Some(Applied::Workgroup(a))
                            if a.wrapup_codes.contains(gid) || a.claimed_wrapup_codes().contains(gid))
                })
                .into_iter()
                .filter_map(|(k, r)| r.status.genesys_id.map(|q| (k, q)))
                .collect();
            let mut done = Vec::new();
            let result = self.with_ctx(|ctx| {
                for (wk, qid) in &uses {
                    queues::remove_wrapup_code(ctx.client, qid, gid)?;
                    done.push(wk.clone());
                }
                match wrapup_codes::delete(ctx.client, gid) {
                    Ok(_) => Ok(()),
                    Err(e) if e.status() == Some(409) => Err(SyncError::NeedsAdmin(format!(
                        "wrap-up code {gid} is still used by queues gcsync does not manage; \
                         remove it from them in Genesys Cloud ({e})"
                    ))),
                    Err(e) => Err(e.into()),
                }
            });
            for wk in &done {
                self.forget_queue_code(wk, gid);
            }
            users = done;
            if let Err(e) = result {
                return self.failed(key, e, pending);
            }
            log::info!(
                "CIC wrap-up code {} was deleted; Genesys code {gid} deleted",
                key.id
            );
        }
        self.mark_removed(key);
        self.update(key, |r| r.intent = None);
        // The workgroups that still list the code in CIC now wait for it.
        for wk in users {
            self.requeue(&wk, false);
        }
        Outcome::Done(true)
    }

    /// Records that workgroup `wk`'s queue no longer holds code `gid` (removed by the code's
    /// deletion), and saves the row.
    fn forget_queue_code(&self, wk: &ObjectKey, gid: &str) {
        let r = self.shared.objects.update(wk, |r| {
            if let Some(Applied::Workgroup(a)) = &mut r.applied {
                a.wrapup_codes.remove(gid);
                a.owned_wrapup_codes.remove(gid);
                a.adding_wrapup_codes.remove(gid);
            }
        });
        self.shared.persist(RowWrite {
            key: wk.clone(),
            record: Some(r),
            done_seq: None,
        });
    }
}

/// What a code's step knows besides the name it wants (see [`sync_code`]).
struct Step<'a> {
    /// The name last applied to the linked code.
    last: Option<&'a str>,
    /// Whether the linked code is read rather than trusted.
    check: bool,
    /// The name of a create that may have been sent and was never linked (the create intent),
    /// when it differs from the name wanted.
    doubt: Option<&'a str>,
    owner_of: &'a dyn Fn(&str) -> Option<String>,
    /// Records durably that a create of the name given is about to be sent.
    before_create: &'a dyn Fn(&str) -> Result<(), SyncError>,
}

/// Brings the Genesys code to `name`: renames the linked one (PUT) when the name changed,
/// verifies it when forced; else renames the one a create in doubt made (found by its exact
/// name), else creates one (its intent recorded first) or adopts the one of exactly that name.
fn sync_code(
    ctx: &mut Ctx,
    name: &str,
    link: Option<(String, Origin)>,
    step: &Step,
) -> Result<(String, Origin), SyncError> {
    let (last, force, owner_of) = (step.last, step.check, step.owner_of);
    if let Some((gid, origin)) = link {
        let found = if last == Some(name) {
            if !force {
                return Ok((gid, origin));
            }
            match wrapup_codes::get(ctx.client, &gid)? {
                Some(c) if c.name == name => Some(c),
                Some(_) => rename(ctx, &gid, name)?,
                None => None,
            }
        } else {
            rename(ctx, &gid, name)?
        };
        if let Some(c) = found {
            return Ok((c.id, origin));
        }
        log::warn!(
            "wrap-up code {gid} ({name}) no longer exists in Genesys Cloud; creating it again"
        );
    } else if let Some(sent) = step.doubt {
        if let Some(gid) = created_code(ctx, sent, owner_of)? {
            log::info!("wrap-up code {gid} ({sent}) was made by a create whose answer was lost");
            if let Some(c) = rename(ctx, &gid, name)? {
                return Ok((c.id, Origin::Created));
            }
        }
    }
    (step.before_create)(name)?;
    match wrapup_codes::create(ctx.client, name) {
        Ok(c) => {
            log::info!("created wrap-up code {} ({name})", c.id);
            Ok((c.id, Origin::Created))
        }
        Err(e) if e.is_name_conflict() => {
            let found = wrapup_codes::find_by_name(ctx.client, name)?;
            if let Some(c) = found.iter().find(|c| c.name == name) {
                if let Some(other) = owner_of(&c.id) {
                    return Err(SyncError::NeedsAdmin(format!(
                        "duplicate name: wrap-up code {other} already syncs to the Genesys Cloud \
                         wrap-up code named '{name}'; give the codes distinct names in CIC"
                    )));
                }
                log::info!("adopted existing wrap-up code {} ({name})", c.id);
                return Ok((c.id.clone(), Origin::Adopted));
            }
            if let Some(c) = found.first() {
                return Err(SyncError::NeedsAdmin(format!(
                    "duplicate name: Genesys Cloud already has a wrap-up code named '{}', which \
                     differs from '{name}' only in case; rename one of them",
                    c.name
                )));
            }
            Err(SyncError::Transient(format!(
                "a wrap-up code named {name} exists in Genesys Cloud but is not listed yet; will retry"
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// The Genesys code named exactly `name` that no CIC code holds: what a create of `name`
/// whose answer was lost made (a code listed late is not found: then there is none to delete).
fn created_code(
    ctx: &mut Ctx,
    name: &str,
    owner_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, SyncError> {
    let found = wrapup_codes::find_by_name(ctx.client, name)?;
    Ok(found
        .into_iter()
        .find(|c| c.name == name && owner_of(&c.id).is_none())
        .map(|c| c.id))
}

/// `PUT` a new name on code `gid`; `Ok(None)` when the code is gone.
fn rename(ctx: &mut Ctx, gid: &str, name: &str) -> Result<Option<Named>, SyncError> {
    match wrapup_codes::rename(ctx.client, gid, name) {
        Ok(found) => {
            if found.is_some() {
                log::info!("renamed wrap-up code {gid} to {name}");
            }
            Ok(found)
        }
        Err(e) if e.is_name_conflict() => Err(SyncError::NeedsAdmin(format!(
            "duplicate name: Genesys Cloud already has another wrap-up code named '{name}' (or \
             one differing only in case) that gcsync does not manage; rename one of them ({e})"
        ))),
        Err(e) => Err(e.into()),
    }
}
