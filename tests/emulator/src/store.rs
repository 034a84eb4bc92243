//! A store of named routing objects (queues, skills, languages, wrap-up codes) with the
//! eventually consistent view their paged lists give: a list lags `object_list_lag_ms` behind
//! the writes (a new object is missing, a changed or removed one shows as it was), while GET by
//! id reads the live record.

use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What the store needs from a record.
pub trait Record: Clone {
    /// The GUID.
    fn id(&self) -> &str;
    /// The name (unique per kind among live objects).
    fn name(&self) -> &str;
    /// The JSON a GET returns.
    fn to_json(&self) -> Value;
}

/// One stored object. `removed` marks a hard-deleted one (queues, wrap-up codes): kept as a
/// tombstone so a lagging list can still show it.
struct Slot<T> {
    rec: T,
    removed: bool,
    /// Recent changes, oldest first: when, and the JSON before (`None`: did not exist yet).
    trail: Vec<(Instant, Option<Value>)>,
}

/// Objects of one kind, in creation order.
pub struct Store<T> {
    slots: Vec<Slot<T>>,
    by_id: HashMap<String, usize>,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store {
            slots: Vec::new(),
            by_id: HashMap::new(),
        }
    }
}

impl<T: Record> Store<T> {
    /// Add a record (its creation is always remembered, so a lag set right after still hides it).
    pub fn insert(&mut self, rec: T) {
        self.by_id.insert(rec.id().to_string(), self.slots.len());
        self.slots.push(Slot {
            rec,
            removed: false,
            trail: vec![(Instant::now(), None)],
        });
    }

    /// A live (not hard-deleted) record by id.
    pub fn get(&self, id: &str) -> Option<&T> {
        let s = &self.slots[*self.by_id.get(id)?];
        (!s.removed).then_some(&s.rec)
    }

    /// A live record to change; the change is remembered for lagging lists while `keep` > 0.
    pub fn get_mut(&mut self, id: &str, keep: Duration) -> Option<&mut T> {
        let s = &mut self.slots[*self.by_id.get(id)?];
        if s.removed {
            return None;
        }
        Self::remember(s, keep);
        Some(&mut s.rec)
    }

    fn remember(s: &mut Slot<T>, keep: Duration) {
        s.trail.retain(|(at, _)| at.elapsed() < keep);
        if !keep.is_zero() {
            s.trail.push((Instant::now(), Some(s.rec.to_json())));
        }
    }

    /// Hard-delete a live record (a lagging list still shows it for `keep`). Returns it.
    pub fn remove(&mut self, id: &str, keep: Duration) -> Option<T> {
        let s = &mut self.slots[*self.by_id.get(id)?];
        if s.removed {
            return None;
        }
        Self::remember(s, keep);
        s.removed = true;
        Some(s.rec.clone())
    }

    /// Live records in creation order.
    pub fn live(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter(|s| !s.removed).map(|s| &s.rec)
    }

    /// A live record whose name equals `name`, ignoring case, other than `except`, that `also`
    /// accepts (e.g. not soft-deleted).
    pub fn named(&self, name: &str, except: &str, also: impl Fn(&T) -> bool) -> Option<&T> {
        let n = name.to_lowercase();
        self.live()
            .find(|r| r.id() != except && r.name().to_lowercase() == n && also(r))
    }

    /// Every object as a list lagging `lag` behind the writes sees it.
    pub fn listed(&self, lag: Duration) -> Vec<Value> {
        self.slots
            .iter()
            .filter_map(|s| {
                let in_window = s.trail.iter().find(|(at, _)| at.elapsed() < lag);
                match in_window {
                    Some((_, before)) => before.clone(),
                    None if s.removed => None,
                    None => Some(s.rec.to_json()),
                }
            })
            .collect()
    }

    /// What a paged list shows before paging: with `ids`, those objects as they are now (id
    /// look-ups are read-after-write); otherwise every object as a list lagging `lag` sees it.
    /// Then the `name` filter (never exact, see [`crate::paging::name_matches`]).
    pub fn view(&self, ids: &[&str], lag: Duration, name: Option<&str>) -> Vec<Value> {
        let mut all: Vec<Value> = if ids.is_empty() {
            self.listed(lag)
        } else {
            let live = self.live().filter(|r| ids.contains(&r.id()));
            live.map(Record::to_json).collect()
        };
        if let Some(f) = name {
            all.retain(|r| crate::paging::name_matches(f, r["name"].as_str().unwrap_or("")));
        }
        all
    }
}
