//! The table's scans: pages and lists of one kind, selections by a test on the record or its
//! status, the owner of a Genesys id, the records not yet in Genesys Cloud.

use super::{ObjectTable, Record};
use crate::kinds::CicObject;
use crate::object::ObjectKey;
use crate::status::ObjectStatus;
use std::sync::Arc;

impl ObjectTable {
    /// Keys and statuses of every record of a kind, sorted by id.
    pub fn list(
        &self,
        kind: crate::object::GcsyncObjectKind,
    ) -> Vec<(ObjectKey, Arc<ObjectStatus>)> {
        self.page(kind, None, usize::MAX)
    }

    /// At most `max` records of a kind whose id sorts after `after` (all when `None`), sorted
    /// by id: one pass over the table keeping the `max` smallest, O(n log max). The statuses
    /// are the status index's (shared, not copied), looked up after the table's lock is let go.
    pub fn page(
        &self,
        kind: crate::object::GcsyncObjectKind,
        after: Option<&str>,
        max: usize,
    ) -> Vec<(ObjectKey, Arc<ObjectStatus>)> {
        let g = self.read();
        let mut best: std::collections::BinaryHeap<&ObjectKey> = Default::default();
        for k in g.keys() {
            if k.kind != kind || after.is_some_and(|a| k.id.as_str() <= a) {
                continue;
            }
            if best.len() < max {
                best.push(k);
            } else if best.peek().is_some_and(|top| k < *top) {
                best.pop();
                best.push(k);
            }
        }
        let mut keys: Vec<ObjectKey> = best.into_iter().cloned().collect();
        drop(g);
        keys.sort();
        // Every record of the table has its status in the index once it is filled (rows are
        // never removed); before, the table answers for those not in it yet.
        keys.into_iter()
            .filter_map(|k| self.indexed_status(&k).map(|s| (k, s)))
            .collect()
    }

    /// The CIC id (of `kind`) linked to a Genesys id, other than removed ones.
    pub fn owner_of(&self, kind: crate::object::GcsyncObjectKind, gid: &str) -> Option<String> {
        self.read()
            .iter()
            .find(|(k, r)| {
                k.kind == kind && r.status.genesys_id.as_deref() == Some(gid) && !r.status.removed
            })
            .map(|(k, _)| k.id.clone())
    }

    /// Copies of every record matching `pred` (records kept as text are decoded to be tested:
    /// prefer [`ObjectTable::select_kind`] when one kind is wanted).
    pub fn select(&self, pred: impl Fn(&Record) -> bool) -> Vec<(ObjectKey, Record)> {
        self.select_where(|_| true, pred)
    }

    /// [`ObjectTable::select`] among the records of one kind.
    pub fn select_kind(
        &self,
        kind: crate::object::GcsyncObjectKind,
        pred: impl Fn(&Record) -> bool,
    ) -> Vec<(ObjectKey, Record)> {
        self.select_where(|k| k.kind == kind, pred)
    }

    /// The keys of the linked objects of `kind` (a Genesys id, not removed) whose CIC data
    /// passes `pred`.
    pub fn linked_where(
        &self,
        kind: crate::object::GcsyncObjectKind,
        pred: impl Fn(&CicObject) -> bool,
    ) -> Vec<ObjectKey> {
        self.select_kind(kind, |r| {
            r.status.genesys_id.is_some()
                && !r.status.removed
                && r.source.as_deref().is_some_and(&pred)
        })
        .into_iter()
        .map(|(k, _)| k)
        .collect()
    }

    fn select_where(
        &self,
        key: impl Fn(&ObjectKey) -> bool,
        pred: impl Fn(&Record) -> bool,
    ) -> Vec<(ObjectKey, Record)> {
        // Records kept as text are copied (cheaply: the text is shared) and decoded after the
        // lock is let go, so the workers' updates do not wait for the decoding.
        let (mut out, mut texts) = (Vec::new(), Vec::new());
        for (k, r) in self.read().iter().filter(|(k, _)| key(k)) {
            match r.texts.is_some() {
                true => texts.push((k.clone(), Record::clone(r))),
                false if pred(r) => out.push((k.clone(), Record::clone(r))),
                false => {}
            }
        }
        for (k, r) in texts {
            let r = r.decoded(k.kind);
            if pred(&r) {
                out.push((k, r));
            }
        }
        out
    }

    /// Copies of the statuses matching `pred` (nothing decoded: records kept as text are not
    /// copied whole for it).
    pub fn statuses(&self, pred: impl Fn(&ObjectStatus) -> bool) -> Vec<(ObjectKey, ObjectStatus)> {
        self.read()
            .iter()
            .filter(|(_, r)| pred(&r.status))
            .map(|(k, r)| (k.clone(), r.status.clone()))
            .collect()
    }

    /// Copies of every record whose CIC state has not reached Genesys Cloud
    /// ([`Record::unfinished`], which needs nothing decoded), decoded.
    pub fn unfinished(&self) -> Vec<(ObjectKey, Record)> {
        let found: Vec<(ObjectKey, Record)> = self
            .read()
            .iter()
            .filter(|(_, r)| r.unfinished())
            .map(|(k, r)| (k.clone(), Record::clone(r)))
            .collect();
        found
            .into_iter()
            .map(|(k, r)| {
                let r = r.decoded(k.kind);
                (k, r)
            })
            .collect()
    }
}
