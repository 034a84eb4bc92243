//! The org's users read once, by email: for an initial sync into an org that already has people,
//! where matching each new user on a conflict would cost a POST and a search per existing user.

use crate::genesys::users::{self, GcUser, LIST_PAGE_SIZE};
use crate::genesys::{ApiError, Client};
use crate::mapping::email_key;
use std::collections::HashMap;

/// The listing of inactive users stops with a 400 past this many results (API-FACTS §2).
const INACTIVE_LISTING_CAP: u64 = 10_000;

/// The org's active and inactive users keyed by email (compared as
/// [`crate::mapping::same_email`] does), each with its `version` and the fields the diff needs
/// (name, email, state, addresses: all in the listing, so no expansion and no per-user GET).
/// Deleted users are not read: a create of one's email conflicts and finds it then.
///
/// Entries go stale (the listing lags writes, and users change after it is read): that is safe.
/// A PATCH with a stale version gets 409 and re-reads the user by id; an email the index misses
/// is POSTed and its conflict finds the holder.
#[derive(Debug, Clone, Default)]
pub struct OrgIndex {
    by_email: HashMap<String, GcUser>,
    calls: usize,
    complete: bool,
    /// Whether it holds a user gcsync does not own ([`OrgIndex::mark_owned`]).
    unowned: bool,
}

impl OrgIndex {
    /// Reads every active, then every inactive user in pages of [`LIST_PAGE_SIZE`]
    /// (`GET /api/v2/users?pageSize=500&pageNumber=n&state=…`): ⌈active/500⌉ + ⌈inactive/500⌉
    /// calls, at least one per state. Past the 10 000 inactive users Genesys lists, the index is
    /// left incomplete (see [`OrgIndex::is_complete`]) rather than failing.
    pub fn read(client: &Client) -> Result<OrgIndex, ApiError> {
        let mut index = OrgIndex {
            complete: true,
            unowned: true,
            ..OrgIndex::default()
        };
        for state in ["active", "inactive"] {
            let mut page = 1u64;
            // A server that does not move on (`pageNumber` ignored) fails the read, as
            // `paging::RepeatGuard` does for the other listings.
            let mut previous: Option<Vec<GcUser>> = None;
            loop {
                let capped =
                    state == "inactive" && page * LIST_PAGE_SIZE as u64 > INACTIVE_LISTING_CAP;
                if capped {
                    log::warn!(
                        "the org has more than {INACTIVE_LISTING_CAP} inactive users, more than \
                         Genesys Cloud lists; the others are matched when a create conflicts"
                    );
                    index.complete = false;
                    break;
                }
                let p = users::list_page(client, state, page, LIST_PAGE_SIZE)?;
                index.calls += 1;
                if !p.users.is_empty() && previous.as_ref() == Some(&p.users) {
                    return Err(repeated(state, page));
                }
                previous = Some(p.users.clone());
                let last = p.last;
                index.extend(p.users);
                if last {
                    break;
                }
                page += 1;
            }
        }
        log::info!(
            "read the org's users: {} active or inactive in {} calls",
            index.len(),
            index.calls
        );
        Ok(index)
    }

    /// An index of `users` (tests, or users read some other way). Deleted users are skipped;
    /// of two users with one email the first is kept.
    pub fn from_users(users: impl IntoIterator<Item = GcUser>) -> OrgIndex {
        let mut index = OrgIndex {
            complete: true,
            unowned: true,
            ..OrgIndex::default()
        };
        index.extend(users);
        index
    }

    fn extend(&mut self, users: impl IntoIterator<Item = GcUser>) {
        for u in users {
            if u.state() == "deleted" {
                continue;
            }
            if let Some(key) = u.email.as_deref().map(email_key) {
                self.by_email.entry(key).or_insert(u);
            }
        }
    }

    /// The user holding `email` when the index was read, if any. No call.
    pub fn get(&self, email: &str) -> Option<&GcUser> {
        self.by_email.get(&email_key(email))
    }

    /// How many users it holds.
    pub fn len(&self) -> usize {
        self.by_email.len()
    }

    /// Whether it holds no user.
    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty()
    }

    /// How many API calls reading it took.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// False when Genesys would not list every user (more than 10 000 inactive ones).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Records which of its users gcsync owns (`owned(genesys id)`), once after reading: a user
    /// can only be found by its external id among users gcsync does not own, so with none of
    /// those a new user needs no lookup.
    pub fn mark_owned(&mut self, owned: &dyn Fn(&str) -> bool) {
        self.unowned = self.by_email.values().any(|u| !owned(&u.id));
    }

    /// Whether it may hold a user gcsync does not own (true unless [`OrgIndex::mark_owned`]
    /// found none).
    pub fn has_unowned(&self) -> bool {
        self.unowned
    }
}

/// The error of a users listing that answered page `page` with the users of the page before.
fn repeated(state: &str, page: u64) -> ApiError {
    ApiError::Status {
        status: 200,
        code: "gcsync.unexpected.response".into(),
        message: format!(
            "Genesys Cloud answered page {page} of the {state} users with the users of page {}; \
             the listing cannot be read to its end",
            page - 1
        ),
        correlation_id: None,
        entity_id: None,
    }
}

/// Whether to read the org's users before matching `unlinked` users waiting to be created or
/// adopted, given the `org_index_threshold` setting and the org's size when known (e.g. from an
/// earlier read). Without the index each unlinked user costs one POST, and each one the org
/// already has costs a POST, a search and the PATCH of what differs; the index costs
/// ⌈org/500⌉ + 2 listing calls and turns those into the PATCH alone. So: read it when at least
/// `threshold` users wait (0: never) and, the org's size being known, the listing costs fewer
/// calls than there are users waiting.
pub fn should_read_org(unlinked: usize, org_size: Option<usize>, threshold: u32) -> bool {
    if threshold == 0 || unlinked < threshold as usize {
        return false;
    }
    match org_size {
        Some(n) => n.div_ceil(LIST_PAGE_SIZE) + 2 < unlinked,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, email: &str, state: &str) -> GcUser {
        GcUser {
            id: id.into(),
            name: Some(id.into()),
            email: Some(email.into()),
            state: Some(state.into()),
            version: 4,
            addresses: vec![],
        }
    }

    #[test]
    fn lookups_ignore_case_and_skip_deleted_users() {
        let ix = OrgIndex::from_users([
            user("a", "Jane.Doe@Example.com", "active"),
            user("b", "bob@example.com", "inactive"),
            user("c", "gone@example.com", "deleted"),
            user("d", "JANE.DOE@example.com", "active"),
        ]);
        assert_eq!(ix.len(), 2);
        assert_eq!(ix.get("jane.doe@example.com").unwrap().id, "a");
        assert_eq!(ix.get(" JANE.DOE@EXAMPLE.COM ").unwrap().version, 4);
        assert_eq!(ix.get("bob@example.com").unwrap().state(), "inactive");
        assert!(ix.get("gone@example.com").is_none());
        assert!(ix.get("jane.doe@example.org").is_none());
        assert!(ix.is_complete());
    }

    #[test]
    fn the_org_is_read_only_when_it_pays() {
        assert!(!should_read_org(49, None, 50), "below the threshold");
        assert!(should_read_org(50, None, 50));
        assert!(!should_read_org(10_000, None, 0), "0 turns it off");
        // 100 000 users to list: 200 + 2 pages; worth it for 500 waiting, not for 150.
        assert!(should_read_org(500, Some(100_000), 50));
        assert!(!should_read_org(150, Some(100_000), 50));
        assert!(should_read_org(50, Some(0), 50));
    }
}
