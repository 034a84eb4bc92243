//! Hooks and queries racing init and shutdown from other threads: each call either runs on a
//! live instance (and succeeds) or gets NotInitialized / ShutDown; none sees a half-torn-down
//! instance (hooks and quick queries borrow it without a reference count: `runtime/current.rs`;
//! under ASan this is also the use-after-free check).

mod common;

use common::*;
use gcsync::result::GcsyncResult;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn hooks_and_queries_racing_init_and_shutdown_get_a_live_instance_or_a_clear_code() {
    let w = World::new();
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let callers: Vec<_> = (0..4)
        .map(|t| {
            let (stop, ok, refused) = (stop.clone(), ok.clone(), refused.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let id = format!("r{t}-{}", i % 50);
                    let u = cic_user(&id, "Racer", Some(&format!("{id}@example.com")));
                    let codes = [
                        user_changed(&u),
                        read_text(|b, l, o| unsafe { gcsync::ffi::gcsync_overview(b, l, o) })
                            .err()
                            .unwrap_or(GcsyncResult::Ok),
                        read_text(|b, l, o| unsafe {
                            gcsync::ffi::gcsync_object_status(
                                gcsync::object::GcsyncObjectKind::User as u32,
                                id.as_ptr().cast(),
                                id.len(),
                                b,
                                l,
                                o,
                            )
                        })
                        .err()
                        .unwrap_or(GcsyncResult::Ok),
                    ];
                    for code in codes {
                        match code {
                            GcsyncResult::Ok => ok.fetch_add(1, Ordering::Relaxed),
                            GcsyncResult::NotInitialized | GcsyncResult::ShutDown => {
                                refused.fetch_add(1, Ordering::Relaxed)
                            }
                            other => panic!("a call racing init/shutdown returned {other:?}"),
                        };
                    }
                }
            })
        })
        .collect();
    for _ in 0..20 {
        w.start();
        std::thread::sleep(std::time::Duration::from_millis(3));
        let code = gcsync::ffi::gcsync_shutdown(20);
        assert!(
            matches!(code, GcsyncResult::Ok | GcsyncResult::ShutdownTimedOut),
            "shutdown: {code:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    callers.into_iter().for_each(|c| c.join().unwrap());
    assert!(
        ok.load(Ordering::Relaxed) > 0,
        "some calls ran on a live instance"
    );
    assert!(
        refused.load(Ordering::Relaxed) > 0,
        "some fell between lives"
    );
    // The instance the last start makes is whole: what was accepted is there.
    w.start();
    assert_eq!(overview()["worker_alive"], true);
}
