//! Create with a POST first; when Genesys says the email is taken, find the user holding it and
//! adopt or restore that one instead of creating a second.

use super::floor::UserOp;
use super::{adopt, division_error, holder_not_visible, restore, Applied, Ctx, SyncError};
use crate::diff::create_body;
use crate::genesys::users::{self, GcUser};
use crate::genesys::ApiError;
use crate::mapping::same_email;
use crate::objects::Origin;

/// Whether a refused `POST /api/v2/users` means the email is already taken: 409 (Genesys'
/// Terraform provider expects 409 `general.conflict`), or a 400 whose code or message says so
/// (Genesys' own provisioning guide reports 400 "conflicting users"; API-FACTS §11).
pub fn is_email_conflict(e: &ApiError) -> bool {
    let ApiError::Status {
        status,
        code,
        message,
        ..
    } = e
    else {
        return false;
    };
    let m = message.to_lowercase();
    let email_words = m.contains("email")
        && ["taken", "already", "in use", "exists"]
            .iter()
            .any(|w| m.contains(w));
    match status {
        409 => true,
        400 => m.contains("conflicting user") || code.contains("conflict") || email_words,
        _ => false,
    }
}

/// Records the create intent (`before_create`), POSTs the user and, on an email conflict,
/// claims the holder of the email (see [`claim_holder`]).
pub(super) fn create_or_claim(ctx: &mut Ctx, op: &UserOp) -> Result<Applied, SyncError> {
    let email = op.desired.email.as_str();
    let body = create_body(op.desired, ctx.settings.division_id.as_deref());
    (op.before_create)(email)?;
    match users::create(ctx.client, &body) {
        Ok(u) => {
            log::info!("created Genesys user {} for CIC user {}", u.id, op.cic_id);
            Ok(Applied::new(u, Origin::Created, op.desired))
        }
        Err(e) if is_email_conflict(&e) => {
            log::debug!(
                "user {}: Genesys Cloud says {email} is taken ({e}); looking for its holder",
                op.cic_id
            );
            claim_holder(ctx, op, e.entity_id())
        }
        Err(e) => Err(division_error(ctx.settings, e)),
    }
}

/// Finds the Genesys user holding `op.desired.email` after a refused create and takes it over:
/// by the error's `entityId` when Genesys gave one (one read by id, current and in any state),
/// else by an email search of active and inactive users, then of deleted ones. An active or
/// inactive holder is adopted (`Created` when the intent says gcsync made it, e.g. a POST whose
/// answer was lost and that was retried); a deleted one is restored. Not finding it is transient
/// (search lags writes).
fn claim_holder(ctx: &mut Ctx, op: &UserOp, entity_id: Option<&str>) -> Result<Applied, SyncError> {
    let email = op.desired.email.as_str();
    let holds = |u: &GcUser| u.email.as_deref().is_some_and(|e| same_email(e, email));
    let mut holder = None;
    if let Some(id) = entity_id {
        holder = users::get_by_ids(ctx.client, &[id])?
            .into_iter()
            .find(|u| u.id == id && holds(u));
    }
    if holder.is_none() {
        holder = users::search_by_email(ctx.client, email, None)?
            .into_iter()
            .next();
    }
    if holder.is_none() {
        holder = users::search_by_email(ctx.client, email, Some("deleted"))?
            .into_iter()
            .next();
    }
    let Some(found) = holder else {
        return Err(holder_not_visible(email));
    };
    if found.state() == "deleted" {
        restore(ctx, op.cic_id, op.desired, found, op.owner_of)
    } else {
        adopt(ctx, op.cic_id, op.desired, found, op.owner_of, op.intended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: &str, message: &str) -> ApiError {
        ApiError::for_test(status, code, message)
    }

    #[test]
    fn conflicts_are_409_or_a_400_that_says_so() {
        assert!(is_email_conflict(&status(409, "general.conflict", "")));
        assert!(is_email_conflict(&status(
            400,
            "bad.request",
            "Conflicting users: jane@example.com"
        )));
        assert!(is_email_conflict(&status(
            400,
            "bad.request",
            "The email jane@example.com is already in use"
        )));
        assert!(is_email_conflict(&status(400, "user.conflict", "x")));
        // Other refusals are not.
        assert!(!is_email_conflict(&status(
            400,
            "bad.request",
            "divisionId: division 'x' not found"
        )));
        assert!(!is_email_conflict(&status(
            400,
            "bad.request",
            "email: 'x' is not a valid email address"
        )));
        assert!(!is_email_conflict(&status(403, "missing.permissions", "")));
        assert!(!is_email_conflict(&ApiError::Transport {
            message: "refused".into()
        }));
    }
}
