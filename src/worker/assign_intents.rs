//! What a user's assignment step records durably ahead of its writes (README "Crash-consistent
//! assignments"): the skills and languages it is about to add, in the user's row, one
//! transaction for all of one step's additions (skills and languages, every bulk call), so a
//! restart after a crash before the outcome's commit (or the step after a failed or unanswered
//! write) takes those the user holds as gcsync's, and removes them when CIC does.

use super::queue_intents::write_ahead;
use crate::assignments::{additions, additions_and_changes, settle, Ops, Routing};
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

/// Records durably, before the first write of a step, what `skills` and `languages` add beyond
/// what gcsync owns, with the owned assignments as settled (the earlier additions the read
/// found are part of them now). Nothing added, nothing written (removals need nothing ahead:
/// what gcsync made stays recorded until their outcome is committed). `noted`: the user's
/// warnings name a workgroup change not processed (`objects::INHERITED_NOT_SYNCED`), so the
/// stars changed of owned entries are recorded too ([`additions_and_changes`]), and with them
/// the note: after a kill before the outcome the restarted step reads the user's assignments.
pub(crate) fn record_additions(
    shared: &Shared,
    key: &ObjectKey,
    skills: Planned,
    languages: Planned,
    noted: bool,
) -> Result<(), SyncError> {
    let pick = match noted {
        true => additions_and_changes,
        false => additions,
    };
    let adding = Routing {
        skills: pick(skills.ops, skills.want, skills.owned),
        languages: pick(languages.ops, languages.want, languages.owned),
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
    write_ahead(shared, key, row, "the assignments being made")
}
