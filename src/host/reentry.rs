//! The mark that says "this thread is inside a host callback": every call into the host goes
//! through [`call_host`], and the exports that must not run there ask [`refuse_in_callback`].

use crate::result::{Failure, GcsyncResult};
use std::cell::Cell;

thread_local! {
    /// The callback this thread is inside of (`None` outside any).
    static IN_CALLBACK: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Runs `f`, a call into the host's callback `name`, with this thread marked as inside it. The
/// previous mark comes back afterwards, also on unwinding, so nested callbacks (a query from
/// inside `status_changed` that logs) keep the thread marked until the outermost one returns.
pub fn call_host<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<&'static str>);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_CALLBACK.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(IN_CALLBACK.with(|c| c.replace(Some(name))));
    f()
}

/// The host callback this thread is inside of, if any.
pub fn current_callback() -> Option<&'static str> {
    IN_CALLBACK.with(Cell::get)
}

/// Fails with `GCSYNC_RESULT_CALLED_FROM_CALLBACK` when this thread is inside a host callback.
/// Every export that may block, reconfigure, change the lifecycle or queue work calls it first
/// (`ffi_boundary!(guarded: ...)`).
pub fn refuse_in_callback() -> Result<(), Failure> {
    match current_callback() {
        None => Ok(()),
        Some(name) => Err(Failure::new(
            GcsyncResult::CalledFromCallback,
            format!(
                "called from inside the host's {name} callback: there only the query functions, \
                 gcsync_result_message, gcsync_last_error_message and gcsync_abi_version may be \
                 called; call it from a host thread after the callback has returned"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_mark_nests_and_is_restored() {
        assert!(refuse_in_callback().is_ok());
        call_host("status_changed", || {
            call_host("log", || {
                let f = refuse_in_callback().unwrap_err();
                assert_eq!(f.code, GcsyncResult::CalledFromCallback);
                assert!(f.message.contains("log callback"), "{}", f.message);
            });
            let f = refuse_in_callback().unwrap_err();
            assert!(f.message.contains("status_changed"), "{}", f.message);
        });
        assert!(refuse_in_callback().is_ok());
        let r = std::panic::catch_unwind(|| call_host("log", || panic!("host unwound")));
        assert!(r.is_err());
        assert!(refuse_in_callback().is_ok(), "cleared on unwinding too");
    }
}
