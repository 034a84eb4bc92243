//! The presence worker's writes: the presences (one PATCH, or bulk PUTs through `run_bulk`,
//! with one re-read of definitions and source when a write names one that is gone), then per
//! agent out-of-office and routing status (WEM) and the record.

use super::{is_item_fault, Cache, Ready};
use crate::batch::run_bulk;
use crate::clock::{format_utc, unix_now};
use crate::genesys::presence::{self as api, DefinitionRef, PresenceWrite};
use crate::genesys::ApiError;
use crate::kinds::Applied;
use crate::object::ObjectKey;
use crate::presence::{self, AppliedPresence};
use crate::queue::Pending;
use crate::status::SyncState;
use crate::user_sync::SyncError;
use crate::worker::{Outcome, Worker};

impl Worker {
    /// Writes every planned presence (one PATCH, or bulk PUTs); a write refused for a
    /// definition or source that is gone reads them again once and is retried.
    pub(super) fn write_all(&mut self, ready: &mut [Ready]) -> Vec<Result<(), ApiError>> {
        let mut results: Vec<Result<(), ApiError>> = ready.iter().map(|_| Ok(())).collect();
        let todo: Vec<usize> = (0..ready.len())
            .filter(|i| ready[*i].plan.presence)
            .collect();
        let first = self.send(ready, &todo);
        let mut again = Vec::new();
        for (i, r) in todo.iter().zip(first) {
            match r {
                Err(e) if is_item_fault(&e) => again.push((*i, e)),
                other => results[*i] = other,
            }
        }
        if again.is_empty() {
            return results;
        }
        log::info!("presence: a write was refused; reading the org's definitions and source again");
        self.presence = Cache {
            purecloud_id: self.presence.purecloud_id.take(),
            ..Cache::default()
        };
        let mut retry = Vec::new();
        for (i, e) in again {
            let r = &mut ready[i];
            let wem = r.want.on_queue.zip(r.want.ooo);
            let status = r.want.status.clone();
            match self.want(&status, &r.presence.clone(), wem) {
                Ok(w)
                    if w.definition_id != r.want.definition_id
                        || w.source_id != r.want.source_id =>
                {
                    if w.source_id != r.want.source_id {
                        // A new source is no one's primary yet.
                        r.plan.take_primary = r.primary;
                    }
                    r.want = w;
                    retry.push(i);
                }
                Ok(_) => results[i] = Err(e),
                Err(SyncError::Api(e2)) => results[i] = Err(e2),
                Err(_) => results[i] = Err(e),
            }
        }
        for (i, r) in retry.iter().zip(self.send(ready, &retry)) {
            results[*i] = r;
        }
        results
    }

    fn send(&mut self, ready: &[Ready], which: &[usize]) -> Vec<Result<(), ApiError>> {
        let writes: Vec<PresenceWrite> = which
            .iter()
            .map(|i| {
                let r = &ready[*i];
                PresenceWrite {
                    id: r.gid.clone(),
                    source_id: r.want.source_id.clone(),
                    presence_definition: DefinitionRef {
                        id: r.want.definition_id.clone(),
                    },
                    primary: r.plan.take_primary,
                }
            })
            .collect();
        let max = self.settings.presence.bulk_max;
        let client = match self.client() {
            Ok(c) => c,
            Err(message) => {
                let e = ApiError::Config { message };
                return writes.iter().map(|_| Err(e.clone())).collect();
            }
        };
        match writes.len() {
            0 => Vec::new(),
            1 => vec![api::patch_presence(client, &writes[0])],
            _ => run_bulk(
                &writes,
                max,
                is_item_fault,
                &mut |chunk: &[PresenceWrite]| match chunk {
                    [one] => api::patch_presence(client, one),
                    many => api::put_presences(client, many),
                },
            ),
        }
    }

    /// After the presence landed: out-of-office and routing status (WEM), then the record.
    pub(super) fn finish_agent(&mut self, key: &ObjectKey, pending: &Pending, r: Ready) -> Outcome {
        let mut applied = presence::applied_after(&r.want, r.before.as_ref(), r.primary);
        // Until each lands, the record keeps what was there before.
        applied.ooo = r.before.as_ref().and_then(|b| b.ooo);
        applied.on_queue = r.before.as_ref().and_then(|b| b.on_queue);
        let mut warnings = Vec::new();
        let step = self.wem_steps(&r, &mut applied, &mut warnings);
        self.update(key, |rec| {
            rec.applied = Some(Applied::AgentStatus(applied));
            for w in warnings {
                if !rec.status.warnings.contains(&w) {
                    rec.status.warnings.push(w);
                }
            }
        });
        if let Err(e) = step {
            return self.failed(key, e, pending);
        }
        let gid = r.gid;
        self.update(key, |rec| {
            rec.status.state = SyncState::Synced;
            rec.status.last_synchronized = Some(unix_now());
            rec.status.reason = None;
            rec.status.genesys_id = Some(gid);
            rec.status.removed = false;
        });
        Outcome::Done(true)
    }

    fn wem_steps(
        &mut self,
        r: &Ready,
        applied: &mut AppliedPresence,
        warnings: &mut Vec<String>,
    ) -> Result<(), SyncError> {
        let client = self.client().map_err(SyncError::NeedsAdmin)?;
        if let Some(active) = r.plan.ooo {
            api::put_out_of_office(client, &r.gid, active, &format_utc(unix_now()))?;
            applied.ooo = Some(active);
        }
        if let Some(want) = r.want.on_queue {
            if let Some(status) = r.plan.routing {
                match api::put_routing_status(client, &r.gid, status) {
                    Ok(()) => {}
                    Err(e) if e.status() == Some(400) => {
                        warnings.push(format!("routing status {status} was refused: {e}"));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            applied.on_queue = Some(want);
        }
        Ok(())
    }
}
