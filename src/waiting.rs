//! Objects that wait for other objects: a queue member for its user, a user's skill for the
//! skill, a presence for its user. A waiting object is registered here with what it needs; when
//! a needed object reaches Synced (linked in Genesys Cloud), its waiters are queued again at once
//! — no polling. Kept in memory only: after a restart every unfinished object is queued anyway
//! and registers again when it is processed.

use crate::object::ObjectKey;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Needed object → the objects waiting for it.
#[derive(Default)]
pub struct Waiting {
    by_needed: Mutex<HashMap<ObjectKey, BTreeSet<ObjectKey>>>,
}

impl Waiting {
    /// Records that `waiter` waits for each of `needed`.
    pub fn wait(&self, waiter: &ObjectKey, needed: &[ObjectKey]) {
        let mut g = self.by_needed.lock().unwrap_or_else(|p| p.into_inner());
        for n in needed {
            g.entry(n.clone()).or_default().insert(waiter.clone());
        }
    }

    /// `needed` is ready: returns (and forgets) the objects that waited for it.
    pub fn ready(&self, needed: &ObjectKey) -> Vec<ObjectKey> {
        let mut g = self.by_needed.lock().unwrap_or_else(|p| p.into_inner());
        g.remove(needed)
            .map(|w| w.into_iter().collect())
            .unwrap_or_default()
    }

    /// The objects waiting for `needed` (they keep waiting).
    pub fn waiting_for(&self, needed: &ObjectKey) -> Vec<ObjectKey> {
        let g = self.by_needed.lock().unwrap_or_else(|p| p.into_inner());
        g.get(needed)
            .map(|w| w.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many objects wait for `needed`.
    pub fn waiters(&self, needed: &ObjectKey) -> usize {
        let g = self.by_needed.lock().unwrap_or_else(|p| p.into_inner());
        g.get(needed).map_or(0, BTreeSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_released_once_when_what_they_need_is_ready() {
        let w = Waiting::default();
        let (a, b, u1, u2) = (
            ObjectKey::user("wg-a"),
            ObjectKey::user("wg-b"),
            ObjectKey::user("u1"),
            ObjectKey::user("u2"),
        );
        w.wait(&a, &[u1.clone(), u2.clone()]);
        w.wait(&b, std::slice::from_ref(&u1));
        w.wait(&b, std::slice::from_ref(&u1));
        assert_eq!(w.waiters(&u1), 2);
        assert_eq!(w.waiting_for(&u1), vec![a.clone(), b.clone()]);
        assert_eq!(w.ready(&u1), vec![a.clone(), b.clone()]);
        assert!(w.ready(&u1).is_empty(), "released once");
        assert_eq!(w.ready(&u2), vec![a]);
        assert_eq!(w.waiters(&u2), 0);
    }
}
