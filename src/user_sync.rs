//! Applying one desired user to Genesys Cloud: match before create, restore instead of
//! duplicating, versioned PATCH with bounded conflict retries, and removal by policy.
//!
//! These functions do network I/O through [`Client`]; what to send is decided by the pure
//! functions in [`crate::diff`].
//!
//! The operations at the API-call floor (issue 6 item 4), for the worker to call:
//! - [`sync_user`]: create with a POST first and match only on a conflict ([`Matching`]), or
//!   match against an [`OrgIndex`] read once; update with the last [`Known`] version in one
//!   PATCH, re-reading only on a 409.
//! - [`OrgIndex::read`] and [`should_read_org`]: the org's users in pages of 500, by email.
//! - [`verify_users`] and [`fix_verified`]: a forced check, 100 users a call.

mod claim;
mod floor;
mod index;
mod verify;

pub use claim::is_email_conflict;
pub use floor::{sync_user, Known, Matching, UserOp};
pub use index::{should_read_org, OrgIndex};
pub use verify::{fix_verified, verify_users, Verdict};

use crate::diff::user_patch;
use crate::genesys::users::{self, GcUser};
use crate::genesys::{ApiError, Client};
use crate::mapping::DesiredUser;
use crate::metrics::Metrics;
use crate::objects::{Intent, Origin};
use crate::settings::{RemovalPolicy, Settings};
use serde_json::{json, Map, Value};
use std::fmt;

/// Why a user could not be synced.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncError {
    /// Genesys Cloud refused or could not be reached.
    Api(ApiError),
    /// A situation only an admin can resolve; the text says what to do.
    NeedsAdmin(String),
    /// A condition that should clear by itself (e.g. search index lag); retried later.
    Transient(String),
}

impl SyncError {
    /// Whether retrying later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Api(e) => e.is_transient(),
            SyncError::NeedsAdmin(_) => false,
            SyncError::Transient(_) => true,
        }
    }
}

impl From<ApiError> for SyncError {
    fn from(e: ApiError) -> SyncError {
        SyncError::Api(e)
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::Api(e) => e.fmt(f),
            SyncError::NeedsAdmin(s) | SyncError::Transient(s) => f.write_str(s),
        }
    }
}

/// The context one sync step runs in.
pub struct Ctx<'a> {
    /// The Genesys client (owned by the worker).
    pub client: &'a Client,
    /// Current settings.
    pub settings: &'a Settings,
    /// Shared counters.
    pub metrics: &'a Metrics,
}

/// The result of a successful upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The Genesys user id.
    pub genesys_id: String,
    /// How the link came about (kept when it already existed).
    pub origin: Origin,
    /// The user's version and kept contacts after the last write: the worker stores it beside
    /// what it applied and passes both to the next [`sync_user`] (an update in one call).
    pub known: Known,
    /// The user was soft-deleted and this call restored it: Genesys kept none of its skills,
    /// languages or queue memberships.
    pub restored: bool,
    /// The user was found through the external identifier gcsync records (it holds it).
    pub by_external_id: bool,
}

impl Applied {
    fn new(user: GcUser, origin: Origin, desired: &DesiredUser) -> Applied {
        Applied {
            known: Known::of(desired, &user),
            genesys_id: user.id,
            origin,
            restored: false,
            by_external_id: false,
        }
    }
}

fn is_version_conflict(e: &ApiError) -> bool {
    match e {
        ApiError::Status {
            status: 409 | 408, ..
        } => true,
        ApiError::Status {
            status: 400,
            message,
            ..
        } => message.to_ascii_lowercase().contains("version"),
        _ => false,
    }
}

/// GET → PATCH → on a version conflict re-GET and retry, at most `version_conflict_retries`
/// times with a growing pause. `make` returns the fields to change (without `version`), or
/// `None` when the user already matches.
fn patch_versioned(
    ctx: &mut Ctx,
    mut current: GcUser,
    deleted: bool,
    make: &dyn Fn(&GcUser) -> Option<Map<String, Value>>,
) -> Result<GcUser, SyncError> {
    let max = ctx.settings.version_conflict_retries.max(1);
    for attempt in 1..=max {
        let Some(mut body) = make(&current) else {
            return Ok(current);
        };
        let sent_version = current.version;
        let changes_email = body
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_string);
        body.insert("version".into(), json!(sent_version));
        let fields: Vec<String> = body.keys().filter(|k| *k != "version").cloned().collect();
        match users::patch(ctx.client, &current.id, &Value::Object(body)) {
            Ok(u) => {
                log::info!("updated Genesys user {}: {}", u.id, fields.join(", "));
                return Ok(u);
            }
            Err(e) if is_version_conflict(&e) && attempt < max => {
                Metrics::bump(&ctx.metrics.retries);
                log::info!(
                    "409 on Genesys user {} (attempt {attempt}/{max}); re-reading",
                    current.id
                );
                if !ctx.client.cancel().sleep(ctx.settings.conflict_backoff * attempt) {
                    return Err(SyncError::Transient("gcsync is shutting down".into()));
                }
                current = users::get(ctx.client, &current.id, deleted)?.ok_or_else(|| {
                    SyncError::Transient(format!(
                        "Genesys user {} disappeared during an update; will retry",
                        current.id
                    ))
                })?;
                if let (Some(email), true) = (changes_email, current.version == sent_version) {
                    // Same version: the 409 was not a race but the new email being taken.
                    return Err(email_taken(&email, &e));
                }
            }
            Err(e) if is_version_conflict(&e) => {
                return Err(SyncError::Transient(format!(
                    "Genesys user {} kept changing during {max} update attempts (version conflict); will retry",
                    current.id
                )))
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// An email change refused because another Genesys user holds the email.
fn email_taken(email: &str, e: &ApiError) -> SyncError {
    SyncError::NeedsAdmin(format!(
        "business email {email} is already used by another Genesys Cloud user \
         (active, inactive or deleted); change it in CIC or free it in Genesys Cloud ({e})"
    ))
}

fn set_state(ctx: &mut Ctx, user: GcUser, state: &str, deleted: bool) -> Result<GcUser, SyncError> {
    let want = state.to_string();
    patch_versioned(ctx, user, deleted, &move |u| {
        (u.state() != want).then(|| {
            let mut m = Map::new();
            m.insert("state".into(), json!(want));
            m
        })
    })
}

fn reconcile(ctx: &mut Ctx, desired: &DesiredUser, user: GcUser) -> Result<GcUser, SyncError> {
    let user = if user.state() != "active" {
        set_state(ctx, user, "active", false)?
    } else {
        user
    };
    patch_versioned(ctx, user, false, &|u| user_patch(desired, u))
}

fn check_owner(
    found: &GcUser,
    cic_id: &str,
    owner_of: &dyn Fn(&str) -> Option<String>,
    email: &str,
) -> Result<(), SyncError> {
    match owner_of(&found.id) {
        Some(other) if other != cic_id => Err(SyncError::NeedsAdmin(format!(
            "business email {email} is already used by CIC user {other}; give each user a distinct email"
        ))),
        _ => Ok(()),
    }
}

/// Adopts `found` (active or inactive; found by email) for CIC user `cic_id` after the ownership
/// check: its origin is `Created` when a create intent for this email says gcsync made it,
/// `Adopted` otherwise. PATCHes only what differs (and the state first when inactive).
fn adopt(
    ctx: &mut Ctx,
    cic_id: &str,
    desired: &DesiredUser,
    found: GcUser,
    owner_of: &dyn Fn(&str) -> Option<String>,
    intended: Option<&str>,
) -> Result<Applied, SyncError> {
    let email = desired.email.as_str();
    check_owner(&found, cic_id, owner_of, email)?;
    let origin = if intended.is_some_and(|i| crate::mapping::same_email(i, email)) {
        Origin::Created
    } else {
        Origin::Adopted
    };
    log::debug!(
        "user {cic_id}: no link yet; Genesys user {} has its email",
        found.id
    );
    let u = reconcile(ctx, desired, found)?;
    match origin {
        Origin::Created => log::info!(
            "linked Genesys user {} to CIC user {cic_id} (gcsync created it before a restart)",
            u.id
        ),
        _ => log::info!(
            "adopted existing Genesys user {} for CIC user {cic_id}",
            u.id
        ),
    }
    Ok(Applied::new(u, origin, desired))
}

/// Restores soft-deleted `found` for CIC user `cic_id` (after the ownership check) and brings it
/// to `desired`: a state PATCH of its own, then what differs.
fn restore(
    ctx: &mut Ctx,
    cic_id: &str,
    desired: &DesiredUser,
    found: GcUser,
    owner_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Applied, SyncError> {
    check_owner(&found, cic_id, owner_of, &desired.email)?;
    log::debug!(
        "user {cic_id}: the email belongs to soft-deleted Genesys user {}; restoring it \
         instead of creating another",
        found.id
    );
    let u = set_state(ctx, found, "active", true)?;
    let u = reconcile(ctx, desired, u)?;
    log::info!(
        "restored soft-deleted Genesys user {} for CIC user {cic_id}",
        u.id
    );
    Ok(Applied {
        restored: true,
        ..Applied::new(u, Origin::Restored, desired)
    })
}

/// The message for an email Genesys says is taken while gcsync cannot find its holder.
fn holder_not_visible(email: &str) -> SyncError {
    SyncError::Transient(format!(
        "business email {email} already belongs to a Genesys Cloud user gcsync cannot see yet \
         (search index lag, or a division the OAuth client cannot read); will retry"
    ))
}

/// A create refused because of `division_id` (the one setting the create body carries) names the
/// setting; any other failure stays as it is.
fn division_error(settings: &Settings, e: ApiError) -> SyncError {
    match (&settings.division_id, &e) {
        (
            Some(id),
            ApiError::Status {
                status: 400 | 404,
                message,
                ..
            },
        ) if message.to_ascii_lowercase().contains("division") => SyncError::NeedsAdmin(format!(
            "setting division_id={id} is not a division this OAuth client can create users \
                 in ({e}); set it to an existing division's id (Genesys Cloud Admin > Divisions) \
                 or leave it unset for the home division"
        )),
        _ => e.into(),
    }
}

/// What applying the removal policy did in Genesys Cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// The user was active and is now inactive.
    Deactivated,
    /// The user was inactive already: nothing was sent.
    AlreadyInactive,
    /// The user was soft-deleted.
    Deleted,
    /// The user no longer existed (or was deleted already): nothing was changed.
    AlreadyGone,
}

impl Removed {
    /// A sentence for the log: what happened, not what was intended.
    pub fn describe(self) -> &'static str {
        match self {
            Removed::Deactivated => "deactivated",
            Removed::AlreadyInactive => "was inactive already; nothing to change",
            Removed::Deleted => "deleted (soft delete)",
            Removed::AlreadyGone => "no longer exists in Genesys Cloud; nothing to change",
        }
    }
}

/// Applies the removal policy to a linked Genesys user. A user that is already gone (or already
/// in the target state) counts as done; the answer says which.
pub fn remove(ctx: &mut Ctx, genesys_id: &str) -> Result<Removed, SyncError> {
    match ctx.settings.user_removal_policy {
        RemovalPolicy::Deactivate => match users::get(ctx.client, genesys_id, false)? {
            None => Ok(Removed::AlreadyGone),
            // Whether a plain GET of a deleted user is 404 is UNCONFIRMED (API-FACTS §2): one
            // that answers the user must not have it un-deleted by a `state: inactive` PATCH.
            Some(u) if u.state() == "deleted" => Ok(Removed::AlreadyGone),
            Some(u) if u.state() == "inactive" => Ok(Removed::AlreadyInactive),
            Some(u) => set_state(ctx, u, "inactive", false).map(|_| Removed::Deactivated),
        },
        RemovalPolicy::Delete => match users::delete(ctx.client, genesys_id) {
            Ok(()) => Ok(Removed::Deleted),
            Err(e) if e.status() == Some(404) => Ok(Removed::AlreadyGone),
            Err(e) => Err(e.into()),
        },
    }
}

/// How long after a create intent a user that cannot be found is still looked for (search
/// results lag writes by seconds); after that the create is taken never to have happened.
pub const INTENT_SEARCH_WINDOW_S: u64 = 900;

/// Finds the Genesys user a create intent may have produced before a restart. `Ok(None)` means
/// the create never happened; while the intent is recent, not finding it is a transient error
/// (the search index may not show it yet).
pub fn find_created(ctx: &mut Ctx, intent: &Intent) -> Result<Option<String>, SyncError> {
    if let Some(u) = users::search_by_email(ctx.client, &intent.email, None)?
        .into_iter()
        .next()
    {
        return Ok(Some(u.id));
    }
    if crate::clock::unix_now() < intent.at + INTENT_SEARCH_WINDOW_S {
        return Err(SyncError::Transient(format!(
            "looking for the Genesys user created for {} before a restart (not found yet); will retry",
            intent.email
        )));
    }
    Ok(None)
}
