//! The random faults a fault storm needs (issue 12 item 1): 429s whose `Retry-After` varies in
//! value and form, latency jitter, responses cut mid-way after the write was applied, and tokens
//! expired on a period.
mod common;
use common::*;
use gc_emulator::Faults;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const U: &str = "/api/v2/users";

/// Seconds from now to an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), by parsing it.
fn secs_until(date: &str) -> i64 {
    let p: Vec<&str> = date.split([' ', ':']).collect();
    let (d, y, h, m, s): (i64, i64, i64, i64, i64) = (
        p[1].parse().unwrap(),
        p[3].parse().unwrap(),
        p[4].parse().unwrap(),
        p[5].parse().unwrap(),
        p[6].parse().unwrap(),
    );
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mon = months.iter().position(|x| *x == p[2]).unwrap() as i64 + 1;
    // Days from the civil date (Howard Hinnant's algorithm).
    let (yy, mm) = if mon <= 2 {
        (y - 1, mon + 9)
    } else {
        (y, mon - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let at = days * 86_400 + h * 3600 + m * 60 + s;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    at - now
}

#[test]
fn random_429s_vary_retry_after_in_value_and_in_both_forms() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        rate_429: 1.0,
        retry_after_secs: 0,
        retry_after_max_secs: 3,
        retry_after_http_date_rate: 0.5,
        seed: 7,
        ..Default::default()
    });
    let (mut seconds, mut dates) = (BTreeSet::new(), 0);
    for _ in 0..200 {
        let r = api(&emu, &tok, "GET", U, None);
        assert_eq!((r.status, r.code().as_str()), (429, "too.many.requests"));
        let v = r.header("Retry-After").unwrap().to_string();
        if let Ok(n) = v.parse::<u64>() {
            assert!(n <= 3, "Retry-After {n} above the maximum 3");
            seconds.insert(n);
        } else {
            assert!(v.ends_with(" GMT") && v.len() == 29, "{v}");
            let ahead = secs_until(&v);
            assert!((-1..=4).contains(&ahead), "{v} is {ahead} s ahead");
            dates += 1;
        }
    }
    assert_eq!(seconds, BTreeSet::from([0, 1, 2, 3]), "every value 0-3");
    assert!((60..140).contains(&dates), "{dates} of 200 as an HTTP date");
    // The default stays one fixed value in delta-seconds.
    emu.set_faults(Faults {
        rate_429: 1.0,
        ..Default::default()
    });
    assert_eq!(
        api(&emu, &tok, "GET", U, None).header("Retry-After"),
        Some("1")
    );
}

#[test]
fn latency_jitter_spreads_answer_times_up_to_its_bound() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        latency_ms: 10,
        latency_jitter_ms: 80,
        seed: 3,
        ..Default::default()
    });
    emu.clear_requests();
    for _ in 0..30 {
        assert_eq!(api(&emu, &tok, "GET", U, None).status, 200);
    }
    let ms: Vec<u64> = emu.requests().iter().map(|r| r.elapsed_us / 1000).collect();
    let (min, max) = (*ms.iter().min().unwrap(), *ms.iter().max().unwrap());
    assert!(min >= 10, "every answer waits the fixed 10 ms: {ms:?}");
    assert!(
        min < 40 && max >= 50,
        "answers spread over 10-90 ms: {ms:?}"
    );
    assert!(max < 90 + 200, "no answer waits far past 90 ms: {ms:?}");
}

#[test]
fn a_response_cut_mid_way_after_the_write_keeps_the_write() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        lost_response_rate: 1.0,
        cut_mid_response: true,
        ..Default::default()
    });
    let body = json!({"name": "Cut", "email": "cut@example.com"});
    let r = try_api(&emu, &tok, "POST", U, Some(body)).expect("the head arrives");
    // The head says 200 and the full length; half the body came before the close.
    assert_eq!(r.status, 200);
    let full: usize = r.header("Content-Length").unwrap().parse().unwrap();
    assert!(!r.body.is_empty() && r.body.len() < full, "{}", r.body);
    assert!(serde_json::from_str::<serde_json::Value>(&r.body).is_err());
    assert!(
        emu.user_by_email("cut@example.com").is_some(),
        "the write was applied"
    );
    let log = emu.requests();
    let last = log.last().unwrap();
    assert_eq!((last.status, last.handled_status), (0, Some(200)));
    // Reads are never cut: the lost-response fault is for writes.
    assert_eq!(api(&emu, &tok, "GET", U, None).status, 200);
}

#[test]
fn tokens_expire_on_the_configured_period() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        expire_tokens_every_ms: 400,
        ..Default::default()
    });
    // The period starts at the first request after the faults were set.
    assert_eq!(api(&emu, &tok, "GET", U, None).status, 200);
    std::thread::sleep(Duration::from_millis(450));
    let r = api(&emu, &tok, "GET", U, None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "authentication.required")
    );
    let fresh = token(&emu);
    assert_eq!(api(&emu, &fresh, "GET", U, None).status, 200);
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(api(&emu, &fresh, "GET", U, None).status, 401);
    emu.set_faults(Faults::default());
    let kept = token(&emu);
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(api(&emu, &kept, "GET", U, None).status, 200, "off again");
}
