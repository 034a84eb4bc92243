//! Init, shutdown, re-init, calls outside the running window, settings, persistence.

mod common;

use common::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;

#[test]
fn calls_before_init_and_after_shutdown_get_their_own_codes() {
    let w = World::new();
    let mut need = 0usize;
    assert_eq!(
        user_changed(&cic_user("a", "A", None)),
        GcsyncResult::NotInitialized
    );
    assert_eq!(user_deleted("a"), GcsyncResult::NotInitialized);
    assert_eq!(force_sync(r#"{"users":[]}"#), GcsyncResult::NotInitialized);
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::NotInitialized);
    assert_eq!(gcsync_wait_idle(10), GcsyncResult::NotInitialized);
    assert_eq!(
        unsafe { gcsync_overview(std::ptr::null_mut(), 0, &mut need) },
        GcsyncResult::NotInitialized
    );
    assert_eq!(gcsync_shutdown(10), GcsyncResult::NotInitialized);
    assert_eq!(
        unsafe { gcsync_init(std::ptr::null()) },
        GcsyncResult::NullParameter
    );
    w.start();
    assert_eq!(init(), GcsyncResult::AlreadyInitialized);
    assert_eq!(gcsync_shutdown(1000), GcsyncResult::Ok);
    assert_eq!(
        user_changed(&cic_user("a", "A", None)),
        GcsyncResult::ShutDown
    );
    assert_eq!(user_deleted("a"), GcsyncResult::ShutDown);
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::ShutDown);
    assert_eq!(
        unsafe { gcsync_overview(std::ptr::null_mut(), 0, &mut need) },
        GcsyncResult::ShutDown
    );
    assert_eq!(gcsync_shutdown(10), GcsyncResult::ShutDown);
    assert!(last_error().contains("gcsync_init"));
}

#[test]
fn wrong_abi_and_bad_settings_are_refused_with_the_key_named() {
    let _w = World::new();
    let mut h = host();
    h.abi_version = 99;
    assert_eq!(unsafe { gcsync_init(&h) }, GcsyncResult::AbiVersionMismatch);
    set("sync_user_objects", "false");
    set("sync_advanced_platform_objects", "true");
    assert_eq!(init(), GcsyncResult::ConflictingSettings);
    set("sync_user_objects", "true");
    set("requests_per_minute", "lots");
    assert_eq!(init(), GcsyncResult::InvalidSetting);
    assert!(last_error().contains("requests_per_minute"));
    set("requests_per_minute", "100");
    unset("client_id");
    assert_eq!(init(), GcsyncResult::MissingSetting);
    set("client_id", CLIENT_ID);
    set("api_base_url", "http://10.1.2.3:80");
    assert_eq!(
        init(),
        GcsyncResult::InvalidSetting,
        "plain http only to loopback"
    );
    let mut h = host();
    h.get_setting = None;
    assert_eq!(unsafe { gcsync_init(&h) }, GcsyncResult::NullParameter);
}

#[test]
fn init_shutdown_cycles_keep_state_and_threads_end() {
    let w = World::new();
    for round in 0..5 {
        w.start();
        let u = cic_user(
            &format!("u{round}"),
            "U",
            Some(&format!("u{round}@example.com")),
        );
        assert_eq!(user_changed(&u), GcsyncResult::Ok);
        wait_idle();
        assert_eq!(overview()["worker_alive"], true);
        assert_eq!(gcsync_shutdown(5000), GcsyncResult::Ok);
        // A joined thread wakes its joiner before it leaves the task list, and on a loaded
        // machine it may not run again at once: poll (a thread left running never goes).
        let gcsync_threads = || -> Vec<String> {
            let names = thread_names().into_iter();
            names.filter(|n| n.starts_with("gcsync")).collect()
        };
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !gcsync_threads().is_empty() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(
            gcsync_threads(),
            Vec::<String>::new(),
            "no gcsync thread after shutdown"
        );
    }
    w.start();
    // Everything synced before is remembered: re-sending costs nothing.
    w.emu.clear_requests();
    for round in 0..5 {
        let u = cic_user(
            &format!("u{round}"),
            "U",
            Some(&format!("u{round}@example.com")),
        );
        assert_eq!(user_changed(&u), GcsyncResult::Ok);
    }
    wait_idle();
    assert!(w.emu.requests().is_empty());
    assert_eq!(overview()["objects"]["synced"], 5);
}

#[test]
fn pending_work_survives_a_restart() {
    let w = World::new();
    cloud_down();
    w.start();
    assert_eq!(
        user_changed(&cic_user("later", "Later", Some("later@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("later");
    assert_eq!(s["state"], "Error");
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("could not reach Genesys Cloud"),
        "{s}"
    );
    assert_eq!(gcsync_shutdown(200), GcsyncResult::ShutdownTimedOut);
    let saved = pending_in_db(w.dir.path()).join("\n");
    assert!(saved.contains("later@example.com"), "{saved}");
    // Restart against the live emulator: the saved change is applied without the host resending.
    set("api_base_url", &w.emu.base_url());
    set("login_base_url", &w.emu.base_url());
    w.start();
    wait_idle();
    assert_eq!(status("later")["state"], "Synced");
    assert_eq!(gc_user(&w.emu, "later@example.com")["name"], "Later");
}

#[test]
fn settings_change_applies_without_restart() {
    let w = World::new();
    set("sync_user_objects", "false");
    w.start();
    assert_eq!(
        user_changed(&cic_user("s", "S", Some("s@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("s");
    assert_eq!(s["state"], "Not synced");
    assert!(s["reason"].as_str().unwrap().contains("Sync User Objects"));
    assert!(w.emu.requests().is_empty());
    // An invalid change is refused and the old settings stay.
    set("sync_advanced_platform_objects", "true");
    assert_eq!(
        gcsync_on_settings_changed(),
        GcsyncResult::ConflictingSettings
    );
    set("sync_advanced_platform_objects", "false");
    set("sync_user_objects", "true");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    eventually("user synced after users turned on", || {
        status("s")["state"] == "Synced"
    });
    assert_eq!(overview()["sync_user_objects"], true);
    set("data_dir", "/tmp/elsewhere");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::InvalidSetting);
}

#[test]
fn status_callback_and_overview_report_activity() {
    let w = World::new();
    w.start();
    let before = STATUS_EVENTS.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        user_changed(&cic_user("a", "A", Some("a@example.com"))),
        GcsyncResult::Ok
    );
    assert_eq!(user_changed(&cic_user("b", "B", None)), GcsyncResult::Ok);
    wait_idle();
    assert!(STATUS_EVENTS.load(std::sync::atomic::Ordering::SeqCst) >= before + 2);
    let o = overview();
    assert_eq!(o["objects"]["synced"], 1);
    assert_eq!(o["objects"]["error"], 1);
    assert_eq!(o["queue_depth"], 0);
    assert_eq!(
        o["api_calls"], 4,
        "a token, the lookup by external id, the create and the external id recorded"
    );
    assert_eq!(o["worker_alive"], true);
    assert!(o["last_error"]["message"]
        .as_str()
        .unwrap()
        .contains("business email required"));
    assert_eq!(list_status().as_array().unwrap().len(), 2);
}

fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
        .map(|s| s.trim().to_string())
        .collect()
}

#[test]
fn shutdown_interrupts_a_long_rate_limit_wait_and_saves_the_change() {
    let w = worker_stuck_in_a_long_rate_limit_wait("slow");
    let t0 = std::time::Instant::now();
    assert_eq!(gcsync_shutdown(300), GcsyncResult::ShutdownTimedOut);
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        t0.elapsed()
    );
    w.start();
    wait_idle();
    assert_eq!(status("slow")["state"], "Synced");
    assert_eq!(w.emu.users().len(), 1);
}

#[test]
fn fixing_credentials_in_settings_resyncs_the_users_in_error() {
    let w = World::new();
    set("client_secret", "not-the-right-one");
    w.start();
    for id in ["f1", "f2"] {
        assert_eq!(
            user_changed(&cic_user(id, id, Some(&format!("{id}@example.com")))),
            GcsyncResult::Ok
        );
    }
    wait_idle();
    assert_eq!(status("f1")["state"], "Error");
    assert_eq!(status("f2")["state"], "Error");
    set("client_secret", CLIENT_SECRET);
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    eventually("both users synced after the fix", || {
        status("f1")["state"] == "Synced" && status("f2")["state"] == "Synced"
    });
    assert_eq!(w.emu.users().len(), 2);
}

#[test]
fn an_unusable_proxy_or_ca_bundle_is_refused_up_front() {
    let w = World::new();
    set("http_proxy", "http://proxy host:3128");
    assert_eq!(init(), GcsyncResult::InvalidSetting);
    assert!(last_error().contains("proxy"), "{}", last_error());
    unset("http_proxy");
    let bundle = w.dir.path().join("ca.pem");
    std::fs::write(&bundle, "not a certificate").unwrap();
    set("ca_bundle", bundle.to_str().unwrap());
    assert_eq!(init(), GcsyncResult::InvalidSetting);
    assert!(last_error().contains("CA bundle"), "{}", last_error());
    set("ca_bundle", "/nonexistent/ca.pem");
    assert_eq!(init(), GcsyncResult::InvalidSetting);
    assert!(
        last_error().contains("/nonexistent/ca.pem"),
        "{}",
        last_error()
    );
    unset("ca_bundle");
    w.start();
}

#[test]
fn a_change_is_on_disk_quickly_even_while_the_worker_waits_out_a_rate_limit() {
    let w = worker_stuck_in_a_long_rate_limit_wait("first");
    assert_eq!(
        user_changed(&cic_user("second", "Second", Some("second@example.com"))),
        GcsyncResult::Ok
    );
    assert_eq!(
        flush(),
        GcsyncResult::Ok,
        "durable although the worker is stuck"
    );
    let saved = pending_in_db(w.dir.path()).join("\n");
    assert!(saved.contains("second@example.com"), "{saved}");
    // Both are applied after a restart, without the host sending them again.
    assert_eq!(gcsync_shutdown(100), GcsyncResult::ShutdownTimedOut);
    w.start();
    wait_idle();
    assert_eq!(status("first")["state"], "Synced");
    assert_eq!(status("second")["state"], "Synced");
}

/// Starts gcsync, sends user `id` and returns once the worker is waiting out a 429 that asked
/// for 300 s (accepted inline: `max_retry_after_s` is 600).
fn worker_stuck_in_a_long_rate_limit_wait(id: &str) -> World {
    let w = World::new();
    set("max_retry_after_s", "600");
    w.start();
    w.emu.inject(gc_emulator::InjectedFault {
        method: "POST".into(),
        route: "/api/v2/users".into(),
        status: 429,
        code: "too.many.requests".into(),
        retry_after: gc_emulator::RetryAfter::Seconds(300),
        count: 1,
        drop_connection: false,
        ..Default::default()
    });
    let email = format!("{id}@example.com");
    assert_eq!(
        user_changed(&cic_user(id, id, Some(&email))),
        GcsyncResult::Ok
    );
    eventually("the worker is waiting out the 429", || {
        w.emu.requests().iter().any(|r| r.status == 429)
    });
    w
}
