//! What a user's assignment step records durably ahead of its writes (README "Crash-consistent
//! assignments"): the skills and languages it is about to add, change or remove, in the user's
//! row, one transaction for all of one step's writes (skills and languages, every call), so a
//! restart after a crash before the outcome's commit (or the step after a failed or unanswered
//! write) reads what the user holds before deciding: an addition the user holds is gcsync's
//! (removed when CIC removes it), a changed or removed one is written again when CIC sets it
//! back.

use super::queue_intents::write_ahead;
use crate::assignments::{settle, written_ahead, Ops, Routing};
use crate::engine::Shared;
use crate::kinds::Applied;
use crate::object::ObjectKey;
use crate::user_sync::SyncError;
use std::collections::BTreeMap;

/// One category's part of a step: what gcsync wants, the assignments it owns (settled), the
/// planned operations.
pub(crate) struct Planned<'a> {
    pub want: &'a BTreeMap<String, u8>,
    pub owned: &'a BTreeMap<String, u8>,
    pub ops: &'a Ops,
}

/// Settles `adding` (additions recorded by an earlier step) against what Genesys holds: those
/// it holds join `owned`. No-op without a read (`actual` `None`): the recorded additions then
/// stay recorded.
pub(crate) fn settle_read(
    owned: &mut BTreeMap<String, u8>,
    adding: &BTreeMap<String, u8>,
    actual: Option<&BTreeMap<String, f64>>,
) {
    if let Some(actual) = actual {
        settle(owned, adding, actual);
    }
}

/// Records durably, before the first write of a step, what `skills` and `languages` add,
/// change or remove of what gcsync owns ([`written_ahead`]), with the owned assignments as
/// settled (the earlier entries the read found are part of them now), and with them the rest
/// of the row as the step left it so far (the warnings naming a workgroup change not processed
/// among them). Nothing written, nothing recorded. After a kill before the outcome the
/// restarted step reads the user's assignments.
pub(crate) fn record_ahead(
    shared: &Shared,
    key: &ObjectKey,
    skills: Planned,
    languages: Planned,
) -> Result<(), SyncError> {
    let adding = Routing {
        skills: written_ahead(skills.ops, skills.want, skills.owned),
        languages: written_ahead(languages.ops, languages.want, languages.owned),
    };
    if adding.is_empty() {
        return Ok(());
    }
    let owned = Routing {
        skills: skills.owned.clone(),
        languages: languages.owned.clone(),
    };
    let row = shared.objects.update(key, |r| {
        if let Some(Applied::User(a)) = &mut r.applied {
            a.routing = owned;
            a.adding = adding;
        }
    });
    write_ahead(shared, key, row, "the assignments being written")
}
