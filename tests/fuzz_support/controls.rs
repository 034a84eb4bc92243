//! The exports that take numbers, settings or cursors: `gcsync_on_settings_changed` (random
//! values for random keys from the host's `get_setting`), `gcsync_set_role`, `gcsync_flush`,
//! `gcsync_wait_idle`, `gcsync_wait_settled` (any timeout), and `gcsync_list_status_page` in
//! both encodings (cursors from earlier pages or random, any `max_items`, odd buffers).

use crate::common::*;
use crate::inputs::*;
use crate::kind_hooks::{id_text, kind_number};
use crate::run::*;
use crate::staged::max_items;
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind::*;
use gcsync::result::GcsyncResult::{self, *};
use proptest::prelude::*;
use std::cell::RefCell;

const WORDS: [&str; 34] = [
    "true",
    "FALSE",
    " yes ",
    "No",
    "on",
    "off",
    "1",
    "0",
    "maybe",
    "",
    "  ",
    "below-normal",
    "Normal",
    "deactivate",
    "Delete",
    "active",
    "STANDBY",
    "trace",
    "us-east-1",
    "eu_west_1",
    "20,40,60,80",
    "80,60,40,20",
    "1,2,3",
    "http://127.0.0.1:9",
    "socks5://u:p@127.0.0.1:1",
    "https://api.mypurecloud.com/api/v2",
    "http://example.com",
    "/etc/passwd",
    "relative/dir",
    "Available=Away;Gone Fishing=secondary:Lunch",
    "a=b=c",
    "+44",
    "00000000-0000-0000-0000-000000000000",
    "gcsync",
];

/// A random value for `key`, or None (the host has no value: unset).
fn setting() -> impl Strategy<Value = (String, Option<String>)> {
    let value = prop_oneof![
        3 => prop::sample::select(&WORDS[..]).prop_map(str::to_string),
        2 => (-2i64..=1100).prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => "[0-9]{6,25}",
        1 => any::<String>(),
        1 => "a{1000,5000}",
    ];
    let key = prop_oneof![8 => prop::sample::select(&gcsync::settings::KEYS[..]).prop_map(str::to_string), 1 => any::<String>()];
    (key, prop::option::weighted(0.9, value), 0..8).prop_map(|(k, v, s)| {
        // A client secret is scanned for in everything the test produced: make it findable,
        // and one of a few (the scan at the end costs secrets × text).
        let v = if k == "client_secret" {
            v.map(|_| format!("fzsecret-{s}-7f3a"))
        } else {
            v
        };
        (k, v)
    })
}

/// Random settings (one to three keys changed) through `gcsync_on_settings_changed`: a
/// documented code each time; a refused set leaves the settings in force as they were (the
/// overview's) and running (a tracked change made then reaches the emulator), its message
/// naming a key it changed; the good set, given back, is accepted; tracked changes made after
/// it all reach the emulator.
#[test]
fn settings_changed_with_any_values() {
    let run = Run::tracking(&[User, Workgroup]);
    let good = settings_snapshot();
    let settings_codes = [Ok, InvalidSetting, MissingSetting, ConflictingSettings];
    runner()
        .run(&prop::collection::vec(setting(), 1..4), |changes| {
            for (k, v) in &changes {
                match v {
                    Some(v) => set(k, v),
                    None => unset(k),
                }
            }
            let r = gcsync_on_settings_changed();
            run.check("on_settings_changed", r, &settings_codes)?;
            if r != Ok {
                let msg = last_error();
                let o = overview();
                prop_assert_eq!(&o["api_base_url"], good["api_base_url"].as_str(), "{}", o);
                prop_assert_eq!(&o["sync_advanced_platform_objects"], true, "{}", o);
                // The last good configuration keeps running: this change must reach the
                // emulator although the host's settings are bad now.
                run.tracked_change();
                if r != ConflictingSettings {
                    prop_assert!(
                        changes.iter().any(|(k, _)| msg.contains(k.as_str())),
                        "{:?} names none of {:?}: {}",
                        r,
                        changes,
                        msg
                    );
                }
            }
            restore_settings(&good);
            prop_assert_eq!(gcsync_on_settings_changed(), Ok, "{}", last_error());
            run.tracked_change();
            Result::Ok(())
        })
        .unwrap();
    run.finish();
}

#[derive(Debug, Clone)]
enum Ctl {
    Role(u32),
    Flush(u32),
    Idle(u32),
    Settled(u32),
}

/// `gcsync_set_role`, `gcsync_flush`, `gcsync_wait_idle` and `gcsync_wait_settled` with any
/// argument, in any order: a role is OK exactly when it is ACTIVE (1) or STANDBY (2); the waits
/// answer OK or TIMEOUT, and OK with the longest timeout while active (flush also on standby,
/// whose hooks are still saved). Tracked changes made on standby reach the emulator once active.
#[test]
fn role_and_waits_with_any_arguments() {
    let run = Run::new();
    let active = RefCell::new(true);
    let t = || prop_oneof![4 => 0u32..4, 1 => Just(u32::MAX)];
    let ctl = prop_oneof![
        2 => prop_oneof![3 => 1u32..=2, 1 => any::<u32>()].prop_map(Ctl::Role),
        1 => t().prop_map(Ctl::Flush),
        1 => t().prop_map(Ctl::Idle),
        1 => prop_oneof![0u32..4, Just(60_000)].prop_map(Ctl::Settled),
    ];
    runner()
        .run(&prop::collection::vec(ctl, 1..5), |ctls| {
            for c in ctls {
                let on = *active.borrow();
                let (what, r, must) = match c {
                    Ctl::Role(role) => {
                        let r = gcsync_set_role(role);
                        let valid = role == 1 || role == 2;
                        prop_assert_eq!(r == Ok, valid, "set_role({}): {:?}", role, r);
                        if valid {
                            *active.borrow_mut() = role == 1;
                        }
                        run.check("set_role", r, &[Ok, InvalidArgument])?;
                        continue;
                    }
                    // The waits for the worker would wait for ever on standby.
                    Ctl::Idle(t) if !on => ("wait_idle", gcsync_wait_idle(t.min(3)), false),
                    Ctl::Settled(t) if !on => {
                        ("wait_settled", gcsync_wait_settled(t.min(3)), false)
                    }
                    Ctl::Idle(t) => ("wait_idle", gcsync_wait_idle(t), t == u32::MAX),
                    Ctl::Settled(t) => ("wait_settled", gcsync_wait_settled(t), t == 60_000),
                    Ctl::Flush(t) => ("flush", gcsync_flush(t), t == u32::MAX),
                };
                run.check(what, r, &[Ok, Timeout])?;
                prop_assert!(
                    !must || r == Ok,
                    "{} with the longest timeout: {:?}",
                    what,
                    r
                );
            }
            run.tracked_change();
            Result::Ok(())
        })
        .unwrap();
    assert_eq!(gcsync_set_role(1), Ok);
    run.finish();
}

/// `gcsync_list_status_page` in both encodings: any kind number, the last page's cursor or any
/// text, any `max_items`, odd buffers. A documented code; an OK page is JSON with at most
/// `max_items` items, in ascending id order, all after the cursor.
#[test]
fn status_pages_with_any_arguments() {
    let run = Run::tracking(&[User, Workgroup, Skill, WrapupCode, AgentStatus]);
    let cursor: RefCell<Option<String>> = RefCell::new(None);
    let after = prop_oneof![2 => Just(None), 1 => id_text().prop_map(Some)];
    let buf = (
        prop_oneof![3 => 0usize..600, 1 => 600usize..60_000],
        prop::bool::weighted(0.05),
    );
    let strat = (kind_number(), after, len(), any::<bool>(), max_items(), buf);
    let codes: Vec<GcsyncResult> = QUERY_CODES
        .iter()
        .copied()
        .chain([InvalidArgument])
        .collect();
    runner()
        .run(&strat, |(kind, after, how, wide, max, (blen, null))| {
            let after = after.or_else(|| cursor.borrow().clone().map(String::into_bytes));
            let mut need = usize::MAX;
            let mut o = Out::new(blen, null);
            let page = |p8: *const u8, p16: *const u16, n: usize, o: &mut Out, need: &mut usize| unsafe {
                if wide {
                    gcsync_list_status_page_utf16(kind, p16, n, max, o.ptr(), blen, need)
                } else {
                    gcsync_list_status_page(kind, p8.cast(), n, max, o.ptr(), blen, need)
                }
            };
            let units: Vec<u16> = after.as_ref().map_or(vec![], |a| String::from_utf8_lossy(a).encode_utf16().collect());
            let r = match (&after, wide) {
                (None, _) => page(std::ptr::null(), std::ptr::null(), 0, &mut o, &mut need),
                (Some(a), false) => call(a, &how, |p, n| page(p, std::ptr::null(), n, &mut o, &mut need)),
                (Some(_), true) => call(&units, &how, |p, n| page(std::ptr::null(), p, n, &mut o, &mut need)),
            };
            run.check(if wide { "list_status_page_utf16" } else { "list_status_page" }, r, &codes)?;
            o.check(r, need, true)?;
            if r == Ok {
                prop_assert!((1..=10_000).contains(&max), "max_items {}: OK", max);
            }
            if let Some(v) = o.json(r, need) {
                let ids: Vec<String> = v["items"].as_array().unwrap().iter()
                    .map(|i| i["id"].as_str().unwrap().to_string()).collect();
                prop_assert!(ids.len() <= max as usize);
                prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "not ascending: {:?}", ids);
                if let (Some(a), Len::Whole, false) = (&after, &how, wide) {
                    prop_assert!(ids.iter().all(|i| i.as_bytes() > a.as_slice()), "{:?} not after {:?}", ids, a);
                }
                *cursor.borrow_mut() = v["next_after"].as_str().map(str::to_string);
            }
            run.tracked_change();
            Result::Ok(())
        })
        .unwrap();
    run.finish();
}
