//! The presence worker's steps: agent statuses → Genesys presences. The worker takes one
//! change and every other presence change waiting (up to `presence_bulk_max`), prepares each
//! (its user synced, the mapping, the org's definition id, gcsync's source as the primary one,
//! the pure plan), writes the presences in one call (one PATCH for one agent, else the bulk PUT
//! through `batch::run_bulk`; `presence/write.rs`) and, in WEM orgs, out-of-office and routing
//! status per agent.

use super::{Outcome, Worker};
use crate::genesys::presence::{self as api, Definition};
use crate::genesys::ApiError;
use crate::kinds::{self, Applied, CicObject};
use crate::object::ObjectKey;
use crate::presence::map::{map_status, PresenceRef};
use crate::presence::{self, AppliedPresence, Plan, Want};
use crate::queue::{Change, Pending};
use crate::status::SyncState;
use crate::user_sync::SyncError;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// The org's presence definitions and sources as last read (ids are org data, never
/// hard-coded). Dropped when the connection settings change; definitions and source are read
/// again once when a write is refused for naming one that is gone.
#[derive(Default)]
pub(super) struct Cache {
    definitions: Option<Vec<Definition>>,
    source_id: Option<String>,
    purecloud_id: Option<String>,
}

impl Cache {
    fn resolve(&self, p: &PresenceRef) -> Option<&Definition> {
        let defs = self.definitions.as_deref()?;
        match p {
            PresenceRef::System(name) => defs.iter().find(|d| {
                d.kind.eq_ignore_ascii_case("System")
                    && d.system_presence.eq_ignore_ascii_case(name)
            }),
            PresenceRef::Secondary(label) => defs.iter().find(|d| {
                !d.kind.eq_ignore_ascii_case("System")
                    && d.language_labels
                        .values()
                        .any(|l| l.trim().eq_ignore_ascii_case(label))
            }),
        }
    }
}

/// One agent whose calls are planned.
struct Ready {
    idx: usize,
    gid: String,
    presence: PresenceRef,
    want: Want,
    before: Option<AppliedPresence>,
    plan: Plan,
    primary: bool,
}

/// `(primary after the write, take it in the write)` for a user whose primary source is
/// `primary`: ours stays ours; the Genesys-native one (`purecloud`) is taken over; any other,
/// or one not known (an id missing from an answer: `sourceId` is optional in the models), is
/// left alone rather than taken from another integration.
fn primary_after(primary: &str, ours: &str, purecloud: &str) -> (bool, bool) {
    match primary {
        "" => (false, false),
        p if p == ours => (true, false),
        p if p == purecloud => (true, true),
        _ => (false, false),
    }
}

fn is_item_fault(e: &ApiError) -> bool {
    matches!(e.status(), Some(400 | 404))
}

impl Worker {
    /// Takes the waiting presence changes after `key` (one bulk call's worth) and syncs them
    /// together; each is then reported on as any item.
    pub(super) fn presence_batch(&mut self, key: ObjectKey, pending: Pending) {
        let max = self.settings.presence.bulk_max;
        let mut items = vec![(key, pending)];
        items.extend(
            self.shared
                .queue
                .take_more_high(self.slot, max.saturating_sub(1)),
        );
        let before: Vec<_> = items
            .iter()
            .map(|(k, _)| self.shared.objects.get(k))
            .collect();
        let outcomes = match catch_unwind(AssertUnwindSafe(|| self.agent_statuses(&items))) {
            Ok(o) => o,
            Err(_) => items.iter().map(|(k, p)| self.panicked(k, p)).collect(),
        };
        for (((k, p), b), o) in items.into_iter().zip(before).zip(outcomes) {
            self.report(k, p, b, o);
        }
    }

    /// One agent status taken by a worker other than the presence worker.
    pub(super) fn agent_status_one(&mut self, key: &ObjectKey, pending: &Pending) -> Outcome {
        let items = [(key.clone(), pending.clone())];
        self.agent_statuses(&items)
            .pop()
            .unwrap_or(Outcome::Done(false))
    }

    fn agent_statuses(&mut self, items: &[(ObjectKey, Pending)]) -> Vec<Outcome> {
        let mut out: Vec<Option<Outcome>> = items.iter().map(|_| None).collect();
        let mut ready = Vec::new();
        for (idx, (key, pending)) in items.iter().enumerate() {
            if key.kind != crate::object::GcsyncObjectKind::AgentStatus {
                out[idx] = Some(self.process(key, pending));
                continue;
            }
            match self.prepare(idx, key, pending) {
                Ok(r) => ready.push(r),
                Err(o) => out[idx] = Some(o),
            }
        }
        let results = self.write_all(&mut ready);
        for (r, result) in ready.into_iter().zip(results) {
            let idx = r.idx;
            let (key, pending) = &items[idx];
            out[idx] = Some(match result {
                Ok(()) => self.finish_agent(key, pending, r),
                Err(e) => self.failed(key, SyncError::Api(e), pending),
            });
        }
        out.into_iter()
            .map(|o| o.unwrap_or(Outcome::Done(false)))
            .collect()
    }

    /// Reads the org's definitions and gcsync's source (adopting or creating it) if not cached.
    fn presence_cache(&mut self) -> Result<(), SyncError> {
        if self.presence.definitions.is_some() && self.presence.source_id.is_some() {
            return Ok(());
        }
        let (defs, source) = (
            self.presence.definitions.take(),
            self.presence.source_id.take(),
        );
        let client = self.client().map_err(SyncError::NeedsAdmin)?;
        let defs = match defs {
            Some(d) => d,
            None => api::definitions(client)?,
        };
        let source = match source {
            Some(s) => s,
            None => match find_source(client)? {
                Some(id) => id,
                None => match api::create_source(client, presence::SOURCE_NAME) {
                    Ok(s) => s.id,
                    // The name is taken: most likely by this very create, sent before and its
                    // answer lost (a dropped connection, a crash): adopt it, never fail for it.
                    Err(e) if e.is_name_conflict() => find_source(client)?.ok_or_else(|| {
                        SyncError::Transient(format!(
                            "presence source {} exists but is not listed yet; will retry",
                            presence::SOURCE_NAME
                        ))
                    })?,
                    Err(e) => return Err(e.into()),
                },
            },
        };
        log::debug!("presence: {} definition(s); source {source}", defs.len());
        self.presence.definitions = Some(defs);
        self.presence.source_id = Some(source);
        Ok(())
    }

    fn prepare(
        &mut self,
        idx: usize,
        key: &ObjectKey,
        pending: &Pending,
    ) -> Result<Ready, Outcome> {
        let (source, force) = match &*pending.change {
            Change::Upsert { object, force } => (Some(Arc::new(object.clone())), *force),
            Change::Remove => (None, false),
        };
        let record = self.update_get(key, |r| r.source = source.clone());
        if let Some(why) = kinds::disabled(key.kind, &self.settings, source.is_none()) {
            self.update(key, |r| {
                r.status.state = SyncState::NotSynced;
                r.status.reason = Some(why.into());
            });
            return Err(Outcome::Done(false));
        }
        let Some(CicObject::AgentStatus(status)) = source.as_deref() else {
            // CIC forgot the status: the presence in Genesys stays as it was.
            self.update(key, |r| {
                r.status.removed = true;
                r.status.reason = None;
            });
            return Err(Outcome::Done(true));
        };
        let user = ObjectKey::user(&status.id);
        let Some(gid) = self.ready_user(&user) else {
            return Err(self.wait_for_user(key, &user));
        };
        let wem = self.settings.presence.wem_org;
        let target = map_status(status, &self.settings.presence.overrides);
        let presence = match wem && target.on_queue {
            true => PresenceRef::System("OnQueue"),
            false => target.presence.clone(),
        };
        if let Err(e) = self.presence_cache() {
            return Err(self.failed(key, e, pending));
        }
        let want = match self.want(
            &status.status,
            &presence,
            wem.then_some((target.on_queue, target.ooo)),
        ) {
            Ok(w) => w,
            Err(e) => return Err(self.failed(key, e, pending)),
        };
        let before = match &record.applied {
            Some(Applied::AgentStatus(a)) => Some(a.clone()),
            _ => None,
        };
        let check = force || presence::needs_primary_check(&want, before.as_ref());
        if !check
            && record.status.state == SyncState::Synced
            && !record.status.removed
            && presence::plan(&want, before.as_ref(), false).is_empty()
        {
            log::debug!("agent status {}: presence unchanged; no API call", key.id);
            // The CIC status may differ (it decides whether leaving it restores IDLE).
            let applied = presence::applied_after(&want, before.as_ref(), true);
            if before.as_ref() != Some(&applied) {
                self.update(key, |r| r.applied = Some(Applied::AgentStatus(applied)));
            }
            return Err(Outcome::Done(true));
        }
        let (primary, take) = match check {
            false => (true, false),
            true => match self.primary_state(&gid, &want.source_id) {
                Ok(p) => p,
                Err(e) => return Err(self.failed(key, e, pending)),
            },
        };
        let warnings = match primary {
            true => Vec::new(),
            false => vec![format!(
                "the user's primary presence source in Genesys Cloud is another integration; \
                 gcsync writes the {} source but does not take the user over",
                presence::SOURCE_NAME
            )],
        };
        if record.status.warnings != warnings {
            self.update(key, |r| r.status.warnings = warnings);
        }
        let mut plan = presence::plan(&want, before.as_ref(), take);
        plan.presence |= force;
        Ok(Ready {
            idx,
            gid,
            presence,
            want,
            before,
            plan,
            primary,
        })
    }

    /// The user's Genesys id once it is synced.
    fn ready_user(&self, user: &ObjectKey) -> Option<String> {
        match self.shared.is_ready(user) {
            true => self
                .shared
                .objects
                .with_status(user, |s| s.and_then(|s| s.genesys_id.clone())),
            false => None,
        }
    }

    /// Waits for the user; a user in Error shows why on the presence record.
    fn wait_for_user(&mut self, key: &ObjectKey, user: &ObjectKey) -> Outcome {
        let outcome = self.wait_for(key, std::slice::from_ref(user));
        let user_error = self.shared.objects.with_status(user, |s| {
            s.filter(|s| s.state == SyncState::Error)
                .map(|s| s.reason.clone().unwrap_or_default())
        });
        if let Some(why) = user_error {
            self.update(key, |r| {
                r.status.reason = Some(format!(
                    "waiting for user {}, which is in Error: {why}",
                    user.id
                ));
            });
        }
        outcome
    }

    /// What is wanted, with the definition resolved (the definitions read again once if the
    /// presence is not among them).
    fn want(
        &mut self,
        status: &str,
        presence: &PresenceRef,
        wem: Option<(bool, bool)>,
    ) -> Result<Want, SyncError> {
        if self.presence.resolve(presence).is_none() {
            self.presence.definitions = None;
            self.presence_cache()?;
        }
        let Some(def) = self.presence.resolve(presence) else {
            return Err(SyncError::NeedsAdmin(format!(
                "the org has no active presence definition for {} (check presence_map)",
                presence.describe()
            )));
        };
        Ok(Want {
            status: status.to_string(),
            presence: presence.describe(),
            definition_id: def.id.clone(),
            source_id: self.presence.source_id.clone().unwrap_or_default(),
            on_queue: wem.map(|w| w.0),
            ooo: wem.map(|w| w.1),
        })
    }

    /// Whether gcsync's source is (or may become) the user's primary: `(primary after the
    /// write, take it in the write)`. The Genesys-native source is taken over (PureConnect is the
    /// synced users' primary source, FACTS §2); another integration's is not.
    fn primary_state(&mut self, gid: &str, ours: &str) -> Result<(bool, bool), SyncError> {
        let client = self.client().map_err(SyncError::NeedsAdmin)?;
        let p = api::primary_source(client, gid)?;
        if !p.source_id.is_empty() && p.source_id == ours {
            return Ok((true, false));
        }
        let purecloud = match self.presence.purecloud_id.clone() {
            Some(id) => id,
            None => {
                let client = self.client().map_err(SyncError::NeedsAdmin)?;
                let id = api::purecloud_source_id(client, gid)?;
                // An answer without `sourceId` teaches nothing: asked again next time.
                if !id.is_empty() {
                    self.presence.purecloud_id = Some(id.clone());
                }
                id
            }
        };
        Ok(primary_after(&p.source_id, ours, &purecloud))
    }
}

mod write;

/// gcsync's presence source in the org (by name, any case), if it exists.
fn find_source(client: &crate::genesys::Client) -> Result<Option<String>, ApiError> {
    Ok(api::sources(client)?
        .into_iter()
        .find(|s| s.name.eq_ignore_ascii_case(presence::SOURCE_NAME))
        .map(|s| s.id))
}

#[cfg(test)]
mod primary_tests {
    use super::primary_after;

    #[test]
    fn only_the_native_source_is_taken_over_and_an_unknown_one_never() {
        assert_eq!(primary_after("ours", "ours", "pc"), (true, false));
        assert_eq!(primary_after("pc", "ours", "pc"), (true, true));
        assert_eq!(primary_after("teams", "ours", "pc"), (false, false));
        // Ids missing from the answers: nothing is taken.
        assert_eq!(primary_after("", "ours", ""), (false, false));
        assert_eq!(primary_after("pc", "ours", ""), (false, false));
    }
}
