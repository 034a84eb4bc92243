//! [`sync_user`]: one user upserted at the API-call floor. A new user costs one POST (or no
//! search at all when an [`OrgIndex`] read once has its email); an update with the last known
//! version costs one PATCH.

use super::claim::create_or_claim;
use super::{adopt, is_version_conflict, reconcile, restore, Applied, Ctx, OrgIndex, SyncError};
use crate::diff::{as_last_applied, kept_contacts, user_patch};
use crate::genesys::external_ids;
use crate::genesys::users::{self, Contact, GcUser};
use crate::mapping::DesiredUser;
use crate::metrics::Metrics;
use crate::objects::Origin;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What gcsync knows of a linked Genesys user after its last write, so that the next update
/// needs no GET: the `version` Genesys returned, and the contacts gcsync leaves as they are (an
/// `addresses` PATCH replaces the whole list and must resend them; usually none). The worker
/// stores it beside `applied` (the desired user it last wrote) from [`Applied::known`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Known {
    /// The user's version after gcsync's last write (what the next PATCH sends).
    pub version: i64,
    /// Contacts of types or media gcsync does not manage, as Genesys returned them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Contact>,
    /// A later write may have been applied unseen (it got no answer and its step was given up
    /// for a newer change: `queue/hold.rs`): `version` may be stale, and what Genesys holds may
    /// differ from what was last applied. The next update PATCHes what changed as usual (a
    /// stale version is a conflict and a re-read), but reads the user first when nothing
    /// changed rather than sending nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsure: bool,
}

impl Known {
    /// What to remember of `user` (as Genesys returned it) once it holds `desired`.
    pub fn of(desired: &DesiredUser, user: &GcUser) -> Known {
        Known {
            version: user.version,
            kept: kept_contacts(desired, user),
            unsure: false,
        }
    }
}

/// How an unlinked user is matched with the org's users.
#[derive(Clone, Copy)]
pub enum Matching<'a> {
    /// POST first; find the holder of the email only when Genesys says it is taken (one call
    /// per new user). For few unlinked users.
    PostFirst,
    /// Look the email up in the org's users read once ([`super::should_read_org`]); POST when it
    /// is not there (a miss is safe: the POST's conflict finds the holder).
    Index(&'a OrgIndex),
    /// Search by email before the create (for a create that may have happened before a
    /// restart: one search rather than a POST and its conflict).
    SearchFirst,
}

/// Everything the worker passes to [`sync_user`] for one CIC user.
pub struct UserOp<'a> {
    /// The CIC user id.
    pub cic_id: &'a str,
    /// What the user should look like in Genesys Cloud.
    pub desired: &'a DesiredUser,
    /// The linked Genesys id and how the link came about, if linked.
    pub link: Option<(&'a str, Origin)>,
    /// What gcsync last applied to the linked user and the [`Known`] returned then (both as
    /// stored by the worker). With it an update is one PATCH; without it, a GET and a PATCH.
    pub last: Option<(&'a DesiredUser, &'a Known)>,
    /// How to match an unlinked user.
    pub matching: Matching<'a>,
    /// Which CIC user (if any) a Genesys id is linked to: two CIC users never share one.
    pub owner_of: &'a dyn Fn(&str) -> Option<String>,
    /// The email of a create intent that may have been sent before (a user found with it is
    /// `Created`, not `Adopted`).
    pub intended: Option<&'a str>,
    /// Runs, and must succeed, right before a POST: it records the create intent durably.
    pub before_create: &'a dyn Fn(&str) -> Result<(), SyncError>,
    /// The external-id authority to look an unlinked user up by before matching it by email
    /// (`GET /api/v2/users/externalid/{authority}/{cic id}`); `None`: no lookup. Skipped where it
    /// cannot find anyone: an [`OrgIndex`] that has the email, or that holds no user gcsync
    /// does not own ([`OrgIndex::has_unowned`]).
    pub by_external: Option<&'a str>,
}

/// Makes Genesys Cloud hold `op.desired` for CIC user `op.cic_id` in the fewest calls:
/// - linked, with `last`: one PATCH of what changed since `last` with its version (none when
///   nothing changed); on a version conflict the user is re-read by id and the PATCH retried
///   (bounded by `version_conflict_retries`); when the user is gone, as without `last`;
/// - linked, without `last`: one read by id (any state), then what differs (a deleted user is
///   restored first);
/// - unlinked (or the linked user no longer exists): matched as `op.matching` says; a user found
///   is adopted (or, with a matching intent, linked as `Created`) and PATCHed only where it
///   differs; otherwise created with one POST, whose conflict (409, or 400 "conflicting users")
///   finds the holder of the email (by the error's `entityId`, else a search of active/inactive
///   users, then deleted ones) and adopts or restores it, never creating a second user.
///
/// The returned [`Applied::known`] is what to store for the next call.
pub fn sync_user(ctx: &mut Ctx, op: &UserOp) -> Result<Applied, SyncError> {
    if let Some((id, origin)) = op.link {
        if let Some((applied, known)) = op.last {
            if let Some(u) = update_known(ctx, id, op.desired, applied, known)? {
                return Ok(Applied::new(u, origin, op.desired));
            }
        }
        if let Some(applied) = linked(ctx, op, id, origin)? {
            return Ok(applied);
        }
        log::warn!(
            "Genesys user {id} linked to CIC user {} no longer exists; matching by email",
            op.cic_id
        );
    }
    let email = op.desired.email.as_str();
    log::debug!(
        "user {}: no link to a Genesys user yet; {}",
        op.cic_id,
        match op.matching {
            Matching::PostFirst => "creating it (a conflict finds the holder of the email)",
            Matching::Index(_) => "matching it by email against the org's users read once",
            Matching::SearchFirst => "looking for one by email",
        }
    );
    let mut found = match op.matching {
        Matching::Index(index) => index.get(email).cloned(),
        _ => None,
    };
    let look_up = match op.matching {
        Matching::Index(index) => found.is_none() && index.has_unowned(),
        _ => true,
    };
    if let (Some(authority), true) = (op.by_external, look_up) {
        if let Some(u) = external_ids::lookup(ctx.client, authority, op.cic_id)? {
            log::debug!(
                "user {}: Genesys user {} holds its external id {authority}/{}",
                op.cic_id,
                u.id,
                op.cic_id
            );
            let (cic_id, desired) = (op.cic_id, op.desired);
            match adopt(ctx, cic_id, desired, u, op.owner_of, op.intended) {
                Ok(a) => {
                    return Ok(Applied {
                        by_external_id: true,
                        ..a
                    })
                }
                // Deleted meanwhile: matched by email below.
                Err(SyncError::Api(e)) if e.status() == Some(404) => {}
                Err(e) => return Err(e),
            }
        }
    }
    if let Matching::SearchFirst = op.matching {
        found = users::search_by_email(ctx.client, email, None)?
            .into_iter()
            .next();
    }
    if let Some(found) = found {
        let (cic_id, desired) = (op.cic_id, op.desired);
        match adopt(ctx, cic_id, desired, found, op.owner_of, op.intended) {
            // Deleted since the index was read: the POST's conflict finds it.
            Err(SyncError::Api(e)) if e.status() == Some(404) => {}
            other => return other,
        }
    }
    create_or_claim(ctx, op)
}

/// The linked user read by id in one call, whatever its state, and brought to `desired`
/// (restored first when soft-deleted). `Ok(None)`: it no longer exists.
fn linked(
    ctx: &mut Ctx,
    op: &UserOp,
    id: &str,
    origin: Origin,
) -> Result<Option<Applied>, SyncError> {
    let Some(u) = users::get_by_ids(ctx.client, &[id])?
        .into_iter()
        .find(|u| u.id == id)
    else {
        return Ok(None);
    };
    if u.state() == "deleted" {
        return restore(ctx, op.cic_id, op.desired, u, op.owner_of).map(Some);
    }
    let u = reconcile(ctx, op.desired, u)?;
    Ok(Some(Applied::new(u, origin, op.desired)))
}

/// One PATCH of what changed since `applied`, with the known version. `Ok(None)` when the user
/// is not there to update (404, answered as soft-deleted, or a 400 while a read by id finds it
/// deleted or gone). A version conflict re-reads the user by id and reconciles it against what
/// it really holds.
fn update_known(
    ctx: &mut Ctx,
    id: &str,
    desired: &DesiredUser,
    applied: &DesiredUser,
    known: &Known,
) -> Result<Option<GcUser>, SyncError> {
    let last = as_last_applied(id, applied, &known.kept, known.version);
    let Some(mut body) = user_patch(desired, &last) else {
        return Ok(Some(last));
    };
    let new_email = body
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_string);
    body.insert("version".into(), json!(known.version));
    match users::patch(ctx.client, id, &Value::Object(body)) {
        // What a PATCH on a soft-deleted user answers is not documented (our emulator: 404): one
        // that applies it and answers the user still deleted must not end it Synced.
        Ok(u) if u.state() == "deleted" => Ok(None),
        Ok(u) => {
            log::info!(
                "updated Genesys user {id} (known version {})",
                known.version
            );
            Ok(Some(u))
        }
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) if e.status() == Some(400) && !is_version_conflict(&e) => {
            // A PATCH on a soft-deleted user may be refused with a 400 as well (undocumented):
            // one read by id tells it from bad input before the user is put in Error.
            let gone = match users::get_by_ids(ctx.client, &[id])?
                .into_iter()
                .find(|u| u.id == id)
            {
                None => true,
                Some(u) => u.state() == "deleted",
            };
            match gone {
                true => Ok(None),
                false => Err(e.into()),
            }
        }
        Err(e) if is_version_conflict(&e) => {
            Metrics::bump(&ctx.metrics.retries);
            log::info!(
                "409 on Genesys user {id} with known version {}; re-reading",
                known.version
            );
            let Some(current) = users::get(ctx.client, id, false)? else {
                return Ok(None);
            };
            if let (Some(email), true) = (new_email, current.version == known.version) {
                // Same version: the 409 was not a race but the new email being taken.
                return Err(super::email_taken(&email, &e));
            }
            reconcile(ctx, desired, current).map(Some)
        }
        Err(e) => Err(e.into()),
    }
}
