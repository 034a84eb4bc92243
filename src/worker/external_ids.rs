//! Ownership recorded in the org (README "Ownership in the org"): once the worker has linked a
//! user it created, adopted or restored, it records the CIC id as the Genesys user's external
//! identifier, one call, and remembers that in the user's applied record so it is never sent
//! again (a restart keeps it; a crash before the outcome's commit sends it again, harmlessly:
//! the same pair twice changes nothing).

use super::Worker;
use crate::genesys::external_ids;
use crate::kinds::Applied;
use crate::object::ObjectKey;
use crate::objects::Record;
use crate::user_sync::SyncError;

impl Worker {
    /// Whether `record` needs no external id recorded: `external_id_authority=off`, or it is
    /// recorded under the authority in force.
    pub(super) fn external_id_recorded(&self, record: &Record) -> bool {
        let Some(authority) = &self.settings.full_sync.external_id_authority else {
            return true;
        };
        matches!(&record.applied, Some(Applied::User(a))
            if a.external_id.as_deref() == Some(authority.as_str()))
    }

    /// Records the CIC id of linked user `key` as its Genesys user's external identifier,
    /// unless that is done already. A transient failure is returned (the change is retried and
    /// the record made then, with no other call); a refusal (the pair is held by another
    /// Genesys user, the user is gone) becomes a warning on the user and is tried again with its
    /// next change.
    pub(super) fn record_external_id(&mut self, key: &ObjectKey) -> Result<(), SyncError> {
        // Read in place (the worker holds the object: its record is decoded), not copied.
        let gid = self.shared.objects.with_record(key, |r| {
            let none = Record::default();
            let r = r.unwrap_or(&none);
            match self.external_id_recorded(r) || r.status.removed {
                true => None,
                false => r.status.genesys_id.clone(),
            }
        });
        let Some(authority) = self.settings.full_sync.external_id_authority.clone() else {
            return Ok(());
        };
        let Some(gid) = gid else {
            return Ok(());
        };
        let added = self.with_ctx(|ctx| {
            external_ids::add(ctx.client, &gid, &authority, &key.id).map_err(SyncError::from)
        });
        match added {
            Ok(()) => {
                log::debug!(
                    "user {}: external id {authority}/{} recorded on Genesys user {gid}",
                    key.id,
                    key.id
                );
                self.update(key, |r| {
                    if let Some(Applied::User(a)) = &mut r.applied {
                        a.external_id = Some(authority);
                    }
                });
                Ok(())
            }
            Err(e) if e.is_transient() => Err(e),
            Err(e) => {
                let w = format!(
                    "external id {authority}/{} not recorded on Genesys user {gid}: {e}",
                    key.id
                );
                log::warn!("user {}: {w}", key.id);
                self.update(key, |r| r.status.warnings.push(w));
                Ok(())
            }
        }
    }
}
