//! Accepted changes on their way to the store, already encoded: the writer encodes each change
//! it takes from the queue into one buffer it reuses from batch to batch, and lets go of the
//! change itself at once.
//!
//! Why: a commit of a large batch takes tens of milliseconds, and during a flood the hooks
//! replace nearly every object's waiting change meanwhile. A batch that held the decoded changes
//! (a shared CIC object of a dozen allocations each) kept every replaced one alive until its
//! commit ended: twice the changes at the heap's peak, freed afterwards into memory malloc keeps
//! (issue 5's outage RSS). Encoded, a replaced change is freed when the hook replaces it, and
//! the batch is one buffer of text.
//!
//! A batch is bounded ([`Bound`]: at most 1 000 changes and 512 KB of text by default): a flood's
//! backlog is written in chunks, so the text a commit in flight holds is bounded too (a
//! 10 000-row commit held about 4 MB). A change taken from the queue that would carry the text
//! past the bound waits in [`Intake`], still decoded, and opens the next chunk (so do the others
//! taken with it: at most a chunk's count).

use super::codec;
use crate::object::ObjectKey;
use crate::queue::{Change, Unsaved};
use std::collections::VecDeque;
use std::sync::Arc;

/// How large one batch of accepted changes may grow: at most `rows` changes, and text of at most
/// `bytes` (a single change larger than that makes a chunk of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// Changes.
    pub rows: usize,
    /// Bytes of encoded text.
    pub bytes: usize,
}

impl Bound {
    /// The writer's bound: 1 000 changes or 512 KB, whichever comes first.
    pub const DEFAULT: Bound = Bound {
        rows: 1000,
        bytes: 512 * 1024,
    };
}

/// A change taken from the queue: key, sequence number, the sequence number of the object's
/// oldest change not taken before (for the durability watermark), and the change.
pub type Taken = (ObjectKey, u64, u64, Arc<Change>);

/// Accepted changes encoded for the store, oldest first (see the module doc).
#[derive(Default)]
pub struct Intake {
    /// Key, sequence number and where the change's text lies in `text`.
    rows: Vec<(ObjectKey, u64, std::ops::Range<usize>)>,
    text: Vec<u8>,
    /// Changes whose encoding failed, kept decoded: the commit encodes them again and fails
    /// with the error, so they are retried and never dropped.
    unencodable: Vec<Unsaved>,
    /// Changes taken from the queue that did not fit in this batch: they open the next one.
    held: VecDeque<Taken>,
}

impl Intake {
    /// Encodes `changes` (oldest first) and lets go of them, whatever their size.
    pub fn extend(&mut self, changes: Vec<Unsaved>) {
        self.rows.reserve(changes.len());
        for (key, seq, change) in changes {
            self.push(key, seq, change);
        }
    }

    /// Encodes one change and lets go of it.
    pub fn push(&mut self, key: ObjectKey, seq: u64, change: Arc<Change>) {
        let _ = self.push_within(key, seq, change, usize::MAX);
    }

    /// Encodes one change unless that would carry a batch holding changes already past `bytes`
    /// of text: then the change is handed back, untouched.
    fn push_within(
        &mut self,
        key: ObjectKey,
        seq: u64,
        change: Arc<Change>,
        bytes: usize,
    ) -> Result<(), (ObjectKey, u64, Arc<Change>)> {
        let start = self.text.len();
        match codec::encode_change_into(&change, &mut self.text) {
            Ok(()) if self.text.len() > bytes && !self.is_empty() => {
                self.text.truncate(start);
                Err((key, seq, change))
            }
            Ok(()) => {
                self.rows.push((key, seq, start..self.text.len()));
                Ok(())
            }
            Err(_) => {
                self.text.truncate(start);
                self.unencodable.push((key, seq, change));
                Ok(())
            }
        }
    }

    /// Fills the batch up to `bound` from the changes held over from the last batch and then
    /// from `take`, which moves some of the queue's oldest changes (at most the count it is
    /// given: the room left) into the deque; encoding happens after it returns. Returns the
    /// first-change sequence number of the oldest change taken but not in the batch, if any.
    pub fn fill(
        &mut self,
        bound: Bound,
        mut take: impl FnMut(usize, &mut VecDeque<Taken>),
    ) -> Option<u64> {
        while self.len() < bound.rows {
            if self.held.is_empty() {
                take(bound.rows - self.len(), &mut self.held);
            }
            let Some((key, seq, first, change)) = self.held.pop_front() else {
                break;
            };
            if let Err((key, seq, change)) = self.push_within(key, seq, change, bound.bytes) {
                self.held.push_front((key, seq, first, change));
                break;
            }
        }
        self.held.front().map(|h| h.2)
    }

    /// Whether changes taken from the queue wait for the next batch.
    pub fn has_held(&self) -> bool {
        !self.held.is_empty()
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.unencodable.is_empty()
    }

    /// How many changes there are to write.
    pub fn len(&self) -> usize {
        self.rows.len() + self.unencodable.len()
    }

    /// Bytes of encoded text to write.
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    /// Every change's key, sequence number and stored text, in the order pushed.
    pub fn rows(&self) -> impl Iterator<Item = (&ObjectKey, u64, &[u8])> {
        self.rows
            .iter()
            .map(|(key, seq, at)| (key, *seq, &self.text[at.clone()]))
    }

    /// The changes whose encoding failed.
    pub(super) fn unencodable(&self) -> &[Unsaved] {
        &self.unencodable
    }

    /// Empties it once committed (what is held for the next batch stays). While `more` changes
    /// wait, it keeps room for a batch like this one (not for the largest ever seen); once none
    /// waits, only a little.
    pub fn clear(&mut self, more: bool) {
        let (rows, bytes) = match more {
            true => (self.rows.len(), self.text.len()),
            false => (0, 0),
        };
        self.rows.clear();
        self.text.clear();
        self.unencodable.clear();
        if self.text.capacity() > 4 * bytes.max(16 * 1024) {
            self.text.shrink_to(bytes);
        }
        if self.rows.capacity() > 4 * rows.max(256) {
            self.rows.shrink_to(rows);
        }
    }
}

impl From<Vec<Unsaved>> for Intake {
    fn from(changes: Vec<Unsaved>) -> Intake {
        let mut intake = Intake::default();
        intake.extend(changes);
        intake
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cic::CicUser;
    use crate::kinds::CicObject;

    fn upsert(id: &str, force: bool) -> Arc<Change> {
        let user = serde_json::json!({"id": id, "business_email": format!("{id}@example.com")});
        Arc::new(Change::Upsert {
            object: CicObject::User(serde_json::from_value::<CicUser>(user).unwrap()),
            force,
        })
    }

    #[test]
    fn each_change_is_kept_as_its_stored_text_in_order_and_let_go_of() {
        let changes = [
            upsert("a", false),
            upsert("b", true),
            Arc::new(Change::Remove),
        ];
        let mut intake = Intake::default();
        for (n, c) in changes.iter().enumerate() {
            intake.push(ObjectKey::user(format!("u{n}")), n as u64 + 7, c.clone());
        }
        // The intake holds no reference to a change: a hook replacing it frees it at once.
        assert!(changes.iter().all(|c| Arc::strong_count(c) == 1));
        let rows: Vec<_> = intake.rows().collect();
        assert_eq!(rows.len(), 3);
        for (n, (key, seq, text)) in rows.into_iter().enumerate() {
            assert_eq!(key, &ObjectKey::user(format!("u{n}")));
            assert_eq!(seq, n as u64 + 7);
            let want = codec::encode_change(&changes[n]).unwrap();
            assert_eq!(std::str::from_utf8(text).unwrap(), want);
            let kind = crate::object::GcsyncObjectKind::User;
            assert_eq!(codec::decode_change(kind, &want).as_ref(), Ok(&*changes[n]));
        }
        assert_eq!(intake.len(), 3);
        assert!(intake.unencodable().is_empty());
    }

    #[test]
    fn a_flood_s_buffer_is_kept_while_more_wait_and_let_go_when_none_does() {
        let mut intake = Intake::default();
        let fill = |intake: &mut Intake| {
            let v = (0..2000)
                .map(|n| (ObjectKey::user(format!("u{n}")), n, upsert("x", false)))
                .collect();
            intake.extend(v);
            intake.text.len()
        };
        let bytes = fill(&mut intake);
        assert!(bytes > 100_000, "{bytes}");
        intake.clear(true);
        assert!(intake.is_empty());
        assert!(intake.text.capacity() >= bytes, "room for the next batch");
        assert_eq!(fill(&mut intake), bytes);
        intake.clear(false);
        assert!(intake.is_empty());
        assert!(
            intake.text.capacity() < 16 * 1024,
            "{}",
            intake.text.capacity()
        );
        assert!(intake.rows.capacity() < 1024, "{}", intake.rows.capacity());
    }
}
