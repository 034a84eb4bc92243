//! A forced check of linked users in bulk: read 100 users a call by id and compare each with
//! what it should be, writing nothing.

use super::{reconcile, Ctx, Known, SyncError};
use crate::diff::user_patch;
use crate::genesys::users::{self, GcUser, IDS_PER_CALL};
use crate::genesys::{ApiError, Client};
use crate::mapping::DesiredUser;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What a verified user needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// It holds what it should and is active: nothing to do. `known` is what to store.
    Unchanged {
        /// Its version and kept contacts as read.
        known: Known,
    },
    /// It differs: `body` (the `UpdateUser` fields to send, without `version`; `None` when only
    /// the state differs) and, when it is inactive, a state PATCH first. [`fix_verified`]
    /// applies it.
    PatchNeeded {
        /// The user as read (its `version` is the one to send).
        current: GcUser,
        /// The fields that differ, as [`crate::diff::user_patch`] builds them.
        body: Option<Map<String, Value>>,
        /// It is inactive and must be made active (its own PATCH).
        reactivate: bool,
    },
    /// It is not in the org as an active or inactive user: `deleted` holds it when it is
    /// soft-deleted (restore it), `None` when it does not exist at all (create it again).
    Missing {
        /// The soft-deleted user, when it is one.
        deleted: Option<GcUser>,
    },
}

/// Reads the linked users `users` (Genesys id, desired state) by id, [`IDS_PER_CALL`] a call
/// (`GET /api/v2/users?id=…&state=any`: current, deleted users included), and returns one
/// [`Verdict`] per user, in order. Writes nothing: a check of N unchanged users costs ⌈N/100⌉
/// calls. A failed read fails the whole check (nothing is concluded from a read that failed).
pub fn verify_users(
    client: &Client,
    users: &[(&str, &DesiredUser)],
) -> Result<Vec<Verdict>, ApiError> {
    let mut out = Vec::with_capacity(users.len());
    for chunk in users.chunks(IDS_PER_CALL) {
        let ids: Vec<&str> = chunk.iter().map(|(id, _)| *id).collect();
        let mut read: HashMap<String, GcUser> = users::get_by_ids(client, &ids)?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        out.extend(
            chunk
                .iter()
                .map(|(id, desired)| verdict(desired, read.remove(*id))),
        );
    }
    Ok(out)
}

/// The verdict for one user read (or not found) against what it should be. Pure.
pub fn verdict(desired: &DesiredUser, read: Option<GcUser>) -> Verdict {
    let Some(user) = read else {
        return Verdict::Missing { deleted: None };
    };
    match user.state() {
        "deleted" => Verdict::Missing {
            deleted: Some(user),
        },
        state => {
            let body = user_patch(desired, &user);
            let reactivate = state != "active";
            if body.is_none() && !reactivate {
                return Verdict::Unchanged {
                    known: Known::of(desired, &user),
                };
            }
            Verdict::PatchNeeded {
                current: user,
                body,
                reactivate,
            }
        }
    }
}

/// Applies a [`Verdict::PatchNeeded`]: the state PATCH when inactive, then the fields that
/// differ, with the version read (one call each; a version conflict re-reads and retries as
/// every update does). Returns what to store. Other verdicts need no PATCH: `Unchanged` returns
/// its `known`, `Missing` is an error (restore or re-create through [`super::sync_user`]).
pub fn fix_verified(
    ctx: &mut Ctx,
    desired: &DesiredUser,
    verdict: Verdict,
) -> Result<Known, SyncError> {
    match verdict {
        Verdict::Unchanged { known } => Ok(known),
        Verdict::PatchNeeded { current, .. } => {
            let u = reconcile(ctx, desired, current)?;
            Ok(Known::of(desired, &u))
        }
        Verdict::Missing { .. } => Err(SyncError::Transient(
            "the Genesys user is no longer in the org; sync it again to restore or re-create it"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::desired;

    fn read(state: &str, name: &str) -> GcUser {
        let mut u = crate::diff::as_last_applied("g1", &desired(), &[], 7);
        u.state = Some(state.into());
        u.name = Some(name.into());
        u
    }

    #[test]
    fn verdicts_follow_the_diff_and_the_state() {
        let d = desired();
        assert_eq!(
            verdict(&d, Some(read("active", "Jane"))),
            Verdict::Unchanged {
                known: Known {
                    version: 7,
                    kept: vec![],
                    unsure: false,
                }
            }
        );
        let Verdict::PatchNeeded {
            current,
            body,
            reactivate,
        } = verdict(&d, Some(read("active", "Old")))
        else {
            panic!("a changed name needs a patch")
        };
        assert_eq!(current.version, 7);
        assert_eq!(body.unwrap().keys().collect::<Vec<_>>(), vec!["name"]);
        assert!(!reactivate);
        assert!(matches!(
            verdict(&d, Some(read("inactive", "Jane"))),
            Verdict::PatchNeeded {
                body: None,
                reactivate: true,
                ..
            }
        ));
        assert!(matches!(
            verdict(&d, Some(read("deleted", "Jane"))),
            Verdict::Missing { deleted: Some(u) } if u.id == "g1"
        ));
        assert_eq!(verdict(&d, None), Verdict::Missing { deleted: None });
    }
}
