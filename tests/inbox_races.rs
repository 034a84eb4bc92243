//! The hooks' lock-free inbox (issue 5) through the C API: a hook racing shutdown is refused or
//! kept through a restart, a flush right after hooks covers them, and new settings never let
//! an older version of an object overtake a hook's change still in the inbox.

mod common;

use common::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

fn email(id: &str) -> String {
    format!("{id}@example.com")
}

/// Ids of the users whose accepted change is in the database.
fn saved_ids(w: &World) -> BTreeSet<String> {
    pending_in_db(w.dir.path())
        .iter()
        .map(|j| serde_json::from_str::<serde_json::Value>(j).unwrap())
        .map(|v| v["upsert"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn hooks_racing_shutdown_are_refused_or_kept_through_a_restart() {
    let w = fast_world();
    cloud_down();
    w.start();
    let started = AtomicUsize::new(0);
    let accepted: BTreeSet<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|t| {
                let started = &started;
                s.spawn(move || {
                    let mut ok = BTreeSet::new();
                    for i in 0..2000 {
                        let id = format!("t{t}u{i}");
                        match user_changed(&cic_user(&id, &id, Some(&email(&id)))) {
                            GcsyncResult::Ok => ok.insert(id),
                            GcsyncResult::ShutDown => return ok,
                            other => panic!("{id}: {other:?}"),
                        };
                        if i == 20 {
                            started.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    panic!("shutdown never refused a hook");
                })
            })
            .collect();
        while started.load(Ordering::SeqCst) < 3 {
            std::thread::yield_now();
        }
        let r = gcsync_shutdown(2_000);
        assert!(
            matches!(r, GcsyncResult::Ok | GcsyncResult::ShutdownTimedOut),
            "{r:?}"
        );
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(accepted.len() >= 60, "{} accepted", accepted.len());
    assert_eq!(saved_ids(&w), accepted, "every change told OK is saved");
    // Restart against the live emulator: each of them reaches Genesys Cloud.
    set("api_base_url", &w.emu.base_url());
    set("login_base_url", &w.emu.base_url());
    set("requests_per_minute", "100000");
    w.start();
    assert_eq!(gcsync_wait_settled(120_000), GcsyncResult::Ok);
    let synced: BTreeSet<String> = w
        .emu
        .users()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .map(|e| e.trim_end_matches("@example.com").to_string())
        .collect();
    assert_eq!(synced, accepted, "exactly the accepted users exist");
}

#[test]
fn a_flush_right_after_hooks_covers_every_one_of_them() {
    let w = World::new();
    cloud_down();
    w.start();
    for round in 0..5 {
        let ids: Vec<String> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..2)
                .map(|t| {
                    s.spawn(move || {
                        (0..50)
                            .map(|i| {
                                let id = format!("r{round}t{t}u{i}");
                                let json = cic_user(&id, &id, Some(&email(&id)));
                                assert_eq!(user_changed(&json), GcsyncResult::Ok);
                                id
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        // No pause: some of them may still wait in the inbox.
        assert_eq!(flush(), GcsyncResult::Ok, "{}", last_error());
        let saved = saved_ids(&w);
        let missing: Vec<&String> = ids.iter().filter(|id| !saved.contains(*id)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: not durable: {missing:?}"
        );
    }
}

#[test]
fn new_settings_never_let_an_older_version_overtake_a_hook_s_change() {
    for round in 0..5 {
        let w = World::new();
        set("client_secret", "wrong-secret-value");
        w.start();
        let id = format!("c{round}");
        let json = |name: &str| cic_user(&id, name, Some(&email(&id)));
        assert_eq!(user_changed(&json("Old")), GcsyncResult::Ok);
        wait_idle();
        assert_eq!(status(&id)["state"], "Error", "{}", status(&id));
        // The newer version, then at once the fix: the settings change queues every object in
        // Error again with what the object table holds ("Old"); the hook's change, perhaps still
        // in the inbox, must win.
        assert_eq!(user_changed(&json("New")), GcsyncResult::Ok);
        set("client_secret", CLIENT_SECRET);
        assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
        assert_eq!(gcsync_wait_settled(30_000), GcsyncResult::Ok);
        assert_eq!(status(&id)["state"], "Synced", "{}", status(&id));
        assert_eq!(gc_user(&w.emu, &email(&id))["name"], "New", "round {round}");
        drop(w);
    }
}
