//! Which failures of a bulk call are its items' fault. A 400 is the items' (bad input), a 409
//! too (a conflict with what the object holds, e.g. a member added twice). A 404 may
//! name the object the call is on (a queue, a user) or one of its items (a user, a code, a skill
//! that no longer exists): which one Genesys answers is not documented. So on the first 404 the
//! object is read once; while it exists, a 404 is the items' too, and `batch::run_bulk` splits
//! it out while the others are applied.

use crate::genesys::ApiError;
use std::cell::RefCell;

/// The check for one bulk step on one object.
pub(super) struct ItemFaults<'a> {
    /// The object, for the log (`queue 5f…`).
    object: String,
    /// Reads whether the object exists.
    read_object: Box<dyn Fn() -> Result<bool, ApiError> + 'a>,
    /// The object read, once: whether it exists, or why the read failed.
    read: RefCell<Option<Result<bool, ApiError>>>,
}

impl<'a> ItemFaults<'a> {
    /// `object` names it for the log; `read_object` says whether it exists (read at most once).
    pub(super) fn new(
        object: String,
        read_object: impl Fn() -> Result<bool, ApiError> + 'a,
    ) -> ItemFaults<'a> {
        ItemFaults {
            object,
            read_object: Box::new(read_object),
            read: RefCell::new(None),
        }
    }

    /// Whether `e` is the items' fault (see the module docs).
    pub(super) fn is_item_fault(&self, e: &ApiError) -> bool {
        match e.status() {
            Some(400 | 409) => true,
            Some(404) => matches!(self.object_read(), Ok(true)),
            _ => false,
        }
    }

    /// Whether the object exists, read once (a failed read is returned, never taken for an
    /// answer).
    pub(super) fn object_read(&self) -> Result<bool, ApiError> {
        let mut read = self.read.borrow_mut();
        read.get_or_insert_with(|| {
            let r = (self.read_object)();
            if let Ok(true) = r {
                log::debug!("{}: a 404 from a bulk call names an item", self.object);
            }
            r
        })
        .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn status(status: u16) -> ApiError {
        ApiError::for_test(status, "", "")
    }

    #[test]
    fn a_404_is_the_items_only_while_the_object_exists_and_the_object_is_read_once() {
        let reads = Cell::new(0);
        let there = ItemFaults::new("queue q".into(), || {
            reads.set(reads.get() + 1);
            Ok(true)
        });
        assert!(there.is_item_fault(&status(400)));
        assert_eq!(reads.get(), 0, "a 400 needs no read");
        assert!(there.is_item_fault(&status(404)));
        assert!(there.is_item_fault(&status(404)));
        assert_eq!(reads.get(), 1);
        assert!(there.is_item_fault(&status(409)));
        assert!(!there.is_item_fault(&status(503)));
        assert!(!there.is_item_fault(&status(403)));

        let gone = ItemFaults::new("queue q".into(), || Ok(false));
        assert!(!gone.is_item_fault(&status(404)));
        assert_eq!(gone.object_read(), Ok(false));
        let unknown = ItemFaults::new("queue q".into(), || Err(status(503)));
        assert!(!unknown.is_item_fault(&status(404)));
        assert_eq!(unknown.object_read(), Err(status(503)));
    }
}
